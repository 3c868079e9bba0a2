"""Every fault of the `dsm` command is one line and a documented exit status, never a traceback: a port in use,
bad option values, a closed pipe, import files that are not exports, Ctrl+C (with what was done by then)."""

from __future__ import annotations

import asyncio
import gzip
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from dsm.cli import main
from dsm.exitcodes import Exit
from dsm.link.client import LinkClient
from dsm.store import portable
from dsm.store.connection import open_connection
from dsm.store.migrations import migrate
from dsm.store.schema import companion_schema
from support import (
    DSM,
    FIXED_NOW,
    SERVE_LINE,
    event,
    one_line_fault,
    rows,
    run_dsm,
    start_dsm_serve,
    stop_process,
)

ROOT = Path(__file__).resolve().parents[2]
posix_signals = pytest.mark.skipif(sys.platform == "win32", reason="sends POSIX signals to a process group")


async def test_a_port_held_by_a_companion_says_so_and_names_the_port_option(tmp_path: Path) -> None:
    first, port = await start_dsm_serve(tmp_path / "first.sqlite3")
    try:
        result = await asyncio.to_thread(run_dsm, "serve", "--port", str(port), "--db", str(tmp_path / "two.sqlite3"))
    finally:
        await stop_process(first)
    assert result.returncode == Exit.CANNOT_LISTEN
    line = one_line_fault(result)
    assert f"port {port} is in use by another DataStore Manager Pro companion (dsm " in line
    assert str(tmp_path / "first.sqlite3") in line  # the database it serves
    assert "--port N" in line


def test_a_port_held_by_another_program_says_how_to_find_it(db_path: Path) -> None:
    with socket.socket() as other:
        other.bind(("127.0.0.1", 0))
        other.listen()  # accepts connections, answers nothing: not a companion
        port = other.getsockname()[1]
        result = run_dsm("serve", "--port", str(port), "--db", str(db_path))
    assert result.returncode == Exit.CANNOT_LISTEN
    line = one_line_fault(result)
    assert f"port {port} on 127.0.0.1 is in use by another program" in line
    assert ("netstat -ano" if sys.platform == "win32" else "lsof") in line
    assert "--port N" in line


@pytest.mark.parametrize(
    ("args", "words"),
    [
        (["serve", "--port", "99999"], "argument --port: '99999' is not a port: expected 0..65535"),
        (["serve", "--port", "http"], "argument --port: 'http' is not a port"),
        (["report", "list", "--limit", "ten"], "argument --limit: invalid int value: 'ten'"),
        (["report", "generate", "WEEKLY"], "argument TYPE: invalid choice: 'WEEKLY'"),
        (["frobnicate"], "argument COMMAND: invalid choice: 'frobnicate'"),
    ],
)
def test_a_bad_option_value_is_one_line_pointing_at_help(args: list[str], words: str) -> None:
    result = run_dsm(*args)
    assert result.returncode == Exit.USAGE
    assert result.stderr.count("\n") == 1  # not the whole usage text
    line = one_line_fault(result)
    assert words in line and "--help" in line


