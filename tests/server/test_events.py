"""`events.append`: validation, deduplication, acknowledgement after commit, batch and flow limits."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading

import pytest

from dsm.app import SERVICES
from dsm.link.client import LinkClient
from support import event, rows


async def test_events_are_stored_with_every_field(connect, db_path):
    client = await connect(42)
    ev = event(
        1,
        kind="datastore",
        name="getData",
        datastore="PlayerData",
        scope="global",
        key="player_1",
        latencyMs=12.5,
        size=1024,
        ok=True,
        props={"source": "live"},
    )
    err = event(
        2,
        kind="error",
        name="datastore_access",
        errorCode=301,
        message="budget",
        feature="Explorer",
        view="Keys",
        ok=False,
    )
    assert await client.call("events.append", {"events": [ev, err]}) == {"accepted": 2, "duplicates": 0}
    stored = rows(
        db_path,
        "SELECT user_id, event_id, session, kind, name, datastore, scope, key, latency_ms, size, ok,"
        " error_code, message, feature, view FROM events ORDER BY seq",
    )
    assert stored == [
        (
            42,
            "S1-1",
            "S1",
            "datastore",
            "getData",
            "PlayerData",
            "global",
            "player_1",
            12.5,
            1024,
            1,
            None,
            None,
            None,
            None,
        ),
        (
            42,
            "S1-2",
            "S1",
            "error",
            "datastore_access",
            None,
            None,
            None,
            None,
            None,
            0,
            301,
            "budget",
            "Explorer",
            "Keys",
        ),
    ]


async def test_ack_comes_only_after_the_rows_are_committed(connect, db_path):
    client = await connect(1)
    for batch in range(5):
        events = [event(batch * 100 + i) for i in range(100)]
        assert (await client.call("events.append", {"events": events}))["accepted"] == 100
        # a separate connection to the file sees every acknowledged row at once
        assert rows(db_path, "SELECT COUNT(*) FROM events")[0][0] == (batch + 1) * 100


async def test_resent_ids_after_a_reconnect_are_counted_as_duplicates_and_stored_once(connect, db_path):
    first = await connect(9)
    batch = [event(i) for i in range(10)]
    assert await first.call("events.append", {"events": batch}) == {"accepted": 10, "duplicates": 0}
    await first.close()
    second = await connect(9, session_id="S2")
    more = batch[5:] + [event(i) for i in range(10, 13)]
    assert await second.call("events.append", {"events": more}) == {"accepted": 3, "duplicates": 5}
    assert rows(db_path, "SELECT COUNT(*) FROM events WHERE user_id = 9")[0][0] == 13


async def test_the_same_id_twice_in_one_batch_is_stored_once(connect, db_path):
    client = await connect(1)
    assert await client.call("events.append", {"events": [event(1), event(1)]}) == {"accepted": 1, "duplicates": 1}


async def test_event_ids_are_per_user(connect, db_path):
    a, b = await connect(1), await connect(2)
    assert (await a.call("events.append", {"events": [event(1)]}))["accepted"] == 1
    assert (await b.call("events.append", {"events": [event(1)]}))["accepted"] == 1


@pytest.mark.parametrize(
    ("bad", "path"),
    [
        ({"ts": "yesterday"}, "events[1].ts"),
        ({"ts": float("nan")}, "events[1].ts"),
        ({"kind": "other"}, "events[1].kind"),
        ({"name": ""}, "events[1].name"),
        ({"id": 5}, "events[1].id"),
        ({"id": "x" * 129}, "events[1].id"),
        ({"latencyMs": "fast"}, "events[1].latencyMs"),
        ({"latencyMs": True}, "events[1].latencyMs"),
        ({"size": "big"}, "events[1].size"),
        ({"ok": 1}, "events[1].ok"),
        ({"errorCode": 1.5}, "events[1].errorCode"),
        ({"datastore": 7}, "events[1].datastore"),
        ({"props": "x"}, "events[1].props"),
        ({"colour": "red"}, "events[1].colour"),
    ],
)
async def test_one_bad_event_rejects_the_request_naming_the_field_and_stores_nothing(server, db_path, bad, path):
    client = await LinkClient.connect(server.ws_url, binary=True)  # msgpack can carry NaN; JSON cannot
    try:
        await client.hello(1)
        broken = {**event(2), **bad}
        reply = await client.request("events.append", {"events": [event(1), broken, event(3)]})
        assert reply["ok"] is False
        assert reply["error"]["code"] == "invalid_body"
        assert reply["error"]["message"].startswith(path)
        assert rows(db_path, "SELECT COUNT(*) FROM events")[0][0] == 0
    finally:
        await client.close()


async def test_missing_required_fields_are_named(connect):
    client = await connect(1)
    for field in ("id", "ts", "kind", "name"):
        ev = event(1)
        del ev[field]
        reply = await client.request("events.append", {"events": [ev]})
        assert reply["error"]["message"].startswith(f"events[0].{field}")


async def test_events_must_be_an_array_and_empty_props_array_is_an_empty_object(connect, db_path):
    client = await connect(1)
    reply = await client.request("events.append", {"events": "many"})
    assert reply["error"]["code"] == "invalid_body" and reply["error"]["message"].startswith("events")
    assert (await client.call("events.append", {"events": [event(1, props=[])]}))["accepted"] == 1
    assert await client.call("events.append", {"events": []}) == {"accepted": 0, "duplicates": 0}


async def test_a_batch_over_max_batch_is_too_large_and_stores_nothing(connect, db_path):
    client = await connect(1)
    reply = await client.request("events.append", {"events": [event(i) for i in range(1001)]})
    assert reply["error"]["code"] == "too_large"
    assert rows(db_path, "SELECT COUNT(*) FROM events")[0][0] == 0


async def test_json_and_msgpack_appends_give_the_same_results(connect, db_path):
    text, binary = await connect(1), await connect(2, binary=True)
    batch = [event(i, kind="perf", name="render", latencyMs=i * 1.5) for i in range(20)]
    assert await text.call("events.append", {"events": batch}) == await binary.call("events.append", {"events": batch})
    by_user = rows(db_path, "SELECT user_id, event_id, ts, kind, name, latency_ms FROM events ORDER BY user_id, seq")
    assert [r[1:] for r in by_user if r[0] == 1] == [r[1:] for r in by_user if r[0] == 2]
    assert await text.call("analytics.current") != {}
    cur_text, cur_bin = await text.call("analytics.current"), await binary.call("analytics.current")
    assert cur_text["summary"] == cur_bin["summary"]


@contextlib.asynccontextmanager
async def writer_held(running):
    """Keep the server's writer busy so requests stay in flight for as long as the test needs."""
    gate = threading.Event()
    writer = running.app[SERVICES].db.writer
    blocker = asyncio.ensure_future(writer.run(lambda conn: gate.wait(30)))
    try:
        yield
    finally:
        gate.set()
        await blocker


