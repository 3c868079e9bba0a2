"""PERFORMANCE_ANALYSIS: per-operation counts, success rates and latency percentiles (from the rollup
sketches), the slowest DataStores and keys, budget/throttling events and regressions against the
previous period of the same length."""

from __future__ import annotations

import sqlite3
from typing import Any

from dsm.analytics import periods, sketch
from dsm.analytics.buckets import NO_CODE, Bucket, KeyAddress, KeyAgg
from dsm.reports import common as c
from dsm.reports import model as m

# Roblox DataStore error codes 301-306 are the request-budget / throttling family.
BUDGET_CODES = range(301, 307)
BUDGET_PREFIXES = ("budget", "throttle")


def is_budget_event(name: str, code: int | None) -> bool:
    return (code is not None and code in BUDGET_CODES) or name.lower().startswith(BUDGET_PREFIXES)


def budget_events(bucket: Bucket) -> list[c.Row]:
    rows: dict[tuple[str, str, int | None], int] = {}
    for (kind, name, code, _ok), n in bucket.counts.items():
        real_code = None if code == NO_CODE else code
        if is_budget_event(name, real_code):
            rows[(kind, name, real_code)] = rows.get((kind, name, real_code), 0) + n
    out = [{"kind": k, "name": name, "code": code, "count": n} for (k, name, code), n in rows.items()]
    return sorted(out, key=lambda r: (-r["count"], r["name"], r["code"] or 0))


def _slowest_keys(keys: dict[KeyAddress, KeyAgg], limit: int) -> list[c.Row]:
    """Keys by average latency, slowest first (rows are built only for the ones shown)."""
    timed = [(agg.lat_sum / agg.lat_count, a[2], a[0], a) for a, agg in keys.items() if a[2] and agg.lat_count]
    return [c.key_row(t[3], keys[t[3]]) for t in sorted(timed, key=lambda t: (-t[0], t[1], t[2]))[:limit]]


def _slowest_datastores(keys: dict[KeyAddress, KeyAgg], limit: int) -> list[c.Row]:
    sums: dict[str, list[float]] = {}  # datastore -> [calls, timed calls, latency sum, max latency]
    for (ds, _scope, _key), agg in keys.items():
        slot = sums.setdefault(ds, [0, 0, 0.0, 0.0])
        slot[0] += agg.reads
        slot[1] += agg.lat_count
        slot[2] += agg.lat_sum
        slot[3] = max(slot[3], agg.lat_max or 0.0)
    rows = [
        {"datastore": ds, "calls": int(n), "avgLatencyMs": total / timed, "maxLatencyMs": top}
        for ds, (n, timed, total, top) in sums.items()
        if timed
    ]
    return sorted(rows, key=lambda r: (-r["avgLatencyMs"], r["datastore"]))[:limit]


def _regressions(current: list[c.Row], previous: dict[str, c.Row], ratio: float) -> list[c.Row]:
    out = []
    for row in current:
        before = previous.get(row["name"])
        if before is None:
            continue
        for field in ("p50", "p95", "p99"):
            now_v, then_v = row[field], before[field]
            if now_v is not None and then_v and now_v / then_v >= ratio:
                out.append({"operation": row["name"], "metric": field, "value": now_v, "previous": then_v})
                out[-1]["ratio"] = now_v / then_v
        if row["successRate"] is not None and before["successRate"] is not None:
            drop = before["successRate"] - row["successRate"]
            if drop >= 0.05:
                out.append(
                    {
                        "operation": row["name"],
                        "metric": "successRate",
                        "value": row["successRate"],
                        "previous": before["successRate"],
                        "ratio": c.rate(row["successRate"], before["successRate"]),
                    }
                )
    return out


def _latency_series(conn: sqlite3.Connection, user_id: int, start: float, end: float) -> list[c.Row]:
    step = c.grain(start, end)
    values = {}
    for t, bucket in periods.series(conn, user_id, start, end, ("ops",), step).items():
        total = c.all_ops(bucket)
        p50, p95, p99 = sketch.quantiles(total.hist, c.PERCENTILES)
        values[t] = {"calls": total.count, "failures": total.failures, "p50": p50, "p95": p95, "p99": p99}
    return c.timeline(start, end, step, values, ("calls", "failures", "p50", "p95", "p99"), None)


def headline_values(bucket: Bucket) -> list[c.Figure]:
    """The report's headline figures of a period; also kept by snapshots (`dsm.reports.snapshot`)."""
    overall = c.op_row("all", c.all_ops(bucket))
    out = [
        c.Figure("totals", "perf.calls", "DataStore calls", overall["count"], "count", None),
        c.Figure("totals", "perf.successRate", "Success rate", overall["successRate"], "ratio", "up"),
    ]
    out += [c.Figure("latency", f"perf.{p}", f"Latency {p}", overall[p], "ms", "down") for p in ("p50", "p95", "p99")]
    budget = sum(r["count"] for r in budget_events(bucket))
    out.append(c.Figure("budget", "perf.budgetEvents", "Budget/throttling events", budget, "count", "down"))
    for row in c.operations(bucket):
        name = row["name"]
        out += [
            c.Figure("operations", f"op.{name}.count", f"{name} calls", row["count"], "count", None),
            c.Figure("operations", f"op.{name}.successRate", f"{name} success rate", row["successRate"], "ratio", "up"),
        ]
        out += [
            c.Figure("operations", f"op.{name}.{p}", f"{name} latency {p}", row[p], "ms", "down")
            for p in ("p50", "p95", "p99")
        ]
    return out


