"""PERFORMANCE_ANALYSIS: per-operation counts, success rates and latency percentiles (from the rollup
sketches), the slowest DataStores and keys, budget/throttling events and regressions against the
previous period of the same length."""

from __future__ import annotations

import sqlite3
from typing import Any

from dsm.analytics import periods, sketch
from dsm.analytics.buckets import DAY, HOUR, NO_CODE, Bucket, KeyAddress, KeyAgg
from dsm.reports import common as c

# Roblox DataStore error codes 301-306 are the request-budget / throttling family.
BUDGET_CODES = range(301, 307)
BUDGET_PREFIXES = ("budget", "throttle")
DEFAULT_DAYS = 7


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
    grain = DAY if end - start >= 2 * DAY else HOUR
    points = []
    for t, bucket in sorted(periods.series(conn, user_id, start, end, ("ops",), grain).items()):
        total = c.all_ops(bucket)
        p50, p95, p99 = sketch.quantiles(total.hist, c.PERCENTILES)
        points.append({"t": t, "count": total.count, "p50": p50, "p95": p95, "p99": p99})
    return points


def headline_values(bucket: Bucket) -> list[tuple[str, str, str, float | None, str]]:
    """The report's figures of a period: (section, name, label, value, unit); also kept by snapshots."""
    overall = c.op_row("all", c.all_ops(bucket))
    out: list[tuple[str, str, str, float | None, str]] = [
        ("totals", "perf.calls", "DataStore calls", overall["count"], "count"),
        ("totals", "perf.successRate", "Success rate", overall["successRate"], "ratio"),
    ]
    out += [("latency", f"perf.{p}", f"Latency {p}", overall[p], "ms") for p in ("p50", "p95", "p99")]
    budget = sum(r["count"] for r in budget_events(bucket))
    out.append(("budget", "perf.budgetEvents", "Budget/throttling events", budget, "count"))
    for row in c.operations(bucket):
        for field, unit in (("count", "count"), ("successRate", "ratio"), ("p50", "ms"), ("p95", "ms"), ("p99", "ms")):
            out.append(("operations", f"op.{row['name']}.{field}", f"{row['name']} {field}", row[field], unit))
    return out


def build(conn: sqlite3.Connection, user_id: int, options: dict[str, Any], now: float) -> tuple[str, dict[str, Any]]:
    start, end = c.period(options, now, DEFAULT_DAYS)
    length = end - start
    limit = options.get("limit", c.DEFAULT_LIMIT)
    ratio = float(c.user_settings(conn, user_id)["anomalyDetection"]["latencyRegressionRatio"])
    cur = periods.load(conn, user_id, start, end, ("ops", "keys", "counts"))
    prev = periods.load(conn, user_id, start - length, start, ("ops", "counts"))
    ops = c.operations(cur)
    prev_ops = {r["name"]: r for r in c.operations(prev)}
    for row in ops:
        before = prev_ops.get(row["name"])
        row["previousCount"] = before["count"] if before else None
        row["previousP95"] = before["p95"] if before else None
    prev_values = {name: value for _s, name, _l, value, _u in headline_values(prev)}
    metrics = [c.metric(s, n, label, v, u, prev_values.get(n)) for s, n, label, v, u in headline_values(cur)]
    budget = budget_events(cur)
    regressions = _regressions(ops, prev_ops, ratio)
    body: dict[str, Any] = {
        "period": {"from": start, "to": end},
        "previousPeriod": {"from": start - length, "to": start},
        "metrics": metrics,
        "operations": ops,
        "series": {"latency": _latency_series(conn, user_id, start, end)},
        "slowestDataStores": _slowest_datastores(cur.keys, limit),
        "slowestKeys": _slowest_keys(cur.keys, limit),
        "budgetEvents": budget,
        "regressions": regressions,
        "errors": c.errors(cur),
        "sketch": {"relativeError": sketch.RELATIVE_ERROR, "percentileMethod": "nearest-rank"},
    }
    body["insights"] = [
        f"{r['operation']} {r['metric']} {r['value']:.3g} vs {r['previous']:.3g} before (x{r['ratio']:.2f})"
        for r in regressions
    ]
    return c.title("Performance analysis", start, end), body
