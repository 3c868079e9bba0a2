"""`data.export` / `data.import` over a real WebSocket link, in JSON and msgpack frames."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from rio_support import DAY0, wire_events

from dsm.link.client import LinkError


@pytest.mark.parametrize("binary", [False, True])
async def test_a_user_exports_and_another_account_imports_over_the_link(connect: Any, binary: bool) -> None:
    alice = await connect(31, binary=binary, session_id="A")
    assert (await alice.call("events.append", {"events": wire_events(DAY0, 40)}))["accepted"] == 40
    await alice.call("settings.update", {"patch": {"reporting": {"reportFrequency": "weekly"}}})
    await alice.call("cache.put", {"type": "keys", "datastore": "Players", "keys": ["a", "b"]})
    await alice.call("history.snapshot", {"label": "baseline"})
    made = await alice.call("reports.generate", {"type": "DAILY_SUMMARY", "options": {"date": "2026-11-23"}})
    data = (await alice.call("data.export"))["data"]
    assert data["source"]["userId"] == 31
    assert data["counts"]["events"] == 40 and data["counts"]["reports"] == 1 and data["counts"]["sessions"] == 1

    bob = await connect(32, binary=binary, session_id="B")
    result = await bob.call("data.import", {"data": data})
    assert result["imported"] == data["counts"] and sum(result["skipped"].values()) == 0
    assert (await bob.call("settings.get"))["settings"]["reporting"]["reportFrequency"] == "weekly"
    # Same database, two accounts: report and snapshot ids are unique across users, so Bob's copies get derived ids.
    copy_id = f"{made['report']['id']}_u32"
    assert [r["id"] for r in (await bob.call("reports.list"))["reports"]] == [copy_id]
    assert (await bob.call("reports.get", {"id": copy_id}))["report"]["body"] == made["report"]["body"]
    bobs = (await bob.call("data.export"))["data"]
    for store in ("events", "realtimeSnapshots", "cacheEntries", "cacheCounters", "settings"):
        assert bobs["stores"][store] == data["stores"][store], store
    assert [s for s in bobs["stores"]["sessions"] if s["sessionId"] != "B"] == data["stores"]["sessions"]  # + his own
    for store in ("reports", "historical"):
        assert [{**item, "id": item["id"] + "_u32"} for item in data["stores"][store]] == bobs["stores"][store]

    again = await bob.call("data.import", {"data": data})
    assert sum(again["imported"].values()) == 0
    # Alice's own data is untouched by Bob's import; her status counts only her rows.
    assert (await alice.call("status"))["rows"]["analytics"]["events"] == 40


async def test_a_bad_document_gets_invalid_body_and_changes_nothing(connect: Any) -> None:
    alice = await connect(31)
    await alice.call("events.append", {"events": wire_events(DAY0, 10)})
    data = (await alice.call("data.export"))["data"]
    bad = copy.deepcopy(data)
    bad["stores"]["events"][9]["id"] = ""
    bob = await connect(32)
    with pytest.raises(LinkError) as err:
        await bob.call("data.import", {"data": bad})
    assert err.value.code == "invalid_body"
    assert err.value.error["message"].startswith("data.stores.events[9].id")
    with pytest.raises(LinkError) as err:
        await bob.call("data.import", {"data": [], "extra": 1})
    assert err.value.code == "invalid_body"
    assert (await bob.call("status"))["rows"]["analytics"]["events"] == 0
    # The connection stays open after errors.
    assert (await bob.call("data.import", {"data": data}))["imported"]["events"] == 10
