"""DATASTORE_AUDIT: which DataStores, scopes and keys were read, when and how often, value sizes against
Roblox's 4 MB limit, names near the 50-character limit and stale cache entries."""

from __future__ import annotations

import sqlite3
from typing import Any

from dsm.analytics import periods
from dsm.analytics.buckets import Bucket
from dsm.reports import common as c
from dsm.store.cache import NAME_LIMIT, VALUE_LIMIT_BYTES

DEFAULT_DAYS = 30
NAME_WARN_LENGTH = 45
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


def build(conn: sqlite3.Connection, user_id: int, options: dict[str, Any], now: float) -> tuple[str, dict[str, Any]]:
    start, end = c.period(options, now, DEFAULT_DAYS)
    limit = options.get("limit", 100)
    warn = options.get("nameWarnLength", NAME_WARN_LENGTH)
    only = options.get("datastore")
    timeout = float(c.user_settings(conn, user_id)["dataStore"]["cacheTimeout"])
    keys = periods.load(conn, user_id, start, end, ("keys",)).keys
    if only is not None:
        keys = {a: agg for a, agg in keys.items() if a[0] == only}
    key_rows = sorted(
        (dict(c.key_row(a, agg), userId=user_id) for a, agg in keys.items() if a[2]),
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
    total_reads = sum(r["reads"] for r in ds_rows)
    metrics = [
        c.metric("audit", "audit.datastores", "DataStores accessed", len(ds_rows), "count"),
        c.metric("audit", "audit.keys", "Keys accessed", len(key_rows), "count"),
        c.metric("audit", "audit.reads", "DataStore calls naming a DataStore", total_reads, "count"),
        c.metric("audit", "audit.bytesRead", "Bytes read", sum(r["bytes"] for r in ds_rows), "bytes"),
        c.metric(
            "sizes", "audit.largestValueBytes", "Largest value", largest[0]["maxSize"] if largest else None, "bytes"
        ),
        c.metric(
            "sizes", "audit.valuesNearLimit", "Values >= 80% of 4 MB", sum(r["nearLimit"] for r in largest), "count"
        ),
        c.metric("names", "audit.namesNearLimit", f"Names/keys >= {warn} characters", len(names), "count"),
        c.metric("cache", "audit.staleCacheEntries", "Stale cache entries", len(stale), "count"),
    ]
    body = {
        "period": {"from": start, "to": end},
        "metrics": metrics,
        "datastores": ds_rows,
        "keys": key_rows[:limit],
        "largestValues": largest,
        "valueLimitBytes": VALUE_LIMIT_BYTES,
        "namesNearLimit": names,
        "nameLimit": NAME_LIMIT,
        "staleCache": stale,
        "cacheTimeoutSeconds": timeout,
    }
    body["insights"] = [
        f"{len(ds_rows)} DataStores and {len(key_rows)} keys accessed.",
        *([f"{sum(r['nearLimit'] for r in largest)} values are near Roblox's 4 MB limit."] if largest else []),
        *([f"{len(names)} names or keys are {warn}+ characters (limit {NAME_LIMIT})."] if names else []),
        *([f"{len(stale)} stale cache entries."] if stale else []),
    ]
    return c.title("DataStore audit", start, end), body
