"""Turning a saved report into a file: JSON, CSV (one row per metric) or a standalone HTML page."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

from dsm.reports.csv_export import to_csv
from dsm.reports.html_export import render as to_html
from dsm.store.reports import Report


@dataclass(frozen=True)
class Exported:
    content: str
    mime: str
    filename: str

    def to_wire(self) -> dict[str, str]:
        return {"content": self.content, "mime": self.mime, "filename": self.filename}


def _json(report: Report) -> Exported:
    content = json.dumps(report.to_wire(), indent=2, ensure_ascii=False, allow_nan=False)
    return Exported(content, "application/json", f"{report.id}.json")


def _csv(report: Report) -> Exported:
    return Exported(to_csv(report.body), "text/csv; charset=utf-8", f"{report.id}.csv")


def _html(report: Report) -> Exported:
    return Exported(to_html(report), "text/html; charset=utf-8", f"{report.id}.html")


EXPORTERS: dict[str, Callable[[Report], Exported]] = {"json": _json, "csv": _csv, "html": _html}


def export(report: Report, fmt: str) -> Exported:
    return EXPORTERS[fmt](report)
