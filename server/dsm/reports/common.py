"""Pieces every report computation shares: periods, metric rows, operation and error tables, titles."""

from __future__ import annotations

import math
import sqlite3
from datetime import UTC, datetime
from typing import Any

from dsm.analytics import sketch
from dsm.analytics.buckets import DAY, HOUR, Bucket, KeyAgg, OpAgg
from dsm.store.settings import Settings, read_state

Row = dict[str, Any]
DEFAULT_LIMIT = 10


def rate(part: float, whole: float) -> float | None:
    return part / whole if whole else None


def delta(value: float | None, previous: float | None) -> tuple[float | None, float | None]:
    """(absolute change, relative change) or None where it is undefined (no previous value, or 0)."""
    if value is None or previous is None:
        return None, None
    change = value - previous
    return change, (change / previous if previous else None)


def metric(
    section: str, name: str, label: str, value: float | None, unit: str, previous: float | None = None, **extra: Any
) -> Row:
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
        **extra,
    }


def day_floor(ts: float) -> float:
    return float(math.floor(ts / DAY) * DAY)


def hour_floor(ts: float) -> float:
    return float(math.floor(ts / HOUR) * HOUR)


def period(options: dict[str, Any], now: float, days: int) -> tuple[float, float]:
    """`options.from/to`, or the last `days` full UTC days before `now`."""
    if "from" in options:
        return options["from"], options["to"]
    end = day_floor(now)
    return end - days * DAY, end


def day_text(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def time_text(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M")


def period_text(start: float, end: float) -> str:
    """'2026-11-24' for one whole UTC day, '2026-11-17 – 2026-11-23' for whole days, else times."""
    if start == day_floor(start) and end == day_floor(end):
        last = end - DAY
        return day_text(start) if last == start else f"{day_text(start)} – {day_text(last)}"
    return f"{time_text(start)} – {time_text(end)}"


def title(kind: str, start: float, end: float) -> str:
    return f"{kind} — {period_text(start, end)} (UTC)"


def user_settings(conn: sqlite3.Connection, user_id: int) -> Settings:
    return read_state(conn, user_id).settings


PERCENTILES = (0.5, 0.95, 0.99)


def op_row(name: str, op: OpAgg) -> Row:
    p50, p95, p99 = sketch.quantiles(op.hist, PERCENTILES)
    return {
        "name": name,
        "count": op.count,
        "successes": op.successes,
        "failures": op.failures,
        "successRate": rate(op.successes, op.count),
        "p50": p50,
        "p95": p95,
        "p99": p99,
        "avgLatencyMs": rate(op.lat_sum, op.lat_count),
        "minLatencyMs": op.lat_min,
        "maxLatencyMs": op.lat_max,
    }


def operations(bucket: Bucket) -> list[Row]:
    """One row per DataStore operation, busiest first."""
    rows = [op_row(name, op) for name, op in bucket.ops.items()]
    return sorted(rows, key=lambda r: (-r["count"], r["name"]))


def all_ops(bucket: Bucket) -> OpAgg:
    total = OpAgg()
    for op in bucket.ops.values():
        total.merge(op)
    return total


def errors(bucket: Bucket) -> list[Row]:
    rows = [{"category": c, "code": code, "count": n} for (c, code), n in bucket.errors().items()]
    return sorted(rows, key=lambda r: (-r["count"], r["category"], r["code"] or 0))


def datastores(bucket: Bucket) -> dict[str, KeyAgg]:
    """Per-key aggregates summed per DataStore."""
    out: dict[str, KeyAgg] = {}
    for (ds, _scope, _key), agg in bucket.keys.items():
        out.setdefault(ds, KeyAgg()).merge(agg)
    return out


def key_row(address: tuple[str, str, str], agg: KeyAgg) -> Row:
    ds, scope, key = address
    return {
        "datastore": ds,
        "scope": scope,
        "key": key,
        "reads": agg.reads,
        "failures": agg.failures,
        "bytes": agg.bytes,
        "avgSize": rate(agg.bytes, agg.sized),
        "maxSize": agg.max_size,
        "avgLatencyMs": rate(agg.lat_sum, agg.lat_count),
        "maxLatencyMs": agg.lat_max,
        "firstRead": agg.first,
        "lastRead": agg.last,
    }


def top(counts: dict[str, int] | dict[Any, int], limit: int) -> list[tuple[Any, int]]:
    """Highest counts first; ties broken by name so the order is stable."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))[:limit]


def session_durations(bucket: Bucket) -> list[Row]:
    rows = [
        {"session": sid, "events": int(n), "start": first, "end": last, "durationSeconds": last - first}
        for sid, (n, first, last) in bucket.sessions.items()
    ]
    return sorted(rows, key=lambda r: (r["start"], r["session"]))


def summary_values(bucket: Bucket) -> list[tuple[str, str, str, float | None, str]]:
    """The headline figures of a period: (section, name, label, value, unit); shared by the summary and comparisons."""
    kinds = bucket.by_kind()
    sessions = session_durations(bucket)
    durations = [s["durationSeconds"] for s in sessions]
    ops = all_ops(bucket)
    p50, p95, p99 = sketch.quantiles(ops.hist, PERCENTILES)
    out: list[tuple[str, str, str, float | None, str]] = [
        ("totals", "events.total", "Total events", bucket.total(), "count"),
    ]
    for kind, label in (("ui", "UI events"), ("datastore", "DataStore calls"), ("perf", "Perf events")):
        out.append(("totals", f"events.{kind}", label, kinds.get(kind, 0), "count"))
    out.append(("totals", "events.error", "Error events", kinds.get("error", 0), "count"))
    out += [
        ("sessions", "sessions.count", "Sessions", len(sessions), "count"),
        ("sessions", "sessions.totalDurationSeconds", "Session time", sum(durations), "seconds"),
        ("sessions", "sessions.avgDurationSeconds", "Average session", rate(sum(durations), len(durations)), "seconds"),
        ("datastore", "datastore.failures", "Failed DataStore calls", ops.failures, "count"),
        ("datastore", "datastore.successRate", "DataStore success rate", op_row("", ops)["successRate"], "ratio"),
        ("datastore", "datastore.p50", "DataStore latency p50", p50, "ms"),
        ("datastore", "datastore.p95", "DataStore latency p95", p95, "ms"),
        ("datastore", "datastore.p99", "DataStore latency p99", p99, "ms"),
        ("errors", "errors.total", "Errors (error events + failed calls)", bucket.error_total(), "count"),
    ]
    for name, op in sorted(bucket.ops.items()):
        row = op_row(name, op)
        out.append(("operations", f"op.{name}.count", f"{name} calls", row["count"], "count"))
        out.append(("operations", f"op.{name}.successRate", f"{name} success rate", row["successRate"], "ratio"))
        out.append(("operations", f"op.{name}.p95", f"{name} latency p95", row["p95"], "ms"))
    return out
