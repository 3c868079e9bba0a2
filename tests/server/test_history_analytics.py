"""Historical snapshots, live analytics counters, analytics history, real-time snapshots and data.clean."""

from __future__ import annotations

import pytest

from dsm.link.client import LinkError
from support import event, rows


async def test_snapshot_of_current_analytics_then_list_and_get(connect, clock):
    client = await connect(1)
    await client.call("events.append", {"events": [event(1, ts=clock() - 5)]})
    made = (await client.call("history.snapshot", {"label": "manual_backup"}))["snapshot"]
    assert made["label"] == "manual_backup" and made["category"] == "analytics"
    assert made["id"].startswith("hist_analytics_")
    custom = await client.call("history.snapshot", {"label": "cfg", "category": "settings", "body": {"a": 1}})
    listed = (await client.call("history.list"))["snapshots"]
    assert [s["id"] for s in listed] == [custom["snapshot"]["id"], made["id"]]
    assert [s["id"] for s in (await client.call("history.list", {"category": "settings"}))["snapshots"]] == [
        custom["snapshot"]["id"]
    ]
    full = (await client.call("history.get", {"id": made["id"]}))["snapshot"]
    assert full["body"]["summary"]["totalEvents"] == 1
    other = await connect(2)
    with pytest.raises(LinkError) as err:
        await other.call("history.get", {"id": made["id"]})
    assert err.value.code == "not_found"
    assert (await other.call("history.list"))["snapshots"] == []


async def test_snapshot_needs_a_label(connect):
    client = await connect(1)
    with pytest.raises(LinkError) as err:
        await client.call("history.snapshot", {})
    assert err.value.error["message"].startswith("label")


async def test_current_analytics_counts_the_stored_events(connect, clock):
    client = await connect(1, session_id="SESSION-A")
    now = clock()
    events = [
        event(1, session="SESSION-A", ts=now - 100, kind="ui", name="button_click", feature="Explorer"),
        event(2, session="SESSION-A", ts=now - 90, kind="ui", name="view_change", feature="Reports"),
        event(3, session="SESSION-A", ts=now - 80, kind="ui", name="button_click", feature="Explorer"),
        event(4, session="SESSION-A", ts=now - 70, kind="datastore", name="getData", latencyMs=10.0, ok=True),
        event(5, session="SESSION-A", ts=now - 60, kind="datastore", name="getData", latencyMs=30.0, ok=False),
        event(6, session="SESSION-A", ts=now - 50, kind="error", name="datastore_access", errorCode=301),
    ]
    for e in events:
        e["ts"] = e["ts"] - int(e["id"].rsplit("-", 1)[1])  # undo the builder's offset: exact times above
    await client.call("events.append", {"events": events})
    other = await connect(2)
    await other.call("events.append", {"events": [event(1, ts=now)]})
    cur = await client.call("analytics.current")
    assert cur["summary"]["totalEvents"] == 6
    assert cur["summary"]["totalInteractions"] == 3
    assert cur["summary"]["dataStoreOperations"] == 2
    assert cur["summary"]["errors"] == 1
    assert cur["operations"]["getData"]["count"] == 2
    assert cur["operations"]["getData"]["successRate"] == 0.5
    assert cur["operations"]["getData"]["avgLatencyMs"] == 20.0
    assert cur["topFeatures"][0] == {"feature": "Explorer", "count": 2}
    assert cur["sessionInfo"]["id"] == "SESSION-A"
    assert cur["sessionInfo"]["duration"] == pytest.approx(50.0)


async def test_history_hourly_buckets_and_realtime_points(connect, clock):
    client = await connect(1)
    hour = (clock() // 3600) * 3600
    await client.call(
        "events.append",
        {
            "events": [
                {"id": "H-1", "ts": hour - 3600 + 10, "kind": "ui", "name": "a"},
                {"id": "H-2", "ts": hour - 3600 + 20, "kind": "datastore", "name": "getData", "ok": False},
                {"id": "H-3", "ts": hour + 1, "kind": "ui", "name": "a"},
            ]
        },
    )
    hourly = await client.call("analytics.history", {"seconds": 7200, "granularity": "hourly"})
    assert [(p["timestamp"], p["total"], p["failures"]) for p in hourly["points"]] == [
        (hour - 3600, 2, 1),
        (hour, 1, 0),
    ]
    await client.call("analytics.snapshot", {"data": {"usage": {"clicks": 3}}, "sessionTime": 300})
    realtime = await client.call("analytics.history", {"seconds": 60, "granularity": "realtime"})
    assert realtime["points"][0]["data"] == {"usage": {"clicks": 3}}
    assert realtime["points"][0]["sessionTime"] == 300
    with pytest.raises(LinkError) as err:
        await client.call("analytics.history", {"granularity": "yearly"})
    assert err.value.error["message"].startswith("granularity")


async def test_history_in_five_minute_buckets_counts_failures_per_kind(connect, clock):
    client = await connect(1)
    start = (clock() // 300) * 300 - 600  # two whole buckets before the current one
    failed_call = [
        {"id": "F-1", "ts": start + 5, "kind": "datastore", "name": "getData", "ok": False, "latencyMs": 9},
        {"id": "F-2", "ts": start + 5, "kind": "perf", "name": "getData_live", "ok": False, "latencyMs": 9},
        {"id": "F-3", "ts": start + 5, "kind": "error", "name": "datastore_error", "ok": False, "message": "503: busy"},
    ]
    calls = [
        {"id": "C-1", "ts": start + 10, "kind": "datastore", "name": "getData", "ok": True, "latencyMs": 5},
        {"id": "C-2", "ts": start + 310, "kind": "datastore", "name": "listKeys", "ok": True, "latencyMs": 7},
    ]
    await client.call("events.append", {"events": failed_call + calls})
    points = (await client.call("analytics.history", {"seconds": clock() - start, "granularity": "5min"}))["points"]
    assert [(p["timestamp"], p["byKind"].get("datastore"), p["failuresByKind"].get("datastore")) for p in points] == [
        (start, 2, 1),
        (start + 300, 1, 0),
    ]
    assert points[0]["failures"] == 3  # the failed call's datastore, perf and error events
    assert points[0]["failuresByKind"] == {"datastore": 1, "perf": 1, "error": 1}


async def test_data_clean_removes_only_this_users_old_rows(connect, db_path, clock):
    client = await connect(1)
    now = clock()
    old, recent = now - 40 * 86400, now - 60
    await client.call("events.append", {"events": [event(1, ts=old), event(2, ts=recent)]})
    other = await connect(2)
    await other.call("events.append", {"events": [event(1, ts=old)]})
    result = await client.call("data.clean")  # default: analytics.retainDataDays = 30
    assert result["removed"]["events"] == 1
    assert result["before"] == pytest.approx(now - 30 * 86400, abs=5)
    assert rows(db_path, "SELECT user_id, event_id FROM events ORDER BY user_id, event_id") == [
        (1, "S1-2"),
        (2, "S1-1"),
    ]
    explicit = await client.call("data.clean", {"olderThan": 0})
    assert explicit["removed"]["events"] == 1
    with pytest.raises(LinkError) as err:
        await client.call("data.clean", {"olderThan": -1})
    assert err.value.error["message"].startswith("olderThan")
