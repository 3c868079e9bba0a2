"""Every report type the companion generates, with its title, default period and options, declared once.

The option parser (`parse_options`: `reports.generate`, the HTTP API, the CLI) and the catalog the `hello`
reply carries (`to_wire`) both read these declarations, so what the plugin offers is exactly what the server
accepts. Rules between options (`requires`, `requiresAny`, `excludes`, `after`) are declared with them too.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from dsm.errors import invalid
from dsm.validate import (
    EARLIEST_TS,
    LATEST_TS,
    Obj,
    as_object,
    choice,
    integer,
    join,
    number,
    only_keys,
    string,
    timestamp,
)

Options = dict[str, Any]
HOUR = 3600
DAY = 86400
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
# The option types, as the catalog names them: "time" is Unix seconds, "date" a UTC day (YYYY-MM-DD), "report"
# and "snapshot" the id of a saved report or historical snapshot, "object" a nested set of declared fields.
OPTION_TYPES = ("time", "date", "integer", "number", "string", "enum", "report", "snapshot", "object")


@dataclass(frozen=True)
class Option:
    """One option: its type, range and the other options it needs or rules out."""

    name: str
    type: str
    label: str
    description: str = ""
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()
    max_length: int = 200
    unit: str | None = None
    requires: tuple[str, ...] = ()
    requires_any: tuple[str, ...] = ()
    excludes: tuple[str, ...] = ()
    after: str | None = None  # a time that must be later than this other option

    def parse(self, raw: Obj, path: str) -> Any:
        """This option's value from `raw` (None when absent), or `invalid_body` naming `path.name`."""
        if self.type == "time":
            return timestamp(raw, self.name, path, required=False)
        if self.type == "integer":
            return integer(raw, self.name, path, required=False, minimum=_int(self.minimum), maximum=_int(self.maximum))
        if self.type == "number":
            value = number(raw, self.name, path, required=False, minimum=self.minimum, maximum=self.maximum)
            return None if value is None else float(value)
        if self.type == "enum":
            return choice(raw, self.name, path, self.choices, required=False)
        if self.type == "object":
            return None if raw.get(self.name) is None else as_object(raw[self.name], join(path, self.name))
        text = string(raw, self.name, path, required=False, min_len=1, max_len=self.max_length)
        if text is not None and self.type == "date":
            _check_date(text, join(path, self.name))
        return text

    def to_wire(self, order: int) -> dict[str, Any]:
        out: dict[str, Any] = {"type": self.type, "label": self.label, "order": order}
        extras = {
            "description": self.description or None,
            "default": self.default,
            "min": self.minimum,
            "max": self.maximum,
            "choices": list(self.choices) or None,
            "maxLength": self.max_length if self.type in ("string", "report", "snapshot") else None,
            "unit": self.unit,
            "requires": list(self.requires) or None,
            "requiresAny": list(self.requires_any) or None,
            "excludes": list(self.excludes) or None,
            "after": self.after,
        }
        return out | {k: v for k, v in extras.items() if v is not None}


def _int(value: float | None) -> int | None:
    return None if value is None else int(value)


def _check_date(text: str, path: str) -> None:
    try:
        if not _DATE.match(text):
            raise ValueError(text)
        day = datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
    except ValueError:
        raise invalid(path, "expected a UTC day as YYYY-MM-DD") from None
    if not EARLIEST_TS <= day < LATEST_TS:  # the store's timestamp window
        raise invalid(path, "expected a day from 2000-01-01 to 2099-12-31")


def parse_fields(raw: Any, declared: tuple[Option, ...], path: str) -> Options:
    """Every declared field present in `raw`, checked, with defaults filled in; unknown fields are refused."""
    obj = as_object(raw, path)
    by_name = {o.name: o for o in declared}
    only_keys(obj, frozenset(by_name), path)
    out: Options = {}
    for option in declared:
        value = option.parse(obj, path)
        if value is not None:
            out[option.name] = value
    for option in declared:
        if option.name in out:
            _check_rules(option, out, path)
    for option in declared:
        if option.name not in out and option.default is not None:
            out[option.name] = option.default
    return out


def _check_rules(option: Option, given: Options, path: str) -> None:
    for other in option.requires:
        if other not in given:
            raise invalid(join(path, other), f"required with {option.name}")
    for other in option.excludes:
        if other in given:
            raise invalid(join(path, option.name), f"give either {option.name} or {other}, not both")
    if option.requires_any and not any(o in given for o in option.requires_any):
        raise invalid(
            join(path, option.requires_any[0]), f"with {option.name} give one of {', '.join(option.requires_any)}"
        )
    if option.after is not None and option.after in given and given[option.name] <= given[option.after]:
        raise invalid(join(path, option.name), f"must be after {option.after}")


