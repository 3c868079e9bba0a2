"""Whole-data export and import of one user's stores, as a portable document (see docs/exports.md).

The document is plain JSON: `{"format", "version", "exportedAt", "source", "counts", "stores": {...}}`.
Stored blobs (event props, report and snapshot bodies, cache payloads, settings) travel as base64 of
the exact msgpack bytes in the database (fields ending in `B64`), so an import reproduces the stores
bit for bit. Import validates the whole document first, then merges in one writer job (all or
nothing) into the importing user, whatever user id the file came from: events by id (through
`EventStore.append_job`, so rollups stay right), reports and historical snapshots by id (a copy for
a second user of the same database gets a derived id), edits by id (likewise), sessions by session id,
real-time snapshots by (time, body), cache entries by address (newer wins), settings by `updatedAt` (newer
wins), cache counters by taking the larger.
"""

from __future__ import annotations

import base64
import binascii
import gzip
import json
import os
import sqlite3
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dsm.errors import DsmError, invalid
from dsm.store import edits as edit_store
from dsm.store.codec import unpack
from dsm.store.events import EventRow, EventStore, parse_events
from dsm.store.settings import check_overrides
from dsm.validate import Obj, as_list, as_object, integer, number, plain_value, string, timestamp

FORMAT = "datastore-manager-pro/export"
VERSION = 1
STORES = (
    "events",
    "sessions",
    "realtimeSnapshots",
    "cacheEntries",
    "cacheCounters",
    "reports",
    "settings",
    "historical",
    "edits",
)
EVENT_COLUMNS = (
    "event_id, ts, kind, name, datastore, scope, key, latency_ms, size, ok, error_code, message, feature, view,"
    " props, received_at"
)
EVENT_FIELDS = ("datastore", "scope", "key", "latencyMs", "size", "ok", "errorCode", "message", "feature", "view")
COUNTER_FIELDS = ("hits", "misses", "puts", "expired", "bytesWritten")
# An edit's optional fields in a document, in the order of `edit_store.Edit` after `ok`.
EDIT_OPTIONAL = ("version", "errorCode", "message", "undoes", "beforeB64", "afterB64", "beforeSize", "afterSize")
CHUNK = 2000

Progress = Callable[[str, int, int], None]  # (store, rows done, rows in that store)


def _b64(blob: bytes | None) -> str | None:
    return None if blob is None else base64.b64encode(blob).decode("ascii")


# ---------------------------------------------------------------------------------------------- export


def export_user(conn: sqlite3.Connection, user_id: int, now: float, server_version: str = "") -> Obj:
    """Every store of `user_id` as one document, read in a single transaction (a consistent snapshot)."""
    conn.execute("BEGIN")
    try:
        stores: Obj = {
            "events": _export_events(conn, user_id),
            "sessions": [
                {
                    "sessionId": r[0],
                    "placeId": r[1],
                    "gameId": r[2],
                    "pluginVersion": r[3],
                    "firstSeen": r[4],
                    "lastSeen": r[5],
                }
                for r in conn.execute(
                    "SELECT session_id, place_id, game_id, plugin_version, first_seen, last_seen FROM sessions"
                    " WHERE user_id = ? ORDER BY first_seen, session_id",
                    (user_id,),
                )
            ],
            "realtimeSnapshots": [
                {"ts": r[0], "sessionTime": r[1], "bodyB64": _b64(r[2])}
                for r in conn.execute(
                    "SELECT ts, session_time, body FROM realtime_snapshots WHERE user_id = ? ORDER BY ts, id",
                    (user_id,),
                )
            ],
            "cacheEntries": [
                {
                    "type": r[0],
                    "datastore": r[1],
                    "scope": r[2],
                    "key": r[3],
                    "payloadB64": _b64(r[4]),
                    "bytes": r[5],
                    "cachedAt": r[6],
                    "expiresAt": r[7],
                }
                for r in conn.execute(
                    "SELECT kind, datastore, scope, key, payload, bytes, cached_at, expires_at FROM cache_entries"
                    " WHERE user_id = ? ORDER BY kind, datastore, scope, key",
                    (user_id,),
                )
            ],
            "cacheCounters": _export_counters(conn, user_id),
            "reports": [
                {"id": r[0], "type": r[1], "createdAt": r[2], "title": r[3], "bodyB64": _b64(r[4])}
                for r in conn.execute(
                    "SELECT id, type, created_at, title, body FROM reports WHERE user_id = ? ORDER BY created_at, id",
                    (user_id,),
                )
            ],
            "settings": _export_settings(conn, user_id),
            "historical": [
                {"id": r[0], "label": r[1], "category": r[2], "createdAt": r[3], "bodyB64": _b64(r[4])}
                for r in conn.execute(
                    "SELECT id, label, category, created_at, body FROM historical_snapshots WHERE user_id = ?"
                    " ORDER BY created_at, id",
                    (user_id,),
                )
            ],
            "edits": _export_edits(conn, user_id),
        }
    finally:
        conn.execute("COMMIT")
    return {
        "format": FORMAT,
        "version": VERSION,
        "exportedAt": now,
        "source": {"userId": user_id, "server": server_version},
        "counts": count_rows(stores),
        "stores": stores,
    }


