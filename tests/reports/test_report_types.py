"""Known answers for PERFORMANCE_ANALYSIS, DATASTORE_AUDIT, USAGE_ANALYTICS, HISTORICAL_COMPARISON and
CUSTOM_ANALYSIS over the seeded 30-day history (rollups maintained by the writer), each figure recomputed
from the raw generated events."""

from __future__ import annotations

import fnmatch
import itertools
import shutil
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import report_synth as synth
from report_db import History

from dsm.analytics.sketch import RELATIVE_ERROR
from dsm.reports import common as c
from dsm.reports.engine import generate_report
from dsm.store import cache
from dsm.store.connection import open_connection
from dsm.store.database import Database
from dsm.store.schema import companion_schema
from support import ManualClock, fact_values, section_rows


def _report(path: Path, user: int, kind: str, options: dict[str, Any], now: float) -> dict[str, Any]:
    conn = open_connection(path, readonly=True)
    try:
        return generate_report(conn, user, kind, options, now).body
    finally:
        conn.close()


def _metric(body: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in body["metrics"] if m["name"] == name)


def test_performance_analysis(history: History) -> None:
    start, end = history.day(20), history.day(27)
    body = _report(history.path, 2, "PERFORMANCE_ANALYSIS", {"from": start, "to": end, "limit": 5}, history.now)
    events = synth.within(history.events[2], start, end)
    previous = synth.within(history.events[2], start - 7 * synth.DAY, start)
    stats, prev_stats = synth.op_stats(events), synth.op_stats(previous)
    assert [r["name"] for r in section_rows(body, "operations")] == [
        n for n, _ in synth.top(Counter({k: v["count"] for k, v in stats.items()}), 9)
    ]
    for row in section_rows(body, "operations"):
        s = stats[row["name"]]
        assert (row["count"], row["failures"], row["previousCount"]) == (
            s["count"],
            s["failures"],
            prev_stats[row["name"]]["count"],
        )
        assert row["successRate"] == pytest.approx(s["successes"] / s["count"])
        assert row["avgLatencyMs"] == pytest.approx(sum(s["latencies"]) / len(s["latencies"]))
        for p, field in ((0.5, "p50"), (0.95, "p95"), (0.99, "p99")):
            assert row[field] == pytest.approx(synth.nearest_rank(s["latencies"], p), rel=RELATIVE_ERROR)
    all_latencies = [lat for s in stats.values() for lat in s["latencies"]]
    assert _metric(body, "perf.p95")["value"] == pytest.approx(
        synth.nearest_rank(all_latencies, 0.95), rel=RELATIVE_ERROR
    )
    budget = [e for e in events if 301 <= (e.get("errorCode") or 0) <= 306]
    assert _metric(body, "perf.budgetEvents")["value"] == len(budget) > 0
    assert {(r["name"], r["code"]): r["count"] for r in section_rows(body, "budgetEvents")} == Counter(
        (e["name"], e["errorCode"]) for e in budget
    )
    per_key: dict[tuple[str, str], list[float]] = {}
    for e in events:
        if e["kind"] == "datastore" and e.get("key"):
            per_key.setdefault((e["key"], e["datastore"]), []).append(e["latencyMs"])
    slowest = sorted(per_key.items(), key=lambda kv: (-sum(kv[1]) / len(kv[1]), kv[0]))[:5]
    assert [(r["key"], r["datastore"]) for r in section_rows(body, "slowestKeys")] == [k for k, _ in slowest]
    assert [r["avgLatencyMs"] for r in section_rows(body, "slowestKeys")] == pytest.approx(
        [sum(v) / len(v) for _, v in slowest]
    )
    per_ds: dict[str, list[float]] = {}
    for e in events:
        if e["kind"] == "datastore" and e.get("datastore"):
            per_ds.setdefault(e["datastore"], []).append(e["latencyMs"])
    ds_order = sorted(per_ds.items(), key=lambda kv: (-sum(kv[1]) / len(kv[1]), kv[0]))
    assert [(r["datastore"], r["calls"]) for r in section_rows(body, "slowestDataStores")] == [
        (d, len(v)) for d, v in ds_order
    ]
    assert [r["maxLatencyMs"] for r in section_rows(body, "slowestDataStores")] == [max(v) for _, v in ds_order]


