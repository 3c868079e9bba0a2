"""Holding a report body to the report model (`dsm.reports.model`): `check_body` names the first part that does
not follow it. The engine checks every report it builds; `dsm.reports.legacy` uses it to tell a body in the model
from an older one."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from typing import Any

from dsm.reports.model import (
    BETTER,
    ERROR_OPTIONAL,
    KINDS,
    NUMERIC_UNITS,
    OPERATION_OPTIONAL,
    SEVERITIES,
    TOP_LEVEL,
    UNITS,
    column_units,
)


class ModelError(ValueError):
    """A body that does not follow the model (a bug in a report builder, never bad user input)."""


def _fail(path: str, problem: str) -> ModelError:
    return ModelError(f"{path}: {problem}")


def _is_number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def fits(value: Any, unit: str) -> bool:
    """Whether a value is of its unit's type (null fits every unit)."""
    if value is None:
        return True
    if unit in NUMERIC_UNITS:
        return _is_number(value)
    if unit == "text":
        return isinstance(value, str)
    return unit == "boolean" and isinstance(value, bool)


def check_value(value: Any, unit: str, path: str) -> None:
    if unit not in UNITS:
        raise _fail(path, f"unknown unit {unit!r}")
    if not fits(value, unit):
        raise _fail(path, f"expected {unit}, got {type(value).__name__}")


def _keys(obj: Any, required: Iterable[str], optional: Iterable[str], path: str) -> None:
    if not isinstance(obj, dict):
        raise _fail(path, "expected an object")
    allowed = set(required) | set(optional)
    missing = [k for k in required if k not in obj]
    extra = [k for k in obj if k not in allowed]
    if missing or extra:
        raise _fail(path, f"missing {missing} / unexpected {extra}")


def _list(value: Any, path: str) -> list[Any]:
    if not isinstance(value, list):
        raise _fail(path, "expected a list")
    return value


def _names(obj: Mapping[str, Any], fields: Iterable[str], path: str) -> None:
    """Names, labels and titles are text, never null: every renderer shows them as they are."""
    for field in fields:
        if not isinstance(obj[field], str):
            raise _fail(f"{path}.{field}", "expected text")


def _unit(value: Any, path: str) -> str:
    if value not in UNITS:
        raise _fail(path, f"expected one of {', '.join(UNITS)}")
    return str(value)


METRIC_REQUIRED = ("section", "name", "label", "value", "unit", "previous", "change", "changePct", "better")
METRIC_OPTIONAL = ("average7d", "changeVsAverage7d", "changePctVsAverage7d")


def check_metric(m: Any, path: str) -> None:
    _keys(m, METRIC_REQUIRED, METRIC_OPTIONAL, path)
    _names(m, ("section", "name", "label"), path)
    if m["unit"] not in NUMERIC_UNITS - {"time"}:
        raise _fail(f"{path}.unit", f"a metric is a quantity, not {m['unit']!r}")
    if m["better"] not in BETTER:
        raise _fail(f"{path}.better", "expected up, down or null")
    for field in ("value", "previous", "change", *[f for f in METRIC_OPTIONAL if f in m]):
        check_value(m[field], "number", f"{path}.{field}")
    check_value(m["changePct"], "ratio", f"{path}.changePct")


def _check_rows(rows: Any, units: Mapping[str, str], optional: frozenset[str], path: str) -> None:
    required = [n for n in units if n not in optional]
    for i, row in enumerate(_list(rows, path)):
        _keys(row, required, optional, f"{path}[{i}]")
        for name, value in row.items():
            check_value(value, units[name], f"{path}[{i}].{name}")


def _check_named(items: Any, fields: tuple[str, ...], path: str) -> None:
    """A list of objects with exactly `fields`, of which `name` and `label` are text (fields, columns)."""
    for i, item in enumerate(_list(items, path)):
        _keys(item, fields, (), f"{path}[{i}]")
        _names(item, ("name", "label"), f"{path}[{i}]")
        if "unit" in fields:
            _unit(item["unit"], f"{path}[{i}].unit")


