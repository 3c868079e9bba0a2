"""The analytics store's raw events: validation of `events.append`, deduplicated inserts, counters.

Rows are inserted in arrival order under an integer key; the unique (user, event id) index makes a
resent event a duplicate instead of a second row.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from itertools import chain
from typing import Any

from dsm.clock import Clock, system_clock
from dsm.errors import DsmError, invalid
from dsm.store.codec import pack
from dsm.store.tables import Field, FieldKind, ImportContext, Merge, Portable, Row, TableSpec, decode_blob
from dsm.validate import (
    EARLIEST_TS,
    INT64_MAX,
    INT64_MIN,
    LATEST_TS,
    OUT_OF_RANGE,
    TS_RANGE,
    as_object,
    plain_value,
    timestamp,
)

KINDS = frozenset(("ui", "datastore", "perf", "error"))
FIELDS = frozenset(
    (
        "id",
        "ts",
        "kind",
        "name",
        "datastore",
        "scope",
        "key",
        "latencyMs",
        "size",
        "ok",
        "errorCode",
        "message",
        "feature",
        "view",
        "props",
    )
)
TEXT_FIELDS = ("datastore", "scope", "key", "feature", "view")
MAX_TEXT = 1_000
MAX_MESSAGE = 4_000
MAX_ID = 128
# Latencies and sizes are summed into rollups and reports: past these (11.6 days, a petabyte) a value is a broken
# measurement, and enough of them would add up to infinity, which no JSON report can carry.
MAX_LATENCY_MS = 1e9
MAX_SIZE = 1e15

INSERT_SQL = (
    "INSERT OR IGNORE INTO events (user_id, event_id, session, ts, kind, name, datastore, scope, key,"
    " latency_ms, size, ok, error_code, message, feature, view, props, received_at)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)

_ROW_MARKS = "(" + ",".join("?" * 18) + ")"
# Rows per INSERT statement: one statement for many rows means one trip into SQLite (and one release of
# the GIL) per chunk instead of per row; 100 x 18 parameters stays far below SQLite's limit.
ROWS_PER_STATEMENT = 100


def _insert_sql(count: int) -> str:
    return INSERT_SQL.replace(f"VALUES {_ROW_MARKS}", "VALUES " + ",".join([_ROW_MARKS] * count))


_INSERT_CHUNK_SQL = _insert_sql(ROWS_PER_STATEMENT)


def insert_rows(conn: sqlite3.Connection, rows: list[EventRow]) -> None:
    """INSERT OR IGNORE the rows, many per statement."""
    for start in range(0, len(rows), ROWS_PER_STATEMENT):
        chunk = rows[start : start + ROWS_PER_STATEMENT]
        sql = _INSERT_CHUNK_SQL if len(chunk) == ROWS_PER_STATEMENT else _insert_sql(len(chunk))
        conn.execute(sql, list(chain.from_iterable(chunk)))


# Positions in an event row tuple, shared with whoever observes committed rows (e.g. rollups).
ROW_USER, ROW_EVENT_ID, ROW_SESSION, ROW_TS, ROW_KIND, ROW_NAME = 0, 1, 2, 3, 4, 5
ROW_DATASTORE, ROW_SCOPE, ROW_KEY, ROW_LATENCY, ROW_SIZE, ROW_OK, ROW_ERROR_CODE = 6, 7, 8, 9, 10, 11, 12
ROW_MESSAGE, ROW_FEATURE, ROW_VIEW, ROW_PROPS = 13, 14, 15, 16

EventRow = tuple[Any, ...]
RowObserver = Callable[[sqlite3.Connection, list[EventRow], float], None]  # (conn, new rows, now)


@dataclass(frozen=True)
class AppendResult:
    accepted: int
    duplicates: int


def _bad_text(value: Any, limit: int) -> bool:
    return value is not None and (type(value) is not str or len(value) > limit)


def _bad_number(value: Any) -> bool:
    return value is not None and (type(value) not in (int, float) or not math.isfinite(value))


def _text_error(event: dict[str, Any], where: str) -> DsmError:
    for field in (*TEXT_FIELDS, "message"):
        value = event.get(field)
        limit = MAX_MESSAGE if field == "message" else MAX_TEXT
        if value is not None and type(value) is not str:
            return invalid(f"{where}.{field}", "expected a string")
        if value is not None and len(value) > limit:
            return invalid(f"{where}.{field}", f"longer than {limit} characters")
    raise AssertionError("no bad text field")


def _build(
    user_id: int,
    event_id: str,
    ts: float,
    kind: str,
    name: str,
    datastore: str | None,
    scope: str | None,
    key: str | None,
    latency: float | None,
    size: float | None,
    ok: bool | None,
    error_code: float | None,
    message: str | None,
    feature: str | None,
    view: str | None,
    props: bytes | None,
    received: float,
) -> EventRow:
    """The row tuple in `INSERT_SQL` order (positions `ROW_*`); the session is the id before its last `-`."""
    return (
        user_id,
        event_id,
        event_id.rpartition("-")[0] or event_id,
        float(ts),
        kind,
        name,
        datastore,
        scope,
        key,
        latency,
        size,
        None if ok is None else int(ok),
        None if error_code is None else int(error_code),
        message,
        feature,
        view,
        props,
        received,
    )


_NUMBER = (int, float)
_TEXT = (str,)
# Field -> (accepted types, longest string, or else the lowest and highest value). Used by the fast path, where a
# NaN or an infinity fails the range too; `_checked_row` words the errors.
_FAST: dict[str, tuple[tuple[type, ...], int, float, float]] = {
    "id": (_TEXT, MAX_ID, 0, 0),
    "ts": (_NUMBER, 0, EARLIEST_TS, LATEST_TS),
    "kind": (_TEXT, MAX_TEXT, 0, 0),
    "name": (_TEXT, MAX_TEXT, 0, 0),
    **{field: (_TEXT, MAX_TEXT, 0, 0) for field in TEXT_FIELDS},
    "message": (_TEXT, MAX_MESSAGE, 0, 0),
    "latencyMs": (_NUMBER, 0, 0, MAX_LATENCY_MS),
    "size": (_NUMBER, 0, 0, MAX_SIZE),
    "errorCode": (_NUMBER, 0, INT64_MIN, INT64_MAX),
    "ok": ((bool,), 0, False, True),
}


def _row(user_id: int, event: Any, where: str, received: float) -> EventRow:
    """The row for one event. Hot path (every event of every request): one pass over the fields for the common
    case of a valid event without props; anything else goes through `_checked_row`, which names the problem."""
    if type(event) is not dict or "props" in event:
        return _checked_row(user_id, event, where, received)
    fast = _FAST
    for field, value in event.items():
        spec = fast.get(field)
        if spec is None or type(value) not in spec[0]:
            return _checked_row(user_id, event, where, received)
        if spec[1]:
            if len(value) > spec[1]:
                return _checked_row(user_id, event, where, received)
        elif not spec[2] <= value <= spec[3]:
            return _checked_row(user_id, event, where, received)
    get = event.get
    event_id, ts, kind, name, error_code, ok = (
        get("id"),
        get("ts"),
        get("kind"),
        get("name"),
        get("errorCode"),
        get("ok"),
    )
    if (
        not event_id
        or ts is None
        or kind not in KINDS
        or not name
        or (error_code is not None and error_code != int(error_code))
    ):
        return _checked_row(user_id, event, where, received)
    return _build(
        user_id,
        event_id,
        ts,
        kind,
        name,
        get("datastore"),
        get("scope"),
        get("key"),
        get("latencyMs"),
        get("size"),
        ok,
        error_code,
        get("message"),
        get("feature"),
        get("view"),
        None,
        received,
    )


def _checked_row(user_id: int, event: Any, where: str, received: float) -> EventRow:
    # Checks every rule in order so that the first problem is the one reported.
    if type(event) is not dict:
        raise invalid(where, "expected an event object")
    if not FIELDS.issuperset(event):
        unknown = sorted(str(k) for k in event if k not in FIELDS)[0]
        raise invalid(f"{where}.{unknown}", "unknown field (put extra data in props)")
    get = event.get
    event_id = get("id")
    if type(event_id) is not str or not 0 < len(event_id) <= MAX_ID:
        raise invalid(f"{where}.id", f"expected a string of 1..{MAX_ID} characters")
    ts = get("ts")
    if type(ts) not in (int, float) or not math.isfinite(ts):
        raise invalid(f"{where}.ts", "expected a number (Unix seconds)")
    if not EARLIEST_TS <= ts <= LATEST_TS:
        raise invalid(f"{where}.ts", TS_RANGE)
    kind = get("kind")
    if type(kind) is not str or kind not in KINDS:  # a list or object here is not hashable
        raise invalid(f"{where}.kind", "expected one of ui, datastore, perf, error")
    name = get("name")
    if type(name) is not str or not 0 < len(name) <= MAX_TEXT:
        raise invalid(f"{where}.name", f"expected a string of 1..{MAX_TEXT} characters")
    datastore, scope, key, feature, view, message = (
        get("datastore"),
        get("scope"),
        get("key"),
        get("feature"),
        get("view"),
        get("message"),
    )
    if (
        _bad_text(datastore, MAX_TEXT)
        or _bad_text(scope, MAX_TEXT)
        or _bad_text(key, MAX_TEXT)
        or _bad_text(feature, MAX_TEXT)
        or _bad_text(view, MAX_TEXT)
        or _bad_text(message, MAX_MESSAGE)
    ):
        raise _text_error(event, where)
    latency, size, error_code = get("latencyMs"), get("size"), get("errorCode")
    for field, value, highest, unit in (
        ("latencyMs", latency, MAX_LATENCY_MS, "milliseconds"),
        ("size", size, MAX_SIZE, "bytes"),
    ):
        if _bad_number(value):
            raise invalid(f"{where}.{field}", "expected a number")
        if value is not None and not 0 <= value <= highest:
            raise invalid(f"{where}.{field}", f"expected 0 to {highest:,.0f} {unit}")
    if _bad_number(error_code):
        raise invalid(f"{where}.errorCode", "expected a number")
    if error_code is not None and error_code != int(error_code):
        raise invalid(f"{where}.errorCode", "expected a whole number")
    if error_code is not None and not INT64_MIN <= error_code <= INT64_MAX:  # 1e19 is whole, yet too large
        raise invalid(f"{where}.errorCode", OUT_OF_RANGE)
    ok = get("ok")
    if ok is not None and type(ok) is not bool:
        raise invalid(f"{where}.ok", "expected a boolean")
    props = get("props")
    if props is not None:
        if type(props) is list and not props:
            props = {}
        elif type(props) is not dict:
            raise invalid(f"{where}.props", "expected an object")
        props = pack(plain_value(props, f"{where}.props"))
    return _build(
        user_id,
        event_id,
        ts,
        kind,
        name,
        datastore,
        scope,
        key,
        latency,
        size,
        ok,
        error_code,
        message,
        feature,
        view,
        props,
        received,
    )


def parse_events(user_id: int, raw: Any, max_batch: int, received: float) -> list[EventRow]:
    """Validate a whole batch before anything is written: one bad event rejects the request."""
    if not isinstance(raw, list):
        if isinstance(raw, dict) and not raw:
            return []
        raise invalid("events", "expected an array")
    if len(raw) > max_batch:
        raise DsmError("too_large", f"events: {len(raw)} events in one request, the limit is {max_batch}")
    return [_row(user_id, event, f"events[{i}]", received) for i, event in enumerate(raw)]


class EventStore:
    """Appends events through the writer; observers see exactly the rows that were new."""

    def __init__(self, observers: list[RowObserver] | None = None, clock: Clock = system_clock) -> None:
        self.observers: list[RowObserver] = list(observers or [])
        self.clock = clock

    def append_job(self, rows: list[EventRow]) -> Callable[[sqlite3.Connection], AppendResult]:
        observers, clock = self.observers, self.clock

        def notify(conn: sqlite3.Connection, fresh: list[EventRow]) -> None:
            at = clock()
            for observe in observers:
                observe(conn, fresh, at)

        def job(conn: sqlite3.Connection) -> AppendResult:
            # INSERT OR IGNORE skips ids already stored (or repeated in the batch). Rows get increasing seq
            # numbers, so the new ones are exactly those above the previous maximum; only when something was
            # skipped do we need to ask which.
            last_seq = conn.execute("SELECT COALESCE(MAX(seq), 0) FROM events").fetchone()[0]
            before = conn.total_changes
            insert_rows(conn, rows)
            inserted = conn.total_changes - before
            if inserted and observers:
                fresh = rows if inserted == len(rows) else _rows_after(conn, rows, last_seq)
                defer = getattr(conn, "defer", None)
                if defer is None:
                    notify(conn, fresh)
                else:  # in the writer: observe all event batches of the transaction at once
                    defer(self, notify, fresh)
            return AppendResult(accepted=inserted, duplicates=len(rows) - inserted)

        return job


def _rows_after(conn: sqlite3.Connection, rows: list[EventRow], last_seq: int) -> list[EventRow]:
    """The rows of this batch that were really inserted (their seq is above `last_seq`)."""
    inserted = {(u, e) for u, e in conn.execute("SELECT user_id, event_id FROM events WHERE seq > ?", (last_seq,))}
    fresh: list[EventRow] = []
    for row in rows:
        key = (row[ROW_USER], row[ROW_EVENT_ID])
        if key in inserted:
            inserted.discard(key)  # a repeat of the same id later in the batch was ignored by SQLite
            fresh.append(row)
    return fresh


# ------------------------------------------------------------------------------------ in an export document


def _optional(name: str, column: str, kind: FieldKind = "text") -> Field:
    return Field(name, column, kind, required=False, omit_null=True)


IMPORT_CHUNK = 2000  # rows per append: progress is reported (and Ctrl+C checked) between chunks

PROPS = Field("propsB64", "props", "blob", required=False, omit_null=True)
RECEIVED = Field("receivedAt", "received_at", "time")


def parse_exported(items: list[Any], user_id: int, path: str) -> list[Row]:
    """Exported events checked by the rules of `events.append` (plus their stored props and arrival time)."""
    wire, extras = [], []
    for i, item in enumerate(items):
        event = dict(as_object(item, f"{path}[{i}]"))
        received = timestamp(event, RECEIVED.name, f"{path}[{i}]")
        props = decode_blob(event, PROPS.name, f"{path}[{i}]") if event.get(PROPS.name) is not None else None
        event.pop(RECEIVED.name, None)
        event.pop(PROPS.name, None)
        wire.append(event)
        extras.append((props, received))
    try:
        rows = parse_events(user_id, wire, max_batch=len(wire) + 1, received=0.0)  # each row keeps its own
    except DsmError as exc:  # its path starts with "events"; give the path inside the document
        raise DsmError("invalid_body", path + exc.message.removeprefix("events")) from None
    return [(*row[:ROW_PROPS], props, received) for row, (props, received) in zip(rows, extras, strict=True)]


def import_exported(conn: sqlite3.Connection, _user_id: int, rows: list[Row], ctx: ImportContext) -> int:
    """Append through the event store (rows carry their user already), so its observers keep the rollups right."""
    accepted = 0
    for start in range(0, len(rows), IMPORT_CHUNK):
        chunk = rows[start : start + IMPORT_CHUNK]
        accepted += ctx.events.append_job(chunk)(conn).accepted
        ctx.progress("events", start + len(chunk), len(rows))
    return accepted


TABLE = TableSpec(
    "events",
    store="analytics",
    age_column="ts",
    retention_name="events",
    portable=Portable(
        "events",
        (
            Field("id", "event_id"),
            Field("ts", "ts", "time"),
            Field("kind", "kind"),
            Field("name", "name"),
            _optional("datastore", "datastore"),
            _optional("scope", "scope"),
            _optional("key", "key"),
            _optional("latencyMs", "latency_ms", "number"),
            _optional("size", "size", "number"),
            _optional("ok", "ok", "flag"),
            _optional("errorCode", "error_code", "integer"),
            _optional("message", "message"),
            _optional("feature", "feature"),
            _optional("view", "view"),
            PROPS,
            RECEIVED,
        ),
        Merge("keep", key=("event_id",)),  # what `import_exported` gets from the unique index
        order="seq",
        parse_rows=parse_exported,
        import_rows=import_exported,
    ),
)
TABLES = (TABLE,)
