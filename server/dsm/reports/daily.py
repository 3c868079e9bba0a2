"""DAILY_SUMMARY: one UTC day's totals, sessions, top features, most-read DataStores and keys and errors,
each compared with the day before and with the average of the 7 days before."""

from __future__ import annotations

import sqlite3
from typing import Any

from dsm.analytics import periods
from dsm.analytics.buckets import HOUR, Bucket
from dsm.reports import common as c

WEEK = 7


def _features(bucket: Bucket) -> dict[str, int]:
    out: dict[str, int] = {}
    for (_name, feature, _view), n in bucket.ui.items():
        if feature:
            out[feature] = out.get(feature, 0) + n
    return out


def _key_reads(bucket: Bucket) -> dict[tuple[str, str, str], int]:
    return {address: agg.reads for address, agg in bucket.keys.items() if address[2]}


def _ds_reads(bucket: Bucket) -> dict[str, int]:
    out: dict[str, int] = {}
    for (ds, _scope, _key), agg in bucket.keys.items():
        out[ds] = out.get(ds, 0) + agg.reads
    return out


def _compare_rows(
    label: str, current: dict[Any, int], before: dict[Any, int], week: dict[Any, int], limit: int
) -> list[c.Row]:
    rows = []
    for key, n in c.top(current, limit):
        row = dict(zip(("datastore", "scope", "key"), key, strict=True)) if isinstance(key, tuple) else {label: key}
        rows.append({**row, "count": n, "previous": before.get(key, 0), "average7d": week.get(key, 0) / WEEK})
    return rows


def _activity(conn: sqlite3.Connection, user_id: int, start: float, end: float) -> list[c.Row]:
    points = []
    for t, bucket in sorted(periods.series(conn, user_id, start, end, ("counts",), HOUR).items()):
        kinds = bucket.by_kind()
        points.append({"t": t, "total": bucket.total(), **{k: kinds.get(k, 0) for k in ("ui", "datastore", "perf")}})
        points[-1]["error"] = kinds.get("error", 0)
    return points


def build(conn: sqlite3.Connection, user_id: int, options: dict[str, Any], now: float) -> tuple[str, dict[str, Any]]:
    start, end = c.period(options, now, 1)
    length = end - start
    limit = options.get("limit", c.DEFAULT_LIMIT)
    cur = periods.load(conn, user_id, start, end)
    # Earlier periods only need per-key figures for the keys shown, which keeps long histories cheap.
    shown = [address for address, _n in c.top(_key_reads(cur), limit)]
    before = periods.load(conn, user_id, start - length, start, keys_in=shown)
    week = periods.load(conn, user_id, start - WEEK * length, start, keys_in=shown)
    week_values = {name: value for _s, name, _l, value, _u in c.summary_values(week)}
    metrics = []
    before_values = {name: value for _s, name, _l, value, _u in c.summary_values(before)}
    for section, name, label, value, unit in c.summary_values(cur):
        avg = week_values.get(name)
        if avg is not None and unit in ("count", "seconds") and not name.endswith("avgDurationSeconds"):
            avg = avg / WEEK
        change_avg, pct_avg = c.delta(value, avg)
        metrics.append(
            c.metric(
                section,
                name,
                label,
                value,
                unit,
                before_values.get(name),
                average7d=avg,
                changeVsAverage7d=change_avg,
                changePctVsAverage7d=pct_avg,
            )
        )
    errors = c.errors(cur)
    prev_errors, week_errors = before.errors(), week.errors()
    for row in errors:
        row["previous"] = prev_errors.get((row["category"], row["code"]), 0)
        row["average7d"] = week_errors.get((row["category"], row["code"]), 0) / WEEK
    body: dict[str, Any] = {
        "period": {"from": start, "to": end},
        "comparedWith": {
            "previous": {"from": start - length, "to": start},
            "average7d": {"from": start - WEEK * length, "to": start},
        },
        "metrics": metrics,
        "series": {"activity": _activity(conn, user_id, start, end)},
        "operations": c.operations(cur),
        "errors": errors,
        "sessions": c.session_durations(cur),
        "topFeatures": _compare_rows("feature", _features(cur), _features(before), _features(week), limit),
        "topDataStores": _compare_rows(
            "datastore",
            _ds_reads(cur),
            periods.datastore_reads(conn, user_id, start - length, start),
            periods.datastore_reads(conn, user_id, start - WEEK * length, start),
            limit,
        ),
        "topKeys": _compare_rows("key", _key_reads(cur), _key_reads(before), _key_reads(week), limit),
    }
    body["insights"] = _insights(body)
    return c.title("Daily summary", start, end), body


def _insights(body: dict[str, Any]) -> list[str]:
    out = []
    total = next(m for m in body["metrics"] if m["name"] == "events.total")
    if total["changePct"] is not None:
        word = "up" if total["changePct"] >= 0 else "down"
        out.append(
            f"Events {word} {abs(total['changePct']):.0%} on the day before ({total['value']} vs {total['previous']})."
        )
    if body["topFeatures"]:
        out.append(
            f"Most used feature: {body['topFeatures'][0]['feature']} ({body['topFeatures'][0]['count']} events)."
        )
    if body["errors"]:
        worst = body["errors"][0]
        out.append(f"Most frequent error: {worst['category']} ({worst['count']}).")
    return out
