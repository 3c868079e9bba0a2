"""A database file the companion must not use is refused in one line naming it, with a documented exit status,
and left byte for byte as it was; `dsm doctor` checks a file fully; a full disk refuses writes until space returns."""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from dsm.app import SERVICES
from dsm.exitcodes import Exit
from dsm.link.client import LinkClient
from dsm.store.connection import open_connection
from dsm.store.migrations import migrate
from dsm.store.schema import companion_schema
from support import FIXED_NOW, event, one_line_fault, rows, run_dsm


def healthy_db(path: Path, events: int = 300) -> Path:
    """A migrated database holding some events, checkpointed (no -wal left beside it)."""
    conn = open_connection(path)
    migrate(conn, FIXED_NOW, companion_schema().migrations)
    conn.executemany(
        "INSERT INTO events (user_id, event_id, session, ts, kind, name, message, received_at)"
        " VALUES (1, ?, 'S', ?, 'ui', 'button_click', ?, ?)",
        [(f"S-{i}", FIXED_NOW + i, "x" * 200, FIXED_NOW) for i in range(events)],
    )
    conn.execute("INSERT INTO settings (user_id, body, updated_at) VALUES (1, X'80', 1.0)")
    conn.close()
    assert not Path(f"{path}-wal").exists()
    return path


def random_bytes(path: Path) -> Path:
    path.write_bytes(random.Random(9).randbytes(64 * 1024))
    return path


def truncated(path: Path) -> Path:
    whole = healthy_db(path).read_bytes()
    path.write_bytes(whole[: len(whole) // 2])
    return path


def malformed(path: Path) -> Path:
    healthy_db(path)
    conn = sqlite3.connect(path)
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name = 'events'").fetchone()[0]
    page_size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    with path.open("r+b") as file:  # the events table's root page becomes garbage
        file.seek((root - 1) * page_size)
        file.write(random.Random(3).randbytes(page_size))
    return path


def newer(path: Path) -> Path:
    healthy_db(path)
    conn = sqlite3.connect(path)
    conn.execute("INSERT INTO schema_migrations (version, name, applied_at) VALUES (100, 'from the future', 0)")
    conn.commit()
    conn.close()
    return path


def foreign(path: Path) -> Path:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
    conn.execute("INSERT INTO notes (text) VALUES ('not the companion''s')")
    conn.commit()
    conn.close()
    return path


def snapshot(folder: Path) -> dict[str, str]:
    """Every file in the folder and a hash of its bytes."""
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir()) if p.is_file()}


DAMAGED: dict[str, tuple[Callable[[Path], Path], Exit, tuple[str, ...]]] = {
    "random bytes": (random_bytes, Exit.DAMAGED, ("is not a SQLite database", "move this one away")),
    "truncated": (truncated, Exit.DAMAGED, ("is truncated", "move it away")),
    "malformed": (malformed, Exit.DAMAGED, ("is damaged", "move it away")),
    "newer schema": (newer, Exit.NEWER, ("newer DataStore Manager Pro companion (schema 100", "update the companion")),
    "another program's": (foreign, Exit.DAMAGED, ("another program's SQLite database", "--db")),
}


@pytest.mark.parametrize("case", list(DAMAGED))
def test_serve_refuses_a_file_it_must_not_use_and_leaves_it_unchanged(tmp_path: Path, case: str) -> None:
    make, status, words = DAMAGED[case]
    db = make(tmp_path / "dsm.sqlite3")
    before = snapshot(tmp_path)
    result = run_dsm("serve", "--port", "0", "--db", str(db))
    assert result.returncode == status
    line = one_line_fault(result)
    assert line.startswith(f"dsm serve: {db}") or f" {db} " in line, line
    for word in words:
        assert word in line
    assert "unchanged" in line
    assert snapshot(tmp_path) == before  # same bytes, and no -wal/-shm left beside it


@pytest.mark.parametrize("case", ["random bytes", "newer schema"])
def test_the_other_commands_refuse_it_the_same_way(tmp_path: Path, case: str) -> None:
    make, status, words = DAMAGED[case]
    db = make(tmp_path / "dsm.sqlite3")
    before = snapshot(tmp_path)
    for command in (["report", "list"], ["export", "-o", str(tmp_path / "out" / "x.gz")], ["rollups", "rebuild"]):
        result = run_dsm(*command, "--db", str(db))
        assert result.returncode == status, (command, result.stderr)
        assert words[0] in one_line_fault(result)
    assert snapshot(tmp_path) == before
    assert not (tmp_path / "out").exists()


def test_a_folder_path_that_runs_through_a_file_is_named(tmp_path: Path) -> None:
    blocker = tmp_path / "notes.txt"
    blocker.write_text("a file, not a folder")
    result = run_dsm("serve", "--port", "0", "--db", str(blocker / "data" / "dsm.sqlite3"))
    assert result.returncode == Exit.UNWRITABLE
    line = one_line_fault(result)
    assert f"{blocker} is a file" in line and "--db" in line
    assert blocker.read_text() == "a file, not a folder"


def test_a_folder_given_as_the_database_is_named(tmp_path: Path) -> None:
    result = run_dsm("serve", "--port", "0", "--db", str(tmp_path))
    assert result.returncode == Exit.USAGE
    assert f"{tmp_path} is a folder, not a database file" in one_line_fault(result)
    assert list(tmp_path.iterdir()) == []


