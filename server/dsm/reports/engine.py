"""The report engine: validates `reports.generate` options and builds a report of each type.

`generate_report` is synchronous and read-only (it runs in a worker thread through `Database.read`);
the caller saves the result with `dsm.store.reports.save_job` through the writer.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

from dsm.reports import anomaly, audit, catalog, comparison, custom, daily, model_check, performance, usage
from dsm.store.reports import Report, new_report

Options = dict[str, Any]
Built = tuple[str, dict[str, Any]]  # (title, body)
Builder = Callable[[sqlite3.Connection, int, Options, float], Built]


def validate_options(report_type: str, options: Any) -> Options:
    """Check `reports.generate` options for a report type (as the catalog declares them); a clean copy with the
    declared defaults filled in, or `invalid_body` naming the field."""
    return catalog.parse_options(report_type, options)


BUILDERS: dict[str, Builder] = {
    "DAILY_SUMMARY": daily.build,
    "PERFORMANCE_ANALYSIS": performance.build,
    "DATASTORE_AUDIT": audit.build,
    "ANOMALY_DETECTION": anomaly.build,
    "USAGE_ANALYTICS": usage.build,
    "HISTORICAL_COMPARISON": comparison.build,
    "CUSTOM_ANALYSIS": custom.build,
}


def generate_report(conn: sqlite3.Connection, user_id: int, report_type: str, options: Options, now: float) -> Report:
    """Build (not save) a report of `report_type` for `user_id` from validated `options`, as of `now`."""
    clean = validate_options(report_type, options)
    if "from" not in clean:
        clean["from"], clean["to"] = catalog.BY_NAME[report_type].period.resolve(now)
    title, body = BUILDERS[report_type](conn, user_id, clean, now)
    model_check.check_body(body)
    return new_report(report_type, now, title, body)
