"""Whole-data export/import: identical stores in a fresh database, re-import adds nothing, bad files change nothing."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from rio_support import DAY, DAY0, append_events, open_db, table, wire_events

from dsm.errors import DsmError
from dsm.reports.cli import event_store
from dsm.reports.runner import generate_and_save
from dsm.store import analytics, cache, edits, historical, portable, settings
from dsm.store.database import Database
from dsm.store.tables import b64

# Per store: the columns that must match between two users' copies (everything but user ids and row ids).
COLUMNS = {
    "events": "event_id, session, ts, kind, name, datastore, scope, key, latency_ms, size, ok, error_code, message,"
    " feature, view, props, received_at",
    "sessions": "session_id, place_id, game_id, plugin_version, first_seen, last_seen",
    "realtime_snapshots": "ts, session_time, body",
    "cache_entries": "kind, datastore, scope, key, payload, bytes, cached_at, expires_at",
    "cache_counters": "hits, misses, puts, expired, bytes_written",
    "reports": "id, type, created_at, title, body",
    "settings": "body, updated_at",
    "historical_snapshots": "id, label, category, created_at, body",
    "edits": "id, ts, datastore, scope, key, op, ok, version, error_code, message, undoes, before, after, before_size,"
    " after_size, recorded_at",
    "rollup_counts": "grain, bucket, kind, name, error_code, ok, count",
    "rollup_ops": "grain, bucket, name, count, successes, failures, lat_count, lat_sum, hist",
}


def dump(db_path: Path, user_id: int) -> dict[str, list[tuple[Any, ...]]]:
    return {
        name: sorted(table(db_path, f"SELECT {cols} FROM {name} WHERE user_id = ?", (user_id,)), key=repr)
        for name, cols in COLUMNS.items()
    }


async def fill_every_store(db: Database, user_id: int) -> None:
    events = wire_events(DAY0, 120)
    assert await append_events(db, user_id, events) == 120
    await db.write(analytics.touch_session_job(user_id, "S1", 42, 7, "1.2.3", db.clock()))
    await db.write(analytics.save_realtime_job(user_id, DAY0 + 60, 12.5, {"fps": 60, "mem": [1, 2]}))
    await db.write(analytics.save_realtime_job(user_id, DAY0 + 120, None, {"fps": 58}))
    address, payload = cache.parse_put(
        {
            "type": "value",
            "datastore": "Players",
            "key": "player_1",
            "value": {"coins": 5, "bytes": "ÿ"},
            "keyInfo": {"version": "v1"},
        }
    )
    await db.write(cache.put_job(user_id, address, payload, 300.0, db.clock()))
    await db.write(cache.get_job(user_id, address, db.clock()))  # a hit
    await db.write(cache.get_job(user_id, cache.parse_address({"type": "datastores"}), db.clock()))  # a miss
    await db.write(settings.update_job(user_id, {"analytics": {"retainDataDays": 45}}, db.clock()))
    snap = historical.new_snapshot("before launch", "analytics", DAY0 + 500, {"totalEvents": 120})
    await db.write(historical.save_job(user_id, snap))
    await generate_and_save(db, user_id, "DAILY_SUMMARY", {"from": DAY0, "to": DAY0 + DAY}, DAY0 + DAY + 10)
    journaled = {"ts": DAY0 + 600, "datastore": "Players", "scope": "global", "key": "player_1", "op": "update"}
    record = {"edit": journaled | {"ok": True, "before": {"coins": 5}, "after": {"coins": 6}, "version": "v2"}}
    await db.write(edits.record_job(user_id, edits.parse_record(record, DAY0 + 601)))


async def export_doc(db: Database, user_id: int) -> dict[str, Any]:
    return await db.read(lambda conn: portable.export_user(conn, user_id, 1.0, "test", tables=db.tables))


async def import_doc(db: Database, user_id: int, doc: Any) -> dict[str, dict[str, int]]:
    parsed = portable.parse_document(doc, user_id, db.tables)
    return await db.write(portable.import_job(user_id, parsed, event_store(db)))


@pytest.fixture
async def source(tmp_path: Path) -> Any:
    db = await open_db(tmp_path / "source.sqlite3")
    await fill_every_store(db, 7)
    yield db
    await db.close()


@pytest.fixture
async def fresh(tmp_path: Path) -> Any:
    db = await open_db(tmp_path / "fresh.sqlite3")
    yield db
    await db.close()


async def test_export_then_import_into_a_fresh_database_gives_identical_stores(
    source: Database, fresh: Database
) -> None:
    doc = await export_doc(source, 7)
    assert doc["format"] == portable.FORMAT and doc["version"] == portable.VERSION
    assert doc["counts"] == {
        "events": 120,
        "sessions": 1,
        "realtimeSnapshots": 2,
        "cacheEntries": 1,
        "cacheCounters": 1,
        "reports": 1,
        "settings": 1,
        "historical": 1,
        "edits": 1,
    }
    result = await import_doc(fresh, 9, doc)  # another user id: a user moving machines
    assert result["imported"] == doc["counts"]
    assert sum(result["skipped"].values()) == 0
    before, after = dump(source.path, 7), dump(fresh.path, 9)
    assert all(before[name] for name in COLUMNS), "every store, rollups included, has rows to compare"
    assert after == before
    again = await export_doc(fresh, 9)
    assert again["stores"] == doc["stores"]


async def test_reimporting_the_same_file_adds_nothing(source: Database, fresh: Database) -> None:
    doc = await export_doc(source, 7)
    await import_doc(fresh, 9, doc)
    snapshot = dump(fresh.path, 9)
    result = await import_doc(fresh, 9, doc)
    assert sum(result["imported"].values()) == 0
    assert result["skipped"] == doc["counts"]
    assert dump(fresh.path, 9) == snapshot
    # Importing into the user it came from is a no-op as well.
    own = await import_doc(source, 7, doc)
    assert sum(own["imported"].values()) == 0


async def test_an_invalid_document_is_rejected_whole_naming_the_field(source: Database, fresh: Database) -> None:
    doc = await export_doc(source, 7)
    bad = copy.deepcopy(doc)
    bad["stores"]["events"][119]["ts"] = "yesterday"
    with pytest.raises(DsmError) as err:
        portable.parse_document(bad, 9, fresh.tables)
    assert err.value.code == "invalid_body"
    assert err.value.message.startswith("data.stores.events[119].ts:")
    for mutate, path in (
        (lambda d: d.update(version=99), "data.version"),
        (lambda d: d.update(format="other"), "data.format"),
        (lambda d: d["stores"]["reports"][0].update(bodyB64="not base64!"), "data.stores.reports[0].bodyB64"),
        (lambda d: d["stores"].update(mystery=[]), "data.stores.mystery"),
    ):
        broken = copy.deepcopy(doc)
        mutate(broken)
        with pytest.raises(DsmError) as err:
            portable.parse_document(broken, 9, fresh.tables)
        assert err.value.message.startswith(path), err.value.message
    assert all(not rows for rows in dump(fresh.path, 9).values())


async def test_a_failure_while_writing_rolls_the_whole_import_back(source: Database, fresh: Database) -> None:
    doc = await export_doc(source, 7)
    parsed = portable.parse_document(doc, 9, fresh.tables)
    # Events are written first; this cache row (kind NULL) then fails, after they are in.
    parsed.rows["cacheEntries"].append((None, "", "", "", b"\x80", 1, 1.0, 2.0))
    with pytest.raises(Exception, match="NOT NULL"):
        await fresh.write(portable.import_job(9, parsed, event_store(fresh)))
    assert all(not rows for rows in dump(fresh.path, 9).values())


async def test_settings_and_cache_entries_merge_newer_wins(source: Database, fresh: Database) -> None:
    doc = await export_doc(source, 7)
    await fresh.write(
        settings.update_job(9, {"analytics": {"retainDataDays": 10}}, fresh.clock() + 60)
    )  # newer than the file's
    result = await import_doc(fresh, 9, doc)
    assert result["imported"]["settings"] == 0
    state = await fresh.read(lambda c: settings.load(c, 9))
    assert state.settings["analytics"]["retainDataDays"] == 10
    older = copy.deepcopy(doc)
    older["stores"]["settings"]["updatedAt"] = state.updated_at + 100  # now the file is newer
    entry = older["stores"]["cacheEntries"][0]
    entry["cachedAt"] -= 1000  # but its cache entry is older than the one already imported
    stale_payload = entry["payloadB64"]
    entry["payloadB64"] = b64(cache.pack({"value": 1, "keyInfo": {}}))
    result = await import_doc(fresh, 9, older)
    assert result["imported"]["settings"] == 1 and result["imported"]["cacheEntries"] == 0
    state = await fresh.read(lambda c: settings.load(c, 9))
    assert state.settings["analytics"]["retainDataDays"] == 45
    payload = table(fresh.path, "SELECT payload FROM cache_entries WHERE user_id = 9")[0][0]
    assert b64(payload) == stale_payload


async def test_the_file_is_gzipped_json_and_reads_back(source: Database, tmp_path: Path) -> None:
    doc = await export_doc(source, 7)
    path = tmp_path / "backup.dsm.json.gz"
    size = portable.write_file(doc, path)
    assert path.read_bytes()[:2] == b"\x1f\x8b" and size == path.stat().st_size
    assert portable.read_file(path) == doc
    plain = tmp_path / "backup.json"
    plain.write_text(json.dumps(doc), encoding="utf-8")
    assert portable.read_file(plain) == doc


async def test_an_export_written_before_the_stores_declared_their_tables_still_imports(fresh: Database) -> None:
    """fixtures/export_v1.json was written by the export code that had one SQL query per store (before the tables
    were declared in the store modules): it imports whole and exports again unchanged."""
    doc = json.loads((Path(__file__).parent / "fixtures" / "export_v1.json").read_text(encoding="utf-8"))
    assert sum(doc["counts"].values()) > 0
    result = await import_doc(fresh, 9, doc)
    assert result["imported"] == doc["counts"] and sum(result["skipped"].values()) == 0
    assert all(dump(fresh.path, 9)[name] for name in COLUMNS), "every store, rollups included, got rows"
    again = await export_doc(fresh, 9)
    assert again["counts"] == doc["counts"]
    assert again["stores"] == doc["stores"]