@dataclass(frozen=True)
class DefaultPeriod:
    """The period a report covers when no `from`/`to` is given: the last `seconds` up to the last whole `align`."""

    seconds: int
    align: int
    text: str

    def resolve(self, now: float) -> tuple[float, float]:
        end = float(math.floor(now / self.align) * self.align)
        return end - self.seconds, end

    def to_wire(self) -> dict[str, Any]:
        return {"seconds": self.seconds, "align": "day" if self.align == DAY else "hour", "text": self.text}


@dataclass(frozen=True)
class Analysis:
    """One CUSTOM_ANALYSIS analysis with its `parameters` and `filters`."""

    name: str
    title: str
    description: str
    parameters: tuple[Option, ...]
    filters: tuple[Option, ...] = ()

    def to_wire(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "description": self.description,
            "parameters": _options_wire(self.parameters),
            "filters": _options_wire(self.filters),
        }


@dataclass(frozen=True)
class ReportType:
    name: str
    title: str
    description: str
    period: DefaultPeriod
    options: tuple[Option, ...]
    analyses: tuple[Analysis, ...] = field(default=())

    def to_wire(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "type": self.name,
            "title": self.title,
            "description": self.description,
            "defaultPeriod": self.period.to_wire(),
            "options": _options_wire(self.options),
        }
        if self.analyses:
            out["analyses"] = [a.to_wire() for a in self.analyses]
        return out


def _options_wire(options: tuple[Option, ...]) -> dict[str, Any]:
    return {o.name: o.to_wire(i) for i, o in enumerate(options)}


# ---- the declarations --------------------------------------------------------------------------------------

FROM = Option("from", "time", "From", "Start of the period (UTC); give with to.", requires=("to",))
TO = Option("to", "time", "To", "End of the period, exclusive; give with from.", requires=("from",), after="from")
PERIOD = (FROM, TO)


def limit(default: int) -> Option:
    return Option("limit", "integer", "Rows per list", "How many rows each top list shows.", default, 1, 1000)


def time_range(*, excludes: tuple[str, ...]) -> Option:
    return Option(
        "timeRange",
        "number",
        "Time range",
        "Seconds back from now; instead of from/to.",
        minimum=1,
        maximum=3650 * DAY,
        unit="seconds",
        excludes=excludes,
    )


_PARAM_PERIOD = (
    time_range(excludes=("from", "to")),
    Option("from", "time", "From", "Start of the analysed period (UTC).", requires=("to",), excludes=("timeRange",)),
    Option("to", "time", "To", "End of the analysed period.", requires=("from",), after="from"),
)
_DATASTORE_FILTER = Option("datastoreName", "string", "DataStore", "Only this DataStore.", max_length=50)

ANALYSES = (
    Analysis(
        "key_pattern_analysis",
        "Key pattern analysis",
        "Keys matching a glob: their reads and sizes, key families and the shape of their cached values.",
        (Option("pattern", "string", "Key pattern", "A glob (* and ?), case-sensitive.", "*"), *_PARAM_PERIOD),
        (_DATASTORE_FILTER, Option("scope", "string", "Scope", "Only this scope.", max_length=50)),
    ),
    Analysis(
        "operation_breakdown",
        "Operation breakdown",
        "Per DataStore operation: calls, success rate and latency percentiles, their share, and per DataStore.",
        _PARAM_PERIOD,
        (
            Option("operation", "string", "Operation", "Only this operation (getData, listKeys, ...)."),
            _DATASTORE_FILTER,
        ),
    ),
    Analysis(
        "error_analysis",
        "Error analysis",
        "Errors by category and code, errors over time and the keys with the most failed calls.",
        _PARAM_PERIOD,
    ),
)

_LAST_DAY = DefaultPeriod(DAY, DAY, "the last full UTC day")
_LAST_WEEK = DefaultPeriod(7 * DAY, DAY, "the last 7 full UTC days")