@contextlib.contextmanager
def read_only(path: Path) -> Iterator[None]:
    """Make `path` (a file or a folder) refuse writes for the duration, to root as well."""
    if os.name != "nt" and os.geteuid() == 0:
        # Permission bits do not bind root; the immutable attribute does (Linux file systems).
        if shutil.which("chattr") is None or subprocess.run(["chattr", "+i", str(path)]).returncode != 0:
            pytest.skip("running as root where the immutable attribute is not available")
        try:
            yield
        finally:
            subprocess.run(["chattr", "-i", str(path)], check=True)
        return
    mode = path.stat().st_mode
    path.chmod(stat.S_IREAD | stat.S_IEXEC if path.is_dir() else stat.S_IREAD)
    try:
        yield
    finally:
        path.chmod(mode)


@pytest.mark.skipif(sys.platform == "win32", reason="a read-only folder still takes new files on Windows")
def test_a_database_in_a_read_only_folder_is_refused_untouched(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    db = healthy_db(folder / "dsm.sqlite3")
    before = snapshot(folder)
    with read_only(folder):
        result = run_dsm("serve", "--port", "0", "--db", str(db))
    assert result.returncode == Exit.UNWRITABLE
    line = one_line_fault(result)
    assert f"cannot write in the folder {folder}" in line and "writable" in line
    assert snapshot(folder) == before


def test_a_read_only_database_file_is_refused_untouched(tmp_path: Path) -> None:
    db = healthy_db(tmp_path / "dsm.sqlite3")
    before = snapshot(tmp_path)
    with read_only(db):
        result = run_dsm("serve", "--port", "0", "--db", str(db))
    assert result.returncode == Exit.UNWRITABLE
    line = one_line_fault(result)
    assert f"cannot write to {db}" in line and "read-only" in line
    assert snapshot(tmp_path) == before


def test_doctor_reports_a_healthy_file_with_its_rows_and_changes_nothing(tmp_path: Path) -> None:
    db = healthy_db(tmp_path / "dsm.sqlite3", events=1234)
    before = snapshot(tmp_path)
    result = run_dsm("doctor", "--db", str(db))
    assert result.returncode == Exit.OK, result.stderr
    out = result.stdout
    assert (
        f"schema    version {companion_schema().latest_version()} of {companion_schema().latest_version()}: up to date"
        in out
    )
    assert "structure ok (quick_check" in out and "tables    ok (integrity_check" in out
    assert "analytics: events 1,234, realtime_snapshots 0, sessions 0" in out
    assert "settings: settings 1" in out
    assert out.strip().endswith("healthy: the companion can use this file")
    assert snapshot(tmp_path) == before


@pytest.mark.parametrize(
    ("case", "status", "words"),
    [("malformed", Exit.DAMAGED, "damaged"), ("newer schema", Exit.NEWER, "update the companion")],
)
def test_doctor_names_what_is_wrong(tmp_path: Path, case: str, status: Exit, words: str) -> None:
    db = DAMAGED[case][0](tmp_path / "dsm.sqlite3")
    before = snapshot(tmp_path)
    result = run_dsm("doctor", "--db", str(db))
    assert result.returncode == status
    line = one_line_fault(result)
    assert line.startswith("dsm doctor: ") and words in line and str(db) in line
    assert snapshot(tmp_path) == before


def test_doctor_on_a_missing_file_says_so_and_creates_nothing(tmp_path: Path) -> None:
    result = run_dsm("doctor", "--db", str(tmp_path / "nope.sqlite3"))
    assert result.returncode == Exit.NOT_FOUND
    assert "no database at" in one_line_fault(result)
    assert list(tmp_path.iterdir()) == []


async def test_a_full_disk_refuses_writes_without_an_ack_and_recovers_when_space_returns(server, db_path) -> None:
    db = server.app[SERVICES].db
    client = await LinkClient.connect(server.ws_url)
    try:
        await client.hello(1)
        assert await client.call("events.append", {"events": [event(i) for i in range(10)]}) == {
            "accepted": 10,
            "duplicates": 0,
        }
        # SQLite's own size limit on the writer's connection: the file may not grow by a single page.
        pages = await db.write(lambda c: c.execute("PRAGMA page_count").fetchone()[0])
        await db.write(lambda c: c.execute(f"PRAGMA max_page_count = {pages}").fetchone())
        batch = [event(100 + i, message="m" * 500) for i in range(1000)]
        reply = await client.request("events.append", {"events": batch})
        assert reply["ok"] is False
        assert reply["error"]["code"] == "rate_limited" and reply["error"]["retry"] is True
        assert "disk" in reply["error"]["message"] and "full" in reply["error"]["message"]
        assert "Nothing from this request was saved" in reply["error"]["message"]
        assert rows(db_path, "SELECT COUNT(*) FROM events") == [(10,)]
        # reads still answer while the disk is full
        assert (await client.call("analytics.current"))["summary"]["totalEvents"] == 10

        await db.write(lambda c: c.execute("PRAGMA max_page_count = 1073741823").fetchone())
        assert await client.call("events.append", {"events": batch}) == {"accepted": 1000, "duplicates": 0}
        assert rows(db_path, "SELECT COUNT(*) FROM events") == [(1010,)]
    finally:
        await client.close()
