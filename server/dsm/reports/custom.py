"""CUSTOM_ANALYSIS: `key_pattern_analysis` (keys matching a glob, their reads, sizes, key families and
value shapes), `operation_breakdown` and `error_analysis`."""

from __future__ import annotations

import fnmatch
import re
import sqlite3
from typing import Any

from dsm.analytics import periods
from dsm.analytics.buckets import DAY, HOUR, Bucket, KeyAgg
from dsm.reports import common as c
from dsm.store.codec import unpack

DEFAULT_DAYS = 7
_DIGITS = re.compile(r"\d+")
ID_DIGITS = 3  # digit runs this long or longer look like ids (player_123456 -> player_<id>)


def family(key: str) -> str:
    """A key's family: digit runs of 3+ digits become <id>, shorter ones <n>."""
    return _DIGITS.sub(lambda m: "<id>" if len(m.group()) >= ID_DIGITS else "<n>", key)


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def _range(options: dict[str, Any], now: float) -> tuple[float, float]:
    params = options.get("parameters", {})
    if "timeRange" in params:
        return now - params["timeRange"], now
    if "from" in params:
        return params["from"], params["to"]
    return c.period(options, now, DEFAULT_DAYS)


def _value_shapes(
    conn: sqlite3.Connection, user_id: int, pattern: str, ds: str | None, scope: str | None
) -> dict[str, Any]:
    fields: dict[tuple[str, str], int] = {}
    top_types: dict[str, int] = {}
    analysed = 0
    for datastore, sc, key, payload in conn.execute(
        "SELECT datastore, scope, key, payload FROM cache_entries WHERE user_id = ? AND kind = 'value'", (user_id,)
    ):
        if (ds is not None and datastore != ds) or (scope is not None and sc != scope):
            continue
        if not fnmatch.fnmatchcase(key, pattern):
            continue
        value = (unpack(payload) or {}).get("value")
        analysed += 1
        top_types[json_type(value)] = top_types.get(json_type(value), 0) + 1
        if isinstance(value, dict):
            for name, inner in value.items():
                slot = (str(name), json_type(inner))
                fields[slot] = fields.get(slot, 0) + 1
    rows = [
        {"field": f, "type": t, "count": n, "share": n / analysed}
        for (f, t), n in sorted(fields.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
    return {"valuesAnalysed": analysed, "valueTypes": top_types, "fields": rows}


def key_patterns(
    conn: sqlite3.Connection, user_id: int, options: dict[str, Any], start: float, end: float
) -> dict[str, Any]:
    params, filters = options.get("parameters", {}), options.get("filters", {})
    pattern = params.get("pattern", "*")
    ds, scope = filters.get("datastoreName"), filters.get("scope")
    limit = options.get("limit", 100)
    keys = {
        a: agg
        for a, agg in periods.load(conn, user_id, start, end, ("keys",)).keys.items()
        if a[2]
        and fnmatch.fnmatchcase(a[2], pattern)
        and (ds is None or a[0] == ds)
        and (scope is None or a[1] == scope)
    }
    families: dict[str, dict[str, Any]] = {}
    for (_ds, _scope, key), agg in keys.items():
        slot = families.setdefault(family(key), {"keys": set(), "agg": KeyAgg(), "example": key})
        slot["keys"].add(key)
        slot["agg"].merge(agg)
    family_rows = sorted(
        (
            {
                "family": name,
                "keys": len(slot["keys"]),
                "reads": slot["agg"].reads,
                "bytes": slot["agg"].bytes,
                "avgSize": c.rate(slot["agg"].bytes, slot["agg"].sized),
                "maxSize": slot["agg"].max_size,
                "example": min(slot["keys"]),
            }
            for name, slot in families.items()
        ),
        key=lambda r: (-r["keys"], r["family"]),
    )
    key_rows = sorted((c.key_row(a, agg) for a, agg in keys.items()), key=lambda r: (-r["reads"], r["key"]))
    reads = sum(agg.reads for agg in keys.values())
    total_bytes = sum(agg.bytes for agg in keys.values())
    sized = sum(agg.sized for agg in keys.values())
    return {
        "metrics": [
            c.metric("keys", "keys.matching", f"Keys matching {pattern}", len(keys), "count"),
            c.metric("keys", "keys.reads", "Reads of matching keys", reads, "count"),
            c.metric("keys", "keys.bytes", "Bytes read", total_bytes, "bytes"),
            c.metric("keys", "keys.avgSize", "Average value size", c.rate(total_bytes, sized), "bytes"),
            c.metric("keys", "keys.families", "Key families", len(family_rows), "count"),
        ],
        "pattern": pattern,
        "filters": filters,
        "keys": key_rows[:limit],
        "keyFamilies": family_rows,
        "valueShape": _value_shapes(conn, user_id, pattern, ds, scope),
    }


def _filtered_ops(bucket: Bucket, operation: str | None) -> Bucket:
    if operation is not None:
        bucket.ops = {n: op for n, op in bucket.ops.items() if n == operation}
    return bucket


def operation_breakdown(
    conn: sqlite3.Connection, user_id: int, options: dict[str, Any], start: float, end: float
) -> dict[str, Any]:
    filters = options.get("filters", {})
    ds = filters.get("datastoreName")
    bucket = _filtered_ops(periods.load(conn, user_id, start, end, ("ops", "keys")), filters.get("operation"))
    ops = c.operations(bucket)
    per_ds = [
        {"datastore": name, **{k: v for k, v in c.key_row((name, "", ""), agg).items() if k not in ("scope", "key")}}
        for name, agg in c.datastores(bucket).items()
        if ds is None or name == ds
    ]
    metrics = []
    for row in ops:
        metrics.append(c.metric("operations", f"op.{row['name']}.count", f"{row['name']} calls", row["count"], "count"))
        metrics.append(
            c.metric(
                "operations", f"op.{row['name']}.successRate", f"{row['name']} success", row["successRate"], "ratio"
            )
        )
        metrics.append(c.metric("operations", f"op.{row['name']}.p95", f"{row['name']} p95", row["p95"], "ms"))
    return {
        "metrics": metrics,
        "operations": ops,
        "byDataStore": sorted(per_ds, key=lambda r: (-r["reads"], r["datastore"])),
        "share": [{"name": r["name"], "share": c.rate(r["count"], sum(o["count"] for o in ops))} for r in ops],
    }


def error_analysis(
    conn: sqlite3.Connection, user_id: int, options: dict[str, Any], start: float, end: float
) -> dict[str, Any]:
    limit = options.get("limit", c.DEFAULT_LIMIT)
    grain = DAY if end - start >= 2 * DAY else HOUR
    series = periods.series(conn, user_id, start, end, ("counts",), grain)
    total = Bucket()
    for bucket in series.values():
        total.merge(bucket)
    keys = periods.load(conn, user_id, start, end, ("keys",)).keys
    failing = sorted(
        (c.key_row(a, agg) for a, agg in keys.items() if agg.failures and a[2]),
        key=lambda r: (-r["failures"], r["datastore"], r["key"]),
    )[:limit]
    errors = c.errors(total)
    by_code: dict[int | None, int] = {}
    for row in errors:
        by_code[row["code"]] = by_code.get(row["code"], 0) + row["count"]
    return {
        "metrics": [
            c.metric("errors", "errors.total", "Errors", total.error_total(), "count"),
            c.metric("errors", "errors.categories", "Error categories", len(errors), "count"),
            c.metric("errors", "errors.rate", "Errors per event", c.rate(total.error_total(), total.total()), "ratio"),
        ],
        "errors": errors,
        "byCode": [{"code": code, "count": n} for code, n in sorted(by_code.items(), key=lambda kv: -kv[1])],
        "failingKeys": failing,
        "series": {"errors": [{"t": t, "errors": b.error_total()} for t, b in sorted(series.items())]},
    }


ANALYSES = {
    "key_pattern_analysis": key_patterns,
    "operation_breakdown": operation_breakdown,
    "error_analysis": error_analysis,
}


def build(conn: sqlite3.Connection, user_id: int, options: dict[str, Any], now: float) -> tuple[str, dict[str, Any]]:
    start, end = _range(options, now)
    analysis = options["analysis"]
    body = {
        "period": {"from": start, "to": end},
        "analysis": analysis,
        **ANALYSES[analysis](conn, user_id, options, start, end),
    }
    label = analysis.replace("_", " ")
    return c.title(f"Custom analysis: {label}", start, end), body
