"""Turning a saved report into a file: JSON for now; csv and html exporters register here."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass

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


EXPORTERS: dict[str, Callable[[Report], Exported]] = {"json": _json}


def export(report: Report, fmt: str) -> Exported:
    return EXPORTERS[fmt](report)
