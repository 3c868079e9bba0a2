"""Snapshots from `history.snapshot` compare with reports: same metric names, same figures for the same period."""

from __future__ import annotations

from typing import Any

import pytest
import report_synth as synth
from report_db import FIRST_DAY

from dsm.link.client import LinkError
from dsm.reports.common import day_text

DAY_INDEX = 2  # the day snapshotted: it has days before it for the reports' baselines


async def _history(client: Any) -> tuple[float, list[synth.Event]]:
    events = synth.history(31, 1, FIRST_DAY, DAY_INDEX + 2)
    for i in range(0, len(events), 1000):
        await client.call("events.append", {"events": events[i : i + 1000]})
    start = float((FIRST_DAY + DAY_INDEX) * synth.DAY)
    return start, synth.within(events, start, start + synth.DAY)


async def _compare(client: Any, report_id: str, snapshot_id: str) -> dict[str, Any]:
    reply = await client.call("history.compare", {"reportId": report_id, "baselineSnapshotId": snapshot_id})
    return reply["comparison"]


async def test_a_snapshot_matches_every_metric_of_a_daily_summary_of_its_period(connect) -> None:  # type: ignore[no-untyped-def]
    client = await connect(1)
    start, day = await _history(client)
    made = await client.call("history.snapshot", {"label": "before", "from": start, "to": start + synth.DAY})
    snap_id = made["snapshot"]["id"]
    report = (await client.call("reports.generate", {"type": "DAILY_SUMMARY", "options": {"date": day_text(start)}}))[
        "report"
    ]
    comparison = await _compare(client, report["id"], snap_id)
    names = [m["name"] for m in report["body"]["metrics"]]
    assert names and [r["name"] for r in comparison["metrics"]] == names
    assert comparison["onlyInCurrent"] == []
    rows = {r["name"]: r for r in comparison["metrics"]}
    assert rows["events.total"]["baseline"] == rows["events.total"]["value"] == len(day)
    assert rows["events.ui"]["baseline"] == synth.by_kind(day)["ui"]
    for row in comparison["metrics"]:
        assert row["baseline"] == row["value"], row["name"]
        assert row["change"] in (0, None), row["name"]


async def test_a_snapshot_matches_every_metric_of_a_performance_analysis(connect) -> None:  # type: ignore[no-untyped-def]
    client = await connect(1)
    start, day = await _history(client)
    period = {"from": start, "to": start + synth.DAY}
    snap_id = (await client.call("history.snapshot", {"label": "perf", **period}))["snapshot"]["id"]
    report = (await client.call("reports.generate", {"type": "PERFORMANCE_ANALYSIS", "options": period}))["report"]
    comparison = await _compare(client, report["id"], snap_id)
    assert comparison["onlyInCurrent"] == []
    rows = {r["name"]: r for r in comparison["metrics"]}
    assert len(rows) == len(report["body"]["metrics"]) > 5
    calls = sum(1 for e in day if e["kind"] == "datastore")
    assert rows["perf.calls"]["baseline"] == rows["perf.calls"]["value"] == calls
    assert rows["perf.p95"]["baseline"] == rows["perf.p95"]["value"]


async def test_a_comparison_report_against_a_snapshot_shows_the_change(connect) -> None:  # type: ignore[no-untyped-def]
    client = await connect(1)
    start, day = await _history(client)
    snap_id = (await client.call("history.snapshot", {"label": "d", "from": start, "to": start + synth.DAY}))[
        "snapshot"
    ]["id"]
    later = start + synth.DAY
    report_id = (
        await client.call("reports.generate", {"type": "DAILY_SUMMARY", "options": {"date": day_text(later)}})
    )["report"]["id"]
    options = {"reportId": report_id, "baselineSnapshotId": snap_id}
    body = (await client.call("reports.generate", {"type": "HISTORICAL_COMPARISON", "options": options}))["report"][
        "body"
    ]
    total = next(m for m in body["metrics"] if m["name"] == "events.total")
    next_day = synth.within(synth.history(31, 1, FIRST_DAY, DAY_INDEX + 2), later, later + synth.DAY)
    assert (total["value"], total["previous"], total["change"]) == (len(next_day), len(day), len(next_day) - len(day))
    assert len(body["metrics"]) > 10


async def test_a_snapshot_keeps_its_period_and_the_current_analytics(connect) -> None:  # type: ignore[no-untyped-def]
    client = await connect(1)
    start, _day = await _history(client)
    made = await client.call("history.snapshot", {"label": "p", "from": start, "to": start + 3600})
    body = (await client.call("history.get", {"id": made["snapshot"]["id"]}))["snapshot"]["body"]
    assert body["period"] == {"from": start, "to": start + 3600}
    assert body["summary"]["totalEvents"] > 0  # analytics.current is still there
    hour = synth.within(synth.history(31, 1, FIRST_DAY, DAY_INDEX + 2), start, start + 3600)
    assert next(m for m in body["metrics"] if m["name"] == "events.total")["value"] == len(hour)


async def test_a_snapshot_without_a_period_covers_today_so_far(connect, clock) -> None:  # type: ignore[no-untyped-def]
    client = await connect(1)
    now = clock()
    midnight = now - now % synth.DAY
    stamps = [midnight - 10, midnight + 1, now - 60, now - 1]  # one yesterday, three today
    events = [{"id": f"S1-{i}", "ts": ts, "kind": "ui", "name": "button_click"} for i, ts in enumerate(stamps)]
    await client.call("events.append", {"events": events})
    made = await client.call("history.snapshot", {"label": "today"})
    assert made["snapshot"]["createdAt"] == now
    body = (await client.call("history.get", {"id": made["snapshot"]["id"]}))["snapshot"]["body"]
    assert body["period"] == {"from": midnight, "to": now}
    assert next(m for m in body["metrics"] if m["name"] == "events.total")["value"] == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"label": "x", "from": 1.7e9}, "to"),
        ({"label": "x", "to": 1.7e9}, "from"),
        ({"label": "x", "from": 1.7e9, "to": 1.7e9}, "to"),
        ({"label": "x", "from": "today", "to": 1.7e9}, "from"),
        ({"label": "x", "from": 1.7e9, "to": 1.7e9 + 10, "body": {"a": 1}}, "from"),
        ({"label": "x", "from": 1.7e12, "to": 1.7e12 + 10}, "from"),  # milliseconds, not seconds
    ],
)
async def test_a_bad_snapshot_period_is_refused_and_saves_nothing(connect, body: dict[str, Any], field: str) -> None:  # type: ignore[no-untyped-def]
    client = await connect(1)
    with pytest.raises(LinkError) as caught:
        await client.call("history.snapshot", body)
    assert caught.value.code == "invalid_body"
    assert caught.value.error["message"].startswith(f"{field}:")
    assert (await client.call("history.list"))["snapshots"] == []
