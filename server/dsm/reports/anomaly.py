"""ANOMALY_DETECTION: activity spikes and drops, error bursts and latency regressions found with a robust
z-score (median / MAD) of each hour of the period against the hourly series of a baseline window, plus
fast sweeps across many distinct keys. Thresholds are the user's `anomalyDetection` settings."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dsm.analytics import periods, robust, sketch
from dsm.analytics.buckets import HOUR, Bucket
from dsm.reports import common as c
from dsm.reports import model as m
from dsm.reports.format import period_text

MIN_LATENCY_SAMPLES = 10  # an hour needs this many timed calls of an operation to be judged
COUNT_MAD_FLOOR = 1.0  # events per hour: a flat baseline still needs a real change to flag
LATENCY_MAD_FLOOR_RATIO = 0.05  # ms: 5% of the baseline median


@dataclass(frozen=True)
class Thresholds:
    z: float
    min_baseline_hours: int
    error_burst: int
    sweep_keys: int
    sweep_seconds: float
    latency_ratio: float


def thresholds(conn: sqlite3.Connection, user_id: int) -> Thresholds:
    s = c.user_settings(conn, user_id)["anomalyDetection"]
    return Thresholds(
        float(s["zThreshold"]),
        int(s["minBaselineHours"]),
        int(s["errorBurstThreshold"]),
        int(s["sweepDistinctKeys"]),
        float(s["sweepWindowSeconds"]),
        float(s["latencyRegressionRatio"]),
    )


def severity(z: float, threshold: float) -> str:
    return "high" if abs(z) >= 2 * threshold else "medium"


def _runs(flags: list[tuple[float, dict[str, Any]]]) -> list[list[tuple[float, dict[str, Any]]]]:
    """Group flagged hours that follow each other (same direction) into windows."""
    runs: list[list[tuple[float, dict[str, Any]]]] = []
    for t, info in sorted(flags, key=lambda f: f[0]):
        last = runs[-1][-1] if runs else None
        if last is not None and t - last[0] == HOUR and last[1].get("direction") == info.get("direction"):
            runs[-1].append((t, info))
        else:
            runs.append([(t, info)])
    return runs


def _anomaly(kind: str, run: list[tuple[float, dict[str, Any]]], threshold: float, **evidence: Any) -> c.Row:
    peak = max(run, key=lambda f: abs(f[1]["z"]))
    return {
        "type": kind,
        "severity": severity(peak[1]["z"], threshold),
        "from": run[0][0],
        "to": run[-1][0] + HOUR,
        "z": peak[1]["z"],
        "evidence": {
            **evidence,
            "hours": [{"t": t, **{k: v for k, v in i.items() if k != "direction"}} for t, i in run],
        },
    }


def _scan(
    hours: list[float], values: dict[float, float], baseline: list[float], floor: float, z_min: float
) -> list[tuple[float, dict[str, Any]]]:
    mid = robust.median(baseline)
    spread = robust.mad(baseline, mid)
    flags = []
    for t in hours:
        value = values.get(t, 0.0)
        z = robust.robust_z(value, mid, spread, floor)
        if abs(z) >= z_min:
            flags.append((t, {"value": value, "z": z, "median": mid, "mad": spread, "direction": z > 0}))
    return flags


def _series(
    buckets: dict[int, Bucket], hours: list[float], figure: Callable[[Bucket], float | None]
) -> dict[float, float]:
    out: dict[float, float] = {}
    for t in hours:
        b = buckets.get(int(t))
        value = figure(b) if b is not None else None
        if value is not None:
            out[t] = value
    return out


def _activity(ctx: dict[str, Any], th: Thresholds) -> list[c.Row]:
    buckets, base_hours, hours = ctx["buckets"], ctx["baseHours"], ctx["hours"]
    totals = _series(buckets, base_hours + hours, lambda b: float(b.total()))
    baseline = [totals.get(t, 0.0) for t in base_hours]
    flags = _scan(hours, totals, baseline, COUNT_MAD_FLOOR, th.z)
    # A drop is judged only inside continuous activity: an idle hour, or the partial hour where a
    # session starts or ends, is not a drop.
    flags = [f for f in flags if f[1]["direction"] or (f[0] - HOUR in totals and f[0] + HOUR in totals)]
    return [
        _anomaly("activity_spike" if run[0][1]["direction"] else "activity_drop", run, th.z, metric="events per hour")
        for run in _runs(flags)
    ]


def _errors(ctx: dict[str, Any], th: Thresholds) -> list[c.Row]:
    buckets, base_hours, hours = ctx["buckets"], ctx["baseHours"], ctx["hours"]
    errors = _series(buckets, base_hours + hours, lambda b: float(b.error_total()))
    baseline = [errors.get(t, 0.0) for t in base_hours]
    flags = [
        f
        for f in _scan(hours, errors, baseline, COUNT_MAD_FLOOR, th.z)
        if f[1]["direction"] and f[1]["value"] >= th.error_burst
    ]
    out = []
    for run in _runs(flags):
        by_category: dict[str, int] = {}
        for t, _ in run:
            for (category, code), n in buckets[int(t)].errors().items():
                label = category if code is None else f"{category} ({code})"
                by_category[label] = by_category.get(label, 0) + n
        out.append(_anomaly("error_burst", run, th.z, metric="errors per hour", categories=by_category))
    return out


def _latency(ctx: dict[str, Any], th: Thresholds) -> list[c.Row]:
    buckets, base_hours, hours = ctx["buckets"], ctx["baseHours"], ctx["hours"]
    names = sorted({name for b in buckets.values() for name in b.ops})
    out = []
    for name in names:

        def p50(b: Bucket, name: str = name) -> float | None:
            op = b.ops.get(name)
            if op is None or op.lat_count < MIN_LATENCY_SAMPLES:
                return None
            return sketch.quantiles(op.hist, (0.5,))[0]

        series = _series(buckets, base_hours + hours, p50)
        baseline = [series[t] for t in base_hours if t in series]
        if len(baseline) < th.min_baseline_hours:
            continue
        mid = robust.median(baseline)
        flags = [
            f
            for f in _scan([t for t in hours if t in series], series, baseline, LATENCY_MAD_FLOOR_RATIO * mid, th.z)
            if f[1]["direction"] and mid > 0 and f[1]["value"] / mid >= th.latency_ratio
        ]
        for run in _runs(flags):
            out.append(_anomaly("latency_regression", run, th.z, metric=f"{name} median latency (ms)", operation=name))
    return out


def sweeps(conn: sqlite3.Connection, user_id: int, start: float, end: float, th: Thresholds) -> list[c.Row]:
    """Windows of at most `sweep_seconds` in which one DataStore saw `sweep_keys`+ distinct keys."""
    per_ds: dict[str, list[tuple[float, str]]] = {}
    for ts, ds, key in conn.execute(
        "SELECT ts, datastore, key FROM events WHERE user_id = ? AND ts >= ? AND ts < ? AND kind = 'datastore'"
        " AND datastore IS NOT NULL AND key IS NOT NULL ORDER BY ts",
        (user_id, start, end),
    ):
        per_ds.setdefault(ds, []).append((ts, key))
    out = []
    for ds, hits in sorted(per_ds.items()):
        episodes: list[list[float]] = []  # [from, to, first index, last index]
        window: dict[str, int] = {}
        left = 0
        for right, (ts, key) in enumerate(hits):
            window[key] = window.get(key, 0) + 1
            while ts - hits[left][0] > th.sweep_seconds:
                old = hits[left][1]
                window[old] -= 1
                if not window[old]:
                    del window[old]
                left += 1
            if len(window) >= th.sweep_keys:
                if episodes and hits[left][0] <= episodes[-1][1]:
                    episodes[-1][1], episodes[-1][3] = ts, right
                else:
                    episodes.append([hits[left][0], ts, left, right])
        for first, last, i, j in episodes:
            keys = sorted({k for _, k in hits[int(i) : int(j) + 1]})
            z = len(keys) / th.sweep_keys
            out.append(
                {
                    "type": "key_sweep",
                    "severity": "high" if len(keys) >= 2 * th.sweep_keys else "medium",
                    "from": first,
                    "to": last,
                    "z": None,
                    "evidence": {
                        "datastore": ds,
                        "distinctKeys": len(keys),
                        "events": int(j - i + 1),
                        "seconds": last - first,
                        "sampleKeys": keys[:10],
                        "timesThreshold": z,
                    },
                }
            )
    return out


TITLES = {
    "activity_spike": "Activity spike",
    "activity_drop": "Activity drop",
    "error_burst": "Error burst",
    "latency_regression": "Latency regression",
    "key_sweep": "Key sweep (many distinct keys read quickly)",
}
HOUR_COLUMNS = (
    m.col("anomaly", "Anomaly", "text"),
    m.col("t", "Hour", "time"),
    m.col("value", "Value", "number"),
    m.col("median", "Baseline median", "number"),
    m.col("mad", "Baseline MAD", "number"),
    m.col("z", "z", "number"),
)


def _facts(anomaly: c.Row) -> list[c.Row]:
    ev = anomaly["evidence"]
    if anomaly["type"] == "key_sweep":
        return [
            m.fact("datastore", "DataStore", ev["datastore"], "text"),
            m.fact("distinctKeys", "Distinct keys", ev["distinctKeys"], "count"),
            m.fact("events", "Calls", ev["events"], "count"),
            m.fact("seconds", "Within", ev["seconds"], "seconds"),
            m.fact("timesThreshold", "Times the threshold", ev["timesThreshold"], "number"),
            m.fact("sampleKeys", "Some of the keys", ", ".join(ev["sampleKeys"]), "text"),
        ]
    unit = "ms" if anomaly["type"] == "latency_regression" else "number"
    peak = max(ev["hours"], key=lambda h: abs(h["z"]))
    out = [
        m.fact("metric", "Measure", ev["metric"], "text"),
        m.fact("z", "Peak z-score", anomaly["z"], "number"),
        m.fact("peakValue", "Peak hour", peak["value"], unit),
        m.fact("median", "Baseline median", peak["median"], unit),
        m.fact("mad", "Baseline MAD", peak["mad"], unit),
        m.fact("hours", "Hours flagged", len(ev["hours"]), "count"),
    ]
    if "operation" in ev:
        out.insert(0, m.fact("operation", "Operation", ev["operation"], "text"))
    for label, n in sorted(ev.get("categories", {}).items(), key=lambda kv: (-kv[1], kv[0])):
        out.append(m.fact(f"category:{label}", label, n, "count"))
    return out


def _sections(anomalies: list[c.Row], ctx: dict[str, Any], th: Thresholds, baseline: c.Row) -> list[m.Section]:
    buckets, hours = ctx["buckets"], ctx["hours"]
    items = [m.finding(a["severity"], a["type"], TITLES[a["type"]], a["from"], a["to"], _facts(a)) for a in anomalies]
    flagged = [
        {"anomaly": f"{i} {a['type'].replace('_', ' ')}", **h}
        for i, a in enumerate(anomalies, 1)
        for h in a["evidence"].get("hours", [])
    ]
    activity = {int(t): {"total": b.total(), "errors": b.error_total()} for t, b in buckets.items()}
    return [
        m.findings("anomalies", "Anomalies", items),
        m.series(
            "activity",
            "Events and errors per hour",
            "count",
            (("total", "All events"), ("errors", "Errors")),
            c.timeline(hours[0], hours[-1] + HOUR, HOUR, activity, ("total", "errors"), 0) if hours else [],
            stacked=False,
            step=HOUR,
        ),
        m.table("flaggedHours", "Flagged hours", HOUR_COLUMNS, flagged),
        m.facts(
            "baseline",
            "Baseline",
            [
                m.fact("from", "From", baseline["from"], "time"),
                m.fact("to", "To", baseline["to"], "time"),
                m.fact("hoursUsed", "Active hours in it", baseline["hoursUsed"], "count"),
            ],
        ),
        m.facts(
            "method",
            "Method and thresholds (your settings)",
            [
                m.fact(
                    "score",
                    "Score",
                    "modified z = 0.6745 * (x - median) / MAD over the baseline's hourly values",
                    "text",
                ),
                m.fact("zThreshold", "Flag from |z| >=", th.z, "number"),
                m.fact("minBaselineHours", "Minimum baseline", th.min_baseline_hours, "count"),
                m.fact("errorBurstThreshold", "Errors in an hour for a burst", th.error_burst, "count"),
                m.fact("sweepDistinctKeys", "Distinct keys for a sweep", th.sweep_keys, "count"),
                m.fact("sweepWindowSeconds", "Sweep window", th.sweep_seconds, "seconds"),
                m.fact("latencyRegressionRatio", "Latency regression from (x median)", th.latency_ratio, "number"),
            ],
        ),
    ]


def build(conn: sqlite3.Connection, user_id: int, options: dict[str, Any], now: float) -> tuple[str, dict[str, Any]]:
    th = thresholds(conn, user_id)
    # Hour by hour: the period is widened to whole hours.
    start, end = c.hour_floor(options["from"]), -(-options["to"] // HOUR) * HOUR
    base_start = start - options["baselineHours"] * HOUR
    buckets = periods.series(conn, user_id, base_start, end, ("counts", "ops"), HOUR)
    # Studio use is intermittent, so the baseline is the hours that had any activity, not idle ones.
    base_hours = sorted(float(t) for t, b in buckets.items() if t < start and b.total() > 0)
    hours = [float(t) for t in range(int(start), int(end), HOUR)]
    ctx = {"buckets": buckets, "baseHours": base_hours, "hours": hours}
    anomalies: list[c.Row] = []
    insights = []
    if len(base_hours) >= th.min_baseline_hours:
        anomalies += _activity(ctx, th) + _errors(ctx, th) + _latency(ctx, th)
    else:
        insights.append(
            f"Only {len(base_hours)} baseline hours (need {th.min_baseline_hours}): spikes, drops, error bursts"
            " and latency regressions were not judged."
        )
    anomalies += sweeps(conn, user_id, start, end, th)
    anomalies.sort(key=lambda a: (a["from"], a["type"]))
    counts = {k: sum(a["type"] == k for a in anomalies) for k in ANOMALY_TYPES}
    metrics = [m.metric("anomalies", "anomalies.total", "Anomalies", len(anomalies), "count", better="down")]
    metrics += [
        m.metric("anomalies", f"anomalies.{k}", TITLES[k].split(" (")[0], n, "count", better="down")
        for k, n in counts.items()
    ]
    insights += [
        f"{a['severity'].capitalize()}: {TITLES[a['type']].split(' (')[0].lower()}, {period_text(a['from'], a['to'])}"
        for a in anomalies
    ]
    if not anomalies and len(base_hours) >= th.min_baseline_hours:
        insights.append("No anomalies: every hour was within the baseline's usual range.")
    baseline = {"from": base_start, "to": start, "hoursUsed": len(base_hours)}
    body = c.body(start, end, insights, metrics, _sections(anomalies, ctx, th, baseline))
    return c.title("Anomaly detection", start, end), body


ANOMALY_TYPES = ("activity_spike", "activity_drop", "error_burst", "latency_regression", "key_sweep")