async def _with_cache(history: History, tmp_path: Path, entries: list[tuple[str, str, Any, float]]) -> Path:
    copy = tmp_path / "copy.sqlite3"
    shutil.copy(history.path, copy)
    db = await Database.open(copy, companion_schema(), ManualClock(history.now))
    for ds, key, value, ttl in entries:
        address = cache.CacheAddress("value", ds, "global", key)
        await db.write(cache.put_job(1, address, {"value": value, "keyInfo": {}}, ttl, db.clock()))
    await db.close()
    return copy


async def test_datastore_audit(history: History, tmp_path: Path) -> None:
    near = "k" * 46
    path = await _with_cache(
        history, tmp_path, [("PlayerData", "player_1", {"coins": 1}, -1), ("PlayerData", near, 5, 3600)]
    )
    start, end = history.day(0), history.end
    body = _report(path, 1, "DATASTORE_AUDIT", {"from": start, "to": end, "limit": 1000}, history.now)
    events = [e for e in history.events[1] if e["kind"] == "datastore" and e.get("key")]
    expected: dict[tuple[str, str, str], dict[str, Any]] = {}
    for e in events:
        slot = expected.setdefault((e["datastore"], e["scope"], e["key"]), {"reads": 0, "ts": [], "sizes": []})
        slot["reads"] += 1
        slot["ts"].append(e["ts"])
        if "size" in e:
            slot["sizes"].append(e["size"])
    got = {(r["datastore"], r["scope"], r["key"]): r for r in section_rows(body, "keys")}
    assert got.keys() == expected.keys()
    for address, slot in expected.items():
        row = got[address]
        assert (row["reads"], row["firstRead"], row["lastRead"]) == (slot["reads"], min(slot["ts"]), max(slot["ts"]))
        assert row["maxSize"] == (max(slot["sizes"]) if slot["sizes"] else None)
    biggest = max(s for slot in expected.values() for s in slot["sizes"])
    assert section_rows(body, "largestValues")[0]["maxSize"] == biggest
    assert section_rows(body, "largestValues")[0]["pctOfLimit"] == pytest.approx(biggest / 4_194_304)
    names = {(r["kind"], r["name"]) for r in section_rows(body, "namesNearLimit")}
    assert names == {("key", synth.LONG_KEY), ("key", near)}
    assert [(r["key"], r["reason"]) for r in section_rows(body, "staleCache")] == [("player_1", "expired")]
    assert fact_values(section_rows(body, "limits"))["userId"] == "1"
    ds_reads = synth.datastore_reads(history.events[1])
    assert {r["datastore"]: r["reads"] for r in section_rows(body, "datastores")} == dict(ds_reads)


def _navigation(events: list[synth.Event]) -> tuple[dict[str, list[float]], Counter[tuple[str, str]]]:
    durations: dict[str, list[float]] = {}
    paths: Counter[tuple[str, str]] = Counter()
    per_session: dict[str, list[synth.Event]] = {}
    for e in events:
        if e["kind"] == "ui" and e["name"] == "view_change":
            per_session.setdefault(synth.session_of(e), []).append(e)
    for changes in per_session.values():
        for a, b in itertools.pairwise(changes):
            durations.setdefault(a["view"], []).append(b["ts"] - a["ts"])
            paths[(a["view"], b["view"])] += 1
        for e in changes:
            durations.setdefault(e["view"], [])
    return durations, paths