def _export_events(conn: sqlite3.Connection, user_id: int) -> list[Obj]:
    out = []
    for row in conn.execute(f"SELECT {EVENT_COLUMNS} FROM events WHERE user_id = ? ORDER BY seq", (user_id,)):
        event: Obj = {"id": row[0], "ts": row[1], "kind": row[2], "name": row[3]}
        for name, value in zip(EVENT_FIELDS, row[4:14], strict=True):
            if value is not None:
                event[name] = bool(value) if name == "ok" else value
        if row[14] is not None:
            event["propsB64"] = _b64(row[14])
        event["receivedAt"] = row[15]
        out.append(event)
    return out


def _export_edits(conn: sqlite3.Connection, user_id: int) -> list[Obj]:
    out = []
    for row in conn.execute(f"SELECT {edit_store.COLUMNS} FROM edits WHERE user_id = ? ORDER BY seq", (user_id,)):
        edit = edit_store.from_row(tuple(row))
        item: Obj = {**edit.list_item(), "recordedAt": edit.recorded_at}
        values = (edit.version, edit.error_code, edit.message, edit.undoes, _b64(edit.before), _b64(edit.after))
        values += (edit.before_size, edit.after_size)
        item.update({name: value for name, value in zip(EDIT_OPTIONAL, values, strict=True) if value is not None})
        out.append(item)
    return out


def _export_counters(conn: sqlite3.Connection, user_id: int) -> Obj | None:
    row = conn.execute(
        "SELECT hits, misses, puts, expired, bytes_written FROM cache_counters WHERE user_id = ?", (user_id,)
    ).fetchone()
    return None if row is None else dict(zip(COUNTER_FIELDS, row, strict=True))


def _export_settings(conn: sqlite3.Connection, user_id: int) -> Obj | None:
    row = conn.execute("SELECT body, updated_at FROM settings WHERE user_id = ?", (user_id,)).fetchone()
    return None if row is None else {"overridesB64": _b64(row[0]), "updatedAt": row[1]}


def count_rows(stores: Obj) -> dict[str, int]:
    counts = {}
    for name in STORES:
        value = stores.get(name)
        counts[name] = len(value) if isinstance(value, list) else int(value is not None)
    return counts


# ------------------------------------------------------------------------------------------ validation


@dataclass
class Parsed:
    """A validated document, ready to write: rows as the tables hold them (user id filled in at import)."""

    events: list[EventRow] = field(default_factory=list)
    sessions: list[tuple[Any, ...]] = field(default_factory=list)
    realtime: list[tuple[Any, ...]] = field(default_factory=list)
    cache_entries: list[tuple[Any, ...]] = field(default_factory=list)
    counters: tuple[int, ...] | None = None
    reports: list[tuple[Any, ...]] = field(default_factory=list)
    settings: tuple[bytes, float] | None = None
    historical: list[tuple[Any, ...]] = field(default_factory=list)
    edits: list[tuple[Any, ...]] = field(default_factory=list)

    def total(self) -> int:
        lists = (
            self.events,
            self.sessions,
            self.realtime,
            self.cache_entries,
            self.reports,
            self.historical,
            self.edits,
        )
        return sum(len(rows) for rows in lists) + int(self.counters is not None) + int(self.settings is not None)


