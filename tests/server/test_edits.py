"""The edits journal over the link: record, list (newest first, filtered), get; per user; bad input changes nothing;
Roblox's 4 MB value limit at its boundary; kept by data.export / data.import, aged out by retention."""

from __future__ import annotations

from typing import Any

import pytest

from dsm.link.client import LinkError
from support import FIXED_NOW, rows

DAY = 86400.0
LIMIT = 4_194_304
LIST_FIELDS = {"id", "ts", "datastore", "scope", "key", "op", "ok"}


def edit(ts: float = FIXED_NOW - 60, **fields: Any) -> dict[str, Any]:
    base = {"ts": ts, "datastore": "PlayerData", "scope": "global", "key": "Player_1", "op": "update", "ok": True}
    return base | fields


async def record(client, **fields: Any) -> dict[str, Any]:
    return (await client.call("edits.record", {"edit": edit(**fields)}))["edit"]


async def test_a_recorded_edit_comes_back_whole_with_its_values_before_and_after(connect, db_path):
    client = await connect(1)
    before = {"coins": 5, "items": ["sword"], "nested": {"a": [1, 2.5, None]}}
    after = {"coins": 6, "items": ["sword", "shield"], "nested": {"a": [1, 2.5, None]}, "name": "héllo"}
    saved = await record(client, before=before, after=after, version="v2", message="because")
    assert saved["id"].startswith("edit_")
    # Sizes are characters of compact JSON (é is one character).
    assert saved["beforeSize"] == len('{"coins":5,"items":["sword"],"nested":{"a":[1,2.5,null]}}')
    assert saved["afterSize"] == len(
        '{"coins":6,"items":["sword","shield"],"nested":{"a":[1,2.5,null]},"name":"héllo"}'
    )
    got = (await client.call("edits.get", {"id": saved["id"]}))["edit"]
    assert got["before"] == before and got["after"] == after
    assert {k: got[k] for k in ("ts", "datastore", "scope", "key", "op", "ok", "version", "message")} == {
        "ts": FIXED_NOW - 60,
        "datastore": "PlayerData",
        "scope": "global",
        "key": "Player_1",
        "op": "update",
        "ok": True,
        "version": "v2",
        "message": "because",
    }
    assert got["errorCode"] is None and got["undoes"] is None
    assert rows(db_path, "SELECT user_id, op, ok FROM edits") == [(1, "update", 1)]


async def test_a_failed_write_and_a_removal_keep_what_they_have(connect):
    client = await connect(1)
    failed = await record(client, op="set", ok=False, after={"coins": 1}, errorCode=105, message="too big")
    removed = await record(client, op="remove", before=0)  # a falsy value is a value, not "none"
    got_failed = (await client.call("edits.get", {"id": failed["id"]}))["edit"]
    assert (got_failed["ok"], got_failed["errorCode"], got_failed["before"]) == (False, 105, None)
    got_removed = (await client.call("edits.get", {"id": removed["id"]}))["edit"]
    assert (got_removed["before"], got_removed["after"], got_removed["beforeSize"]) == (0, None, 1)


async def test_list_is_newest_first_with_exactly_the_protocol_fields(connect):
    client = await connect(1)
    ids = [(await record(client, ts=FIXED_NOW - 300 + i * 10, key=f"k{i}"))["id"] for i in range(5)]
    same_time = [(await record(client, ts=FIXED_NOW - 100, key=f"t{i}"))["id"] for i in range(3)]
    listed = (await client.call("edits.list"))["edits"]
    assert listed, "the journal lists what was recorded"
    assert [e["id"] for e in listed] == same_time[::-1] + ids[::-1]  # same instant: the later record first
    assert all(set(e) == LIST_FIELDS for e in listed)
    assert listed[-1] == {
        "id": ids[0],
        "ts": FIXED_NOW - 300,
        "datastore": "PlayerData",
        "scope": "global",
        "key": "k0",
        "op": "update",
        "ok": True,
    }


async def test_list_with_undoes_links_each_undo_to_its_edit(connect):
    client = await connect(1)
    first = await record(client, ts=FIXED_NOW - 30, before={"coins": 1}, after={"coins": 2}, version="v2")
    undo = await record(client, ts=FIXED_NOW - 20, before={"coins": 2}, after={"coins": 1}, undoes=first["id"])
    plain = (await client.call("edits.list"))["edits"]
    assert plain and all(set(e) == LIST_FIELDS for e in plain)  # without the flag: the protocol's fields only
    linked = (await client.call("edits.list", {"withUndoes": True}))["edits"]
    assert [(e["id"], e["undoes"]) for e in linked] == [(undo["id"], first["id"]), (first["id"], None)]
    assert all(set(e) == LIST_FIELDS | {"undoes"} for e in linked)
    with pytest.raises(LinkError) as err:
        await client.call("edits.list", {"withUndoes": "yes"})
    assert err.value.code == "invalid_body" and err.value.error["message"].startswith("withUndoes:")


