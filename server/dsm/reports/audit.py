"""DATASTORE_AUDIT: which DataStores, scopes and keys were read, when and how often, value sizes against
Roblox's 4 MB limit, names near the 50-character limit and stale cache entries; and the writes made through the
plugin, from the edits journal (`audit_writes`)."""

from __future__ import annotations

import sqlite3
from typing import Any

from dsm.analytics import periods
from dsm.analytics.buckets import Bucket
from dsm.reports import audit_writes
from dsm.reports import common as c
from dsm.reports import model as m
from dsm.store.cache import NAME_LIMIT, VALUE_LIMIT_BYTES

NEAR_VALUE_LIMIT = 0.8  # values at 80% of 4 MB are flagged


def _datastore_rows(keys: dict[tuple[str, str, str], Any]) -> list[c.Row]:
    per: dict[str, dict[str, Any]] = {}
    for ds, scope, key in keys:
        slot = per.setdefault(ds, {"scopes": set(), "keys": set()})
        slot["scopes"].add(scope)
        if key:
            slot["keys"].add((scope, key))
    totals = c.datastores(_as_bucket(keys))
    rows = []
    for ds, slot in per.items():
        agg = totals[ds]
        rows.append(
            {
                "datastore": ds,
                "scopes": len(slot["scopes"]),
                "keys": len(slot["keys"]),
                "reads": agg.reads,
                "failures": agg.failures,
                "bytes": agg.bytes,
                "maxSize": agg.max_size,
                "firstRead": agg.first,
                "lastRead": agg.last,
            }
        )
    return sorted(rows, key=lambda r: (-r["reads"], r["datastore"]))


def _as_bucket(keys: dict[tuple[str, str, str], Any]) -> Bucket:
    bucket = Bucket()
    bucket.keys = keys
    return bucket


def _near_limit_names(addresses: set[tuple[str, str, str]], warn: int) -> list[c.Row]:
    seen: set[tuple[str, str, str]] = set()
    rows = []
    for ds, scope, key in sorted(addresses):
        for kind, name in (("datastore", ds), ("scope", scope), ("key", key)):
            if len(name) >= warn and (kind, ds, name) not in seen:
                seen.add((kind, ds, name))
                rows.append({"kind": kind, "datastore": ds, "name": name, "length": len(name), "limit": NAME_LIMIT})
    return rows


def _stale_cache(conn: sqlite3.Connection, user_id: int, now: float, timeout: float, ds: str | None) -> list[c.Row]:
    sql = (
        "SELECT kind, datastore, scope, key, bytes, cached_at, expires_at FROM cache_entries"
        " WHERE user_id = ? AND (expires_at <= ? OR cached_at < ?)"
    )
    params: list[Any] = [user_id, now, now - timeout]
    if ds is not None:
        sql += " AND datastore = ?"
        params.append(ds)
    rows = []
    for kind, datastore, scope, key, size, cached, expires in conn.execute(sql + " ORDER BY cached_at", params):
        reason = "expired" if expires <= now else "older than cacheTimeout"
        rows.append(
            {
                "type": kind,
                "datastore": datastore,
                "scope": scope,
                "key": key,
                "bytes": size,
                "cachedAt": cached,
                "expiresAt": expires,
                "ageSeconds": now - cached,
                "reason": reason,
            }
        )
    return rows


def _cache_addresses(conn: sqlite3.Connection, user_id: int, ds: str | None) -> set[tuple[str, str, str]]:
    rows = conn.execute(
        "SELECT datastore, scope, key FROM cache_entries WHERE user_id = ? AND kind = 'value'", (user_id,)
    )
    return {tuple(r) for r in rows if ds is None or r[0] == ds}  # type: ignore[misc]


DATASTORE_COLUMNS = (
    m.col("datastore", "DataStore", "text"),
    m.col("scopes", "Scopes", "count"),
    m.col("keys", "Keys", "count"),
    m.col("reads", "Calls", "count"),
    m.col("failures", "Failed", "count"),
    m.col("bytes", "Bytes read", "bytes"),
    m.col("maxSize", "Largest value", "bytes"),
    m.col("firstRead", "First read", "time"),
    m.col("lastRead", "Last read", "time"),
)
LARGEST_COLUMNS = (
    *c.KEY_COLUMNS[:3],
    m.col("maxSize", "Largest value", "bytes"),
    m.col("pctOfLimit", "Of the 4 MB limit", "ratio"),
    m.col("nearLimit", "Near the limit", "boolean"),
)
NAME_COLUMNS = (
    m.col("kind", "Kind", "text"),
    m.col("datastore", "DataStore", "text"),
    m.col("name", "Name", "text"),
    m.col("length", "Length", "count"),
    m.col("limit", "Limit", "count"),
)
STALE_COLUMNS = (
    m.col("type", "Entry", "text"),
    *c.KEY_COLUMNS[:3],
    m.col("bytes", "Size", "bytes"),
    m.col("cachedAt", "Cached", "time"),
    m.col("expiresAt", "Expires", "time"),
    m.col("ageSeconds", "Age", "seconds"),
    m.col("reason", "Why stale", "text"),
)


