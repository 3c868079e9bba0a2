"""The reports store: saved reports (id, type, created time, title, body), listed by type and date range."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dsm.clock import time_ordered_id
from dsm.reports import legacy
from dsm.reports.catalog import NAMES
from dsm.store.codec import pack, unpack
from dsm.store.listing import newest_first
from dsm.store.tables import Field, Merge, Portable, TableSpec
from dsm.validate import Window

# The names come from the report registry, the one place report types are declared.
REPORT_TYPES = NAMES


@dataclass(frozen=True)
class Report:
    id: str
    type: str
    created_at: float
    title: str
    body: dict[str, Any]

    def header(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "createdAt": self.created_at, "title": self.title}

    def to_wire(self) -> dict[str, Any]:
        return {**self.header(), "body": self.body}


def new_report(report_type: str, created_at: float, title: str, body: dict[str, Any]) -> Report:
    return Report(time_ordered_id("rpt", created_at), report_type, created_at, title, body)


def save_job(user_id: int, report: Report) -> Callable[[sqlite3.Connection], Report]:
    def job(conn: sqlite3.Connection) -> Report:
        conn.execute(
            "INSERT OR REPLACE INTO reports (id, user_id, type, created_at, title, body) VALUES (?,?,?,?,?,?)",
            (report.id, user_id, report.type, report.created_at, report.title, pack(report.body)),
        )
        return report

    return job


def delete_job(user_id: int, report_id: str) -> Callable[[sqlite3.Connection], bool]:
    def job(conn: sqlite3.Connection) -> bool:
        cursor = conn.execute("DELETE FROM reports WHERE user_id = ? AND id = ?", (user_id, report_id))
        return cursor.rowcount > 0

    return job


def get(conn: sqlite3.Connection, user_id: int, report_id: str) -> Report | None:
    row = conn.execute(
        "SELECT id, type, created_at, title, body FROM reports WHERE user_id = ? AND id = ?",
        (user_id, report_id),
    ).fetchone()
    if row is None:
        return None
    # A body saved before the report model (or imported) is served in the model; the stored bytes stay as they are.
    return Report(row[0], row[1], row[2], row[3], legacy.upgrade(unpack(row[4])))


def bodies_since(conn: sqlite3.Connection, user_id: int, report_type: str, since: float) -> list[Any]:
    """The stored bodies of the user's reports of one type created at or after `since`, as saved."""
    rows = conn.execute(
        "SELECT body FROM reports WHERE user_id = ? AND type = ? AND created_at >= ?", (user_id, report_type, since)
    )
    return [unpack(body) for (body,) in rows]


def list_headers(
    conn: sqlite3.Connection, user_id: int, report_type: str | None, window: Window
) -> list[dict[str, Any]]:
    """Newest first."""
    rows = newest_first(conn, "reports", ("id", "type", "created_at", "title"), user_id, {"type": report_type}, window)
    return [{"id": r[0], "type": r[1], "createdAt": r[2], "title": r[3]} for r in rows]


TABLE = TableSpec(
    "reports",
    store="reports",
    age_column="created_at",
    portable=Portable(
        "reports",
        (
            Field("id", "id", min_len=1, max_len=128),
            Field("type", "type", max_len=200, choices=REPORT_TYPES),
            Field("createdAt", "created_at", "time"),
            Field("title", "title", max_len=1000),
            Field("bodyB64", "body", "blob"),
        ),
        Merge("own_id", key=("id",)),
        order="created_at, id",
    ),
)
TABLES = (TABLE,)
