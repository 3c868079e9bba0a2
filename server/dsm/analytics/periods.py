"""Reading the rollups over any period: whole days from daily rows, whole hours from hourly rows, and
the partial edges from the raw events, so every figure is exact for any [from, to)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from typing import Any

from dsm.analytics import sketch
from dsm.analytics.buckets import DAY, HOUR, Bucket, KeyAddress, KeyAgg, OpAgg, bucket_rows
from dsm.analytics.rollups import EVENT_COLUMNS, GRAINS, keys_closed_through
from dsm.store.codec import pack, unpack

__all__ = ["DAY", "HOUR", "Bucket", "datastore_reads", "load", "plan", "raw_rows", "series"]

Span = tuple[int, float, float]  # (grain, from, to); grain 0 = raw events


def plan(start: float, end: float, max_grain: int = DAY, min_grain: int = HOUR) -> list[Span]:
    """Cover [start, end) with whole days, whole hours (if `min_grain` allows) and raw edges, coarsest first."""
    if min_grain >= DAY:
        d0, d1 = -(-start // DAY) * DAY, end // DAY * DAY
        spans = [(DAY, d0, d1), (0, start, d0), (0, d1, end)] if d0 < d1 else [(0, start, end)]
        return [s for s in spans if s[2] > s[1]]
    h0 = -(-start // HOUR) * HOUR
    h1 = end // HOUR * HOUR
    if h0 >= h1:
        return [(0, start, end)] if end > start else []
    spans = [(0, start, h0), (0, h1, end)]
    d0, d1 = -(-h0 // DAY) * DAY, h1 // DAY * DAY
    if max_grain >= DAY and d0 < d1:
        spans += [(DAY, d0, d1), (HOUR, h0, d0), (HOUR, d1, h1)]
    else:
        spans.append((HOUR, h0, h1))
    return [s for s in spans if s[2] > s[1]]


def _by_min_grain(parts: Iterable[str]) -> dict[int, list[str]]:
    groups: dict[int, list[str]] = {}
    for part in parts:
        groups.setdefault(GRAINS[PARTS[part]][0], []).append(part)
    return groups


def _groups(parts: Iterable[str]) -> list[tuple[int, list[str]]]:
    """(min grain, parts) to read together; per-key access is read on its own (its open days come raw)."""
    parts = list(parts)
    out = [(grain, [p for p in group if p != "keys"]) for grain, group in _by_min_grain(parts).items()]
    out = [(grain, group) for grain, group in out if group]
    if "keys" in parts:
        out.append((GRAINS[PARTS["keys"]][0], ["keys"]))
    return out


def _plan_parts(
    conn: sqlite3.Connection, group: list[str], start: float, end: float, max_grain: int, min_grain: int
) -> list[Span]:
    """`plan`, except that per-key rows exist only before `keys_closed_through`: later days are read raw."""
    spans = plan(start, end, max_grain, min_grain)
    if group != ["keys"]:
        return spans
    closed = keys_closed_through(conn)
    out: list[Span] = []
    for grain, lo, hi in spans:
        if grain and hi > closed:
            if lo < closed:
                out.append((grain, lo, closed))
            out.append((0, max(lo, closed), hi))
        else:
            out.append((grain, lo, hi))
    return out


def _only(bucket: Bucket, parts: list[str]) -> Bucket:
    """The given parts of a bucket (raw edges must not add parts another span already covered)."""
    out = Bucket()
    for part in parts:
        setattr(out, part, getattr(bucket, part))
    return out


def _decode_into(table: str, out: Bucket, r: tuple[Any, ...]) -> None:
    if table == "rollup_counts":
        ck = (r[0], r[1], r[2], r[3])
        out.counts[ck] = out.counts.get(ck, 0) + r[4]
    elif table == "rollup_ops":
        op = OpAgg()
        op.count, op.successes, op.failures, op.lat_count, op.lat_sum, op.lat_min, op.lat_max = r[1:8]
        op.hist = unpack(r[8])
        known_op = out.ops.get(r[0])
        if known_op is None:
            out.ops[r[0]] = op
        else:
            known_op.merge(op)
    elif table == "rollup_ui":
        uk = (r[0], r[1], r[2])
        out.ui[uk] = out.ui.get(uk, 0) + r[3]
    elif table == "rollup_sessions":
        mine = out.sessions.get(r[0])
        if mine is None:
            out.sessions[r[0]] = [r[1], r[2], r[3]]
        else:
            mine[0] += r[1]
            mine[1] = min(mine[1], r[2])
            mine[2] = max(mine[2], r[3])
    else:
        k = KeyAgg()
        (k.reads, k.failures, k.bytes, k.sized, k.max_size, k.lat_count, k.lat_sum, k.lat_max, k.first, k.last) = r[
            3:13
        ]
        known = out.keys.get((r[0], r[1], r[2]))
        if known is None:
            out.keys[(r[0], r[1], r[2])] = k
        else:
            known.merge(k)


_COLUMNS = {
    "rollup_counts": "kind, name, error_code, ok, count",
    "rollup_ops": "name, count, successes, failures, lat_count, lat_sum, lat_min, lat_max, hist",
    "rollup_ui": "name, feature, view, count",
    "rollup_sessions": "session, count, first_ts, last_ts",
    "rollup_keys": "datastore, scope, key, reads, failures, bytes, sized, max_size, lat_count, lat_sum, lat_max,"
    " first_ts, last_ts",
}
PARTS = {
    "counts": "rollup_counts",
    "ops": "rollup_ops",
    "ui": "rollup_ui",
    "sessions": "rollup_sessions",
    "keys": "rollup_keys",
}


def raw_rows(conn: sqlite3.Connection, user_id: int, start: float, end: float) -> Iterable[tuple[Any, ...]]:
    return conn.execute(
        f"SELECT {EVENT_COLUMNS} FROM events WHERE user_id = ? AND ts >= ? AND ts < ?", (user_id, start, end)
    )


def series(
    conn: sqlite3.Connection,
    user_id: int,
    start: float,
    end: float,
    parts: Iterable[str] = ("counts",),
    grain: int = DAY,
) -> dict[int, Bucket]:
    """Buckets of `grain` seconds (HOUR or DAY) covering [start, end), read from rollups plus raw edges."""
    out: dict[int, Bucket] = {}
    for min_grain, group in _groups(parts):
        if min_grain > grain:
            raise ValueError(f"{group} are not kept per {grain} seconds")
        for span_grain, lo, hi in _plan_parts(conn, group, start, end, grain, min_grain):
            if span_grain == 0:
                for (_user, hour), bucket in bucket_rows(raw_rows(conn, user_id, lo, hi), HOUR).items():
                    out.setdefault(hour // grain * grain, Bucket()).merge(_only(bucket, group))
                continue
            for table in (PARTS[p] for p in group):
                sql = (
                    f"SELECT bucket, {_COLUMNS[table]} FROM {table}"
                    " WHERE user_id = ? AND grain = ? AND bucket >= ? AND bucket < ?"
                )
                for r in conn.execute(sql, (user_id, span_grain, lo, hi)):
                    _decode_into(table, out.setdefault(int(r[0]) // grain * grain, Bucket()), r[1:])
    return out


_SUMS = {
    "rollup_counts": ("kind, name, error_code, ok", "SUM(count)"),
    "rollup_ops": (
        "name",
        "SUM(count), SUM(successes), SUM(failures), SUM(lat_count), SUM(lat_sum), MIN(lat_min), MAX(lat_max),"
        " dsm_hist_sum(hist)",
    ),
    "rollup_ui": ("name, feature, view", "SUM(count)"),
    "rollup_sessions": ("session", "SUM(count), MIN(first_ts), MAX(last_ts)"),
    "rollup_keys": (
        "datastore, scope, key",
        "SUM(reads), SUM(failures), SUM(bytes), SUM(sized), MAX(max_size), SUM(lat_count), SUM(lat_sum),"
        " MAX(lat_max), MIN(first_ts), MAX(last_ts)",
    ),
}


class _HistSum:
    """SQL aggregate merging latency sketches, so a period's rows are summed inside SQLite."""

    def __init__(self) -> None:
        self.bins: sketch.Bins = {}

    def step(self, blob: bytes | None) -> None:
        if blob is not None:
            sketch.merge(self.bins, unpack(blob))

    def finalize(self) -> bytes:
        return pack(self.bins)


