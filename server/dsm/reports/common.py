"""Pieces every report computation shares: periods, metric rows, operation and error tables, titles."""

from __future__ import annotations

import math
import sqlite3
from datetime import UTC, datetime
from typing import Any, NamedTuple

from dsm.analytics import sketch
from dsm.analytics.buckets import DAY, HOUR, Bucket, KeyAgg, OpAgg
from dsm.reports import model
from dsm.reports.model import Better
from dsm.store.settings import Settings, load

Row = dict[str, Any]


def rate(part: float, whole: float) -> float | None:
    return part / whole if whole else None


delta = model.delta


def day_floor(ts: float) -> float:
    return float(math.floor(ts / DAY) * DAY)


def hour_floor(ts: float) -> float:
    return float(math.floor(ts / HOUR) * HOUR)


def period(options: dict[str, Any]) -> tuple[float, float]:
    """The report's `[from, to)`; the engine fills in the type's default period when none was given."""
    return options["from"], options["to"]


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


def grain(start: float, end: float) -> int:
    """The step of a time series over a period: days from two days up, else hours."""
    return DAY if end - start >= 2 * DAY else HOUR


def timeline(
    start: float, end: float, step: int, values: dict[int, Any], fields: tuple[str, ...], missing: float | None
) -> list[Row]:
    """One point per `step` over [start, end): `values[t][field]`, or `missing` where there is nothing."""
    points = []
    t = math.floor(start / step) * step
    while t < end:
        found = values.get(t) or {}
        points.append({"t": float(t), **{f: found.get(f, missing) for f in fields}})
        t += step
    return points


def body(start: float, end: float, insights: list[str], metrics: list[Row], sections: list[model.Section]) -> Row:
    """A report body in the model's order: period, insights, metrics, sections."""
    return {"period": {"from": start, "to": end}, "insights": insights, "metrics": metrics, "sections": sections}


def user_settings(conn: sqlite3.Connection, user_id: int) -> Settings:
    return load(conn, user_id).settings


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


KEY_COLUMNS = (
    model.col("datastore", "DataStore", "text"),
    model.col("scope", "Scope", "text"),
    model.col("key", "Key", "text"),
    model.col("reads", "Calls", "count"),
    model.col("failures", "Failed", "count"),
    model.col("bytes", "Bytes read", "bytes"),
    model.col("avgSize", "Average size", "bytes"),
    model.col("maxSize", "Largest", "bytes"),
    model.col("avgLatencyMs", "Average latency", "ms"),
    model.col("maxLatencyMs", "Max latency", "ms"),
    model.col("firstRead", "First read", "time"),
    model.col("lastRead", "Last read", "time"),
)


def top(counts: dict[str, int] | dict[Any, int], limit: int) -> list[tuple[Any, int]]:
    """Highest counts first; ties broken by name so the order is stable."""
    return sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))[:limit]


SESSION_COLUMNS = (
    model.col("session", "Session", "text"),
    model.col("events", "Events", "count"),
    model.col("start", "Start", "time"),
    model.col("end", "End", "time"),
    model.col("durationSeconds", "Duration", "seconds"),
)


def session_durations(bucket: Bucket) -> list[Row]:
    rows = [
        {"session": sid, "events": int(n), "start": first, "end": last, "durationSeconds": last - first}
        for sid, (n, first, last) in bucket.sessions.items()
    ]
    return sorted(rows, key=lambda r: (r["start"], r["session"]))


class Figure(NamedTuple):
    """A headline figure of a period, before it is compared with anything."""

    section: str
    name: str
    label: str
    value: float | None
    unit: str
    better: Better

    def metric(self, previous: float | None = None, **extra: Any) -> Row:
        return model.metric(
            self.section, self.name, self.label, self.value, self.unit, previous, better=self.better, **extra
        )


def summary_values(bucket: Bucket) -> list[Figure]:
    """The headline figures of a period; shared by the summary and comparisons."""
    kinds = bucket.by_kind()
    sessions = session_durations(bucket)
    durations = [s["durationSeconds"] for s in sessions]
    ops = all_ops(bucket)
    p50, p95, p99 = sketch.quantiles(ops.hist, PERCENTILES)
    out = [Figure("totals", "events.total", "Total events", bucket.total(), "count", None)]
    for kind, label in (("ui", "UI events"), ("datastore", "DataStore calls"), ("perf", "Perf events")):
        out.append(Figure("totals", f"events.{kind}", label, kinds.get(kind, 0), "count", None))
    out.append(Figure("totals", "events.error", "Error events", kinds.get("error", 0), "count", "down"))
    out += [
        Figure("sessions", "sessions.count", "Sessions", len(sessions), "count", None),
        Figure("sessions", "sessions.totalDurationSeconds", "Session time", sum(durations), "seconds", None),
        Figure(
            "sessions",
            "sessions.avgDurationSeconds",
            "Average session",
            rate(sum(durations), len(durations)),
            "seconds",
            None,
        ),
        Figure("dataStore", "datastore.failures", "Failed DataStore calls", ops.failures, "count", "down"),
        Figure(
            "dataStore",
            "datastore.successRate",
            "DataStore success rate",
            rate(ops.successes, ops.count),
            "ratio",
            "up",
        ),
        Figure("dataStore", "datastore.p50", "DataStore latency p50", p50, "ms", "down"),
        Figure("dataStore", "datastore.p95", "DataStore latency p95", p95, "ms", "down"),
        Figure("dataStore", "datastore.p99", "DataStore latency p99", p99, "ms", "down"),
        Figure("errors", "errors.total", "Errors (error events + failed calls)", bucket.error_total(), "count", "down"),
    ]
    for name, op in sorted(bucket.ops.items()):
        row = op_row(name, op)
        out.append(Figure("operations", f"op.{name}.count", f"{name} calls", row["count"], "count", None))
        out.append(
            Figure("operations", f"op.{name}.successRate", f"{name} success rate", row["successRate"], "ratio", "up")
        )
        out.append(Figure("operations", f"op.{name}.p95", f"{name} latency p95", row["p95"], "ms", "down"))
    return out
