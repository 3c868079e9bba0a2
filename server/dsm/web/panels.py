"""The dashboard's live charts of one Studio user over a recent period, read from the rollups.

The figures are built as sections of the report model (`dsm.reports.model`) and drawn by the HTML export's own
section renderer, so the dashboard's charts and a report's charts are the same SVG, in light and dark alike.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from typing import Any

from dsm.analytics import periods, sketch
from dsm.analytics.buckets import DAY, HOUR, NO_CODE, Bucket
from dsm.reports import common as c
from dsm.reports import model as m
from dsm.reports.format import esc, value_text
from dsm.reports.html_export import section_html
from dsm.reports.performance import is_budget_event
from dsm.store import cache

TOP_OPERATIONS = 6  # stacked columns per bucket; the rest are summed as "other"
TOP_ROWS = 8


@dataclass(frozen=True)
class Period:
    """A choice of the period picker: the last `seconds` up to now, drawn in steps of `step` seconds."""

    name: str
    label: str
    seconds: int
    step: int


PERIODS: tuple[Period, ...] = (
    Period("24h", "Last 24 hours", DAY, HOUR),
    Period("7d", "Last 7 days", 7 * DAY, 6 * HOUR),
    Period("30d", "Last 30 days", 30 * DAY, DAY),
)
PERIOD_BY_NAME = {p.name: p for p in PERIODS}
DEFAULT_PERIOD = PERIODS[0]


def window(period: Period, now: float) -> tuple[float, float]:
    """[from, to) of the period: up to the end of the current step, so the newest events are in it."""
    end = (now // period.step + 1) * period.step
    return end - period.seconds, end


def build(conn: sqlite3.Connection, user_id: int, period: Period, now: float) -> list[m.Section | dict[str, Any]]:
    """Every panel's figures: headline tiles first, then the model sections to draw."""
    start, end = window(period, now)
    grain = DAY if period.step >= DAY else HOUR
    buckets = periods.series(conn, user_id, start, end, ("ops", "counts"), grain)
    by_step: dict[int, Bucket] = {}
    for t, bucket in buckets.items():
        by_step.setdefault(int(t // period.step * period.step), Bucket()).merge(bucket)
    total = Bucket()
    for bucket in by_step.values():
        total.merge(bucket)
    keys = periods.load(conn, user_id, start, end, ("keys",)).keys
    cache_stats = cache.stats(conn, user_id, now)
    return [
        _tiles(total, cache_stats),
        _calls_by_operation(by_step, total, start, end, period.step),
        _calls_by_outcome(by_step, start, end, period.step),
        _latency(by_step, start, end, period.step),
        m.errors("errors", "Error categories", c.errors(total)),
        _budget(by_step, start, end, period.step),
        _busiest_datastores(keys),
        _busiest_keys(keys),
    ]


def _tiles(total: Bucket, cache_stats: dict[str, Any]) -> dict[str, Any]:
    ops = c.all_ops(total)
    p50, p95, p99 = sketch.quantiles(ops.hist, c.PERCENTILES)
    budget = sum(n for (_k, name, code, _ok), n in total.counts.items() if _budget_key(name, code))
    lookups = cache_stats["hits"] + cache_stats["misses"]
    return {
        "kind": "tiles",
        "items": [
            m.fact("calls", "DataStore calls", ops.count, "count"),
            m.fact("failed", "Failed calls", ops.failures, "count"),
            m.fact("successRate", "Success rate", c.rate(ops.successes, ops.count), "ratio"),
            m.fact("p50", "Latency p50", p50, "ms"),
            m.fact("p95", "Latency p95", p95, "ms"),
            m.fact("p99", "Latency p99", p99, "ms"),
            m.fact("errors", "Errors", total.error_total(), "count"),
            m.fact("budget", "Budget/throttle events", budget, "count"),
            m.fact("cacheHitRate", "Cache hit rate (all time)", cache_stats["hitRate"] if lookups else None, "ratio"),
        ],
    }


def _budget_key(name: str, code: int) -> bool:
    return is_budget_event(name, None if code == NO_CODE else code)


def _calls_by_operation(by_step: dict[int, Bucket], total: Bucket, start: float, end: float, step: int) -> m.Section:
    names = [row["name"] for row in c.operations(total)]
    shown, rest = names[:TOP_OPERATIONS], names[TOP_OPERATIONS:]
    values: dict[int, dict[str, Any]] = {}
    for t, bucket in by_step.items():
        point = {name: bucket.ops[name].count for name in shown if name in bucket.ops}
        if rest:
            point["other"] = sum(bucket.ops[name].count for name in rest if name in bucket.ops)
        values[t] = point
    fields = [(name, name) for name in shown] + ([("other", "other")] if rest else [])
    points = c.timeline(start, end, step, values, tuple(f for f, _ in fields), 0)
    return m.series(
        "callsByOperation", "DataStore calls by operation", "count", fields, points, stacked=True, step=step
    )


def _calls_by_outcome(by_step: dict[int, Bucket], start: float, end: float, step: int) -> m.Section:
    values = {}
    for t, bucket in by_step.items():
        ops = c.all_ops(bucket)
        values[t] = {
            "succeeded": ops.successes,
            "failed": ops.failures,
            "unknown": ops.count - ops.successes - ops.failures,
        }
    points = c.timeline(start, end, step, values, ("succeeded", "failed", "unknown"), 0)
    fields = [("succeeded", "Succeeded"), ("failed", "Failed"), ("unknown", "No outcome")]
    if all(p["unknown"] == 0 for p in points):
        fields = fields[:2]
        points = [{k: v for k, v in p.items() if k != "unknown"} for p in points]
    return m.series("callsByOutcome", "DataStore calls by outcome", "count", fields, points, stacked=True, step=step)


def _latency(by_step: dict[int, Bucket], start: float, end: float, step: int) -> m.Section:
    values = {}
    for t, bucket in by_step.items():
        p50, p95, p99 = sketch.quantiles(c.all_ops(bucket).hist, c.PERCENTILES)
        values[t] = {"p50": p50, "p95": p95, "p99": p99}
    points = c.timeline(start, end, step, values, ("p50", "p95", "p99"), None)
    fields = [("p50", "p50"), ("p95", "p95"), ("p99", "p99")]
    note = "From the rollups' latency sketch (within 1% of the exact percentile)."
    return m.series("latency", "Latency percentiles", "ms", fields, points, stacked=False, step=step, note=note)


def _budget(by_step: dict[int, Bucket], start: float, end: float, step: int) -> m.Section:
    values = {}
    for t, bucket in by_step.items():
        values[t] = {"budget": sum(n for (_k, name, code, _ok), n in bucket.counts.items() if _budget_key(name, code))}
    points = c.timeline(start, end, step, values, ("budget",), 0)
    note = "Events with Roblox's request-budget/throttling error codes (301–306), or named budget…/throttle…."
    return m.series(
        "budget",
        "Budget and throttle events",
        "count",
        [("budget", "events")],
        points,
        stacked=True,
        step=step,
        note=note,
    )


def _busiest_datastores(keys: dict[Any, Any]) -> m.Section:
    per_ds: dict[str, list[int]] = {}
    for (ds, _scope, _key), agg in keys.items():
        if ds:
            slot = per_ds.setdefault(ds, [0, 0])
            slot[0] += agg.reads
            slot[1] += agg.failures
    rows = sorted(per_ds.items(), key=lambda kv: (-kv[1][0], kv[0]))[:TOP_ROWS]
    fields = [("calls", "calls"), ("failed", "failed")]
    table = [{"label": ds, "calls": n, "failed": f} for ds, (n, f) in rows]
    return m.bars("busiestDataStores", "Busiest DataStores", "count", fields, table)


def _busiest_keys(keys: dict[Any, Any]) -> m.Section:
    named = [(agg.reads, agg.failures, address) for address, agg in keys.items() if address[2]]
    rows = sorted(named, key=lambda r: (-r[0], r[2]))[:TOP_ROWS]
    fields = [("calls", "calls"), ("failed", "failed")]
    table = [{"label": f"{ds} / {key}", "calls": n, "failed": f} for n, f, (ds, _scope, key) in rows]
    return m.bars("busiestKeys", "Busiest keys", "count", fields, table)


def render(panels: list[m.Section | dict[str, Any]]) -> str:
    """The panels as HTML: the tiles, then each section as a report page draws it."""
    out = []
    for panel in panels:
        if panel["kind"] == "tiles":
            tiles = "".join(
                f"<div class='tile' data-name='{esc(i['name'])}'>"
                f"<div class='value'>{esc(value_text(i['value'], i['unit']))}</div>"
                f"<div class='label'>{esc(i['label'])}</div></div>"
                for i in panel["items"]
            )
            out.append(f"<section><div class='tiles'>{tiles}</div></section>")
        else:
            out.append(section_html(panel))
    return "".join(out)
