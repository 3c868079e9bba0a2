"""DATASTORE_AUDIT reports the writes journaled through the real companion (`edits.record` over a WebSocket): which
keys, which operations, sizes, failures, restores, undos, who and when; and its HTML and CSV exports show them."""

from __future__ import annotations

import csv
import io
from typing import Any

from dsm.reports.format import value_text
from html_tree import parse, sections, table_rows
from support import FIXED_NOW, section, section_rows

HOUR = 3600.0
START, END = FIXED_NOW - 24 * HOUR, FIXED_NOW


def write(ts: float, datastore: str, key: str, op: str, ok: bool = True, **fields: Any) -> dict[str, Any]:
    return {"edit": {"ts": ts, "datastore": datastore, "scope": "global", "key": key, "op": op, "ok": ok} | fields}


async def journal(client) -> list[dict[str, Any]]:
    """Three writes to PlayerData (one failed), a restore and an undo; one write outside the period."""
    out = []
    for body in (
        write(START - 10, "PlayerData", "Player_9", "set", after=1),  # before the period: not reported
        write(START + 1 * HOUR, "PlayerData", "Player_1", "update", before={"coins": 1}, after={"coins": 25}),
        write(START + 2 * HOUR, "PlayerData", "Player_2", "set", ok=False, after="x" * 98, errorCode=105),
        write(START + 3 * HOUR, "Guilds", "Guild_7", "restore", before=[1], after=[1, 2], version="v3"),
    ):
        out.append((await client.call("edits.record", body))["edit"])
    undo = write(START + 4 * HOUR, "PlayerData", "Player_1", "update", before={"coins": 25}, after={"coins": 1})
    undo["edit"]["undoes"] = out[1]["id"]
    out.append((await client.call("edits.record", undo))["edit"])
    return out


async def audit(client, **options: Any) -> dict[str, Any]:
    body = {"type": "DATASTORE_AUDIT", "options": {"from": START, "to": END} | options}
    return (await client.call("reports.generate", body))["report"]


def metric(body: dict[str, Any], name: str) -> Any:
    return next(m["value"] for m in body["metrics"] if m["name"] == name)


async def test_the_audit_lists_the_writes_with_their_outcome_sizes_who_and_when(connect):
    client = await connect(42)
    recorded = await journal(client)
    body = (await audit(client))["body"]
    writes = section_rows(body, "writes")
    assert writes, "the period holds four writes"
    assert [(w["ts"], w["key"], w["op"], w["ok"], w["undo"]) for w in writes] == [
        (START + 4 * HOUR, "Player_1", "update", True, True),
        (START + 3 * HOUR, "Guild_7", "restore", True, False),
        (START + 2 * HOUR, "Player_2", "set", False, False),
        (START + 1 * HOUR, "Player_1", "update", True, False),
    ]
    assert all(w["userId"] == "42" for w in writes)
    assert all(w["store"] == "standard" for w in writes)
    assert (writes[2]["errorCode"], writes[2]["beforeSize"], writes[2]["afterSize"]) == (105, None, 100)
    sizes = (len('{"coins":1}'), len('{"coins":25}'))
    assert (writes[3]["beforeSize"], writes[3]["afterSize"], writes[1]["version"]) == (*sizes, "v3")
    assert recorded[0]["key"] not in {w["key"] for w in writes}
    assert {n: metric(body, f"audit.{n}") for n in ("writes", "failedWrites", "restores", "undos", "bytesWritten")} == {
        "writes": 4,
        "failedWrites": 1,
        "restores": 1,
        "undos": 1,
        "bytesWritten": sum(sizes) + len("[1,2]"),
    }
    assert section_rows(body, "writesByOperation") == [  # in the protocol's order of operations
        {"label": "set", "succeeded": 0, "failed": 1},
        {"label": "update", "succeeded": 2, "failed": 0},
        {"label": "restore", "succeeded": 1, "failed": 0},
    ]
    keys = {(r["datastore"], r["key"]): r for r in section_rows(body, "writtenKeys")}
    assert keys[("PlayerData", "Player_1")] | {"scope": None} == {
        "datastore": "PlayerData",
        "scope": None,
        "key": "Player_1",
        "writes": 2,
        "failed": 0,
        "operations": "update 2",
        "lastWrite": START + 4 * HOUR,
    }
    assert body["insights"][:2] == ["3 writes to PlayerData, 1 failed.", "1 write to Guilds, 0 failed."]


async def test_the_audit_of_one_datastore_and_another_user_see_only_their_writes(connect):
    client = await connect(42)
    await journal(client)
    guilds = (await audit(client, datastore="Guilds"))["body"]
    assert [w["key"] for w in section_rows(guilds, "writes")] == ["Guild_7"]
    other = (await audit(await connect(7)))["body"]
    assert section_rows(other, "writes") == [] and metric(other, "audit.writes") == 0
    assert other["insights"][0] == "No writes were made through the plugin in this period."


async def test_the_html_and_csv_exports_show_the_writes(connect):
    client = await connect(42)
    await journal(client)
    report = await audit(client)
    html = (await client.call("reports.export", {"id": report["id"], "format": "html"}))["content"]
    drawn = sections(parse(html))
    heading, content = drawn["writes"]
    assert heading.text() == "Writes"
    rows = table_rows(content.find("table"))
    assert [c.text() for c in rows[0]][:7] == [
        "When (UTC)",
        "Studio user",
        "DataStore",
        "Scope",
        "Key",
        "Operation",
        "Succeeded",
    ]
    shown = [[c.text() for c in r] for r in rows[1:]]
    assert len(shown) == 4
    assert shown[2][:7] == [
        value_text(START + 2 * HOUR, "time").removesuffix(" UTC"),
        "42",
        "PlayerData",
        "global",
        "Player_2",
        "set",
        value_text(False, "boolean"),
    ]
    assert shown[2][10] == "105"
    bars = [r.find("title").text() for r in drawn["writesByOperation"][1].find("svg").find_all("rect")]
    assert len(bars) == 6 and "set Failed: 1" in " ".join(bars).replace("—", "")
    metrics = {r[0].text(): r[1].text() for r in table_rows(parse(html).find("table", "metrics"))[1:] if len(r) > 1}
    assert (metrics["Writes through the plugin"], metrics["Failed writes"], metrics["Undos"]) == ("4", "1", "1")
    text = (await client.call("reports.export", {"id": report["id"], "format": "csv"}))["content"]
    lines = [r for r in csv.reader(io.StringIO(text, newline="")) if r and r[0] == "writes"]
    newest_first = [["Player_1", "update"], ["Guild_7", "restore"], ["Player_2", "set"], ["Player_1", "update"]]
    assert [r[5:7] for r in lines] == newest_first
    assert section(report["body"], "writes")["title"] == "Writes"


async def test_an_ordered_entry_write_is_shown_as_ordered(connect):
    client = await connect(42)
    await client.call(
        "edits.record", write(START + HOUR, "Coins", "alice", "update", before=40, after=95, store="ordered")
    )
    await client.call(
        "edits.record", write(START + 2 * HOUR, "Coins", "bob", "update", before={"a": 1}, after={"a": 2})
    )
    writes = section_rows((await audit(client))["body"], "writes")
    assert [(w["key"], w["store"]) for w in writes] == [("bob", "standard"), ("alice", "ordered")]
