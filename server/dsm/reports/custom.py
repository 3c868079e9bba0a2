"""CUSTOM_ANALYSIS: `key_pattern_analysis` (keys matching a glob, their reads, sizes, key families and
value shapes), `operation_breakdown` and `error_analysis`."""

from __future__ import annotations

import fnmatch
import re
import sqlite3
from typing import Any

from dsm.analytics import periods
from dsm.analytics.buckets import Bucket, KeyAgg
from dsm.reports import catalog
from dsm.reports import common as c
from dsm.reports import model as m
from dsm.store.codec import unpack

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
    params = options["parameters"]
    if "timeRange" in params:
        return now - params["timeRange"], now
    if "from" in params:
        return params["from"], params["to"]
    return c.period(options)


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


Analysed = tuple[list[c.Row], list[m.Section], list[str]]  # metrics, sections, insights

FAMILY_COLUMNS = (
    m.col("family", "Family", "text"),
    m.col("keys", "Keys", "count"),
    m.col("reads", "Calls", "count"),
    m.col("bytes", "Bytes read", "bytes"),
    m.col("avgSize", "Average size", "bytes"),
    m.col("maxSize", "Largest", "bytes"),
    m.col("example", "Example", "text"),
)
FIELD_COLUMNS = (
    m.col("field", "Field", "text"),
    m.col("type", "JSON type", "text"),
    m.col("count", "Values with it", "count"),
    m.col("share", "Share", "ratio"),
)


def key_patterns(conn: sqlite3.Connection, user_id: int, options: dict[str, Any], start: float, end: float) -> Analysed:
    params, filters = options["parameters"], options["filters"]
    pattern = params["pattern"]
    ds, scope = filters.get("datastoreName"), filters.get("scope")
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
        slot = families.setdefault(family(key), {"keys": set(), "agg": KeyAgg()})
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
    shape = _value_shapes(conn, user_id, pattern, ds, scope)
    metrics = [
        m.metric("keys", "keys.matching", f"Keys matching {pattern}", len(keys), "count", better=None),
        m.metric("keys", "keys.reads", "Calls on matching keys", reads, "count", better=None),
        m.metric("keys", "keys.bytes", "Bytes read", total_bytes, "bytes", better=None),
        m.metric("keys", "keys.avgSize", "Average value size", c.rate(total_bytes, sized), "bytes", better=None),
        m.metric("keys", "keys.families", "Key families", len(family_rows), "count", better=None),
        m.metric(
            "keys", "keys.valuesAnalysed", "Cached values analysed", shape["valuesAnalysed"], "count", better=None
        ),
    ]
    sections = [
        m.table("keyFamilies", "Key families", FAMILY_COLUMNS, family_rows, note="Digit runs: <id> (3+ digits), <n>."),
        m.table("keys", "Matching keys", c.KEY_COLUMNS, key_rows[: options["limit"]]),
        m.bars(
            "valueTypes",
            "Cached value types",
            "count",
            (("count", "Values"),),
            [{"label": t, "count": n} for t, n in sorted(shape["valueTypes"].items(), key=lambda kv: (-kv[1], kv[0]))],
        ),
        m.table("valueFields", "Fields of object values", FIELD_COLUMNS, shape["fields"]),
    ]
    stores = len({a[0] for a in keys})
    insights = [
        f"{len(keys)} keys in {stores} DataStores match {pattern} ({reads} calls); {len(family_rows)} key families."
    ]
    if family_rows:
        insights.append(f"Largest family: {family_rows[0]['family']} ({family_rows[0]['keys']} keys).")
    return metrics, sections, insights


def _filtered_ops(bucket: Bucket, operation: str | None) -> Bucket:
    if operation is not None:
        bucket.ops = {n: op for n, op in bucket.ops.items() if n == operation}
    return bucket


BY_DATASTORE_COLUMNS = (c.KEY_COLUMNS[0], *c.KEY_COLUMNS[3:])


