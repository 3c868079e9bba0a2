"""Row counts per store, for `status`, `GET /api/status` and `dsm doctor`, over the tables declared `counted`."""

from __future__ import annotations

import sqlite3

from dsm.store.tables import TableSpec


def counted_by_store(tables: tuple[TableSpec, ...]) -> dict[str, list[TableSpec]]:
    """The counted tables grouped by their store, in declaration order."""
    out: dict[str, list[TableSpec]] = {}
    for spec in tables:
        if spec.counted:
            out.setdefault(spec.store, []).append(spec)
    return out


def row_counts(
    conn: sqlite3.Connection, tables: tuple[TableSpec, ...], user_id: int | None = None
) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for store, specs in counted_by_store(tables).items():
        out[store] = {}
        for spec in specs:
            if user_id is None:
                row = conn.execute(f"SELECT COUNT(*) FROM {spec.name}").fetchone()
            else:
                row = conn.execute(
                    f"SELECT COUNT(*) FROM {spec.name} WHERE {spec.user_column} = ?", (user_id,)
                ).fetchone()
            out[store][spec.name] = row[0]
    return out
