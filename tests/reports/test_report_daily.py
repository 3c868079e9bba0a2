"""DAILY_SUMMARY over the real link: events.append, reports.generate, figures recomputed from the raw events."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
import report_synth as synth
from report_db import FIRST_DAY

from dsm.analytics.sketch import RELATIVE_ERROR
from dsm.link.client import LinkError
from dsm.reports.common import day_text
from support import section_rows

DAYS = 10
TARGET = 8  # the day summarised: it has a day before and 7 days before that


def _metric(body: dict[str, Any], name: str) -> dict[str, Any]:
    return next(m for m in body["metrics"] if m["name"] == name)


async def _append(client: Any, events: list[synth.Event]) -> None:
    for i in range(0, len(events), 1000):
        reply = await client.call("events.append", {"events": events[i : i + 1000]})
        assert reply["accepted"] == len(events[i : i + 1000])


async def test_daily_summary_matches_figures_computed_from_the_raw_events(connect) -> None:  # type: ignore[no-untyped-def]
    events = synth.history(77, 1, FIRST_DAY, DAYS)
    other_user = synth.history(78, 2, FIRST_DAY, DAYS)
    client = await connect(1)
    await _append(client, events)
    await _append(await connect(2), other_user)
    day = (FIRST_DAY + TARGET) * synth.DAY
    reply = await client.call("reports.generate", {"type": "DAILY_SUMMARY", "options": {"date": day_text(day)}})
    report = reply["report"]
    assert report["type"] == "DAILY_SUMMARY" and report["title"] == f"Daily summary — {day_text(day)} (UTC)"
    body = report["body"]
    assert body["period"] == {"from": day, "to": day + synth.DAY}
    today = synth.within(events, day, day + synth.DAY)
    before = synth.within(events, day - synth.DAY, day)
    week = synth.within(events, day - 7 * synth.DAY, day)
    assert today and before

    # Totals, the day before, the 7-day average.
    for kind in ("ui", "datastore", "perf", "error"):
        m = _metric(body, f"events.{kind}")
        assert m["value"] == synth.by_kind(today)[kind]
        assert m["previous"] == synth.by_kind(before)[kind]
        assert m["average7d"] == pytest.approx(synth.by_kind(week)[kind] / 7)
        assert m["change"] == m["value"] - m["previous"]
    total = _metric(body, "events.total")
    assert (total["value"], total["previous"]) == (len(today), len(before))
    if total["previous"]:
        assert total["changePct"] == pytest.approx((len(today) - len(before)) / len(before))

    # Sessions and their durations inside the day.
    expected_sessions = synth.sessions(today)
    assert {s["session"]: (s["events"], s["durationSeconds"]) for s in section_rows(body, "sessions")} == {
        sid: (n, pytest.approx(last - first)) for sid, (n, first, last) in expected_sessions.items()
    }
    assert _metric(body, "sessions.count")["value"] == len(expected_sessions)

    # Top features, DataStores and keys, errors.
    features = synth.top(synth.feature_counts(today), 10)
    assert [(r["feature"], r["count"]) for r in section_rows(body, "topFeatures")] == features
    prev_features = synth.feature_counts(before)
    assert [r["previous"] for r in section_rows(body, "topFeatures")] == [prev_features[f] for f, _ in features]
    assert [(r["datastore"], r["count"]) for r in section_rows(body, "topDataStores")] == synth.top(
        synth.datastore_reads(today), 10
    )
    assert [((r["datastore"], r["scope"], r["key"]), r["count"]) for r in section_rows(body, "topKeys")] == synth.top(
        synth.key_reads(today), 10
    )
    assert Counter({(r["category"], r["code"]): r["count"] for r in section_rows(body, "errors")}) == synth.errors(
        today
    )

    # Operations: counts, success rates, sketch percentiles against exact nearest-rank ones.
    stats = synth.op_stats(today)
    assert {r["name"] for r in section_rows(body, "operations")} == set(stats)
    for row in section_rows(body, "operations"):
        s = stats[row["name"]]
        assert (row["count"], row["successes"], row["failures"]) == (s["count"], s["successes"], s["failures"])
        assert row["successRate"] == pytest.approx(s["successes"] / s["count"])
        assert row["maxLatencyMs"] == max(s["latencies"])
        for p, field in ((0.5, "p50"), (0.95, "p95"), (0.99, "p99")):
            assert row[field] == pytest.approx(synth.nearest_rank(s["latencies"], p), rel=RELATIVE_ERROR)

    # Hourly activity adds up; the report was saved.
    activity = section_rows(body, "activity")
    assert [p["t"] for p in activity] == [day + h * 3600 for h in range(24)]
    assert sum(p["ui"] + p["datastore"] + p["perf"] + p["error"] for p in activity) == len(today)
    saved = await client.call("reports.get", {"id": report["id"]})
    assert saved["report"] == report


async def test_users_are_isolated_and_an_empty_user_gets_zeros(connect) -> None:  # type: ignore[no-untyped-def]
    mine = synth.history(5, 1, FIRST_DAY, 3)
    await _append(await connect(1), mine)
    await _append(await connect(2), synth.history(6, 2, FIRST_DAY, 3))
    day = (FIRST_DAY + 1) * synth.DAY
    options = {"from": day, "to": day + synth.DAY}
    body = (await (await connect(1)).call("reports.generate", {"type": "DAILY_SUMMARY", "options": options}))["report"]
    assert _metric(body["body"], "events.total")["value"] == len(synth.within(mine, day, day + synth.DAY))
    empty = await (await connect(3)).call("reports.generate", {"type": "DAILY_SUMMARY", "options": options})
    assert _metric(empty["report"]["body"], "events.total")["value"] == 0
    empty_body = empty["report"]["body"]
    assert section_rows(empty_body, "operations") == [] and section_rows(empty_body, "sessions") == []
    listed = await (await connect(3)).call("reports.list", {})
    assert [r["id"] for r in listed["reports"]] == [empty["report"]["id"]]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"type": "NOPE"}, "type"),
        ({"type": "DAILY_SUMMARY", "options": {"date": "2026-13-01"}}, "options.date"),
        ({"type": "DAILY_SUMMARY", "options": {"from": 1.7e9 + 10, "to": 1.7e9 + 5}}, "options.to"),
        ({"type": "DAILY_SUMMARY", "options": {"bogus": 1}}, "options.bogus"),
        ({"type": "CUSTOM_ANALYSIS", "options": {"analysis": "astrology"}}, "options.analysis"),
        (
            {"type": "CUSTOM_ANALYSIS", "options": {"analysis": "error_analysis", "parameters": {"pattern": "*"}}},
            "options.parameters.pattern",
        ),
        ({"type": "HISTORICAL_COMPARISON", "options": {"reportId": "rpt_x"}}, "options.baselineReportId"),
    ],
)
async def test_bad_options_are_invalid_body_naming_the_field(connect, body: dict[str, Any], field: str) -> None:  # type: ignore[no-untyped-def]
    client = await connect(1)
    with pytest.raises(LinkError) as caught:
        await client.call("reports.generate", body)
    assert caught.value.code == "invalid_body"
    assert caught.value.error["message"].startswith(f"{field}:")
    assert (await client.call("reports.list", {}))["reports"] == []


async def test_reports_and_snapshots_are_compared_metric_by_metric(connect) -> None:  # type: ignore[no-untyped-def]
    events = synth.history(12, 1, FIRST_DAY, 4)
    client = await connect(1)
    await _append(client, events)
    ids = []
    for n in (1, 2):
        day = (FIRST_DAY + n) * synth.DAY
        reply = await client.call("reports.generate", {"type": "DAILY_SUMMARY", "options": {"date": day_text(day)}})
        ids.append(reply["report"]["id"])
    day1, day2 = (synth.within(events, (FIRST_DAY + n) * synth.DAY, (FIRST_DAY + n + 1) * synth.DAY) for n in (1, 2))
    comparison = (await client.call("history.compare", {"reportId": ids[1], "baselineReportId": ids[0]}))["comparison"]
    rows = {r["name"]: r for r in comparison["metrics"]}
    assert (rows["events.total"]["value"], rows["events.total"]["baseline"]) == (len(day2), len(day1))
    assert rows["events.total"]["change"] == len(day2) - len(day1)
    assert rows["events.ui"]["changePct"] == pytest.approx(
        (synth.by_kind(day2)["ui"] - synth.by_kind(day1)["ui"]) / synth.by_kind(day1)["ui"]
    )
    assert comparison["current"]["id"] == ids[1] and comparison["baseline"]["kind"] == "report"

    snap = await client.call(
        "history.snapshot", {"label": "manual", "body": {"metrics": [{"name": "events.total", "value": 7}]}}
    )
    options = {"reportId": ids[1], "baselineSnapshotId": snap["snapshot"]["id"]}
    report = (await client.call("reports.generate", {"type": "HISTORICAL_COMPARISON", "options": options}))["report"]
    assert [(m["name"], m["value"], m["previous"], m["change"]) for m in report["body"]["metrics"]] == [
        ("events.total", len(day2), 7, len(day2) - 7)
    ]
    with pytest.raises(LinkError) as caught:
        await client.call("history.compare", {"reportId": ids[1], "baselineReportId": "rpt_missing"})
    assert caught.value.code == "not_found"
    other = await connect(2)  # another user cannot read user 1's reports
    with pytest.raises(LinkError) as caught:
        await other.call("history.compare", {"reportId": ids[1], "baselineReportId": ids[0]})
    assert caught.value.code == "not_found"
