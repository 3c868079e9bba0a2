"""Small builders shared by the server tests."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiohttp import web

from dsm.app import PORT, make_app
from dsm.config import ServerConfig

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
    """Every table's row count and a hash of its rows: an unchanged fingerprint means nothing was stored,
    changed or removed."""
    conn = sqlite3.connect(db_path)
    try:
        tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        out = {}
        for table in tables:
            content = sorted(map(repr, conn.execute(f'SELECT * FROM "{table}"')))
            out[table] = (len(content), hash(tuple(content)))
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