def _blob(obj: Obj, key: str, path: str, *, want_dict: bool = True) -> bytes:
    text = string(obj, key, path, max_len=64 * 1024 * 1024) or ""
    try:
        blob = base64.b64decode(text, validate=True)
        value = unpack(blob)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise invalid(f"{path}.{key}", f"not base64 of msgpack data ({exc.__class__.__name__})") from None
    except Exception:  # msgpack raises several of its own exception types for malformed data
        raise invalid(f"{path}.{key}", "not base64 of msgpack data") from None
    if want_dict and not isinstance(value, dict):
        raise invalid(f"{path}.{key}", "expected an encoded object")
    plain_value(value, f"{path}.{key}")  # what it holds is sent back as JSON one day (a report, a snapshot)
    return blob


def _ts(obj: Obj, key: str, path: str, *, required: bool = True) -> float | None:
    return timestamp(obj, key, path, required=required)


def _opt_int(obj: Obj, key: str, path: str) -> int | None:
    return integer(obj, key, path, required=False)


def parse_document(raw: Any, user_id: int, path: str = "data") -> Parsed:
    """Check a whole export document; the first problem raises `invalid_body` naming its path."""
    doc = as_object(raw, path)
    if doc.get("format") != FORMAT:
        raise invalid(f"{path}.format", f"expected {FORMAT!r}")
    version = integer(doc, "version", path, minimum=1)
    if version != VERSION:
        raise invalid(f"{path}.version", f"this server reads version {VERSION}, the file is version {version}")
    stores = as_object(doc.get("stores"), f"{path}.stores")
    unknown = sorted(k for k in stores if k not in STORES)
    if unknown:
        raise invalid(f"{path}.stores.{unknown[0]}", "unknown store")
    p = f"{path}.stores"
    parsed = Parsed()
    parsed.events = _parse_events(as_list(stores.get("events", []), f"{p}.events"), user_id, f"{p}.events")
    parsed.sessions = [
        _parse_session(as_object(s, f"{p}.sessions[{i}]"), f"{p}.sessions[{i}]")
        for i, s in enumerate(as_list(stores.get("sessions", []), f"{p}.sessions"))
    ]
    parsed.realtime = [
        _parse_realtime(as_object(s, f"{p}.realtimeSnapshots[{i}]"), f"{p}.realtimeSnapshots[{i}]")
        for i, s in enumerate(as_list(stores.get("realtimeSnapshots", []), f"{p}.realtimeSnapshots"))
    ]
    parsed.cache_entries = [
        _parse_cache(as_object(s, f"{p}.cacheEntries[{i}]"), f"{p}.cacheEntries[{i}]")
        for i, s in enumerate(as_list(stores.get("cacheEntries", []), f"{p}.cacheEntries"))
    ]
    if stores.get("cacheCounters") is not None:
        counters = as_object(stores["cacheCounters"], f"{p}.cacheCounters")
        parsed.counters = tuple(
            integer(counters, name, f"{p}.cacheCounters", required=False, minimum=0, default=0) or 0
            for name in COUNTER_FIELDS
        )
    parsed.reports = [
        _parse_report(as_object(s, f"{p}.reports[{i}]"), f"{p}.reports[{i}]")
        for i, s in enumerate(as_list(stores.get("reports", []), f"{p}.reports"))
    ]
    if stores.get("settings") is not None:
        settings = as_object(stores["settings"], f"{p}.settings")
        overrides = _blob(settings, "overridesB64", f"{p}.settings")
        check_overrides(unpack(overrides), f"{p}.settings.overridesB64")
        parsed.settings = (overrides, _ts(settings, "updatedAt", f"{p}.settings") or 0.0)
    parsed.historical = [
        _parse_historical(as_object(s, f"{p}.historical[{i}]"), f"{p}.historical[{i}]")
        for i, s in enumerate(as_list(stores.get("historical", []), f"{p}.historical"))
    ]
    parsed.edits = [
        _parse_edit(as_object(s, f"{p}.edits[{i}]"), f"{p}.edits[{i}]").row()
        for i, s in enumerate(as_list(stores.get("edits", []), f"{p}.edits"))
    ]
    return parsed


