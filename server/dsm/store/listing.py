"""Newest-first listings of a user's rows with optional equality filters and a time window."""

from __future__ import annotations

import sqlite3
from typing import Any

from dsm.validate import Window


def newest_first(
    conn: sqlite3.Connection,
    table: str,
    columns: tuple[str, ...],
    user_id: int,
    equals: dict[str, Any],
    window: Window,
    *,
    time_column: str = "created_at",
    tiebreak: str = "id",
) -> list[tuple[Any, ...]]:
    """Rows of `table` for the user, newest `time_column` first (then `tiebreak`, descending); `equals` filters
    skip None values."""
    sql = f"SELECT {', '.join(columns)} FROM {table} WHERE user_id = ?"
    params: list[Any] = [user_id]
    clauses = [(f"{column} = ?", value) for column, value in equals.items()]
    clauses += [(f"{time_column} >= ?", window.start), (f"{time_column} <= ?", window.end)]
    for clause, value in clauses:
        if value is not None:
            sql += f" AND {clause}"
            params.append(value)
    sql += f" ORDER BY {time_column} DESC, {tiebreak} DESC LIMIT ?"
    params.append(window.limit)
    return conn.execute(sql, params).fetchall()