async def test_more_than_max_in_flight_requests_get_rate_limited(server_factory, config):
    running = await server_factory(config, limits=config.limits.__class__(max_in_flight=2))
    client = await LinkClient.connect(running.ws_url)
    try:
        await client.hello(1)
        futures = [client.expect(f"b{i}") for i in range(6)]
        async with writer_held(running):
            for i in range(6):
                await client.send("events.append", {"events": [event(i)]}, f"b{i}")
            limited = [await asyncio.wait_for(futures[i], 5) for i in range(2, 6)]
        accepted = [await asyncio.wait_for(futures[i], 5) for i in range(2)]
        assert all(r["error"]["code"] == "rate_limited" and r["error"]["retry"] is True for r in limited)
        assert [r["body"]["accepted"] for r in accepted] == [1, 1]
        assert (await client.call("status"))["rows"]["analytics"]["events"] == 2
    finally:
        await client.close()


async def test_a_flood_past_max_in_flight_closes_the_connection_with_policy_violation(server_factory, config):
    running = await server_factory(config, limits=config.limits.__class__(max_in_flight=1))
    client = await LinkClient.connect(running.ws_url)
    try:
        await client.hello(1)
        async with writer_held(running):
            for i in range(100):
                await client.send("events.append", {"events": [event(i)]})
            await asyncio.wait_for(client._reader, 10)
        assert client.ws.close_code == 1008
    finally:
        await client.close()


async def test_a_frame_over_max_frame_bytes_closes_the_connection(server_factory, config):
    running = await server_factory(config, limits=config.limits.__class__(max_frame_bytes=10_000))
    client = await LinkClient.connect(running.ws_url)
    try:
        await client.hello(1)
        await client.send_raw(json.dumps({"id": "big", "op": "events.append", "body": {"x": "y" * 20_000}}))
        await asyncio.wait_for(client._reader, 5)
        assert client.ws.closed
        assert client.ws.close_code == 1009
    finally:
        await client.close()


@pytest.mark.parametrize(
    "ev",
    [
        event(1),
        event(2, kind="datastore", name="getData", datastore="D", scope="s", key="k", latencyMs=3, size=10.5, ok=True),
        event(3, kind="error", name="x", errorCode=301.0, message="m" * 4000, ok=False, feature="f", view="v"),
        {"id": "nodash", "ts": 946_684_800, "kind": "perf", "name": "n", "latencyMs": 1e-3},
    ],
)
def test_the_fast_validation_path_builds_the_same_row_as_the_checked_one(ev):
    from dsm.store.events import _checked_row, _row

    assert _row(5, ev, "events[0]", 1.0) == _checked_row(5, ev, "events[0]", 1.0)