def _parse_events(raw: list[Any], user_id: int, path: str) -> list[EventRow]:
    wire, extras = [], []
    for i, item in enumerate(raw):
        event = dict(as_object(item, f"{path}[{i}]"))
        received = _ts(event, "receivedAt", f"{path}[{i}]")
        props = _blob(event, "propsB64", f"{path}[{i}]") if event.get("propsB64") is not None else None
        event.pop("receivedAt", None)
        event.pop("propsB64", None)
        wire.append(event)
        extras.append((props, received))
    try:
        rows = parse_events(user_id, wire, max_batch=len(wire) + 1, received=0.0)  # each row keeps its own
    except DsmError as exc:  # its path starts with "events"; give the path inside the document
        raise DsmError("invalid_body", path + exc.message.removeprefix("events")) from None
    return [(*row[:16], props, received) for row, (props, received) in zip(rows, extras, strict=True)]


def _parse_session(obj: Obj, path: str) -> tuple[Any, ...]:
    return (
        string(obj, "sessionId", path, min_len=1, max_len=128),
        _opt_int(obj, "placeId", path),
        _opt_int(obj, "gameId", path),
        string(obj, "pluginVersion", path, required=False, max_len=200),
        _ts(obj, "firstSeen", path),
        _ts(obj, "lastSeen", path),
    )


def _parse_realtime(obj: Obj, path: str) -> tuple[Any, ...]:
    session_time = number(obj, "sessionTime", path, required=False)
    return (_ts(obj, "ts", path), session_time, _blob(obj, "bodyB64", path))


def _parse_cache(obj: Obj, path: str) -> tuple[Any, ...]:
    kind = string(obj, "type", path)
    if kind not in ("datastores", "keys", "value"):
        raise invalid(f"{path}.type", "expected one of datastores, keys, value")
    names = tuple(string(obj, k, path, required=False, max_len=50, default="") for k in ("datastore", "scope", "key"))
    payload = _blob(obj, "payloadB64", path)
    size = integer(obj, "bytes", path, required=False, minimum=0, default=len(payload))
    return (kind, *names, payload, size, _ts(obj, "cachedAt", path), _ts(obj, "expiresAt", path))


def _parse_report(obj: Obj, path: str) -> tuple[Any, ...]:
    from dsm.store.reports import REPORT_TYPES

    report_type = string(obj, "type", path)
    if report_type not in REPORT_TYPES:
        raise invalid(f"{path}.type", f"expected one of {', '.join(REPORT_TYPES)}")
    return (
        string(obj, "id", path, min_len=1, max_len=128),
        report_type,
        _ts(obj, "createdAt", path),
        string(obj, "title", path, max_len=1000),
        _blob(obj, "bodyB64", path),
    )


def _parse_historical(obj: Obj, path: str) -> tuple[Any, ...]:
    return (
        string(obj, "id", path, min_len=1, max_len=128),
        string(obj, "label", path, min_len=1, max_len=200),
        string(obj, "category", path, min_len=1, max_len=64),
        _ts(obj, "createdAt", path),
        _blob(obj, "bodyB64", path),
    )


def _parse_edit(obj: Obj, path: str) -> edit_store.Edit:
    op = string(obj, "op", path)
    if op not in edit_store.OPS:
        raise invalid(f"{path}.op", f"expected one of {', '.join(edit_store.OPS)}")
    ok = obj.get("ok")
    if not isinstance(ok, bool):
        raise invalid(f"{path}.ok", "expected a boolean")
    names = [string(obj, k, path, min_len=1, max_len=edit_store.NAME_LIMIT) for k in ("datastore", "scope", "key")]
    blobs = [
        _blob(obj, k, path, want_dict=False) if obj.get(k) is not None else None for k in ("beforeB64", "afterB64")
    ]
    return edit_store.Edit(
        string(obj, "id", path, min_len=1, max_len=edit_store.ID_LIMIT) or "",
        _ts(obj, "ts", path) or 0.0,
        *(n or "" for n in names),
        op or "",
        ok,
        string(obj, "version", path, required=False, max_len=edit_store.VERSION_LIMIT),
        _opt_int(obj, "errorCode", path),
        string(obj, "message", path, required=False, max_len=edit_store.MESSAGE_LIMIT),
        string(obj, "undoes", path, required=False, min_len=1, max_len=edit_store.ID_LIMIT),
        *blobs,
        integer(obj, "beforeSize", path, required=False, minimum=0),
        integer(obj, "afterSize", path, required=False, minimum=0),
        _ts(obj, "recordedAt", path) or 0.0,
    )


