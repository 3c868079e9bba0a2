"""The edits store: the journal of every DataStore write made through the plugin, with the value before and after,
so each write can be audited (DATASTORE_AUDIT) and undone. Migration 4 adds its table.

`before`/`after` are JSON values (absent = the key held no value) kept as msgpack blobs, with their sizes in
characters of compact JSON, the unit of Roblox's 4 MB value limit. `store` (migration 6) says which kind of store
was written: absent for a DataStore, "ordered" for an OrderedDataStore entry (whose undo writes a number back there).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dsm.clock import time_ordered_id
from dsm.errors import DsmError, invalid
from dsm.store import migrations
from dsm.store.codec import pack, unpack
from dsm.store.listing import newest_first
from dsm.store.tables import Field, Merge, Portable, TableSpec
from dsm.validate import Obj, Window, as_object, boolean, choice, integer, number, only_keys, plain_value, string

OPS = ("set", "update", "remove", "restore", "increment")
STORES = ("standard", "ordered")
NAME_LIMIT = 50  # Roblox: DataStore names, scopes and keys
VALUE_LIMIT_CHARS = 4_194_304  # Roblox: a value is at most this many characters of JSON
VERSION_LIMIT = 200
MESSAGE_LIMIT = 4_000
ID_LIMIT = 128
# DataStores did not exist before 2006; a time more than a day ahead of the companion's clock is a wrong clock
# (or milliseconds where seconds were meant, as Roblox's key info times are).
EARLIEST_TS = 1_136_073_600.0
FUTURE_SLACK = 86_400.0
FIELDS = frozenset(
    (
        "ts",
        "datastore",
        "scope",
        "key",
        "op",
        "ok",
        "before",
        "after",
        "version",
        "errorCode",
        "message",
        "undoes",
        "store",
    )
)

SCHEMA = """
CREATE TABLE edits (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    user_id INTEGER NOT NULL,
    ts REAL NOT NULL,
    datastore TEXT NOT NULL,
    scope TEXT NOT NULL,
    key TEXT NOT NULL,
    op TEXT NOT NULL,
    ok INTEGER NOT NULL,
    version TEXT,
    error_code INTEGER,
    message TEXT,
    undoes TEXT,
    before BLOB,
    after BLOB,
    before_size INTEGER,
    after_size INTEGER,
    recorded_at REAL NOT NULL
);
CREATE INDEX edits_by_user_ts ON edits (user_id, ts);
CREATE INDEX edits_by_user_key_ts ON edits (user_id, datastore, key, ts)
"""
COLUMNS = (
    "id, ts, datastore, scope, key, op, ok, version, error_code, message, undoes, before, after, before_size,"
    " after_size, recorded_at, store"
)


@dataclass(frozen=True)
class Edit:
    """One journaled write, as stored. `before`/`after` are msgpack blobs (None: no value)."""

    id: str
    ts: float
    datastore: str
    scope: str
    key: str
    op: str
    ok: bool
    version: str | None
    error_code: int | None
    message: str | None
    undoes: str | None
    before: bytes | None
    after: bytes | None
    before_size: int | None
    after_size: int | None
    recorded_at: float
    store: str | None = None  # "standard" | "ordered"; None: not said (a DataStore)

    def list_item(self) -> Obj:
        """The fields of an `edits.list` row (fixed by the protocol), plus `store` when the edit names one."""
        item: Obj = {
            "id": self.id,
            "ts": self.ts,
            "datastore": self.datastore,
            "scope": self.scope,
            "key": self.key,
            "op": self.op,
            "ok": self.ok,
        }
        if self.store is not None:
            item["store"] = self.store
        return item

    def summary(self) -> Obj:
        """Every field but the values themselves (the `edits.record` reply)."""
        return {
            **self.list_item(),
            "version": self.version,
            "errorCode": self.error_code,
            "message": self.message,
            "undoes": self.undoes,
            "store": self.store,
            "beforeSize": self.before_size,
            "afterSize": self.after_size,
            "recordedAt": self.recorded_at,
        }

    def to_wire(self) -> Obj:
        return {**self.summary(), "before": unpack(self.before), "after": unpack(self.after)}

    def row(self) -> tuple[Any, ...]:
        return (
            self.id,
            self.ts,
            self.datastore,
            self.scope,
            self.key,
            self.op,
            int(self.ok),
            self.version,
            self.error_code,
            self.message,
            self.undoes,
            self.before,
            self.after,
            self.before_size,
            self.after_size,
            self.recorded_at,
            self.store,
        )


def from_row(row: tuple[Any, ...]) -> Edit:
    values = list(row)
    values[6] = bool(values[6])
    return Edit(*values)


def json_size(value: Any) -> int:
    """Characters of the value's compact JSON, as Roblox measures a value against its limit."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=True))


