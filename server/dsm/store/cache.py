"""The cache store: DataStore name lists, key lists and values with their key info, expiring per user.

An entry is addressed by (type, datastore, scope, key): `datastores` entries use none of the three,
`keys` entries use datastore, scope and the listing prefix (in `key`), `value` entries all three.
An entry is fresh for `dataStore.cacheTimeout` seconds after it was put. That decides freshness, not
availability: an expired entry is still returned, marked stale with its age, so a value read once stays
viewable offline until retention (`analytics.retainDataDays`) removes it. Hits and misses are counted.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dsm.errors import DsmError, invalid
from dsm.store.codec import pack, unpack
from dsm.store.tables import Field, Merge, Portable, TableSpec
from dsm.validate import Obj, as_list, as_object, choice, integer, number, only_keys, plain_value, string

TYPES = ("datastores", "keys", "value")
# Roblox's documented limits: names, scopes and keys up to 50 characters, values up to 4 MB.
NAME_LIMIT = 50
VALUE_LIMIT_BYTES = 4 * 1024 * 1024
KEY_INFO_FIELDS = frozenset(("version", "createdTime", "updatedTime", "userIds", "metadata"))


@dataclass(frozen=True)
class CacheAddress:
    type: str
    datastore: str = ""
    scope: str = ""
    key: str = ""

    def to_wire(self) -> Obj:
        out: Obj = {"type": self.type}
        if self.type != "datastores":
            out.update(datastore=self.datastore, scope=self.scope)
        if self.type == "value" or (self.type == "keys" and self.key):
            out["key" if self.type == "value" else "prefix"] = self.key
        return out


def parse_address(body: Obj) -> CacheAddress:
    kind = choice(body, "type", "", TYPES)
    assert kind is not None
    if kind == "datastores":
        return CacheAddress(kind)
    datastore = string(body, "datastore", "", min_len=1, max_len=NAME_LIMIT)
    scope = string(body, "scope", "", required=False, max_len=NAME_LIMIT, default="global")
    if kind == "keys":
        prefix = string(body, "prefix", "", required=False, max_len=NAME_LIMIT, default="")
        return CacheAddress(kind, datastore or "", scope or "", prefix or "")
    key = string(body, "key", "", min_len=1, max_len=NAME_LIMIT)
    return CacheAddress(kind, datastore or "", scope or "", key or "")


def _key_info(raw: Any) -> Obj:
    info = as_object(raw, "keyInfo")
    only_keys(info, KEY_INFO_FIELDS, "keyInfo")
    string(info, "version", "keyInfo", required=False, max_len=200)
    number(info, "createdTime", "keyInfo", required=False, minimum=0)
    number(info, "updatedTime", "keyInfo", required=False, minimum=0)
    for i, user in enumerate(as_list(info.get("userIds", []), "keyInfo.userIds")):
        integer({"id": user}, "id", f"keyInfo.userIds[{i}]")
    plain_value(as_object(info.get("metadata"), "keyInfo.metadata"), "keyInfo.metadata")
    return info


def _names(body: Obj, field: str) -> list[str]:
    values = as_list(body.get(field), field)
    for i, value in enumerate(values):
        if not isinstance(value, str) or not 0 < len(value) <= NAME_LIMIT:
            raise invalid(f"{field}[{i}]", f"expected a string of 1..{NAME_LIMIT} characters")
    return values


def parse_put(body: Obj) -> tuple[CacheAddress, Obj]:
    """Validate a `cache.put` body: the address plus the payload that will be stored."""
    address = parse_address(body)
    if address.type == "datastores":
        only_keys(body, frozenset(("type", "names")), "")
        return address, {"names": _names(body, "names")}
    if address.type == "keys":
        only_keys(body, frozenset(("type", "datastore", "scope", "prefix", "keys")), "")
        return address, {"keys": _names(body, "keys")}
    only_keys(body, frozenset(("type", "datastore", "scope", "key", "value", "keyInfo")), "")
    return address, {"value": plain_value(body.get("value"), "value"), "keyInfo": _key_info(body.get("keyInfo"))}


@dataclass(frozen=True)
class PutResult:
    bytes: int
    cached_at: float
    expires_at: float


def put_job(
    user_id: int, address: CacheAddress, payload: Obj, ttl: float, stamp: float
) -> Callable[[sqlite3.Connection], PutResult]:
    blob = pack(payload)
    if address.type == "value" and len(pack(payload["value"])) > VALUE_LIMIT_BYTES:
        raise DsmError("too_large", "value: larger than Roblox's 4 MB DataStore value limit")

    def job(conn: sqlite3.Connection) -> PutResult:
        conn.execute(
            "INSERT OR REPLACE INTO cache_entries (user_id, kind, datastore, scope, key, payload, bytes,"
            " cached_at, expires_at) VALUES (?,?,?,?,?,?,?,?,?)",
            (
                user_id,
                address.type,
                address.datastore,
                address.scope,
                address.key,
                blob,
                len(blob),
                stamp,
                stamp + ttl,
            ),
        )
        _count(conn, user_id, puts=1, bytes_written=len(blob))
        return PutResult(len(blob), stamp, stamp + ttl)

    return job


def get_job(user_id: int, address: CacheAddress, now: float) -> Callable[[sqlite3.Connection], Obj | None]:
    """Look up an entry as of `now`, counting a hit (fresh), or a miss (none, or only a stale one: also counted
    `expired`). The entry comes with `stale` (past its cacheTimeout) and `age` (seconds since it was put).
    """

    def job(conn: sqlite3.Connection) -> Obj | None:
        row = conn.execute(
            "SELECT payload, bytes, cached_at, expires_at FROM cache_entries"
            " WHERE user_id = ? AND kind = ? AND datastore = ? AND scope = ? AND key = ?",
            (user_id, address.type, address.datastore, address.scope, address.key),
        ).fetchone()
        if row is None:
            _count(conn, user_id, misses=1)
            return None
        stale = row[3] <= now
        if stale:
            _count(conn, user_id, misses=1, expired=1)
        else:
            _count(conn, user_id, hits=1)
        return {
            **address.to_wire(),
            **unpack(row[0]),
            "bytes": row[1],
            "cachedAt": row[2],
            "expiresAt": row[3],
            "stale": stale,
            "age": max(0.0, now - row[2]),
        }

    return job


def _count(conn: sqlite3.Connection, user_id: int, **deltas: int) -> None:
    columns = ", ".join(deltas)
    updates = ", ".join(f"{c} = {c} + excluded.{c}" for c in deltas)
    conn.execute(
        f"INSERT INTO cache_counters (user_id, {columns}) VALUES (?, {', '.join('?' * len(deltas))})"
        f" ON CONFLICT (user_id) DO UPDATE SET {updates}",
        (user_id, *deltas.values()),
    )


def clear_job(user_id: int, datastore: str | None) -> Callable[[sqlite3.Connection], int]:
    def job(conn: sqlite3.Connection) -> int:
        if datastore is None:
            cursor = conn.execute("DELETE FROM cache_entries WHERE user_id = ?", (user_id,))
        else:
            cursor = conn.execute("DELETE FROM cache_entries WHERE user_id = ? AND datastore = ?", (user_id, datastore))
        return cursor.rowcount

    return job


def stats(conn: sqlite3.Connection, user_id: int, stamp: float) -> Obj:
    """Entry and byte counts of fresh entries, per type and per DataStore, the stale ones kept, and the counters."""
    by_type = {t: {"entries": 0, "bytes": 0} for t in TYPES}
    by_datastore: dict[str, Obj] = {}
    for kind, datastore, entries, size in conn.execute(
        "SELECT kind, datastore, COUNT(*), COALESCE(SUM(bytes), 0) FROM cache_entries"
        " WHERE user_id = ? AND expires_at > ? GROUP BY kind, datastore",
        (user_id, stamp),
    ):
        by_type[kind]["entries"] += entries
        by_type[kind]["bytes"] += size
        if datastore:
            slot = by_datastore.setdefault(datastore, {"entries": 0, "bytes": 0})
            slot["entries"] += entries
            slot["bytes"] += size
    counters = conn.execute(
        "SELECT hits, misses, puts, expired, bytes_written FROM cache_counters WHERE user_id = ?", (user_id,)
    ).fetchone() or (0, 0, 0, 0, 0)
    hits, misses = counters[0], counters[1]
    lookups = hits + misses
    stale_entries, stale_bytes = conn.execute(
        "SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM cache_entries WHERE user_id = ? AND expires_at <= ?",
        (user_id, stamp),
    ).fetchone()
    return {
        "entries": sum(v["entries"] for v in by_type.values()),
        "estimatedSize": sum(v["bytes"] for v in by_type.values()),
        "hits": hits,
        "misses": misses,
        "hitRate": hits / lookups if lookups else 0.0,
        "puts": counters[2],
        "expired": counters[3],
        "bytesWritten": counters[4],
        "byType": by_type,
        "byDataStore": by_datastore,
        "stale": {"entries": stale_entries, "bytes": stale_bytes},
    }


ENTRIES = TableSpec(
    "cache_entries",
    store="cache",
    age_column="cached_at",
    portable=Portable(
        "cacheEntries",
        (
            Field("type", "kind", choices=TYPES),
            Field("datastore", "datastore", required=False, max_len=NAME_LIMIT, default=""),
            Field("scope", "scope", required=False, max_len=NAME_LIMIT, default=""),
            Field("key", "key", required=False, max_len=NAME_LIMIT, default=""),
            Field("payloadB64", "payload", "blob"),
            Field("bytes", "bytes", "integer", minimum=0),
            Field("cachedAt", "cached_at", "time"),
            Field("expiresAt", "expires_at", "time"),
        ),
        Merge("newer", key=("kind", "datastore", "scope", "key"), by="cached_at"),
        order="kind, datastore, scope, key",
    ),
)
COUNTERS = TableSpec(
    "cache_counters",
    store="cache",
    counted=False,
    portable=Portable(
        "cacheCounters",
        tuple(
            Field(name, column, "integer", required=False, minimum=0, default=0)
            for name, column in (
                ("hits", "hits"),
                ("misses", "misses"),
                ("puts", "puts"),
                ("expired", "expired"),
                ("bytesWritten", "bytes_written"),
            )
        ),
        Merge("larger"),
        single=True,
    ),
)
TABLES = (ENTRIES, COUNTERS)