def operation_breakdown(
    conn: sqlite3.Connection, user_id: int, options: dict[str, Any], start: float, end: float
) -> Analysed:
    filters = options["filters"]
    ds = filters.get("datastoreName")
    bucket = _filtered_ops(periods.load(conn, user_id, start, end, ("ops", "keys")), filters.get("operation"))
    ops = c.operations(bucket)
    per_ds = [c.key_row((name, "", ""), agg) for name, agg in c.datastores(bucket).items() if ds is None or name == ds]
    metrics = []
    for row in ops:
        name = row["name"]
        metrics += [
            m.metric("operations", f"op.{name}.count", f"{name} calls", row["count"], "count", better=None),
            m.metric(
                "operations", f"op.{name}.successRate", f"{name} success rate", row["successRate"], "ratio", better="up"
            ),
            m.metric("operations", f"op.{name}.p95", f"{name} latency p95", row["p95"], "ms", better="down"),
        ]
    calls = sum(o["count"] for o in ops)
    sections = [
        m.operations("operations", "Latency per operation", ops),
        m.bars(
            "share",
            "Share of calls",
            "ratio",
            (("share", "Share"),),
            [{"label": r["name"], "share": c.rate(r["count"], calls)} for r in ops],
        ),
        m.table(
            "byDataStore",
            "Per DataStore",
            BY_DATASTORE_COLUMNS,
            sorted(per_ds, key=lambda r: (-r["reads"], r["datastore"])),
        ),
    ]
    insights = [f"{calls} DataStore calls in {len(ops)} operations."]
    if ops:
        busiest = ops[0]
        insights.append(f"Most calls: {busiest['name']} ({c.rate(busiest['count'], calls):.0%}).")
        slowest = max((o for o in ops if o["p95"] is not None), key=lambda o: o["p95"], default=None)
        if slowest is not None:
            insights.append(f"Slowest p95: {slowest['name']} ({slowest['p95']:.0f} ms).")
    return metrics, sections, insights


CODE_COLUMNS = (m.col("code", "Code", "text"), m.col("count", "Count", "count"))


def error_analysis(
    conn: sqlite3.Connection, user_id: int, options: dict[str, Any], start: float, end: float
) -> Analysed:
    step = c.grain(start, end)
    series = periods.series(conn, user_id, start, end, ("counts",), step)
    total = Bucket()
    for bucket in series.values():
        total.merge(bucket)
    keys = periods.load(conn, user_id, start, end, ("keys",)).keys
    failing = sorted(
        (c.key_row(a, agg) for a, agg in keys.items() if agg.failures and a[2]),
        key=lambda r: (-r["failures"], r["datastore"], r["key"]),
    )[: options["limit"]]
    errors = c.errors(total)
    by_code: dict[int | None, int] = {}
    for row in errors:
        by_code[row["code"]] = by_code.get(row["code"], 0) + row["count"]
    metrics = [
        m.metric("errors", "errors.total", "Errors", total.error_total(), "count", better="down"),
        m.metric("errors", "errors.categories", "Error categories", len(errors), "count", better="down"),
        m.metric(
            "errors",
            "errors.rate",
            "Errors per event",
            c.rate(total.error_total(), total.total()),
            "ratio",
            better="down",
        ),
    ]
    counts = {t: {"errors": b.error_total(), "events": b.total()} for t, b in series.items()}
    code_rows = [
        {"label": "no code" if code is None else str(code), "count": n}
        for code, n in sorted(by_code.items(), key=lambda kv: (-kv[1], kv[0] or 0))
    ]
    sections = [
        m.errors("errors", "Errors by category and code", errors),
        m.series(
            "errorsOverTime",
            "Errors over time",
            "count",
            (("errors", "Errors"),),
            c.timeline(start, end, step, counts, ("errors",), 0),
            stacked=True,
            step=step,
        ),
        m.bars("byCode", "Errors by code", "count", (("count", "Errors"),), code_rows),
        m.table("failingKeys", "Keys with the most failed calls", c.KEY_COLUMNS, failing),
    ]
    insights = [f"{total.error_total()} errors in {len(errors)} categories."]
    if errors:
        insights.append(f"Most frequent: {errors[0]['category']} ({errors[0]['count']}).")
    if failing:
        insights.append(f"Most failed calls: {failing[0]['datastore']}/{failing[0]['key']} ({failing[0]['failures']}).")
    return metrics, sections, insights


ANALYSES = {
    "key_pattern_analysis": key_patterns,
    "operation_breakdown": operation_breakdown,
    "error_analysis": error_analysis,
}


def _query_facts(options: dict[str, Any]) -> list[c.Row]:
    analysis = catalog.ANALYSIS_BY_NAME[options["analysis"]]
    out = [m.fact("analysis", "Analysis", analysis.title, "text")]
    for declared, values in ((analysis.parameters, options["parameters"]), (analysis.filters, options["filters"])):
        for option in declared:
            if option.name in values:
                unit = "time" if option.type == "time" else option.unit or "text"
                out.append(m.fact(option.name, option.label, values[option.name], unit))
    return out


def build(conn: sqlite3.Connection, user_id: int, options: dict[str, Any], now: float) -> tuple[str, dict[str, Any]]:
    start, end = _range(options, now)
    analysis = options["analysis"]
    metrics, sections, insights = ANALYSES[analysis](conn, user_id, options, start, end)
    sections.append(m.facts("query", "What was analysed", _query_facts(options)))
    title = c.title(f"Custom analysis: {catalog.ANALYSIS_BY_NAME[analysis].title.lower()}", start, end)
    return title, c.body(start, end, insights, metrics, sections)
