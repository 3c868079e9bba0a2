"""The figures a historical snapshot keeps: the metrics of DAILY_SUMMARY and PERFORMANCE_ANALYSIS over the
snapshot's period, under the reports' names, so a snapshot and a report compare metric by metric."""

from __future__ import annotations

import sqlite3

from dsm.analytics import periods
from dsm.reports import common as c
from dsm.reports import performance


def metrics(conn: sqlite3.Connection, user_id: int, start: float, end: float) -> list[c.Row]:
    """Metric rows (`section`, `name`, `label`, `value`, `unit`, `better`) of [start, end); each name once."""
    bucket = periods.load(conn, user_id, start, end)
    rows: dict[str, c.Row] = {}
    for f in [*c.summary_values(bucket), *performance.headline_values(bucket)]:
        rows.setdefault(
            f.name,
            {"section": f.section, "name": f.name, "label": f.label, "value": f.value}
            | {"unit": f.unit, "better": f.better},
        )
    return list(rows.values())
