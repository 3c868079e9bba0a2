"""Small builders shared by the server tests."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from dsm.app import PORT, make_app
from dsm.config import ServerConfig
from dsm.serve_process import start_serve

# Noon UTC of a fixed day: tests never depend on today's date, and a test's few seconds never cross midnight.
FIXED_NOW = 1_781_524_800.0  # 2026-06-15T12:00:00Z


class ManualClock:
    """The companion's injectable clock for tests: reads the time the test set, moved only by the test."""

    def __init__(self, at: float = FIXED_NOW) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at

    def advance(self, seconds: float) -> None:
        self.at += seconds


@dataclass
class RunningServer:
    config: ServerConfig
    port: int
    runner: web.AppRunner

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def app(self) -> web.Application:
        return self.runner.app


async def start_server(config: ServerConfig) -> RunningServer:
    app = make_app(config)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    app[PORT][0] = port
    return RunningServer(config, port, runner)


def event(
    seq: int,
    *,
    session: str = "S1",
    ts: float = 1_700_000_000.0,
    kind: str = "ui",
    name: str = "button_click",
    **fields: Any,
) -> dict[str, Any]:
    return {"id": f"{session}-{seq}", "ts": ts + seq, "kind": kind, "name": name, **fields}


def rows(db_path: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Read the database file directly, the way an outside observer would."""
    conn = sqlite3.connect(db_path)
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


def fingerprint(db_path: Path) -> dict[str, tuple[int, int]]:
    """Every table's row count and a hash of its rows, and every backup file's size and hash: an unchanged
    fingerprint means nothing was stored, changed or removed."""
    conn = sqlite3.connect(db_path)
    try:
        tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        out = {}
        for table in tables:
            content = sorted(map(repr, conn.execute(f'SELECT * FROM "{table}"')))
            out[table] = (len(content), hash(tuple(content)))
        backups = db_path.parent / "backups"  # DataStore backups are files beside the database
        for path in sorted(backups.rglob("*")) if backups.is_dir() else []:
            if path.is_file():
                data = path.read_bytes()
                out[f"file {path.relative_to(backups).as_posix()}"] = (len(data), hash(data))
        return out
    finally:
        conn.close()


def section(body: dict[str, Any], section_id: str) -> dict[str, Any]:
    """A report body's section by id (a KeyError names it when the body has none)."""
    for part in body["sections"]:
        if part["id"] == section_id:
            return part
    raise KeyError(section_id)


def section_rows(body: dict[str, Any], section_id: str) -> list[dict[str, Any]]:
    """The rows of a table/operations/errors/bars section, the points of a series, the items of facts/findings."""
    part = section(body, section_id)
    return part["points"] if part["kind"] == "series" else part["items"] if "items" in part else part["rows"]


def fact_values(items: list[dict[str, Any]]) -> dict[str, Any]:
    """name -> value of a list of facts (a facts section's items or a finding's facts)."""
    return {item["name"]: item["value"] for item in items}


# ---- the real `dsm` as a process: for behaviour that is about the process (exit status, stderr, signals)

DSM = (sys.executable, "-m", "dsm")
SERVE_LINE = re.compile(r"listening on ws://127\.0\.0\.1:(\d+)/ws")


def run_dsm(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*DSM, *args], capture_output=True, text=True, timeout=timeout)


def one_line_fault(result: subprocess.CompletedProcess[str]) -> str:
    """The single line a failed command printed on stderr (log lines aside); no traceback allowed."""
    assert "Traceback" not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.startswith(("dsm ", "dsm:"))]
    assert len(lines) == 1, result.stderr
    return lines[0]


async def start_dsm_serve(db_path: Path, *extra: str) -> tuple[asyncio.subprocess.Process, int]:
    """`dsm serve --port 0` in its own process; returns it with the port it announced."""
    proc, url, _line = await start_serve(db_path, *extra)
    match = SERVE_LINE.search(f"listening on {url}")
    assert match, url
    return proc, int(match.group(1))


async def stop_process(proc: asyncio.subprocess.Process) -> None:
    if proc.returncode is None:
        proc.kill()
        await proc.wait()