def test_a_closed_pipe_ends_quietly(db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = tmp_path / "seed.dsm.json.gz"
    portable.write_file(export_document(50), source)
    assert main(["import", str(source), "--db", str(db_path)]) == 0
    for _ in range(3):
        assert main(["report", "generate", "DAILY_SUMMARY", "--db", str(db_path)]) == 0
    capsys.readouterr()
    # `dsm report list | head -0`: the reader is gone before the first line is written
    proc = subprocess.Popen(
        [*DSM, "report", "list", "--db", str(db_path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    assert proc.stdout is not None and proc.stderr is not None
    proc.stdout.close()
    stderr = proc.stderr.read().decode()
    assert proc.wait(60) == Exit.OUTPUT_CLOSED
    assert "Traceback" not in stderr and "BrokenPipe" not in stderr and "Exception ignored" not in stderr


def export_document(events: int, user_id: int = 7) -> dict[str, Any]:
    return {
        "format": portable.FORMAT,
        "version": portable.VERSION,
        "exportedAt": FIXED_NOW,
        "source": {"userId": user_id, "server": "test"},
        "counts": {"events": events},
        "stores": {
            "events": [
                {"id": f"I-{i:07d}", "ts": FIXED_NOW + i, "kind": "ui", "name": "button_click", "receivedAt": FIXED_NOW}
                for i in range(events)
            ]
        },
    }


def bad_import_files(folder: Path) -> dict[str, tuple[Path, str]]:
    good = gzip.compress(json.dumps(export_document(2000)).encode())
    files = {
        "truncated gzip": (good[: len(good) // 2], "is a truncated gzip file"),
        "not gzip": (bytes(range(7, 250)) * 40, "is not an export file: neither gzip nor JSON"),
        "gzip of text": (gzip.compress(b"dear diary"), "is gzip but not an export: its content is not JSON"),
        "JSON, no export": (json.dumps({"players": [1, 2]}).encode(), "is JSON but not a DataStore Manager Pro export"),
        "export, bad row": (
            json.dumps({**export_document(1), "stores": {"events": [{"id": "x", "ts": "noon"}]}}).encode(),
            "is not a valid export: data.stores.events[0]",
        ),
    }
    out = {}
    for i, (name, (content, words)) in enumerate(files.items()):
        path = folder / f"file{i}.dsm.gz"
        path.write_bytes(content)
        out[name] = (path, words)
    return out


def test_an_import_file_that_is_not_an_export_is_named_and_changes_nothing(tmp_path: Path) -> None:
    cases = bad_import_files(tmp_path)
    assert len(cases) == 5
    db = tmp_path / "db" / "dsm.sqlite3"
    for name, (path, words) in cases.items():
        result = run_dsm("import", str(path), "--db", str(db))
        assert result.returncode == Exit.USAGE, name
        line = one_line_fault(result)
        assert line.startswith(f"dsm import: {path}") and words in line, (name, line)
    # the bad-row case reads the database (for its user); none of them stored anything
    assert not db.exists() or rows(db, "SELECT COUNT(*) FROM events") == [(0,)]


def test_an_import_file_that_does_not_exist_is_named(tmp_path: Path) -> None:
    result = run_dsm("import", str(tmp_path / "nope.gz"), "--db", str(tmp_path / "dsm.sqlite3"))
    assert result.returncode == Exit.USAGE
    assert f"cannot read {tmp_path / 'nope.gz'}" in one_line_fault(result)
    assert not (tmp_path / "dsm.sqlite3").exists()


def migrated(path: Path) -> Path:
    conn = open_connection(path)
    migrate(conn, FIXED_NOW, companion_schema().migrations)
    conn.close()  # checkpointed: no -wal until someone writes
    return path


async def wait_for_file(path: Path, min_bytes: int, proc: asyncio.subprocess.Process) -> bool:
    """True once `path` holds `min_bytes`; False if the process ended first."""
    while proc.returncode is None:
        if await asyncio.to_thread(_size, path) >= min_bytes:
            return True
        await asyncio.sleep(0.01)
    return False


def _size(path: Path) -> int:
    return path.stat().st_size if path.exists() else -1


@posix_signals
async def test_ctrl_c_during_an_import_states_the_outcome_and_it_holds(tmp_path: Path) -> None:
    source = tmp_path / "big.dsm.json.gz"
    await asyncio.to_thread(portable.write_file, export_document(150_000), source)
    db = migrated(tmp_path / "dsm.sqlite3")
    proc = await asyncio.create_subprocess_exec(
        *DSM, "import", str(source), "--db", str(db), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        # once the write-ahead log grows, the import's transaction is under way
        writing = await asyncio.wait_for(wait_for_file(Path(f"{db}-wal"), 1 << 20, proc), 120)
        if writing:
            proc.send_signal(signal.SIGINT)
        out, err = await asyncio.wait_for(proc.communicate(), 120)
    finally:
        await stop_process(proc)
    stderr = err.decode()
    stored = rows(db, "SELECT COUNT(*) FROM events")[0][0]
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    if not writing:
        pytest.fail(f"the import ended before it was interrupted: {stderr}")
    assert proc.returncode == Exit.INTERRUPTED
    line = one_line_fault(subprocess.CompletedProcess([], proc.returncode, out.decode(), stderr))
    if "nothing imported" in line:
        assert line == "dsm import: interrupted: nothing imported into user 7 (stopped and rolled back)"
        assert stored == 0
    else:  # Ctrl+C came after the commit: what it says was done is in the database
        assert "the import had finished: imported into user 7: 150000 new" in line, line
        assert stored == 150_000


@posix_signals
async def test_ctrl_c_during_an_export_leaves_no_partial_file(tmp_path: Path) -> None:
    db = migrated(tmp_path / "dsm.sqlite3")
    await asyncio.to_thread(main, ["import", str(await _write_export(tmp_path, 100_000)), "--db", str(db)])
    target = tmp_path / "out" / "backup.dsm.json.gz"
    proc = await asyncio.create_subprocess_exec(
        *DSM, "export", "-o", str(target), "--db", str(db), stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        # the rows are read once the progress line appears; the file is being written
        seen = b""
        while proc.returncode is None and b"export:" not in seen:
            seen += await _peek(proc)
        proc.send_signal(signal.SIGINT)
        _out, err = await asyncio.wait_for(proc.communicate(), 120)
    finally:
        await stop_process(proc)
    stderr = (seen + err).decode()
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert await asyncio.to_thread(_size, Path(f"{target}.partial")) == -1
    if proc.returncode == Exit.OK:  # it finished before the signal arrived
        assert await asyncio.to_thread(_size, target) > 0
        return
    assert proc.returncode == Exit.INTERRUPTED
    line = [line for line in stderr.splitlines() if line.startswith("dsm export:")][-1]
    if "nothing written" in line:
        assert await asyncio.to_thread(_size, target) == -1
    else:
        assert "the export had finished" in line and portable.read_file(target)["counts"]["events"] == 100_000


async def _write_export(folder: Path, events: int) -> Path:
    path = folder / "seed.dsm.json.gz"
    await asyncio.to_thread(portable.write_file, export_document(events), path)
    return path


async def _peek(proc: asyncio.subprocess.Process) -> bytes:
    """The next stderr line of the process (empty once it ended)."""
    assert proc.stderr is not None
    return await asyncio.wait_for(proc.stderr.readline(), 120)


@posix_signals
async def test_ctrl_c_on_the_serve_wrapper_lets_the_server_finish_its_shutdown(tmp_path: Path) -> None:
    db = tmp_path / "serve.sqlite3"
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "scripts" / "serve.py"),
        "--port",
        "0",
        "--db",
        str(db),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group, as a terminal gives it
    )
    try:
        assert proc.stdout is not None
        match = None
        while match is None:  # the wrapper may first say it is setting up .venv
            line = (await asyncio.wait_for(proc.stdout.readline(), 300)).decode()
            assert line, "the wrapper ended before the server listened"
            match = SERVE_LINE.search(line)
        client = await LinkClient.connect(f"ws://127.0.0.1:{match.group(1)}/ws")
        await client.hello(1)
        now = (await client.call("status"))["startedAt"]  # the server's clock: its retention keeps these
        ids = [
            await client.send("events.append", {"events": [event(b * 200 + i, ts=now - 3600) for i in range(200)]})
            for b in range(30)
        ]
        replies = asyncio.gather(*(client.expect(i) for i in ids), return_exceptions=True)
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl+C in the terminal does: both processes get it
        answered = await asyncio.wait_for(replies, 60)
        out, err = await asyncio.wait_for(proc.communicate(), 60)
        await client.close()
    finally:
        await stop_process(proc)
    assert proc.returncode == 0
    stderr = err.decode()
    assert "Traceback" not in stderr and "KeyboardInterrupt" not in stderr
    assert "stopping: closing connections and committing pending writes" in stderr
    assert f"dsm stopped: every acknowledged write is saved in {db}" in out.decode()
    acked = sum(r["body"]["accepted"] for r in answered if isinstance(r, dict) and r.get("ok"))
    assert acked > 0
    assert rows(db, "SELECT COUNT(*) FROM events")[0][0] >= acked
