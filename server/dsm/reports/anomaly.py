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

DEFAULT_HOURS = 24
DEFAULT_BASELINE_HOURS = 14 * 24
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


def build(conn: sqlite3.Connection, user_id: int, options: dict[str, Any], now: float) -> tuple[str, dict[str, Any]]:
    th = thresholds(conn, user_id)
    if "from" in options:
        start, end = c.hour_floor(options["from"]), -(-options["to"] // HOUR) * HOUR
    else:
        end = c.hour_floor(now)
        start = end - DEFAULT_HOURS * HOUR
    base_start = start - options.get("baselineHours", DEFAULT_BASELINE_HOURS) * HOUR
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
    metrics = [c.metric("anomalies", "anomalies.total", "Anomalies", len(anomalies), "count")]
    metrics += [c.metric("anomalies", f"anomalies.{k}", k.replace("_", " "), n, "count") for k, n in counts.items()]
    body = {
        "period": {"from": start, "to": end},
        "baseline": {"from": base_start, "to": start, "hoursUsed": len(base_hours)},
        "method": {
            "score": "modified z = 0.6745 * (x - median) / MAD over the baseline's hourly values",
            "zThreshold": th.z,
            "minBaselineHours": th.min_baseline_hours,
            "errorBurstThreshold": th.error_burst,
            "sweepDistinctKeys": th.sweep_keys,
            "sweepWindowSeconds": th.sweep_seconds,
            "latencyRegressionRatio": th.latency_ratio,
        },
        "metrics": metrics,
        "anomalies": anomalies,
        "series": {
            "activity": [
                {"t": t, "total": buckets[int(t)].total() if int(t) in buckets else 0, "errors": _errs(buckets, t)}
                for t in hours
            ]
        },
        "insights": insights
        + [f"{a['severity']} {a['type']} {c.time_text(a['from'])} – {c.time_text(a['to'])}" for a in anomalies],
    }
    return c.title("Anomaly detection", start, end), body


def _errs(buckets: dict[int, Bucket], t: float) -> int:
    b = buckets.get(int(t))
    return b.error_total() if b is not None else 0


ANOMALY_TYPES = ("activity_spike", "activity_drop", "error_burst", "latency_regression", "key_sweep")
