"""Removing old data from every store (`data.clean` and the retention schedule), by each table's `age_column`."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable

from dsm.store.tables import TableSpec


def clean_job(
    tables: tuple[TableSpec, ...], user_id: int | None, before: float
) -> Callable[[sqlite3.Connection], dict[str, int]]:
    """Delete rows older than `before` (for one user, or all when None); counts per store."""
    aged = [t for t in tables if t.age_column is not None]

    def job(conn: sqlite3.Connection) -> dict[str, int]:
        removed: dict[str, int] = {}
        for spec in aged:
            if user_id is None:
                cursor = conn.execute(f"DELETE FROM {spec.name} WHERE {spec.age_column} < ?", (before,))
            else:
                cursor = conn.execute(
                    f"DELETE FROM {spec.name} WHERE {spec.user_column} = ? AND {spec.age_column} < ?",
                    (user_id, before),
                )
            removed[spec.removed_as] = removed.get(spec.removed_as, 0) + cursor.rowcount
        return removed

    return job
