"""DAILY_SUMMARY: one UTC day's totals, sessions, top features, most-read DataStores and keys and errors,
each compared with the day before and with the average of the 7 days before."""

from __future__ import annotations

import sqlite3
from typing import Any

from dsm.analytics import periods
from dsm.analytics.buckets import DAY, HOUR, Bucket
from dsm.reports import common as c
from dsm.reports import model as m

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
    hours = periods.series(conn, user_id, start, end, ("counts",), HOUR)
    return c.timeline(start, end, HOUR, {t: b.by_kind() for t, b in hours.items()}, KINDS, 0)


KINDS = ("ui", "datastore", "perf", "error")
KIND_LABELS = (("ui", "UI"), ("datastore", "DataStore"), ("perf", "Perf"), ("error", "Errors"))


def _metrics(cur: Bucket, before: Bucket, week: Bucket) -> list[c.Row]:
    week_values = {f.name: f.value for f in c.summary_values(week)}
    before_values = {f.name: f.value for f in c.summary_values(before)}
    metrics = []
    for figure in c.summary_values(cur):
        avg = week_values.get(figure.name)
        if avg is not None and figure.unit in ("count", "seconds") and not figure.name.endswith("avgDurationSeconds"):
            avg = avg / WEEK
        change_avg, pct_avg = c.delta(figure.value, avg)
        metrics.append(
            figure.metric(
                before_values.get(figure.name),
                average7d=avg,
                changeVsAverage7d=change_avg,
                changePctVsAverage7d=pct_avg,
            )
        )
    return metrics


def _top_columns(first: tuple[str, str]) -> list[c.Row]:
    names = [m.col(*first, "text")] if first[0] != "key" else list(c.KEY_COLUMNS[:3])
    return [
        *names,
        m.col("count", "Count", "count"),
        m.col("previous", "Day before", "count"),
        m.col("average7d", "7-day average", "number"),
    ]


def build(conn: sqlite3.Connection, user_id: int, options: dict[str, Any], now: float) -> tuple[str, dict[str, Any]]:
    start, end = c.period(options)
    length = end - start
    limit = options["limit"]
    cur = periods.load(conn, user_id, start, end)
    # Earlier periods only need per-key figures for the keys shown, which keeps long histories cheap.
    shown = [address for address, _n in c.top(_key_reads(cur), limit)]
    before = periods.load(conn, user_id, start - length, start, keys_in=shown)
    week = periods.load(conn, user_id, start - WEEK * length, start, keys_in=shown)
    metrics = _metrics(cur, before, week)
    errors = c.errors(cur)
    prev_errors, week_errors = before.errors(), week.errors()
    for row in errors:
        row["previous"] = prev_errors.get((row["category"], row["code"]), 0)
        row["average7d"] = week_errors.get((row["category"], row["code"]), 0) / WEEK
    features = _compare_rows("feature", _features(cur), _features(before), _features(week), limit)
    datastores = _compare_rows(
        "datastore",
        _ds_reads(cur),
        periods.datastore_reads(conn, user_id, start - length, start),
        periods.datastore_reads(conn, user_id, start - WEEK * length, start),
        limit,
    )
    keys = _compare_rows("key", _key_reads(cur), _key_reads(before), _key_reads(week), limit)
    sections = [
        m.series(
            "activity",
            "Activity over time",
            "count",
            KIND_LABELS,
            _activity(conn, user_id, start, end),
            stacked=True,
            step=HOUR,
        ),
        m.operations("operations", "DataStore operations", c.operations(cur)),
        m.errors("errors", "Errors", errors),
        m.table("topFeatures", "Most used features", _top_columns(("feature", "Feature")), features),
        m.table("topDataStores", "Most read DataStores", _top_columns(("datastore", "DataStore")), datastores),
        m.table("topKeys", "Most read keys", _top_columns(("key", "Key")), keys),
        m.table("sessions", "Sessions", c.SESSION_COLUMNS, c.session_durations(cur)),
        m.facts(
            "comparedWith",
            "Compared with",
            [
                m.fact("previousFrom", "Day before: from", start - length, "time"),
                m.fact("previousTo", "Day before: to", start, "time"),
                m.fact("average7dFrom", "7-day average: from", start - WEEK * length, "time"),
                m.fact("average7dTo", "7-day average: to", start, "time"),
            ],
        ),
    ]
    before_label = "the day before" if length == DAY else "the period before"
    body = c.body(start, end, _insights(metrics, features, errors, before_label), metrics, sections)
    body["baseline"] = {"label": before_label, "from": start - length, "to": start}
    return c.title("Daily summary", start, end), body


def _insights(metrics: list[c.Row], features: list[c.Row], errors: list[c.Row], before: str) -> list[str]:
    out = []
    total = next(m for m in metrics if m["name"] == "events.total")
    if total["changePct"] is not None:
        word = "up" if total["changePct"] >= 0 else "down"
        out.append(
            f"Events {word} {abs(total['changePct']):.0%} from {before} ({total['value']} vs {total['previous']})."
        )
    failed = next(m for m in metrics if m["name"] == "datastore.failures")
    if failed["value"]:
        out.append(f"{failed['value']} DataStore calls failed ({before}: {failed['previous']}).")
    if features:
        out.append(f"Most used feature: {features[0]['feature']} ({features[0]['count']} events).")
    if errors:
        out.append(f"Most frequent error: {errors[0]['category']} ({errors[0]['count']}).")
    return out
