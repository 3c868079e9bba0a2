"""The report body model: what every report type's body is made of, so any renderer (the HTML and CSV exports,
the plugin's Studio view) can draw every report without knowing its type.

A body is `{period, baseline?, insights, metrics, sections, schedule?}`. `insights` and `metrics` are the
protocol's; `sections` is an ordered list, each `{"id", "kind", "title", "note"?, ...}` of one of `KINDS`.
Every figure is typed by a unit from `UNITS`: `time` is a moment (Unix seconds, shown as a date), `seconds` a
duration. `model_check.check_body` holds a body to this model; the engine runs it on every report it builds.
The table of kinds and fields is in docs/reports.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

Row = dict[str, Any]
Section = dict[str, Any]

UNITS = ("count", "number", "ratio", "ms", "seconds", "bytes", "time", "text", "boolean")
NUMERIC_UNITS = frozenset(("count", "number", "ratio", "ms", "seconds", "bytes", "time"))
# Which way a metric should move: "up" (success rate), "down" (latency, errors) or None (activity, sizes seen).
Better = Literal["up", "down"] | None
BETTER: tuple[Better, ...] = ("up", "down", None)
SEVERITIES = ("high", "medium", "low", "info")
KINDS = ("series", "bars", "operations", "errors", "table", "facts", "findings")
TOP_LEVEL = frozenset(("period", "baseline", "insights", "metrics", "sections", "schedule"))


def _column(name: str, label: str, unit: str) -> Row:
    return {"name": name, "label": label, "unit": unit}


# The fixed columns of the `operations` and `errors` kinds (optional ones may be absent from every row).
OPERATION_COLUMNS: tuple[Row, ...] = (
    _column("name", "Operation", "text"),
    _column("count", "Calls", "count"),
    _column("successes", "Succeeded", "count"),
    _column("failures", "Failed", "count"),
    _column("successRate", "Success rate", "ratio"),
    _column("p50", "p50", "ms"),
    _column("p95", "p95", "ms"),
    _column("p99", "p99", "ms"),
    _column("avgLatencyMs", "Average", "ms"),
    _column("minLatencyMs", "Min", "ms"),
    _column("maxLatencyMs", "Max", "ms"),
    _column("previousCount", "Calls before", "count"),
    _column("previousP95", "p95 before", "ms"),
)
OPERATION_OPTIONAL = frozenset(("previousCount", "previousP95"))
PERCENTILE_FIELDS = ("p50", "p95", "p99")
ERROR_COLUMNS: tuple[Row, ...] = (
    _column("category", "Category", "text"),
    _column("code", "Code", "number"),
    _column("count", "Count", "count"),
    _column("previous", "Before", "count"),
    _column("average7d", "7-day average", "number"),
)
ERROR_OPTIONAL = frozenset(("previous", "average7d"))


# ---- constructors -------------------------------------------------------------------------------------------


def delta(value: float | None, previous: float | None) -> tuple[float | None, float | None]:
    """(absolute change, relative change) or None where it is undefined (no previous value, or 0)."""
    if value is None or previous is None:
        return None, None
    change = value - previous
    return change, (change / previous if previous else None)


def metric(
    section: str,
    name: str,
    label: str,
    value: float | None,
    unit: str,
    previous: float | None = None,
    *,
    better: Better,
    **extra: Any,
) -> Row:
    """One headline figure; `better` says which direction of change is good."""
    change, pct = delta(value, previous)
    return {
        "section": section,
        "name": name,
        "label": label,
        "value": value,
        "unit": unit,
        "previous": previous,
        "change": change,
        "changePct": pct,
        "better": better,
        **extra,
    }


def col(name: str, label: str, unit: str) -> Row:
    """A typed table column."""
    return _column(name, label, unit)


def fact(name: str, label: str, value: Any, unit: str) -> Row:
    return {"name": name, "label": label, "value": value, "unit": unit}


def _section(kind: str, section_id: str, title: str, note: str | None, **fields: Any) -> Section:
    out: Section = {"id": section_id, "kind": kind, "title": title}
    if note:
        out["note"] = note
    return out | fields


def table(
    section_id: str, title: str, columns: Sequence[Row], rows: Iterable[Mapping[str, Any]], note: str | None = None
) -> Section:
    """Rows with typed columns; each row is cut to exactly the columns (a missing cell is null)."""
    names = [c["name"] for c in columns]
    return _section(
        "table", section_id, title, note, columns=list(columns), rows=[{n: r.get(n) for n in names} for r in rows]
    )


def series(
    section_id: str,
    title: str,
    unit: str,
    fields: Sequence[tuple[str, str]],
    points: Iterable[Mapping[str, Any]],
    *,
    stacked: bool,
    step: float,
    note: str | None = None,
) -> Section:
    """Values over time: `points` are `{t, <field>: value}` `step` seconds apart. `stacked` fields are parts of
    one whole (drawn as stacked columns); others are separate measures of one unit (drawn as lines)."""
    names = [name for name, _ in fields]
    return _section(
        "series",
        section_id,
        title,
        note,
        unit=unit,
        stacked=stacked,
        step=step,
        fields=[{"name": name, "label": label} for name, label in fields],
        points=[{"t": p["t"], **{n: p.get(n) for n in names}} for p in points],
    )


def bars(
    section_id: str,
    title: str,
    unit: str,
    fields: Sequence[tuple[str, str]],
    rows: Iterable[Mapping[str, Any]],
    note: str | None = None,
) -> Section:
    """Labelled categories, each with one value per field (grouped bars, one scale)."""
    names = [name for name, _ in fields]
    return _section(
        "bars",
        section_id,
        title,
        note,
        unit=unit,
        fields=[{"name": name, "label": label} for name, label in fields],
        rows=[{"label": str(r["label"]), **{n: r.get(n) for n in names}} for r in rows],
    )


def operations(section_id: str, title: str, rows: Iterable[Mapping[str, Any]], note: str | None = None) -> Section:
    """Per-operation counts and latency percentiles (the columns of `OPERATION_COLUMNS`)."""
    return _section("operations", section_id, title, note, rows=_fixed_rows(rows, OPERATION_COLUMNS))


def errors(section_id: str, title: str, rows: Iterable[Mapping[str, Any]], note: str | None = None) -> Section:
    """Errors by category and code (the columns of `ERROR_COLUMNS`)."""
    return _section("errors", section_id, title, note, rows=_fixed_rows(rows, ERROR_COLUMNS))


def _fixed_rows(rows: Iterable[Mapping[str, Any]], columns: Sequence[Row]) -> list[Row]:
    return [{c["name"]: r[c["name"]] for c in columns if c["name"] in r} for r in rows]


def facts(section_id: str, title: str, items: Sequence[Row], note: str | None = None) -> Section:
    """Labelled single values (settings used, limits, what was compared)."""
    return _section("facts", section_id, title, note, items=list(items))


def finding(
    severity: str, finding_type: str, title: str, start: float | None, end: float | None, items: Sequence[Row]
) -> Row:
    """One thing found (an anomaly, a regression) with its time window and its evidence as facts."""
    return {"severity": severity, "type": finding_type, "title": title, "from": start, "to": end, "facts": list(items)}


def findings(section_id: str, title: str, items: Sequence[Row], note: str | None = None) -> Section:
    return _section("findings", section_id, title, note, items=list(items))


def columns(section: Section) -> list[Row]:
    """The typed columns of a table-like section: its own (tables), the fixed ones (operations, errors), or the
    time / label column followed by one column per field (series, bars)."""
    kind = section["kind"]
    if kind == "table":
        return list(section["columns"])
    if kind == "operations":
        return list(OPERATION_COLUMNS)
    if kind == "errors":
        return list(ERROR_COLUMNS)
    if kind in ("series", "bars"):
        first = _column("t", "Time", "time") if kind == "series" else _column("label", "", "text")
        return [first, *(_column(f["name"], f["label"], section["unit"]) for f in section["fields"])]
    raise ValueError(f"a {kind} section has no columns")


def column_units(section: Section) -> dict[str, str]:
    return {c["name"]: c["unit"] for c in columns(section)}


def section_by_id(body: Mapping[str, Any], section_id: str) -> Section:
    """The section with this id (KeyError if the body has none)."""
    for section in body.get("sections") or []:
        if isinstance(section, dict) and section.get("id") == section_id:
            return section
    raise KeyError(section_id)
