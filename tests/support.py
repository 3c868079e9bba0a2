"""Small builders shared by the server tests."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any


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