TYPES: tuple[ReportType, ...] = (
    ReportType(
        "DAILY_SUMMARY",
        "Daily summary",
        "One day's activity, sessions, DataStore calls and errors against the day before and the 7 days before.",
        _LAST_DAY,
        (
            *PERIOD,
            Option("date", "date", "Day", "A UTC day (YYYY-MM-DD) instead of from/to.", excludes=("from", "to")),
            limit(10),
        ),
    ),
    ReportType(
        "PERFORMANCE_ANALYSIS",
        "Performance analysis",
        "Latency percentiles and success rates per operation, slowest DataStores and keys, throttling, regressions.",
        _LAST_WEEK,
        (*PERIOD, limit(10)),
    ),
    ReportType(
        "DATASTORE_AUDIT",
        "DataStore audit",
        "What was read, when and how often; value sizes and names against Roblox's limits; stale cache entries;"
        " the writes made through the plugin (keys, operations, sizes, failures, restores, undos).",
        DefaultPeriod(30 * DAY, DAY, "the last 30 full UTC days"),
        (
            *PERIOD,
            limit(100),
            Option("datastore", "string", "DataStore", "Only this DataStore.", max_length=50),
            Option(
                "nameWarnLength",
                "integer",
                "Name length warning",
                "Flag names and keys at least this long (Roblox's limit is 50).",
                45,
                1,
                50,
                unit="count",
            ),
        ),
    ),
    ReportType(
        "ANOMALY_DETECTION",
        "Anomaly detection",
        "Activity spikes and drops, error bursts, latency regressions and key sweeps against a baseline.",
        DefaultPeriod(24 * HOUR, HOUR, "the last 24 full hours"),
        (
            *PERIOD,
            Option(
                "baselineHours",
                "integer",
                "Baseline",
                "Hours before the period that form the baseline.",
                14 * 24,
                1,
                24 * 365,
                unit="hours",
            ),
        ),
    ),
    ReportType(
        "USAGE_ANALYTICS",
        "Usage analytics",
        "Features and views used, time in views, navigation paths, searches and usage by hour of day.",
        _LAST_WEEK,
        (*PERIOD, limit(10)),
    ),
    ReportType(
        "HISTORICAL_COMPARISON",
        "Historical comparison",
        "Two periods, or a saved report against an earlier report or snapshot, metric by metric.",
        _LAST_WEEK,
        (
            *PERIOD,
            Option(
                "baselineFrom",
                "time",
                "Baseline from",
                "Start of the baseline period (default: the period of the same length before).",
                requires=("baselineTo", "from"),
            ),
            Option(
                "baselineTo",
                "time",
                "Baseline to",
                "End of the baseline period.",
                requires=("baselineFrom",),
                after="baselineFrom",
            ),
            Option(
                "reportId",
                "report",
                "Report",
                "A saved report to compare, instead of periods.",
                max_length=128,
                requires_any=("baselineReportId", "baselineSnapshotId"),
                excludes=("from", "to", "baselineFrom", "baselineTo"),
            ),
            Option(
                "baselineReportId",
                "report",
                "Baseline report",
                "An earlier report to compare it with.",
                max_length=128,
                requires=("reportId",),
                excludes=("baselineSnapshotId",),
            ),
            Option(
                "baselineSnapshotId",
                "snapshot",
                "Baseline snapshot",
                "A historical snapshot to compare it with.",
                max_length=128,
                requires=("reportId",),
            ),
        ),
    ),
    ReportType(
        "CUSTOM_ANALYSIS",
        "Custom analysis",
        "One of the analyses below, with its parameters and filters.",
        _LAST_WEEK,
        (
            *PERIOD,
            Option(
                "analysis",
                "enum",
                "Analysis",
                "Which analysis to run.",
                ANALYSES[0].name,
                choices=tuple(a.name for a in ANALYSES),
            ),
            Option("parameters", "object", "Parameters", "The analysis's parameters (see analyses)."),
            Option("filters", "object", "Filters", "The analysis's filters (see analyses)."),
            limit(100),
        ),
        ANALYSES,
    ),
)

BY_NAME: dict[str, ReportType] = {t.name: t for t in TYPES}
NAMES: tuple[str, ...] = tuple(BY_NAME)
ANALYSIS_BY_NAME: dict[str, Analysis] = {a.name: a for a in ANALYSES}


def parse_options(report_type: str, options: Any) -> Options:
    """Check `reports.generate` options against the type's declarations; a clean copy with defaults filled in,
    or `invalid_body` naming the field."""
    declared = BY_NAME.get(report_type)
    if declared is None:
        raise invalid("type", f"expected one of {', '.join(NAMES)}")
    out = parse_fields(options, declared.options, "options")
    if "date" in out:
        day = datetime.strptime(out.pop("date"), "%Y-%m-%d").replace(tzinfo=UTC).timestamp()
        out["from"], out["to"] = day, day + DAY
    if declared.analyses:
        analysis = ANALYSIS_BY_NAME[out["analysis"]]
        out["parameters"] = parse_fields(out.get("parameters"), analysis.parameters, "options.parameters")
        out["filters"] = parse_fields(out.get("filters"), analysis.filters, "options.filters")
    return out


def to_wire() -> list[dict[str, Any]]:
    """`catalog.reportTypes` of the `hello` reply."""
    return [t.to_wire() for t in TYPES]