def test_usage_analytics(history: History) -> None:
    start, end = history.day(10), history.day(17)
    body = _report(history.path, 3, "USAGE_ANALYTICS", {"from": start, "to": end, "limit": 50}, history.now)
    events = synth.within(history.events[3], start, end)
    durations, paths = _navigation(events)
    views = {r["view"]: r for r in section_rows(body, "views")}
    visits = Counter(e["view"] for e in events if e["kind"] == "ui" and e["name"] == "view_change")
    assert {v: r["visits"] for v, r in views.items()} == dict(visits)
    for view, spans in durations.items():
        assert views[view]["totalSeconds"] == pytest.approx(sum(spans))
        assert views[view]["avgSeconds"] == (pytest.approx(sum(spans) / len(spans)) if spans else None)
    assert [((r["from"], r["to"]), r["count"]) for r in section_rows(body, "navigationPaths")] == synth.top(paths, 50)
    queries = Counter(e["props"]["query"] for e in events if e["name"] == "search_query")
    assert [(r["query"], r["count"]) for r in section_rows(body, "searches")] == synth.top(queries, 50)
    assert _metric(body, "usage.searches")["value"] == sum(queries.values())
    hours = Counter(int(e["ts"] // 3600) % 24 for e in events)
    assert [h["events"] for h in section_rows(body, "usageByHour")] == [hours[h] for h in range(24)]
    assert [(r["label"], r["count"]) for r in section_rows(body, "features")] == synth.top(
        synth.feature_counts(events), 50
    )


def test_historical_comparison_of_two_periods(history: History) -> None:
    start, end = history.day(20) + 1800, history.day(27) + 1800  # not day-aligned: raw edges are read too
    body = _report(history.path, 1, "HISTORICAL_COMPARISON", {"from": start, "to": end}, history.now)
    now_events = synth.within(history.events[1], start, end)
    then_events = synth.within(history.events[1], start - (end - start), start)
    compared = fact_values(section_rows(body, "compared"))
    assert (compared["baselineFrom"], compared["baselineTo"]) == (start - (end - start), start)
    assert body["baseline"] == {
        "label": c.period_text(start - (end - start), start),
        "from": start - (end - start),
        "to": start,
    }
    total = _metric(body, "events.total")
    assert (total["value"], total["previous"]) == (len(now_events), len(then_events))
    assert total["changePct"] == pytest.approx((len(now_events) - len(then_events)) / len(then_events))
    errors = _metric(body, "errors.total")
    assert errors["better"] == "down" and total["better"] is None
    assert (errors["value"], errors["previous"]) == (
        sum(synth.errors(now_events).values()),
        sum(synth.errors(then_events).values()),
    )
    assert (
        _metric(body, "events.datastore")["change"]
        == synth.by_kind(now_events)["datastore"] - synth.by_kind(then_events)["datastore"]
    )


async def test_custom_key_pattern_analysis(history: History, tmp_path: Path) -> None:
    values = [
        ("PlayerData", "player_1", {"coins": 10, "name": "a", "items": [1]}, 3600),
        ("PlayerData", "player_2", {"coins": 3, "name": "b"}, 3600),
        ("PlayerData", "player_77", {"coins": "many"}, 3600),
        ("PlayerData", "config_1", {"mode": "x"}, 3600),
        ("Inventory", "player_1", {"sword": 1}, 3600),
    ]
    path = await _with_cache(history, tmp_path, values)
    options = {
        "analysis": "key_pattern_analysis",
        "parameters": {"pattern": "player_*", "from": history.day(0), "to": history.end},
        "filters": {"datastoreName": "PlayerData"},
        "limit": 1000,
    }
    body = _report(path, 1, "CUSTOM_ANALYSIS", options, history.now)
    matching = Counter(
        e["key"]
        for e in history.events[1]
        if e["kind"] == "datastore"
        and e.get("datastore") == "PlayerData"
        and fnmatch.fnmatchcase(e.get("key") or "", "player_*")
    )
    assert {r["key"]: r["reads"] for r in section_rows(body, "keys")} == dict(matching)
    assert _metric(body, "keys.reads")["value"] == sum(matching.values())
    families = Counter()
    for key in matching:
        families["player_<n>" if key[7:].isdigit() else key] += 1
    assert {r["family"]: r["keys"] for r in section_rows(body, "keyFamilies")} == dict(families)
    assert _metric(body, "keys.valuesAnalysed")["value"] == 3
    assert {(f["field"], f["type"]): f["count"] for f in section_rows(body, "valueFields")} == {
        ("coins", "number"): 2,
        ("coins", "string"): 1,
        ("name", "string"): 2,
        ("items", "array"): 1,
    }


def test_custom_operation_breakdown_and_error_analysis(history: History) -> None:
    window = {"from": history.day(3), "to": history.day(9)}
    events = synth.within(history.events[2], window["from"], window["to"])
    ops = _report(history.path, 2, "CUSTOM_ANALYSIS", {"analysis": "operation_breakdown", **window}, history.now)
    assert {r["name"]: r["count"] for r in section_rows(ops, "operations")} == {
        k: v["count"] for k, v in synth.op_stats(events).items()
    }
    errs = _report(history.path, 2, "CUSTOM_ANALYSIS", {"analysis": "error_analysis", **window}, history.now)
    assert Counter({(r["category"], r["code"]): r["count"] for r in section_rows(errs, "errors")}) == synth.errors(
        events
    )
    points = section_rows(errs, "errorsOverTime")
    assert len(points) == 6 and sum(p["errors"] for p in points) == sum(synth.errors(events).values())
