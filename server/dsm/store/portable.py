"""Whole-data export and import of one user's stores, as a portable document (see docs/exports.md).

The document is plain JSON: `{"format", "version", "exportedAt", "source", "counts", "stores": {...}}`, one entry
under `stores` per table a store declares `portable` (`dsm.store.tables`); this module names no table. Stored blobs
travel as base64 of the exact msgpack bytes in the database (fields ending in `B64`), so an import reproduces the
stores bit for bit. Import validates the whole document first, then merges in one writer job (all or nothing)
into the importing user, whatever user id the file came from, by each table's declared `Merge` rule.
"""

from __future__ import annotations

import gzip
import json
import os
import sqlite3
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dsm.errors import DsmError, invalid
from dsm.store.tables import ImportContext, Portable, Row, TableSpec, portable_tables
from dsm.validate import Obj, as_list, as_object, integer

FORMAT = "datastore-manager-pro/export"
VERSION = 1
CHUNK = 2000

Progress = Callable[[str, int, int], None]  # (store, rows done, rows in that store)


# ---------------------------------------------------------------------------------------------- export


def export_user(
    conn: sqlite3.Connection, user_id: int, now: float, server_version: str = "", *, tables: tuple[TableSpec, ...]
) -> Obj:
    """Every portable table of `user_id` as one document, read in a single transaction (a consistent snapshot)."""
    conn.execute("BEGIN")
    try:
        stores: Obj = {}
        for spec, how in portable_tables(tables):
            stores[how.key] = _export_table(conn, spec, how, user_id)
    finally:
        conn.execute("COMMIT")
    return {
        "format": FORMAT,
        "version": VERSION,
        "exportedAt": now,
        "source": {"userId": user_id, "server": server_version},
        "counts": count_rows(stores, tables),
        "stores": stores,
    }


def _export_table(conn: sqlite3.Connection, spec: TableSpec, how: Portable, user_id: int) -> list[Obj] | Obj | None:
    sql = f"SELECT {', '.join(how.columns)} FROM {spec.name} WHERE {spec.user_column} = ?"
    if how.order:
        sql += f" ORDER BY {how.order}"
    plan = [(f.name, f.dumper, f.omit_null) for f in how.fields]
    items = []
    for row in conn.execute(sql, (user_id,)):  # the hot loop of a large export: no call for a plain value
        item: Obj = {}
        for (name, dump, omit_null), value in zip(plan, row, strict=True):
            if value is None:
                if not omit_null:
                    item[name] = None
            else:
                item[name] = value if dump is None else dump(value)
        items.append(item)
    if how.single:
        return items[0] if items else None
    return items


def count_rows(stores: Obj, tables: tuple[TableSpec, ...]) -> dict[str, int]:
    counts = {}
    for _spec, how in portable_tables(tables):
        value = stores.get(how.key)
        counts[how.key] = len(value) if isinstance(value, list) else int(value is not None)
    return counts


# ------------------------------------------------------------------------------------------ validation


@dataclass
class Parsed:
    """A validated document, ready to write: per store key, rows in its declared column order."""

    tables: tuple[TableSpec, ...]
    rows: dict[str, list[Row]] = field(default_factory=dict)

    def total(self) -> int:
        return sum(len(rows) for rows in self.rows.values())


def parse_document(raw: Any, user_id: int, tables: tuple[TableSpec, ...], path: str = "data") -> Parsed:
    """Check a whole export document; the first problem raises `invalid_body` naming its path."""
    doc = as_object(raw, path)
    if doc.get("format") != FORMAT:
        raise invalid(f"{path}.format", f"expected {FORMAT!r}")
    version = integer(doc, "version", path, minimum=1)
    if version != VERSION:
        raise invalid(f"{path}.version", f"this server reads version {VERSION}, the file is version {version}")
    stores = as_object(doc.get("stores"), f"{path}.stores")
    known = {how.key for _spec, how in portable_tables(tables)}
    unknown = sorted(k for k in stores if k not in known)
    if unknown:
        raise invalid(f"{path}.stores.{unknown[0]}", "unknown store")
    parsed = Parsed(tables)
    for _spec, how in portable_tables(tables):
        parsed.rows[how.key] = _parse_store(how, stores.get(how.key), user_id, f"{path}.stores.{how.key}")
    return parsed