def _value(edit: Obj, field: str) -> tuple[bytes | None, int | None]:
    value = edit.get(field)
    if value is None:
        return None, None
    plain_value(value, f"edit.{field}")  # plain JSON, nested at most MAX_DEPTH levels, as every stored value
    try:
        size = json_size(value)
    except (TypeError, ValueError, RecursionError):  # msgpack frames can carry bytes, which JSON cannot
        raise invalid(f"edit.{field}", "expected a JSON value") from None
    if size > VALUE_LIMIT_CHARS:
        raise DsmError(
            "too_large",
            f"edit.{field}: {size:,} characters of JSON, over Roblox's {VALUE_LIMIT_CHARS:,}-character value limit",
        )
    return pack(value), size


def _name(edit: Obj, field: str) -> str:
    return string(edit, field, "edit", min_len=1, max_len=NAME_LIMIT) or ""


def parse_record(body: Obj, now: float) -> Edit:
    """Validate an `edits.record` body into the row to store; `now` (the companion's clock) stamps it."""
    only_keys(body, frozenset(("edit",)), "")
    edit = as_object(body.get("edit"), "edit")
    only_keys(edit, FIELDS, "edit")
    ts = float(number(edit, "ts", "edit", minimum=EARLIEST_TS, maximum=now + FUTURE_SLACK) or 0.0)
    datastore, scope, key = _name(edit, "datastore"), _name(edit, "scope"), _name(edit, "key")
    op = choice(edit, "op", "edit", OPS) or ""
    ok = bool(boolean(edit, "ok", "edit"))
    version = string(edit, "version", "edit", required=False, min_len=1, max_len=VERSION_LIMIT)
    error_code = integer(edit, "errorCode", "edit", required=False)
    message = string(edit, "message", "edit", required=False, max_len=MESSAGE_LIMIT)
    undoes = string(edit, "undoes", "edit", required=False, min_len=1, max_len=ID_LIMIT)
    store = choice(edit, "store", "edit", STORES, required=False)
    before, before_size = _value(edit, "before")
    after, after_size = _value(edit, "after")
    return Edit(
        time_ordered_id("edit", ts),
        ts,
        datastore,
        scope,
        key,
        op,
        ok,
        version,
        error_code,
        message,
        undoes,
        before,
        after,
        before_size,
        after_size,
        now,
        store,
    )


def insert(conn: sqlite3.Connection, user_id: int, edit: Edit) -> None:
    conn.execute(
        f"INSERT INTO edits (user_id, {COLUMNS}) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", (user_id, *edit.row())
    )


def record_job(user_id: int, edit: Edit) -> Callable[[sqlite3.Connection], Edit]:
    """Store the edit; an undo must name one of this user's edits (else `invalid_body`, nothing stored)."""

    def job(conn: sqlite3.Connection) -> Edit:
        if edit.undoes is not None and get(conn, user_id, edit.undoes) is None:
            raise invalid("edit.undoes", f"no edit with id {edit.undoes}")
        insert(conn, user_id, edit)
        return edit

    return job


