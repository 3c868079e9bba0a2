"""The analytics store's raw events: validation of `events.append`, deduplicated inserts, counters.

Rows are inserted in arrival order under an integer key; the unique (user, event id) index makes a
resent event a duplicate instead of a second row.
"""

from __future__ import annotations

import math
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dsm.clock import now
from dsm.errors import DsmError, invalid
from dsm.store.codec import pack

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

INSERT_SQL = (
    "INSERT OR IGNORE INTO events (user_id, event_id, session, ts, kind, name, datastore, scope, key,"
    " latency_ms, size, ok, error_code, message, feature, view, props, received_at)"
    " VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)"
)

# Positions in an event row tuple, shared with whoever observes committed rows (e.g. rollups).
ROW_USER, ROW_EVENT_ID, ROW_SESSION, ROW_TS, ROW_KIND, ROW_NAME = 0, 1, 2, 3, 4, 5
ROW_DATASTORE, ROW_SCOPE, ROW_KEY, ROW_LATENCY, ROW_SIZE, ROW_OK, ROW_ERROR_CODE = 6, 7, 8, 9, 10, 11, 12
ROW_MESSAGE, ROW_FEATURE, ROW_VIEW, ROW_PROPS = 13, 14, 15, 16

EventRow = tuple[Any, ...]
RowObserver = Callable[[sqlite3.Connection, list[EventRow]], None]


@dataclass(frozen=True)
class AppendResult:
    accepted: int
    duplicates: int


def _num(event: dict[str, Any], field: str, where: str) -> float | None:
    value = event.get(field)
    if value is None:
        return None
    if type(value) not in (int, float) or not math.isfinite(value):
        raise invalid(f"{where}.{field}", "expected a number")
    return value


def _text(event: dict[str, Any], field: str, where: str, limit: int) -> str | None:
    value = event.get(field)
    if value is None:
        return None
    if type(value) is not str:
        raise invalid(f"{where}.{field}", "expected a string")
    if len(value) > limit:
        raise invalid(f"{where}.{field}", f"longer than {limit} characters")
    return value


def _row(user_id: int, event: Any, where: str, received: float) -> EventRow:
    if type(event) is not dict:
        raise invalid(where, "expected an event object")
    if not FIELDS.issuperset(event):
        unknown = sorted(str(k) for k in event if k not in FIELDS)[0]
        raise invalid(f"{where}.{unknown}", "unknown field (put extra data in props)")
    event_id = event.get("id")
    if type(event_id) is not str or not 0 < len(event_id) <= MAX_ID:
        raise invalid(f"{where}.id", f"expected a string of 1..{MAX_ID} characters")
    ts = event.get("ts")
    if type(ts) not in (int, float) or not math.isfinite(ts) or ts < 0:
        raise invalid(f"{where}.ts", "expected a number (Unix seconds)")
    kind = event.get("kind")
    if kind not in KINDS:
        raise invalid(f"{where}.kind", "expected one of ui, datastore, perf, error")
    name = event.get("name")
    if type(name) is not str or not 0 < len(name) <= MAX_TEXT:
        raise invalid(f"{where}.name", f"expected a string of 1..{MAX_TEXT} characters")
    ok = event.get("ok")
    if ok is not None and type(ok) is not bool:
        raise invalid(f"{where}.ok", "expected a boolean")
    error_code = _num(event, "errorCode", where)
    if error_code is not None and error_code != int(error_code):
        raise invalid(f"{where}.errorCode", "expected a whole number")
    props = event.get("props")
    if props is not None:
        if type(props) is list and not props:
            props = {}
        elif type(props) is not dict:
            raise invalid(f"{where}.props", "expected an object")
        props = pack(props)
    session = event_id.rpartition("-")[0] or event_id
    datastore, scope, key, feature, view = (_text(event, f, where, MAX_TEXT) for f in TEXT_FIELDS)
    return (
        user_id,
        event_id,
        session,
        float(ts),
        kind,
        name,
        datastore,
        scope,
        key,
        _num(event, "latencyMs", where),
        _num(event, "size", where),
        None if ok is None else int(ok),
        None if error_code is None else int(error_code),
        _text(event, "message", where, MAX_MESSAGE),
        feature,
        view,
        props,
        received,
    )


def parse_events(user_id: int, raw: Any, max_batch: int) -> list[EventRow]:
    """Validate a whole batch before anything is written: one bad event rejects the request."""
    if not isinstance(raw, list):
        if isinstance(raw, dict) and not raw:
            return []
        raise invalid("events", "expected an array")
    if len(raw) > max_batch:
        raise DsmError("too_large", f"events: {len(raw)} events in one request, the limit is {max_batch}")
    received = now()
    return [_row(user_id, event, f"events[{i}]", received) for i, event in enumerate(raw)]


class EventStore:
    """Appends events through the writer; observers see exactly the rows that were new."""

    def __init__(self, observers: list[RowObserver] | None = None) -> None:
        self.observers: list[RowObserver] = list(observers or [])

    def append_job(self, rows: list[EventRow]) -> Callable[[sqlite3.Connection], AppendResult]:
        observers = self.observers

        def job(conn: sqlite3.Connection) -> AppendResult:
            fresh = _new_rows(conn, rows)
            if fresh:
                conn.executemany(INSERT_SQL, fresh)
                for observe in observers:
                    observe(conn, fresh)
            return AppendResult(accepted=len(fresh), duplicates=len(rows) - len(fresh))

        return job


def _new_rows(conn: sqlite3.Connection, rows: list[EventRow]) -> list[EventRow]:
    """Drop rows whose (user, id) is already stored or repeated earlier in the same batch."""
    by_user: dict[int, dict[str, EventRow]] = {}
    for row in rows:
        by_user.setdefault(row[ROW_USER], {}).setdefault(row[ROW_EVENT_ID], row)
    fresh: list[EventRow] = []
    for user_id, unique in by_user.items():
        ids = list(unique)
        seen: set[str] = set()
        for start in range(0, len(ids), 900):
            chunk = ids[start : start + 900]
            marks = ",".join("?" * len(chunk))
            seen.update(
                r[0]
                for r in conn.execute(
                    f"SELECT event_id FROM events WHERE user_id = ? AND event_id IN ({marks})",
                    (user_id, *chunk),
                )
            )
        fresh.extend(row for event_id, row in unique.items() if event_id not in seen)
    return fresh