def _check_facts(items: Any, path: str) -> None:
    _check_named(items, ("name", "label", "value", "unit"), path)
    for i, item in enumerate(items):
        check_value(item["value"], item["unit"], f"{path}[{i}].value")


def _check_findings(items: Any, path: str) -> None:
    for i, item in enumerate(_list(items, path)):
        where = f"{path}[{i}]"
        _keys(item, ("severity", "type", "title", "from", "to", "facts"), (), where)
        _names(item, ("type", "title"), where)
        if item["severity"] not in SEVERITIES:
            raise _fail(f"{where}.severity", f"expected one of {', '.join(SEVERITIES)}")
        check_value(item["from"], "time", f"{where}.from")
        check_value(item["to"], "time", f"{where}.to")
        _check_facts(item["facts"], f"{where}.facts")


SECTION_FIELDS = {
    "series": ("unit", "stacked", "step", "fields", "points"),
    "bars": ("unit", "fields", "rows"),
    "operations": ("rows",),
    "errors": ("rows",),
    "table": ("columns", "rows"),
    "facts": ("items",),
    "findings": ("items",),
}


def check_section(section: Any, path: str) -> None:
    if not isinstance(section, dict) or section.get("kind") not in KINDS:
        raise _fail(f"{path}.kind", f"expected one of {', '.join(KINDS)}")
    kind = section["kind"]
    _keys(section, ("id", "kind", "title", *SECTION_FIELDS[kind]), ("note",), path)
    _names(section, ("id", "title", *(("note",) if "note" in section else ())), path)
    if kind == "series":
        if not isinstance(section["stacked"], bool) or not _is_number(section["step"]) or section["step"] <= 0:
            raise _fail(path, "stacked must be a boolean and step a number of seconds above 0")
    if kind in ("series", "bars"):
        _unit(section["unit"], f"{path}.unit")
        _check_named(section["fields"], ("name", "label"), f"{path}.fields")
    if kind == "table":
        _check_named(section["columns"], ("name", "label", "unit"), f"{path}.columns")
    if kind in ("series", "bars", "table"):
        rows_key = "points" if kind == "series" else "rows"
        _check_rows(section[rows_key], column_units(section), frozenset(), f"{path}.{rows_key}")
    elif kind in ("operations", "errors"):
        optional = OPERATION_OPTIONAL if kind == "operations" else ERROR_OPTIONAL
        _check_rows(section["rows"], column_units(section), optional, f"{path}.rows")
    elif kind == "facts":
        _check_facts(section["items"], f"{path}.items")
    else:
        _check_findings(section["items"], f"{path}.items")


def check_body(body: Any) -> None:
    """Raise `ModelError` naming the first part of `body` that does not follow the model."""
    _keys(body, ("period", "insights", "metrics", "sections"), TOP_LEVEL, "body")
    _keys(body["period"], ("from", "to"), (), "body.period")
    for end in ("from", "to"):
        check_value(body["period"][end], "time", f"body.period.{end}")
    if "baseline" in body:
        _keys(body["baseline"], ("label",), ("from", "to"), "body.baseline")
        _names(body["baseline"], ("label",), "body.baseline")
    if "schedule" in body and not isinstance(body["schedule"], dict):
        raise _fail("body.schedule", "expected an object")
    for i, text in enumerate(_list(body["insights"], "body.insights")):
        if not isinstance(text, str):
            raise _fail(f"body.insights[{i}]", "expected text")
    for i, m in enumerate(_list(body["metrics"], "body.metrics")):
        check_metric(m, f"body.metrics[{i}]")
    seen: set[str] = set()
    for i, section in enumerate(_list(body["sections"], "body.sections")):
        check_section(section, f"body.sections[{i}]")
        if section["id"] in seen:
            raise _fail(f"body.sections[{i}].id", f"{section['id']!r} used twice")
        seen.add(section["id"])
