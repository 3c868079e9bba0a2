"""The report engine: validates `reports.generate` options and builds a report of each type.

`generate_report` is synchronous and read-only (it runs in a worker thread through `Database.read`);
the caller saves the result with `dsm.store.reports.save_job` through the writer.
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from dsm.errors import invalid
from dsm.reports import anomaly, audit, comparison, custom, daily, performance, usage
from dsm.store.reports import REPORT_TYPES, Report, new_report
from dsm.validate import EARLIEST_TS, LATEST_TS, as_object, choice, integer, number, only_keys, string, timestamp

Options = dict[str, Any]
Built = tuple[str, dict[str, Any]]  # (title, body)
Builder = Callable[[sqlite3.Connection, int, Options, float], Built]

ANALYSES = tuple(custom.ANALYSES)
_PERIOD = ("from", "to")
_ALLOWED: dict[str, frozenset[str]] = {
    "DAILY_SUMMARY": frozenset((*_PERIOD, "date", "limit")),
    "PERFORMANCE_ANALYSIS": frozenset((*_PERIOD, "limit")),
    "DATASTORE_AUDIT": frozenset((*_PERIOD, "limit", "datastore", "nameWarnLength")),
    "ANOMALY_DETECTION": frozenset((*_PERIOD, "baselineHours")),
    "USAGE_ANALYTICS": frozenset((*_PERIOD, "limit")),
    "HISTORICAL_COMPARISON": frozenset(
        (*_PERIOD, "baselineFrom", "baselineTo", "reportId", "baselineReportId", "baselineSnapshotId")
    ),
    "CUSTOM_ANALYSIS": frozenset((*_PERIOD, "analysis", "parameters", "filters", "limit")),
}
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


def _period(raw: Options, out: Options, lo: str = "from", hi: str = "to") -> None:
    start = timestamp(raw, lo, "options", required=False)
    end = timestamp(raw, hi, "options", required=False)
    if (start is None) != (end is None):
        raise invalid(f"options.{hi if end is None else lo}", f"give both {lo} and {hi}, or neither")
    if start is not None and end is not None:
        if end <= start:
            raise invalid(f"options.{hi}", f"must be after {lo}")
        out[lo], out[hi] = float(start), float(end)


def _date(raw: Options, out: Options) -> None:
    text = string(raw, "date", "options", required=False, max_len=10)
    if text is None:
        return
    if "from" in out:
        raise invalid("options.date", "give either date or from/to")
    try:
        if not _DATE.match(text):
            raise ValueError(text)
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC)
    except ValueError:
        raise invalid("options.date", "expected a UTC day as YYYY-MM-DD") from None
    if not EARLIEST_TS <= day.timestamp() < LATEST_TS:
        raise invalid("options.date", "expected a day from 2000-01-01 to 2099-12-31")
    out["from"] = day.timestamp()
    out["to"] = out["from"] + 86400.0


def _ids(raw: Options, out: Options) -> None:
    for field in ("reportId", "baselineReportId", "baselineSnapshotId"):
        value = string(raw, field, "options", required=False, min_len=1, max_len=128)
        if value is not None:
            out[field] = value
    if "reportId" in out:
        if ("baselineReportId" in out) == ("baselineSnapshotId" in out):
            raise invalid("options.baselineReportId", "with reportId give one of baselineReportId, baselineSnapshotId")
        if "from" in out or "baselineFrom" in out:
            raise invalid("options.reportId", "compare either reports/snapshots or periods, not both")
    elif "baselineReportId" in out or "baselineSnapshotId" in out:
        raise invalid("options.reportId", "required when a baseline report or snapshot is given")
    elif "baselineFrom" in out and "from" not in out:
        raise invalid("options.from", "required when baselineFrom/baselineTo are given")


def _custom(raw: Options, out: Options) -> None:
    out["analysis"] = choice(raw, "analysis", "options", ANALYSES)
    params = as_object(raw.get("parameters"), "options.parameters")
    filters = as_object(raw.get("filters"), "options.filters")
    only_keys(params, frozenset(("pattern", "timeRange", "from", "to")), "options.parameters")
    only_keys(filters, frozenset(("datastoreName", "scope", "operation")), "options.filters")
    clean_params: Options = {}
    pattern = string(params, "pattern", "options.parameters", required=False, min_len=1, max_len=200)
    if pattern is not None:
        clean_params["pattern"] = pattern
    time_range = number(params, "timeRange", "options.parameters", required=False, minimum=1, maximum=3650 * 86400)
    if time_range is not None:
        clean_params["timeRange"] = float(time_range)
    _period(params, clean_params)
    if "timeRange" in clean_params and "from" in clean_params:
        raise invalid("options.parameters.timeRange", "give either timeRange or from/to")
    clean_filters: Options = {}
    for field in ("datastoreName", "scope", "operation"):
        value = string(filters, field, "options.filters", required=False, min_len=1, max_len=200)
        if value is not None:
            clean_filters[field] = value
    out["parameters"], out["filters"] = clean_params, clean_filters


def validate_options(report_type: str, options: Any) -> Options:
    """Check `reports.generate` options for a report type; returns a clean copy or raises `invalid_body`."""
    if report_type not in REPORT_TYPES:
        raise invalid("type", f"expected one of {', '.join(REPORT_TYPES)}")
    raw = as_object(options, "options")
    only_keys(raw, _ALLOWED[report_type], "options")
    out: Options = {}
    _period(raw, out)
    limit = integer(raw, "limit", "options", required=False, minimum=1, maximum=1000)
    if limit is not None:
        out["limit"] = limit
    if report_type == "DAILY_SUMMARY":
        _date(raw, out)
    elif report_type == "DATASTORE_AUDIT":
        name_warn = integer(raw, "nameWarnLength", "options", required=False, minimum=1, maximum=50)
        if name_warn is not None:
            out["nameWarnLength"] = name_warn
        datastore = string(raw, "datastore", "options", required=False, min_len=1, max_len=50)
        if datastore is not None:
            out["datastore"] = datastore
    elif report_type == "ANOMALY_DETECTION":
        hours = integer(raw, "baselineHours", "options", required=False, minimum=1, maximum=24 * 365)
        if hours is not None:
            out["baselineHours"] = hours
    elif report_type == "HISTORICAL_COMPARISON":
        _period(raw, out, "baselineFrom", "baselineTo")
        _ids(raw, out)
    elif report_type == "CUSTOM_ANALYSIS":
        _custom(raw, out)
    return out


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
    title, body = BUILDERS[report_type](conn, user_id, clean, now)
    return new_report(report_type, now, title, body)