async def test_list_filters_by_datastore_key_time_and_limit(connect):
    client = await connect(1)
    a = await record(client, ts=FIXED_NOW - 400, datastore="PlayerData", key="Player_1")
    b = await record(client, ts=FIXED_NOW - 300, datastore="PlayerData", key="Player_2")
    c = await record(client, ts=FIXED_NOW - 200, datastore="Guilds", key="Player_1")
    d = await record(client, ts=FIXED_NOW - 100, datastore="PlayerData", key="Player_1", op="restore")

    async def ids(**query: Any) -> list[str]:
        return [e["id"] for e in (await client.call("edits.list", query))["edits"]]

    assert await ids(datastore="PlayerData") == [d["id"], b["id"], a["id"]]
    assert await ids(key="Player_1") == [d["id"], c["id"], a["id"]]
    assert await ids(datastore="PlayerData", key="Player_1") == [d["id"], a["id"]]
    assert await ids(**{"from": FIXED_NOW - 300, "to": FIXED_NOW - 200}) == [c["id"], b["id"]]
    assert await ids(limit=2) == [d["id"], c["id"]]
    assert await ids(datastore="Nothing") == []


async def test_one_user_never_sees_another_users_edits(connect):
    alice, bob = await connect(1), await connect(2)
    mine = await record(alice, after={"secret": 1})
    assert (await bob.call("edits.list"))["edits"] == []
    with pytest.raises(LinkError) as err:
        await bob.call("edits.get", {"id": mine["id"]})
    assert err.value.code == "not_found"
    with pytest.raises(LinkError) as err:  # nor undo it
        await record(bob, undoes=mine["id"])
    assert err.value.code == "invalid_body" and err.value.error["message"].startswith("edit.undoes:")
    assert [e["id"] for e in (await alice.call("edits.list"))["edits"]] == [mine["id"]]


async def test_an_undo_names_the_edit_it_undoes(connect):
    client = await connect(1)
    first = await record(client, before={"coins": 1}, after={"coins": 2})
    undo = await record(client, op="set", before={"coins": 2}, after={"coins": 1}, undoes=first["id"])
    assert (await client.call("edits.get", {"id": undo["id"]}))["edit"]["undoes"] == first["id"]


BAD = [
    ({"edit": edit(op="delete")}, "edit.op"),
    ({"edit": edit(ok="yes")}, "edit.ok"),
    ({"edit": {k: v for k, v in edit().items() if k != "scope"}}, "edit.scope"),
    ({"edit": edit(datastore="")}, "edit.datastore"),
    ({"edit": edit(key="k" * 51)}, "edit.key"),
    ({"edit": edit(scope="s" * 51)}, "edit.scope"),
    ({"edit": edit(ts=FIXED_NOW * 1000)}, "edit.ts"),  # milliseconds, not seconds
    ({"edit": edit(ts=0)}, "edit.ts"),
    ({"edit": edit(ts="now")}, "edit.ts"),
    ({"edit": edit(errorCode=1.5)}, "edit.errorCode"),
    ({"edit": edit(version=7)}, "edit.version"),
    ({"edit": edit(colour="red")}, "edit.colour"),
    ({"edit": edit(undoes="edit_nope")}, "edit.undoes"),
    ({"edit": edit(store="sorted")}, "edit.store"),
    ({"edit": edit(store=1)}, "edit.store"),
    ({"edit": "x"}, "edit"),
    ({"edit": edit(), "extra": 1}, "extra"),
]


@pytest.mark.parametrize(("body", "field"), BAD, ids=[f for _, f in BAD])
async def test_bad_input_names_the_field_and_changes_nothing(connect, db_path, body, field):
    client = await connect(1)
    with pytest.raises(LinkError) as err:
        await client.call("edits.record", body)
    assert err.value.code == "invalid_body"
    assert err.value.error["message"].startswith(f"{field}:")
    assert rows(db_path, "SELECT COUNT(*) FROM edits") == [(0,)]
    assert (await client.call("edits.list"))["edits"] == []


async def test_a_value_json_cannot_hold_is_refused_over_msgpack(connect, db_path):
    client = await connect(1, binary=True)
    with pytest.raises(LinkError) as err:
        await record(client, before=b"\x00raw bytes")
    assert err.value.code == "invalid_body" and err.value.error["message"] == "edit.before: not a JSON value (bytes)"
    assert rows(db_path, "SELECT COUNT(*) FROM edits") == [(0,)]
    assert (await record(client, after={"coins": 1}))["afterSize"] == len('{"coins":1}')


async def test_list_and_get_check_their_input(connect):
    client = await connect(1)
    for op, body, field in (
        ("edits.list", {"limit": 0}, "limit"),
        ("edits.list", {"key": "k" * 51}, "key"),
        ("edits.list", {"scope": "global"}, "scope"),
        ("edits.get", {}, "id"),
    ):
        with pytest.raises(LinkError) as err:
            await client.call(op, body)
        assert err.value.code == "invalid_body" and err.value.error["message"].startswith(f"{field}:"), op