def build(conn: sqlite3.Connection, user_id: int, options: dict[str, Any], now: float) -> tuple[str, dict[str, Any]]:
    start, end = c.period(options)
    limit = options["limit"]
    warn = options["nameWarnLength"]
    only = options.get("datastore")
    timeout = float(c.user_settings(conn, user_id)["dataStore"]["cacheTimeout"])
    keys = periods.load(conn, user_id, start, end, ("keys",)).keys
    if only is not None:
        keys = {a: agg for a, agg in keys.items() if a[0] == only}
    key_rows = sorted(
        (c.key_row(a, agg) for a, agg in keys.items() if a[2]),
        key=lambda r: (-r["reads"], r["datastore"], r["scope"], r["key"]),
    )
    sized = [r for r in key_rows if r["maxSize"] is not None]
    largest = sorted(sized, key=lambda r: (-r["maxSize"], r["datastore"], r["key"]))[:limit]
    for row in largest:
        row["pctOfLimit"] = row["maxSize"] / VALUE_LIMIT_BYTES
        row["nearLimit"] = row["maxSize"] >= NEAR_VALUE_LIMIT * VALUE_LIMIT_BYTES
    names = _near_limit_names(set(keys) | _cache_addresses(conn, user_id, only), warn)
    stale = _stale_cache(conn, user_id, now, timeout, only)
    ds_rows = _datastore_rows(keys)
    near = sum(r["nearLimit"] for r in largest)
    writes = audit_writes.build(conn, user_id, start, end, only, limit)
    metrics = [
        m.metric("audit", "audit.datastores", "DataStores accessed", len(ds_rows), "count", better=None),
        m.metric("audit", "audit.keys", "Keys accessed", len(key_rows), "count", better=None),
        m.metric(
            "audit",
            "audit.reads",
            "DataStore calls naming a DataStore",
            sum(r["reads"] for r in ds_rows),
            "count",
            better=None,
        ),
        m.metric("audit", "audit.bytesRead", "Bytes read", sum(r["bytes"] for r in ds_rows), "bytes", better=None),
        m.metric(
            "sizes",
            "audit.largestValueBytes",
            "Largest value",
            largest[0]["maxSize"] if largest else None,
            "bytes",
            better="down",
        ),
        m.metric("sizes", "audit.valuesNearLimit", "Values >= 80% of 4 MB", near, "count", better="down"),
        m.metric(
            "names", "audit.namesNearLimit", f"Names/keys >= {warn} characters", len(names), "count", better="down"
        ),
        m.metric("cache", "audit.staleCacheEntries", "Stale cache entries", len(stale), "count", better="down"),
        *writes.metrics,
    ]
    sections = [
        m.table("datastores", "DataStores", DATASTORE_COLUMNS, ds_rows),
        m.table("keys", "Keys", c.KEY_COLUMNS, key_rows[:limit]),
        m.table("largestValues", "Largest values", LARGEST_COLUMNS, largest, note="Roblox's limit is 4 MB per value."),
        m.table("namesNearLimit", "Long names and keys", NAME_COLUMNS, names, note=f"Roblox's limit is {NAME_LIMIT}."),
        m.table("staleCache", "Stale cache entries", STALE_COLUMNS, stale),
        *writes.sections,
        m.facts(
            "limits",
            "Whose data, and the limits used",
            [
                m.fact("userId", "Studio user", str(user_id), "text"),
                m.fact("valueLimitBytes", "Value size limit", VALUE_LIMIT_BYTES, "bytes"),
                m.fact("nameLimit", "Name length limit", NAME_LIMIT, "count"),
                m.fact("nameWarnLength", "Names flagged from", warn, "count"),
                m.fact("cacheTimeoutSeconds", "Cache expiry (your setting)", timeout, "seconds"),
            ],
        ),
    ]
    insights = [
        *writes.insights,
        f"{len(ds_rows)} DataStores and {len(key_rows)} keys accessed.",
        *([f"{near} values are near Roblox's 4 MB limit."] if largest else []),
        *([f"{len(names)} names or keys are {warn}+ characters (limit {NAME_LIMIT})."] if names else []),
        *([f"{len(stale)} stale cache entries."] if stale else []),
    ]
    return c.title("DataStore audit", start, end), c.body(start, end, insights, metrics, sections)