def _load_table(
    conn: sqlite3.Connection,
    total: Bucket,
    table: str,
    user_id: int,
    stored: list[Span],
    wanted: list[KeyAddress] | None,
) -> None:
    dims, sums = _SUMS[table]
    branch = f"SELECT * FROM {table} WHERE user_id = ? AND grain = ? AND bucket >= ? AND bucket < ?"
    extra: list[Any] = []
    if table == "rollup_keys" and wanted is not None:
        if not wanted:
            return
        branch += f" AND (datastore, scope, key) IN (VALUES {','.join(['(?,?,?)'] * len(wanted))})"
        extra = [v for address in wanted for v in address]
    sql = f"SELECT {dims}, {sums} FROM ({' UNION ALL '.join([branch] * len(stored))}) GROUP BY {dims}"
    for r in conn.execute(sql, [v for g, lo, hi in stored for v in (user_id, g, lo, hi, *extra)]):
        _decode_into(table, total, r)


def load(
    conn: sqlite3.Connection,
    user_id: int,
    start: float,
    end: float,
    parts: Iterable[str] = tuple(PARTS),
    keys_in: Iterable[KeyAddress] | None = None,
) -> Bucket:
    """Everything about [start, end) merged into one bucket (summed by SQLite over the covering rollup rows).

    `keys_in` limits the per-key part to those (datastore, scope, key) addresses.
    """
    conn.create_aggregate("dsm_hist_sum", 1, _HistSum)  # type: ignore[arg-type]
    wanted = None if keys_in is None else sorted(set(keys_in))
    total = Bucket()
    for min_grain, group in _groups(parts):
        spans = _plan_parts(conn, group, start, end, DAY, min_grain)
        stored = [(g, lo, hi) for g, lo, hi in spans if g]
        for table in (PARTS[p] for p in group):
            if stored:
                _load_table(conn, total, table, user_id, stored, wanted)
        for g, lo, hi in spans:
            if not g:
                for bucket in bucket_rows(raw_rows(conn, user_id, lo, hi), HOUR).values():
                    total.merge(_only(bucket, group))
    if wanted is not None:
        allowed = set(wanted)
        total.keys = {a: k for a, k in total.keys.items() if a in allowed}
    return total


def datastore_reads(conn: sqlite3.Connection, user_id: int, start: float, end: float) -> dict[str, int]:
    """DataStore calls per DataStore in [start, end), summed inside SQLite."""
    out: dict[str, int] = {}
    for g, lo, hi in _plan_parts(conn, ["keys"], start, end, DAY, DAY):
        if g:
            sql = (
                "SELECT datastore, SUM(reads) FROM rollup_keys WHERE user_id = ? AND grain = ? AND bucket >= ?"
                " AND bucket < ? GROUP BY datastore"
            )
            params: tuple[Any, ...] = (user_id, g, lo, hi)
        else:
            sql = (
                "SELECT datastore, COUNT(*) FROM events WHERE user_id = ? AND ts >= ? AND ts < ?"
                " AND kind = 'datastore' AND datastore IS NOT NULL GROUP BY datastore"
            )
            params = (user_id, lo, hi)
        for ds, n in conn.execute(sql, params):
            out[ds] = out.get(ds, 0) + n
    return out