def text_of_json_length(length: int) -> str:
    """A string whose JSON (with its two quotes) is exactly `length` characters."""
    return "x" * (length - 2)


async def test_values_up_to_4_mb_of_json_are_kept_and_one_character_more_is_too_large(connect, db_path):
    client = await connect(1)
    largest = text_of_json_length(LIMIT)
    saved = await record(client, before=largest, after={"v": text_of_json_length(LIMIT - 6)})
    assert (saved["beforeSize"], saved["afterSize"]) == (LIMIT, LIMIT)
    got = (await client.call("edits.get", {"id": saved["id"]}))["edit"]
    assert got["before"] == largest and len(got["after"]["v"]) == LIMIT - 8
    for field in ("before", "after"):
        with pytest.raises(LinkError) as err:
            await record(client, **{field: text_of_json_length(LIMIT + 1)})
        assert err.value.code == "too_large" and err.value.error["message"].startswith(f"edit.{field}:")
    assert rows(db_path, "SELECT COUNT(*) FROM edits") == [(1,)]


async def test_export_and_import_keep_the_edits(connect, db_path):
    alice = await connect(1)
    first = await record(alice, before={"coins": 1}, after={"coins": 2}, version="v2")
    await record(alice, op="remove", ok=False, before={"coins": 2}, errorCode=105, undoes=first["id"])
    document = (await alice.call("data.export"))["data"]
    assert document["counts"]["edits"] == 2
    bob = await connect(2)
    result = await bob.call("data.import", {"data": document})
    assert result["imported"]["edits"] == 2 and result["skipped"]["edits"] == 0
    theirs = (await bob.call("edits.list"))["edits"]
    mine = (await alice.call("edits.list"))["edits"]
    assert [{**e, "id": None} for e in theirs] == [{**e, "id": None} for e in mine]
    copy = (await bob.call("edits.get", {"id": theirs[-1]["id"]}))["edit"]
    assert (copy["before"], copy["after"], copy["version"]) == ({"coins": 1}, {"coins": 2}, "v2")
    again = await bob.call("data.import", {"data": document})
    assert again["imported"]["edits"] == 0 and again["skipped"]["edits"] == 2
    assert rows(db_path, "SELECT user_id, COUNT(*) FROM edits GROUP BY user_id") == [(1, 2), (2, 2)]


async def test_an_ordered_edit_says_so_in_get_list_and_export(connect):
    alice = await connect(1)
    ordered = await record(alice, key="alice", before=40, after=95, store="ordered")
    plain = await record(alice, key="bob", before=1, after=2, version="v2")
    assert ordered["store"] == "ordered" and plain["store"] is None
    assert (await alice.call("edits.get", {"id": ordered["id"]}))["edit"]["store"] == "ordered"
    listed = {e["key"]: e for e in (await alice.call("edits.list"))["edits"]}
    assert listed["alice"]["store"] == "ordered"
    assert set(listed["bob"]) == LIST_FIELDS  # a DataStore edit's row is the protocol's exactly
    document = (await alice.call("data.export"))["data"]
    bob = await connect(2)
    assert (await bob.call("data.import", {"data": document}))["imported"]["edits"] == 2
    copies = {e["key"]: e for e in (await bob.call("edits.list"))["edits"]}
    assert copies["alice"]["store"] == "ordered" and "store" not in copies["bob"]


async def test_a_bad_edit_in_an_import_changes_nothing(connect, db_path):
    alice = await connect(1)
    await record(alice)
    document = (await alice.call("data.export"))["data"]
    document["stores"]["edits"][0]["op"] = "delete"
    bob = await connect(2)
    with pytest.raises(LinkError) as err:
        await bob.call("data.import", {"data": document})
    assert err.value.error["message"].startswith("data.stores.edits[0].op:")
    assert rows(db_path, "SELECT COUNT(*) FROM edits WHERE user_id = 2") == [(0,)]


async def test_retention_removes_old_edits_and_status_counts_them(connect, clock):
    client = await connect(1)
    old = await record(client, ts=FIXED_NOW - 40 * DAY)
    recent = await record(client, ts=FIXED_NOW - 10 * DAY)
    await record(await connect(2), ts=FIXED_NOW - 40 * DAY)  # someone else's stays
    assert (await client.call("status"))["rows"]["edits"] == {"edits": 2}
    cleaned = await client.call("data.clean")  # analytics.retainDataDays = 30 by default
    assert cleaned["removed"]["edits"] == 1
    assert [e["id"] for e in (await client.call("edits.list"))["edits"]] == [recent["id"]]
    with pytest.raises(LinkError):
        await client.call("edits.get", {"id": old["id"]})
    assert (await client.call("status"))["rows"]["edits"] == {"edits": 1}
