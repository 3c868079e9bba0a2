"""Bodies that do not follow the report model (saved by an older companion, or imported from a file) are read
as model bodies, so every renderer draws every saved report: the stored bytes are never changed.

Lists of rows become tables with typed columns, objects become facts, `series`, `operations` and `errors`
become their own kinds; anything else is shown as text.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from dsm.reports import model as m
from dsm.reports.model_check import ModelError, check_body, fits

Row = dict[str, Any]
# Names the old bodies used for Unix times; their values between 2001 and 2286 are read as times.
TIME_NAMES = frozenset(("t", "ts", "from", "to", "start", "end", "timestamp", "first", "last", "firstRead", "lastRead"))
TIME_SUFFIXES = ("At", "_at", "Ts", "_ts", "Seen", "_seen")


def upgrade(body: Any) -> Row:
    """`body` itself when it follows the model, else the same content as a model body."""
    try:
        check_body(body)
        return body
    except ModelError:
        pass
    old: Mapping[str, Any] = body if isinstance(body, dict) else {"content": body}
    period = old.get("period") if isinstance(old.get("period"), dict) else {}
    sections: list[m.Section] = []
    for name, value in old.items():
        if name not in ("period", "insights", "metrics", "schedule"):
            sections += _sections(str(name), value)
    out: Row = {
        "period": {end: _number(period.get(end)) for end in ("from", "to")},
        "insights": [_text(i) for i in old.get("insights") or [] if i is not None]
        if isinstance(old.get("insights"), list)
        else [],
        "metrics": [_metric(x) for x in old.get("metrics") or [] if isinstance(x, dict)]
        if isinstance(old.get("metrics"), list)
        else [],
        "sections": _unique(sections),
    }
    return out


def _number(value: Any) -> float | None:
    ok = type(value) in (int, float) and math.isfinite(value)
    return value if ok else None


def _text(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return ", ".join(f"{k}: {_text(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(_text(v) for v in value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def _metric(old: Mapping[str, Any]) -> Row:
    unit = old.get("unit")
    return m.metric(
        _text(old.get("section") or ""),
        _text(old.get("name") or old.get("label") or ""),
        _text(old.get("label") or old.get("name") or ""),
        _number(old.get("value")),
        unit if unit in m.NUMERIC_UNITS - {"time"} else "number",
        _number(old.get("previous")),
        better=old.get("better") if old.get("better") in ("up", "down") else None,
    )


def _heading(name: str) -> str:
    spaced = "".join(" " + ch.lower() if ch.isupper() else ch for ch in name).replace("_", " ").strip()
    return spaced[:1].upper() + spaced[1:]


def _is_time(name: str, value: Any) -> bool:
    named = name in TIME_NAMES or name.endswith(TIME_SUFFIXES)
    return named and _number(value) is not None and 1e9 <= value < 1e10


def _unit(name: str, values: list[Any]) -> str:
    present = [v for v in values if v is not None]
    if present and all(isinstance(v, bool) for v in present):
        return "boolean"
    if present and all(_number(v) is not None and not isinstance(v, bool) for v in present):
        return "time" if all(_is_time(name, v) for v in present) else "number"
    return "text"


def _cell(value: Any, unit: str) -> Any:
    if value is None:
        return None
    if unit in ("number", "time"):
        return _number(value)
    return value if unit == "boolean" else _text(value)


def _table(section_id: str, title: str, rows: list[Mapping[str, Any]]) -> m.Section:
    names: dict[str, None] = {}
    for row in rows:
        names.update((str(k), None) for k in row)
    units = {n: _unit(n, [r.get(n) for r in rows]) for n in names}
    columns = [m.col(n, n, units[n]) for n in names]
    cells = [{n: _cell(r.get(n), units[n]) for n in names} for r in rows]
    return m.table(section_id, title, columns, cells)


def _facts(section_id: str, title: str, obj: Mapping[str, Any]) -> m.Section:
    items = []
    for key, value in obj.items():
        unit = _unit(str(key), [value])
        items.append(m.fact(str(key), str(key), _cell(value, unit), unit))
    return m.facts(section_id, title, items)


def _rows_of(value: Any) -> list[Mapping[str, Any]] | None:
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        return value
    return None


def _fixed(rows: list[Mapping[str, Any]], columns: tuple[Row, ...], optional: frozenset[str]) -> list[Row] | None:
    """Rows of a fixed-column kind, or None when they do not fit it (then they become a plain table)."""
    out = []
    for row in rows:
        clean: Row = {}
        for column in columns:
            value = row.get(column["name"])
            if value is None and column["name"] in optional:
                continue
            if value is not None and not fits(value, column["unit"]):
                return None
            clean[column["name"]] = value
        out.append(clean)
    return out


def _series(name: str, points: list[Mapping[str, Any]]) -> m.Section | None:
    fields: dict[str, None] = {}
    for point in points:
        fields.update((str(k), None) for k, v in point.items() if k != "t" and _number(v) is not None)
    if not fields or any(_number(p.get("t")) is None for p in points):
        return None
    stacked = [f for f in fields if f != "total"] if len(fields) > 1 else list(fields)
    clean = [{"t": p["t"], **{f: _number(p.get(f)) for f in stacked}} for p in points]
    step = points[1]["t"] - points[0]["t"] if len(points) > 1 else 3600
    return m.series(
        f"series.{name}", _heading(name), "count", [(f, f) for f in stacked], clean, stacked=True, step=step
    )


def _sections(name: str, value: Any) -> list[m.Section]:
    rows = _rows_of(value)
    if name == "series" and isinstance(value, dict):
        out = []
        for key, points in value.items():
            drawn = _series(str(key), points) if _rows_of(points) else None
            out.append(drawn or (_table(f"series.{key}", _heading(str(key)), points) if _rows_of(points) else None))
        return [s for s in out if s is not None]
    if rows is not None and name in ("operations", "errors"):
        columns, optional = (
            (m.OPERATION_COLUMNS, m.OPERATION_OPTIONAL) if name == "operations" else (m.ERROR_COLUMNS, m.ERROR_OPTIONAL)
        )
        fixed = _fixed(rows, columns, optional | frozenset(c["name"] for c in columns[1:]))
        if fixed is not None:
            make = m.operations if name == "operations" else m.errors
            return [make(name, _heading(name), [dict.fromkeys(_required(columns, optional)) | r for r in fixed])]
    if rows is not None:
        return [_table(name, _heading(name), rows)]
    if isinstance(value, dict):
        return [_facts(name, _heading(name), value)]
    if isinstance(value, list):
        return [_table(name, _heading(name), [{"value": v} for v in value])] if value else []
    return [_facts(name, _heading(name), {name: value})]


def _required(columns: tuple[Row, ...], optional: frozenset[str]) -> list[str]:
    return [c["name"] for c in columns if c["name"] not in optional]


def _unique(sections: list[m.Section]) -> list[m.Section]:
    seen: set[str] = set()
    for section in sections:
        while section["id"] in seen:
            section["id"] += "_"
        seen.add(section["id"])
    return sections