def get(conn: sqlite3.Connection, user_id: int, edit_id: str) -> Edit | None:
    row = conn.execute(f"SELECT {COLUMNS} FROM edits WHERE user_id = ? AND id = ?", (user_id, edit_id)).fetchone()
    return None if row is None else from_row(tuple(row))


@dataclass(frozen=True)
class ListQuery:
    datastore: str | None
    key: str | None
    window: Window
    with_undoes: bool = False


def list_items(conn: sqlite3.Connection, user_id: int, query: ListQuery) -> list[Obj]:
    """Newest first (by the edit's time, then the order they were recorded). With `with_undoes` each row also carries
    `undoes` (null for an edit that undoes nothing), so a journal can link an undo to its edit in one request."""
    columns = ("id", "ts", "datastore", "scope", "key", "op", "ok", "store")
    if query.with_undoes:
        columns += ("undoes",)
    equals = {"datastore": query.datastore, "key": query.key}
    rows = newest_first(conn, "edits", columns, user_id, equals, query.window, time_column="ts", tiebreak="seq")
    items = [dict(zip(columns, (*r[:6], bool(r[6]), *r[7:]), strict=True)) for r in rows]
    for item in items:  # `store` only where the edit names one: a DataStore edit's row is the protocol's exactly
        if item["store"] is None:
            del item["store"]
    return items


def between(conn: sqlite3.Connection, user_id: int, start: float, end: float, datastore: str | None) -> list[Edit]:
    """The user's edits with `start <= ts < end` (one DataStore or all), newest first: what DATASTORE_AUDIT reads."""
    sql = f"SELECT {COLUMNS} FROM edits WHERE user_id = ? AND ts >= ? AND ts < ?"
    params: list[Any] = [user_id, start, end]
    if datastore is not None:
        sql += " AND datastore = ?"
        params.append(datastore)
    return [from_row(tuple(r)) for r in conn.execute(sql + " ORDER BY ts DESC, seq DESC", params)]


def _migrate(conn: sqlite3.Connection, _now: float) -> None:
    for statement in SCHEMA.split(";"):
        if statement.strip():
            conn.execute(statement)


def _add_store(conn: sqlite3.Connection, _now: float) -> None:
    conn.execute("ALTER TABLE edits ADD COLUMN store TEXT")


MIGRATIONS = (
    migrations.Migration(4, "edits: the journal of DataStore writes made through the plugin", _migrate),
    migrations.Migration(6, "edits: which kind of store an edit wrote (ordered entries)", _add_store),
)


def _text(name: str, column: str, limit: int, *, required: bool = True, min_len: int = 1) -> Field:
    return Field(name, column, required=required, omit_null=not required, min_len=min_len, max_len=limit)


TABLE = TableSpec(
    "edits",
    store="edits",
    age_column="ts",
    portable=Portable(
        "edits",
        (
            _text("id", "id", ID_LIMIT),
            Field("ts", "ts", "time"),
            _text("datastore", "datastore", NAME_LIMIT),
            _text("scope", "scope", NAME_LIMIT),
            _text("key", "key", NAME_LIMIT),
            Field("op", "op", choices=OPS),
            Field("ok", "ok", "flag"),
            _text("version", "version", VERSION_LIMIT, required=False, min_len=0),
            Field("errorCode", "error_code", "integer", required=False, omit_null=True),
            _text("message", "message", MESSAGE_LIMIT, required=False, min_len=0),
            _text("undoes", "undoes", ID_LIMIT, required=False),
            Field("beforeB64", "before", "value", required=False, omit_null=True),
            Field("afterB64", "after", "value", required=False, omit_null=True),
            Field("beforeSize", "before_size", "integer", required=False, omit_null=True, minimum=0),
            Field("afterSize", "after_size", "integer", required=False, omit_null=True, minimum=0),
            Field("recordedAt", "recorded_at", "time"),
            Field("store", "store", required=False, omit_null=True, choices=STORES),
        ),
        Merge("own_id", key=("id",)),
        order="seq",
    ),
)
TABLES = (TABLE,)