SLOW_DATASTORE_COLUMNS = (
    m.col("datastore", "DataStore", "text"),
    m.col("calls", "Calls", "count"),
    m.col("avgLatencyMs", "Average latency", "ms"),
    m.col("maxLatencyMs", "Max latency", "ms"),
)
BUDGET_COLUMNS = (
    m.col("kind", "Kind", "text"),
    m.col("name", "Event", "text"),
    m.col("code", "Code", "number"),
    m.col("count", "Count", "count"),
)


def _regression_findings(regressions: list[c.Row]) -> list[c.Row]:
    out = []
    for r in regressions:
        unit = "ratio" if r["metric"] == "successRate" else "ms"
        what = "success rate fell" if r["metric"] == "successRate" else f"{r['metric']} latency rose"
        out.append(
            m.finding(
                "high" if r["metric"] == "successRate" or r["ratio"] >= 2 else "medium",
                "regression",
                f"{r['operation']}: {what}",
                None,
                None,
                [
                    m.fact("operation", "Operation", r["operation"], "text"),
                    m.fact("metric", "Measure", r["metric"], "text"),
                    m.fact("value", "Now", r["value"], unit),
                    m.fact("previous", "Before", r["previous"], unit),
                    m.fact("ratio", "Now / before", r["ratio"], "number"),
                ],
            )
        )
    return out


def _headline(metrics: list[c.Row]) -> list[str]:
    by_name = {x["name"]: x for x in metrics}
    calls, rate, p95 = by_name["perf.calls"], by_name["perf.successRate"], by_name["perf.p95"]
    out = [f"{calls['value']} DataStore calls ({calls['previous']} the period before)."]
    if rate["value"] is not None:
        before = f" ({rate['previous']:.1%} before)" if rate["previous"] is not None else ""
        out.append(f"{rate['value']:.1%} succeeded{before}.")
    if p95["value"] is not None:
        before = f" ({p95['previous']:.0f} ms before)" if p95["previous"] is not None else ""
        out.append(f"p95 latency {p95['value']:.0f} ms{before}.")
    budget = by_name["perf.budgetEvents"]["value"]
    if budget:
        out.append(f"{budget} budget/throttling events: DataStore requests were throttled.")
    return out


def build(conn: sqlite3.Connection, user_id: int, options: dict[str, Any], now: float) -> tuple[str, dict[str, Any]]:
    start, end = c.period(options)
    length = end - start
    limit = options["limit"]
    ratio = float(c.user_settings(conn, user_id)["anomalyDetection"]["latencyRegressionRatio"])
    cur = periods.load(conn, user_id, start, end, ("ops", "keys", "counts"))
    prev = periods.load(conn, user_id, start - length, start, ("ops", "counts"))
    ops = c.operations(cur)
    prev_ops = {r["name"]: r for r in c.operations(prev)}
    for row in ops:
        before = prev_ops.get(row["name"])
        row["previousCount"] = before["count"] if before else None
        row["previousP95"] = before["p95"] if before else None
    prev_values = {f.name: f.value for f in headline_values(prev)}
    metrics = [f.metric(prev_values.get(f.name)) for f in headline_values(cur)]
    regressions = _regressions(ops, prev_ops, ratio)
    points = _latency_series(conn, user_id, start, end)
    step = c.grain(start, end)
    sections = [
        m.operations("operations", "Latency per operation", ops),
        m.series(
            "latency",
            "Latency over time",
            "ms",
            (("p50", "p50"), ("p95", "p95"), ("p99", "p99")),
            points,
            stacked=False,
            step=step,
            note="All operations together; percentiles within 1% (log-bucket sketch, nearest rank).",
        ),
        m.series(
            "calls",
            "DataStore calls over time",
            "count",
            (("calls", "Calls"), ("failures", "Failed")),
            points,
            stacked=False,
            step=step,
        ),
        m.findings(
            "regressions",
            f"Regressions (x{ratio:g} latency or -5 points success rate)",
            _regression_findings(regressions),
        ),
        m.table(
            "slowestDataStores", "Slowest DataStores", SLOW_DATASTORE_COLUMNS, _slowest_datastores(cur.keys, limit)
        ),
        m.table("slowestKeys", "Slowest keys", c.KEY_COLUMNS, _slowest_keys(cur.keys, limit)),
        m.table("budgetEvents", "Budget and throttling events", BUDGET_COLUMNS, budget_events(cur)),
        m.errors("errors", "Errors", c.errors(cur)),
    ]
    insights = [
        f"{r['operation']} {r['metric']} {r['value']:.3g} vs {r['previous']:.3g} before (x{r['ratio']:.2f})"
        for r in regressions
    ] + _headline(metrics)
    body = c.body(start, end, insights, metrics, sections)
    body["baseline"] = {"label": "the period before", "from": start - length, "to": start}
    return c.title("Performance analysis", start, end), body