def _parse_store(how: Portable, value: Any, user_id: int, where: str) -> list[Row]:
    if how.single:
        return [] if value is None else [_parse_row(how, as_object(value, where), where)]
    items = as_list(value if value is not None else [], where)
    if how.parse_rows is not None:
        return how.parse_rows(items, user_id, where)
    return [_parse_row(how, as_object(item, f"{where}[{i}]"), f"{where}[{i}]") for i, item in enumerate(items)]


def _parse_row(how: Portable, obj: Obj, path: str) -> Row:
    row = tuple(f.parse(obj, path) for f in how.fields)
    if how.check is not None:
        how.check(row, path)
    return row


# ---------------------------------------------------------------------------------------------- import


def import_job(
    user_id: int, parsed: Parsed, events: Any, progress: Progress | None = None
) -> Callable[[sqlite3.Connection], dict[str, dict[str, int]]]:
    """Merge a validated document into `user_id`'s stores; `{"imported": {store: n}, "skipped": {...}}`.
    `events` is the `EventStore` whose observers see imported events (so rollups stay right)."""
    report = progress or (lambda _store, _done, _total: None)

    def job(conn: sqlite3.Connection) -> dict[str, dict[str, int]]:
        context = ImportContext(events, report)
        added: dict[str, int] = {}
        totals: dict[str, int] = {}
        for spec, how in portable_tables(parsed.tables):
            rows = parsed.rows.get(how.key, [])
            totals[how.key] = len(rows)
            if how.import_rows is not None:
                added[how.key] = how.import_rows(conn, user_id, rows, context)
                continue
            added[how.key] = 0
            for i, row in enumerate(rows, 1):
                added[how.key] += int(_merge_row(conn, spec, how, user_id, row))
                if i % CHUNK == 0 or i == len(rows):
                    report(how.key, i, len(rows))
        return {"imported": added, "skipped": {k: totals[k] - added[k] for k in totals}}

    return job


def _merge_row(conn: sqlite3.Connection, spec: TableSpec, how: Portable, user_id: int, row: Row) -> bool:
    """Apply the table's `Merge` rule to one imported row; True when it added or changed a row."""
    rule, table, user = how.merge.rule, spec.name, spec.user_column
    columns = how.columns
    values = dict(zip(columns, row, strict=True))
    if rule == "own_id":
        (id_column,) = how.merge.key
        item_id = _free_id(conn, spec, id_column, user_id, values[id_column])
        if item_id is None:
            return False
        values[id_column] = item_id
        _insert(conn, spec, user_id, values)
        return True
    key = how.merge.key
    match = " AND ".join([f"{user} = ?", *(f"{c} = ?" for c in key)])
    key_values = (user_id, *(values[c] for c in key))
    if rule == "newer":
        updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in key)
        cursor = conn.execute(
            f"INSERT INTO {table} ({user}, {', '.join(columns)}) VALUES ({', '.join('?' * (len(columns) + 1))})"
            f" ON CONFLICT ({', '.join((user, *key))}) DO UPDATE SET {updates}"
            f" WHERE excluded.{how.merge.by} > {table}.{how.merge.by}",
            (user_id, *row),
        )
        return cursor.rowcount > 0
    if rule == "larger":
        before = conn.execute(f"SELECT {', '.join(columns)} FROM {table} WHERE {match}", key_values).fetchone()
        merged = row if before is None else tuple(max(a, b) for a, b in zip(before, row, strict=True))
        if before is not None and tuple(before) == merged:
            return False
        conn.execute(f"DELETE FROM {table} WHERE {match}", key_values)
        _insert(conn, spec, user_id, dict(zip(columns, merged, strict=True)))
        return True
    if conn.execute(f"SELECT 1 FROM {table} WHERE {match} LIMIT 1", key_values).fetchone() is None:
        _insert(conn, spec, user_id, values)
        return True
    if rule == "widen" and how.merge.widen:
        sets = ", ".join(f"{c} = {fn}({c}, ?)" for c, fn in how.merge.widen)
        conn.execute(
            f"UPDATE {table} SET {sets} WHERE {match}", (*(values[c] for c, _fn in how.merge.widen), *key_values)
        )
    return False


