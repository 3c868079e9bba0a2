"""Newest-first listings of a user's rows with optional equality filters and a time window."""

from __future__ import annotations

import sqlite3
from typing import Any

from dsm.validate import Window


def newest_first(
    conn: sqlite3.Connection, table: str, columns: tuple[str, ...], user_id: int, equals: dict[str, Any], window: Window
) -> list[tuple[Any, ...]]:
    """Rows of `table` for the user, newest `created_at` first; `equals` filters skip None values."""
    sql = f"SELECT {', '.join(columns)} FROM {table} WHERE user_id = ?"
    params: list[Any] = [user_id]
    clauses = [(f"{column} = ?", value) for column, value in equals.items()]
    clauses += [("created_at >= ?", window.start), ("created_at <= ?", window.end)]
    for clause, value in clauses:
        if value is not None:
            sql += f" AND {clause}"
            params.append(value)
    sql += " ORDER BY created_at DESC, id DESC LIMIT ?"
    params.append(window.limit)
    return conn.execute(sql, params).fetchall()
