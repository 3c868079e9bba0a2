"""The store package's one list: every table a migration creates is declared, and a newly declared table is exported,
imported, retained, counted and listed without touching `portable`, `retention` or `counts`."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from dsm.serve_process import start_serve
from dsm.store import portable
from dsm.store.codec import pack
from dsm.store.connection import open_connection
from dsm.store.counts import row_counts
from dsm.store.database import Database
from dsm.store.events import EventStore, parse_events
from dsm.store.migrations import Migration, migrate
from dsm.store.retention import clean_job
from dsm.store.schema import Schema, companion_schema
from dsm.store.tables import Field, Merge, Portable, TableSpec, b64
from support import FIXED_NOW, ManualClock, rows, stop_process

DAY = 86400.0

# What a helper adding a store writes: a migration and a declaration, nothing else.
NOTES_SQL = (
    "CREATE TABLE notes (id TEXT PRIMARY KEY, user_id INTEGER NOT NULL, text TEXT NOT NULL, pinned INTEGER NOT NULL,"
    " created_at REAL NOT NULL, body BLOB)"
)
NOTES = TableSpec(
    "notes",
    store="notes",
    age_column="created_at",
    portable=Portable(
        "notes",
        (
            Field("id", "id", min_len=1, max_len=64),
            Field("text", "text", max_len=500),
            Field("pinned", "pinned", "flag"),
            Field("createdAt", "created_at", "time"),
            Field("bodyB64", "body", "blob", required=False, omit_null=True),
        ),
        Merge("own_id", key=("id",)),
        order="created_at, id",
    ),
)


def create_notes(conn: sqlite3.Connection, _now: float) -> None:
    conn.execute(NOTES_SQL)


def with_notes() -> Schema:
    base = companion_schema()
    migration = Migration(base.latest_version() + 1, "notes", create_notes)
    return replace(base, migrations=(*base.migrations, migration), tables=(*base.tables, NOTES))


@pytest.fixture
async def notes_db(tmp_path: Path) -> AsyncIterator[Database]:
    db = await Database.open(tmp_path / "notes.sqlite3", with_notes(), ManualClock())
    yield db
    await db.close()


def add_note(note_id: str, user_id: int, created_at: float, body: dict[str, Any] | None) -> Any:
    def job(conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO notes (id, user_id, text, pinned, created_at, body) VALUES (?,?,?,?,?,?)",
            (note_id, user_id, f"note {note_id}", 1, created_at, None if body is None else pack(body)),
        )

    return job


async def test_a_newly_declared_table_is_exported_imported_retained_and_counted(
    notes_db: Database, tmp_path: Path
) -> None:
    await notes_db.write(add_note("n1", 5, FIXED_NOW - 40 * DAY, {"tags": ["old"]}))
    await notes_db.write(add_note("n2", 5, FIXED_NOW - DAY, None))
    tables = notes_db.tables
    # A user whose only data is notes is a user with data.
    assert await notes_db.read(lambda c: portable.known_users(c, tables)) == [5]
    doc = await notes_db.read(lambda c: portable.export_user(c, 5, FIXED_NOW, "test", tables=tables))
    assert doc["counts"]["notes"] == 2
    notes = doc["stores"]["notes"]
    assert [n["id"] for n in notes] == ["n1", "n2"]
    assert notes[0]["pinned"] is True and notes[0]["bodyB64"] == b64(pack({"tags": ["old"]}))
    assert "bodyB64" not in notes[1]
    # ...written to a file and read back, imported into another database for another user...
    path = tmp_path / "notes.dsm.json.gz"
    portable.write_file(doc, path)
    fresh = await Database.open(tmp_path / "fresh.sqlite3", with_notes(), ManualClock())
    try:
        events = EventStore(list(fresh.schema.observers), fresh.clock)
        parsed = portable.parse_document(portable.read_file(path), 8, fresh.tables)
        result = await fresh.write(portable.import_job(8, parsed, events))
        assert result["imported"]["notes"] == 2 and result["skipped"]["notes"] == 0
        copied = rows(fresh.path, "SELECT id, user_id, text, pinned, created_at, body FROM notes ORDER BY id")
        original = rows(notes_db.path, "SELECT id, 8, text, pinned, created_at, body FROM notes ORDER BY id")
        assert copied == original
        again = await fresh.write(portable.import_job(8, parsed, events))
        assert again["imported"]["notes"] == 0 and again["skipped"]["notes"] == 2
        # A bad value in the new store is named by its path, and nothing is written.
        doc["stores"]["notes"][1]["pinned"] = "yes"
        with pytest.raises(Exception, match=r"data\.stores\.notes\[1\]\.pinned"):
            portable.parse_document(doc, 8, fresh.tables)
    finally:
        await fresh.close()
    # Counted in status, aged out by retention under its store's name.
    assert (await notes_db.read(lambda c: row_counts(c, tables, 5)))["notes"] == {"notes": 2}
    removed = await notes_db.write(clean_job(tables, 5, FIXED_NOW - 30 * DAY))
    assert removed["notes"] == 1
    assert rows(notes_db.path, "SELECT id FROM notes") == [("n2",)]


def test_every_table_the_migrations_create_is_declared_with_its_columns(tmp_path: Path) -> None:
    schema = companion_schema()
    assert [m.version for m in schema.migrations] == list(range(1, schema.latest_version() + 1))
    conn = open_connection(tmp_path / "all.sqlite3")
    try:
        migrate(conn, FIXED_NOW, schema.migrations)
        created = {
            name
            for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            if name not in ("schema_migrations", "rollup_state")  # bookkeeping, not a user's data
        }
        assert created, "the migrations create tables"
        declared = {spec.name: spec for spec in schema.tables}
        assert created == set(declared), "a table without a TableSpec is missed by export, retention and counts"
        for name, spec in declared.items():
            columns = {row[1] for row in conn.execute(f"PRAGMA table_info({name})")}
            wanted = {spec.user_column, *(spec.portable.columns if spec.portable else ()), spec.age_column or ""}
            assert wanted - {""} <= columns, (name, wanted - columns)
    finally:
        conn.close()


def test_two_migrations_of_one_number_are_refused() -> None:
    base = companion_schema()
    twin = Migration(base.latest_version(), "a second one", lambda _conn, _now: None)
    with pytest.raises(ValueError, match="share a number"):
        replace(base, migrations=(*base.migrations, twin))


async def test_reads_reuse_a_few_read_only_connections(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "reads.sqlite3", companion_schema(), ManualClock(), readers=2)
    try:
        counts = await asyncio.gather(*(db.execute("SELECT COUNT(*) FROM events") for _ in range(60)))
        assert counts and all(c == [(0,)] for c in counts)
        assert db.readers.reads == 60 and 1 <= db.readers.connections_opened <= 2
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await db.read(lambda c: c.execute("DELETE FROM events"))
        # A read that leaves its transaction open does not pin the next read to an old snapshot.
        await asyncio.gather(*(db.read(lambda c: c.execute("BEGIN").execute("SELECT 1").fetchall()) for _ in range(4)))
        events = EventStore(list(db.schema.observers), db.clock)
        one = parse_events(3, [{"id": "S-1", "ts": FIXED_NOW, "kind": "ui", "name": "x"}], 10, FIXED_NOW)
        await db.write(events.append_job(one))
        seen = await asyncio.gather(*(db.execute("SELECT COUNT(*) FROM events") for _ in range(8)))
        assert all(c == [(1,)] for c in seen)
        assert db.readers.connections_opened <= 2
    finally:
        await db.close()


async def test_serve_says_when_it_created_the_database_folder(tmp_path: Path) -> None:
    """A mistyped --db shows at once: the start line names the folder it had to create (the first one missing)."""
    path = tmp_path / "not-yet" / "deeper" / "dsm.sqlite3"
    proc, _url, line = await start_serve(path)
    await stop_process(proc)
    assert line.endswith(f"database {path} (new: created the folder {tmp_path / 'not-yet'})"), line
    proc, _url, line = await start_serve(path)  # the folder is there now: nothing to say
    await stop_process(proc)
    assert line.endswith(f"database {path}"), line