# ---------------------------------------------------------------------------------------------- import


def import_job(
    user_id: int, parsed: Parsed, events: EventStore, progress: Progress | None = None
) -> Callable[[sqlite3.Connection], dict[str, dict[str, int]]]:
    """Merge a validated document into `user_id`'s stores; `{"imported": {store: n}, "skipped": {...}}`."""
    report = progress or (lambda _store, _done, _total: None)

    def job(conn: sqlite3.Connection) -> dict[str, dict[str, int]]:
        added: dict[str, int] = {}
        added["events"] = _import_events(conn, parsed.events, events, report)
        steps: list[tuple[str, list[tuple[Any, ...]], Callable[[sqlite3.Connection, int, tuple[Any, ...]], bool]]] = [
            ("sessions", parsed.sessions, _put_session),
            ("realtimeSnapshots", parsed.realtime, _put_realtime),
            ("cacheEntries", parsed.cache_entries, _put_cache),
            ("cacheCounters", [parsed.counters] if parsed.counters else [], _put_counters),
            ("reports", parsed.reports, _put_report),
            ("settings", [parsed.settings] if parsed.settings else [], _put_settings),
            ("historical", parsed.historical, _put_historical),
            ("edits", parsed.edits, _put_edit),
        ]
        for name, rows, put in steps:
            added[name] = 0
            for i, row in enumerate(rows, 1):
                added[name] += int(put(conn, user_id, row))
                if i % CHUNK == 0 or i == len(rows):
                    report(name, i, len(rows))
        totals = {
            "events": len(parsed.events),
            **{name: len(rows) for name, rows, _ in steps},
        }
        return {"imported": added, "skipped": {k: totals[k] - added[k] for k in totals}}

    return job


def _import_events(conn: sqlite3.Connection, rows: list[EventRow], events: EventStore, report: Progress) -> int:
    accepted = 0
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start : start + CHUNK]
        accepted += events.append_job(chunk)(conn).accepted
        report("events", start + len(chunk), len(rows))
    return accepted


def _put_session(conn: sqlite3.Connection, user_id: int, row: tuple[Any, ...]) -> bool:
    session_id, place_id, game_id, plugin_version, first_seen, last_seen = row
    existing = conn.execute(
        "SELECT first_seen, last_seen FROM sessions WHERE user_id = ? AND session_id = ?", (user_id, session_id)
    ).fetchone()
    if existing is None:
        conn.execute(
            "INSERT INTO sessions (user_id, session_id, place_id, game_id, plugin_version, first_seen, last_seen)"
            " VALUES (?,?,?,?,?,?,?)",
            (user_id, session_id, place_id, game_id, plugin_version, first_seen, last_seen),
        )
        return True
    conn.execute(
        "UPDATE sessions SET first_seen = MIN(first_seen, ?), last_seen = MAX(last_seen, ?)"
        " WHERE user_id = ? AND session_id = ?",
        (first_seen, last_seen, user_id, session_id),
    )
    return False


def _put_realtime(conn: sqlite3.Connection, user_id: int, row: tuple[Any, ...]) -> bool:
    ts, session_time, body = row
    if conn.execute(
        "SELECT 1 FROM realtime_snapshots WHERE user_id = ? AND ts = ? AND body = ?", (user_id, ts, body)
    ).fetchone():
        return False
    conn.execute(
        "INSERT INTO realtime_snapshots (user_id, ts, session_time, body) VALUES (?,?,?,?)",
        (user_id, ts, session_time, body),
    )
    return True


