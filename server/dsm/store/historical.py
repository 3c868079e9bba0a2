"""The historical store: labelled snapshots (label, category, created time, body) for later comparison."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dsm.clock import time_ordered_id
from dsm.store.codec import pack, unpack
from dsm.store.listing import newest_first
from dsm.store.tables import Field, Merge, Portable, TableSpec
from dsm.validate import Window


@dataclass(frozen=True)
class Snapshot:
    id: str
    label: str
    category: str
    created_at: float
    body: dict[str, Any]

    def header(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "category": self.category, "createdAt": self.created_at}

    def to_wire(self) -> dict[str, Any]:
        return {**self.header(), "body": self.body}


def new_snapshot(label: str, category: str, created_at: float, body: dict[str, Any]) -> Snapshot:
    return Snapshot(time_ordered_id(f"hist_{category}", created_at), label, category, created_at, body)


def save_job(user_id: int, snap: Snapshot) -> Callable[[sqlite3.Connection], Snapshot]:
    def job(conn: sqlite3.Connection) -> Snapshot:
        conn.execute(
            "INSERT OR REPLACE INTO historical_snapshots (id, user_id, label, category, created_at, body)"
            " VALUES (?,?,?,?,?,?)",
            (snap.id, user_id, snap.label, snap.category, snap.created_at, pack(snap.body)),
        )
        return snap

    return job


def get(conn: sqlite3.Connection, user_id: int, snapshot_id: str) -> Snapshot | None:
    row = conn.execute(
        "SELECT id, label, category, created_at, body FROM historical_snapshots WHERE user_id = ? AND id = ?",
        (user_id, snapshot_id),
    ).fetchone()
    return None if row is None else Snapshot(row[0], row[1], row[2], row[3], unpack(row[4]))


def list_headers(conn: sqlite3.Connection, user_id: int, category: str | None, window: Window) -> list[dict[str, Any]]:
    """Newest first."""
    columns = ("id", "label", "category", "created_at")
    rows = newest_first(conn, "historical_snapshots", columns, user_id, {"category": category}, window)
    return [{"id": r[0], "label": r[1], "category": r[2], "createdAt": r[3]} for r in rows]


TABLE = TableSpec(
    "historical_snapshots",
    store="historical",
    age_column="created_at",
    portable=Portable(
        "historical",
        (
            Field("id", "id", min_len=1, max_len=128),
            Field("label", "label", min_len=1, max_len=200),
            Field("category", "category", min_len=1, max_len=64),
            Field("createdAt", "created_at", "time"),
            Field("bodyB64", "body", "blob"),
        ),
        Merge("own_id", key=("id",)),
        order="created_at, id",
    ),
)
TABLES = (TABLE,)
