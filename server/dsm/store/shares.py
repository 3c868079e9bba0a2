"""The shares store: read-only share links to one report's HTML view, each a capability (an unguessable id).

A share names its report; deleting the report (by hand, by retention, by `data.clean`) deletes its shares too
(a foreign key with ON DELETE CASCADE), so a link never outlives what it shows. Revoking deletes the row.
Shares are links of this database only: the portable export leaves them out (`TABLE` has no `portable`).
"""

from __future__ import annotations

import secrets
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dsm.errors import not_found
from dsm.store import migrations
from dsm.store.tables import TableSpec

SCHEMA = """
CREATE TABLE report_shares (
    id TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL,
    report_id TEXT NOT NULL REFERENCES reports (id) ON DELETE CASCADE,
    created_at REAL NOT NULL
);
CREATE INDEX report_shares_by_user_created ON report_shares (user_id, created_at);
CREATE INDEX report_shares_by_report ON report_shares (report_id)
"""
ID_BYTES = 24  # 192 random bits: a share id cannot be guessed, only handed out


@dataclass(frozen=True)
class Share:
    id: str
    user_id: int
    report_id: str
    created_at: float


def create_job(user_id: int, report_id: str, now: float) -> Callable[[sqlite3.Connection], Share]:
    """A new share of one of this user's reports (`not_found` when the user has no such report)."""

    def job(conn: sqlite3.Connection) -> Share:
        found = conn.execute("SELECT 1 FROM reports WHERE user_id = ? AND id = ?", (user_id, report_id)).fetchone()
        if found is None:
            raise not_found(f"no report with id {report_id} for user {user_id}")
        share = Share(secrets.token_urlsafe(ID_BYTES), user_id, report_id, now)
        conn.execute(
            "INSERT INTO report_shares (id, user_id, report_id, created_at) VALUES (?,?,?,?)",
            (share.id, share.user_id, share.report_id, share.created_at),
        )
        return share

    return job


def revoke_job(user_id: int, share_id: str) -> Callable[[sqlite3.Connection], bool]:
    """Delete the share; False when this user has no share with that id."""

    def job(conn: sqlite3.Connection) -> bool:
        cursor = conn.execute("DELETE FROM report_shares WHERE user_id = ? AND id = ?", (user_id, share_id))
        return cursor.rowcount > 0

    return job


def resolve(conn: sqlite3.Connection, share_id: str) -> tuple[int, str] | None:
    """(user id, report id) a live share points at, or None."""
    row = conn.execute("SELECT user_id, report_id FROM report_shares WHERE id = ?", (share_id,)).fetchone()
    return None if row is None else (int(row[0]), str(row[1]))


def list_shares(conn: sqlite3.Connection, user_id: int) -> list[dict[str, Any]]:
    """The user's shares, newest first, with the title and type of the report each shows."""
    rows = conn.execute(
        "SELECT s.id, s.report_id, s.created_at, r.title, r.type FROM report_shares s"
        " JOIN reports r ON r.id = s.report_id WHERE s.user_id = ? ORDER BY s.created_at DESC, s.id",
        (user_id,),
    )
    return [{"id": r[0], "reportId": r[1], "createdAt": r[2], "title": r[3], "type": r[4]} for r in rows]


def _migrate(conn: sqlite3.Connection, _now: float) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


MIGRATIONS = (migrations.Migration(5, "report shares: revocable read-only links to one report", _migrate),)
# Counted in `status`; no retention of its own (a share goes with its report, by the foreign key); not exported
# (a capability of this database, not data to carry elsewhere).
TABLE = TableSpec("report_shares", store="shares")
TABLES = (TABLE,)