def _put_cache(conn: sqlite3.Connection, user_id: int, row: tuple[Any, ...]) -> bool:
    cursor = conn.execute(
        "INSERT INTO cache_entries (user_id, kind, datastore, scope, key, payload, bytes, cached_at, expires_at)"
        " VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT (user_id, kind, datastore, scope, key) DO UPDATE SET"
        " payload = excluded.payload, bytes = excluded.bytes, cached_at = excluded.cached_at,"
        " expires_at = excluded.expires_at WHERE excluded.cached_at > cache_entries.cached_at",
        (user_id, *row),
    )
    return cursor.rowcount > 0


def _put_counters(conn: sqlite3.Connection, user_id: int, row: tuple[Any, ...]) -> bool:
    before = conn.execute(
        "SELECT hits, misses, puts, expired, bytes_written FROM cache_counters WHERE user_id = ?", (user_id,)
    ).fetchone()
    merged = row if before is None else tuple(max(a, b) for a, b in zip(before, row, strict=True))
    if before is not None and tuple(before) == merged:
        return False
    conn.execute(
        "INSERT OR REPLACE INTO cache_counters (user_id, hits, misses, puts, expired, bytes_written)"
        " VALUES (?,?,?,?,?,?)",
        (user_id, *merged),
    )
    return True


def _free_id(conn: sqlite3.Connection, table: str, user_id: int, item_id: str) -> str | None:
    """The id to insert under, or None when this user already has the item.

    Report and snapshot ids are unique across users; when the same database holds the item for
    another user (one machine, two Studio accounts), the copy gets a derived id, the same every time.
    """
    for candidate in (item_id, f"{item_id}_u{user_id}"):
        owner = conn.execute(f"SELECT user_id FROM {table} WHERE id = ?", (candidate,)).fetchone()
        if owner is None:
            return candidate
        if owner[0] == user_id:
            return None
    raise DsmError("invalid_body", f"data: id {item_id} is taken in this database")


def _put_report(conn: sqlite3.Connection, user_id: int, row: tuple[Any, ...]) -> bool:
    report_id = _free_id(conn, "reports", user_id, row[0])
    if report_id is not None:
        conn.execute(
            "INSERT INTO reports (id, user_id, type, created_at, title, body) VALUES (?,?,?,?,?,?)",
            (report_id, user_id, *row[1:]),
        )
    return report_id is not None


def _put_settings(conn: sqlite3.Connection, user_id: int, row: tuple[Any, ...]) -> bool:
    body, updated_at = row
    cursor = conn.execute(
        "INSERT INTO settings (user_id, body, updated_at) VALUES (?,?,?) ON CONFLICT (user_id) DO UPDATE SET"
        " body = excluded.body, updated_at = excluded.updated_at WHERE excluded.updated_at > settings.updated_at",
        (user_id, body, updated_at),
    )
    return cursor.rowcount > 0


def _put_historical(conn: sqlite3.Connection, user_id: int, row: tuple[Any, ...]) -> bool:
    snapshot_id = _free_id(conn, "historical_snapshots", user_id, row[0])
    if snapshot_id is not None:
        conn.execute(
            "INSERT INTO historical_snapshots (id, user_id, label, category, created_at, body) VALUES (?,?,?,?,?,?)",
            (snapshot_id, user_id, *row[1:]),
        )
    return snapshot_id is not None


def _put_edit(conn: sqlite3.Connection, user_id: int, row: tuple[Any, ...]) -> bool:
    edit = edit_store.from_row(row)
    edit_id = _free_id(conn, "edits", user_id, edit.id)
    if edit_id is not None:
        edit_store.insert(conn, user_id, replace(edit, id=edit_id))
    return edit_id is not None


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


def known_users(conn: sqlite3.Connection) -> list[int]:
    """Every user id that has data in any store, ascending."""
    tables = ("events", "sessions", "settings", "reports", "historical_snapshots", "cache_entries", "edits")
    union = " UNION ".join(f"SELECT DISTINCT user_id FROM {t}" for t in tables)
    return [row[0] for row in conn.execute(f"SELECT user_id FROM ({union}) ORDER BY user_id")]
