"""DataStore backups over the link, kept as files beside the database: begin, append in numbered chunks (a resent
chunk stores nothing twice), finish (a gzip JSON-lines file written whole), list, read in pages; an open backup is
resumed after a restart; a torn or damaged file is named, never half-read; bad input changes nothing. Also the
`dsm backups` command."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

import pytest

from dsm.link.client import LinkError
from support import FIXED_NOW, run_dsm

LIMIT = 4_194_304


def entry(key: str, value: Any = None, **info: Any) -> dict[str, Any]:
    return {"key": key, "value": {"coins": len(key)} if value is None else value, **info}


def backup_files(db_path: Path) -> list[Path]:
    folder = db_path.parent / "backups"
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def snapshot(db_path: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for p in backup_files(db_path)}


async def begin(client, **body: Any) -> dict[str, Any]:
    return (await client.call("backups.begin", {"datastore": "PlayerData", **body}))["backup"]


async def append(client, ident: str, seq: int, entries: list[dict[str, Any]], cursor: str | None = None):
    body: dict[str, Any] = {"id": ident, "seq": seq, "entries": entries}
    if cursor is not None:
        body["cursor"] = cursor
    return await client.call("backups.append", body)


async def read_all(client, ident: str, limit: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    offset: int | None = 0
    while offset is not None:
        page = await client.call("backups.read", {"id": ident, "offset": offset, "limit": limit})
        assert page["entries"] or page["next"] is None
        out.extend(page["entries"])
        offset = page["next"]
    return out


async def test_a_backup_is_made_in_chunks_finished_as_one_gzip_file_and_read_back_in_pages(connect, db_path):
    client = await connect(1)
    header = await begin(client, scope="s1", prefix="Player_")
    assert (header["state"], header["entries"], header["chunks"], header["scope"], header["prefix"]) == (
        "open",
        0,
        0,
        "s1",
        "Player_",
    )
    assert header["createdAt"] == FIXED_NOW
    first = [entry("Player_1", userIds=[1], metadata={"m": 1}, version="v1"), entry("Player_2", value=[1, "é", None])]
    done = await append(client, header["id"], 1, first, cursor="page2")
    assert (done["stored"], done["duplicates"], done["resent"]) == (2, 0, False)
    done = await append(client, header["id"], 2, [entry("Player_3", value=0)], cursor="end")
    assert done["backup"]["entries"] == 3 and done["backup"]["cursor"] == "end"
    [partial] = backup_files(db_path)
    assert partial.name.endswith(".partial.jsonl") and partial.parent.name == "u1"

    finished = (await client.call("backups.finish", {"id": header["id"]}))["backup"]
    assert (finished["state"], finished["entries"], finished["chunks"]) == ("finished", 3, 2)
    [file] = backup_files(db_path)
    assert file.name == f"{header['id']}.jsonl.gz" and finished["bytes"] == file.stat().st_size
    lines = [json.loads(line) for line in gzip.decompress(file.read_bytes()).splitlines()]
    assert lines[0]["format"] == "dsm-backup" and [line["key"] for line in lines[1:]] == [
        "Player_1",
        "Player_2",
        "Player_3",
    ]

    got = await read_all(client, header["id"], limit=2)
    assert got == [
        {"key": "Player_1", "value": {"coins": 8}, "userIds": [1], "metadata": {"m": 1}, "version": "v1"},
        {"key": "Player_2", "value": [1, "é", None], "userIds": [], "metadata": {}, "version": None},
        {"key": "Player_3", "value": 0, "userIds": [], "metadata": {}, "version": None},
    ]
    again = (await client.call("backups.finish", {"id": header["id"]}))["backup"]
    assert again == finished  # finishing twice changes nothing
    listed = (await client.call("backups.list", {}))["backups"]
    assert [b["id"] for b in listed] == [header["id"]] and listed[0]["state"] == "finished"


async def test_a_resent_chunk_stores_nothing_twice_and_a_key_is_kept_once(connect, db_path):
    client = await connect(1)
    ident = (await begin(client))["id"]
    await append(client, ident, 1, [entry("a"), entry("b")], cursor="c1")
    before = snapshot(db_path)
    resent = await append(client, ident, 1, [entry("a"), entry("b")], cursor="c1")  # its reply was lost
    assert (resent["stored"], resent["resent"], resent["backup"]["entries"]) == (0, True, 2)
    assert snapshot(db_path) == before
    overlap = await append(client, ident, 2, [entry("b", value=99), entry("c"), entry("c", value=5)])
    assert (overlap["stored"], overlap["duplicates"]) == (1, 2)
    with pytest.raises(LinkError) as gap:
        await append(client, ident, 4, [entry("d")])
    assert gap.value.code == "invalid_body" and gap.value.error["message"].startswith("seq: expected 3")
    await client.call("backups.finish", {"id": ident})
    got = await read_all(client, ident, limit=100)
    assert [(e["key"], e["value"]) for e in got] == [("a", {"coins": 1}), ("b", {"coins": 1}), ("c", {"coins": 1})]
    late = await append(client, ident, 2, [entry("x")])  # a finished backup still answers a resend
    assert late["resent"] is True and late["backup"]["entries"] == 3


async def test_an_open_backup_is_resumed_after_a_restart_and_a_torn_tail_is_ignored(server_factory, config, db_path):
    from dsm.link.client import LinkClient

    first = await server_factory(config)
    client = await LinkClient.connect(first.ws_url)
    await client.hello(1)
    ident = (await begin(client, prefix="P"))["id"]
    await append(client, ident, 1, [entry("P1"), entry("P2")], cursor="after-P2")
    await client.close()
    await first.runner.cleanup()
    [partial] = backup_files(db_path)
    with partial.open("ab") as stream:  # a crash in the middle of the next chunk
        stream.write(b'{"entry":{"key":"P3","value":1,"userIds":[],"metadata":{},"version":null}}\n{"entry":{"ke')

    second = await server_factory(config)
    client = await LinkClient.connect(second.ws_url)
    await client.hello(1)
    [listed] = (await client.call("backups.list", {"datastore": "PlayerData"}))["backups"]
    assert (listed["state"], listed["entries"], listed["chunks"], listed["cursor"]) == ("open", 2, 1, "after-P2")
    got = await client.call("backups.get", {"id": ident})
    assert got["backup"]["cursor"] == "after-P2"
    with pytest.raises(LinkError) as unfinished:
        await client.call("backups.read", {"id": ident})
    assert unfinished.value.code == "invalid_body" and "not finished" in unfinished.value.error["message"]
    await append(client, ident, 2, [entry("P3", value=3)], cursor="end")
    await client.call("backups.finish", {"id": ident})
    got_entries = await read_all(client, ident, limit=10)
    assert [(e["key"], e["value"]) for e in got_entries] == [("P1", {"coins": 2}), ("P2", {"coins": 2}), ("P3", 3)]
    await client.close()


async def test_a_damaged_backup_file_is_listed_as_damaged_and_never_half_read(connect, db_path):
    client = await connect(1)
    ident = (await begin(client))["id"]
    await append(client, ident, 1, [entry(f"k{i}", value="x" * 2000) for i in range(50)])
    await client.call("backups.finish", {"id": ident})
    [file] = backup_files(db_path)
    data = file.read_bytes()
    file.write_bytes(data[: len(data) // 2])  # cut short (a copy interrupted, a disk fault)
    [listed] = (await client.call("backups.list", {}))["backups"]
    with pytest.raises(LinkError) as damaged:
        await read_all(client, ident, limit=1000)
    assert damaged.value.code == "invalid_body"
    assert damaged.value.error["message"].startswith(f"id: backup {ident} is damaged")
    # The header still reads (it is at the start): the listing shows the backup; reading it whole is refused.
    assert listed["id"] == ident
    file.write_bytes(b"not gzip at all")
    [listed] = (await client.call("backups.list", {}))["backups"]
    assert listed["state"] == "damaged" and listed["problem"]


async def test_bad_input_is_refused_naming_the_field_and_nothing_is_written(connect, db_path):
    client = await connect(1)
    ident = (await begin(client))["id"]
    await append(client, ident, 1, [entry("a")])
    before = snapshot(db_path)
    cases: list[tuple[dict[str, Any], str, str]] = [
        (
            {"id": ident, "seq": 2, "entries": [entry("b"), entry("c", userIds=[1, 2, 3, 4, 5])]},
            "invalid_body",
            "entries[1].userIds: at most 4 UserIds",
        ),
        ({"id": ident, "seq": 2, "entries": [entry("b"), {"key": "c"}]}, "invalid_body", "entries[1].value: required"),
        ({"id": ident, "seq": 2, "entries": [entry("x" * 51)]}, "invalid_body", "entries[0].key: expected 1..50"),
        (
            {"id": ident, "seq": 2, "entries": [entry("b", metadata={"m": "x" * 400})]},
            "invalid_body",
            "entries[0].metadata: over Roblox's limit",
        ),
        ({"id": ident, "seq": 2, "entries": [entry("b", colour=1)]}, "invalid_body", "entries[0].colour: unknown"),
        ({"id": ident, "seq": 0, "entries": []}, "invalid_body", "seq: must be at least 1"),
        ({"id": ident, "seq": 2, "entries": [entry("b", value="x" * LIMIT)]}, "too_large", "entries[0].value: "),
        ({"id": "../../dsm", "seq": 2, "entries": []}, "not_found", "no backup with id ../../dsm"),
    ]
    for body, code, message in cases:
        with pytest.raises(LinkError) as refused:
            await client.call("backups.append", body)
        assert refused.value.code == code, body
        assert refused.value.error["message"].startswith(message), refused.value.error["message"]
        assert snapshot(db_path) == before, message
    with pytest.raises(LinkError) as bad_begin:
        await client.call("backups.begin", {"datastore": "", "prefix": "P"})
    assert bad_begin.value.error["message"].startswith("datastore: expected 1..50")
    assert snapshot(db_path) == before
    # Another Studio user sees none of it.
    other = await connect(2)
    assert (await other.call("backups.list", {}))["backups"] == []
    with pytest.raises(LinkError) as hidden:
        await other.call("backups.get", {"id": ident})
    assert hidden.value.code == "not_found"


def test_the_dsm_backups_command_lists_and_shows_backups(tmp_path: Path) -> None:
    from dsm.backups.entries import Append, Begin, Entry
    from dsm.backups.files import BackupFiles

    db = tmp_path / "dsm.sqlite3"
    files = BackupFiles.beside(db, lambda: FIXED_NOW)
    header = files.begin(5, Begin("PlayerData", "global", "Player_"))
    files.append(5, Append(header.id, 1, [Entry("Player_1", {"c": 1}, [5], {}, "v9")], None))
    files.finish(5, header.id)
    opened = files.begin(5, Begin("Other", "global", ""))

    listed = run_dsm("backups", "list", "--db", str(db))
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.splitlines()
    assert len(lines) == 2
    assert (
        header.id in listed.stdout
        and "finished" in listed.stdout
        and "PlayerData/global prefix 'Player_'" in (listed.stdout)
    )
    assert f"{opened.id}  user 5  open (resumable)" in listed.stdout
    shown = run_dsm("backups", "show", header.id, "--db", str(db))
    assert shown.returncode == 0, shown.stderr
    assert "Player_1  version v9  userIds [5]" in shown.stdout
    missing = run_dsm("backups", "show", "backup_00000000000ff", "--db", str(db))
    assert missing.returncode == 1 and "no backup with id backup_00000000000ff" in missing.stderr
    helped = run_dsm("backups", "--help")
    assert helped.returncode == 0 and "list" in helped.stdout and "show" in helped.stdout