def _insert(conn: sqlite3.Connection, spec: TableSpec, user_id: int, values: dict[str, Any]) -> None:
    names = ", ".join((spec.user_column, *values))
    conn.execute(
        f"INSERT INTO {spec.name} ({names}) VALUES ({', '.join('?' * (len(values) + 1))})", (user_id, *values.values())
    )


def _free_id(conn: sqlite3.Connection, spec: TableSpec, id_column: str, user_id: int, item_id: str) -> str | None:
    """The id to insert under, or None when this user already has the item.

    Report, snapshot and edit ids are unique across users; when the same database holds the item for
    another user (one machine, two Studio accounts), the copy gets a derived id, the same every time.
    """
    for candidate in (item_id, f"{item_id}_u{user_id}"):
        owner = conn.execute(
            f"SELECT {spec.user_column} FROM {spec.name} WHERE {id_column} = ?", (candidate,)
        ).fetchone()
        if owner is None:
            return candidate
        if owner[0] == user_id:
            return None
    raise DsmError("invalid_body", f"data: id {item_id} is taken in this database")


# ------------------------------------------------------------------------------------------------ files


class UnreadableFile(ValueError):
    """An import file that cannot be an export; the message names the file and what is wrong with it."""


class WriteStopped(Exception):
    """`write_file` was told to stop before the file was in place: nothing was written."""


def write_file(document: Obj, path: Path, stop: threading.Event | None = None) -> int:
    """Save as gzip-compressed UTF-8 JSON; returns the file size in bytes.

    The bytes go to a `.partial` file first, renamed over `path` at the end: an existing file is never
    left half-overwritten, and a `stop` set before the rename leaves nothing behind (`WriteStopped`).
    """
    data = json.dumps(document, ensure_ascii=False, allow_nan=False, separators=(",", ":")).encode("utf-8")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    try:
        partial.write_bytes(gzip.compress(data, compresslevel=6, mtime=0))
        if stop is not None and stop.is_set():
            raise WriteStopped(str(path))
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path.stat().st_size


def read_file(path: Path) -> Any:
    """Read an export file, gzip-compressed or plain JSON; `UnreadableFile` says what is wrong with it."""
    raw = path.read_bytes()
    gzipped = raw[:2] == b"\x1f\x8b"
    if gzipped:
        try:
            raw = gzip.decompress(raw)
        except EOFError:
            raise UnreadableFile(
                f"{path} is a truncated gzip file (it ends before its compressed data does): "
                "the copy or download was cut short; copy it again or export again"
            ) from None
        except (OSError, zlib.error) as exc:
            raise UnreadableFile(f"{path} is a damaged gzip file ({exc}): copy it again or export again") from None
    try:
        document = json.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        if gzipped:
            raise UnreadableFile(f"{path} is gzip but not an export: its content is not JSON ({exc})") from None
        raise UnreadableFile(
            f"{path} is not an export file: neither gzip nor JSON (it starts with bytes {raw[:8].hex(' ')}); "
            "pass a file made by `dsm export`"
        ) from None
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise UnreadableFile(
            f'{path} is JSON but not a DataStore Manager Pro export (no "format": "{FORMAT}"); '
            "pass a file made by `dsm export`"
        )
    return document


def known_users(conn: sqlite3.Connection, tables: tuple[TableSpec, ...]) -> list[int]:
    """Every user id that has data in any portable store, ascending."""
    union = " UNION ".join(f"SELECT DISTINCT {t.user_column} FROM {t.name}" for t, _how in portable_tables(tables))
    return [row[0] for row in conn.execute(f"SELECT * FROM ({union}) ORDER BY 1")]
