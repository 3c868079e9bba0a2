"""In-memory aggregates of events for one time bucket, built from event rows or read back from rollups.

The same `Bucket` is what the event observer writes, what a rebuild writes, and what a report reads
(merged over a period), so the raw path and the rollup path cannot disagree.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from dsm.analytics import sketch
from dsm.store.events import (
    ROW_DATASTORE,
    ROW_ERROR_CODE,
    ROW_FEATURE,
    ROW_KEY,
    ROW_KIND,
    ROW_LATENCY,
    ROW_NAME,
    ROW_OK,
    ROW_SCOPE,
    ROW_SESSION,
    ROW_SIZE,
    ROW_TS,
    ROW_USER,
    ROW_VIEW,
)

NO_CODE = -1  # error_code / ok when the event had none (primary keys cannot hold NULL)
HOUR = 3600
DAY = 86400

CountKey = tuple[str, str, int, int]  # kind, name, error code, ok
UiKey = tuple[str, str, str]  # name, feature, view
KeyAddress = tuple[str, str, str]  # datastore, scope, key ('' when absent)


def _min(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else min(a, b)


def _max(a: float | None, b: float | None) -> float | None:
    return b if a is None else a if b is None else max(a, b)


class OpAgg:
    """One DataStore operation: calls, outcomes, latency sum/min/max and the latency sketch."""

    __slots__ = ("count", "failures", "hist", "lat_count", "lat_max", "lat_min", "lat_sum", "successes")

    def __init__(self) -> None:
        self.count = self.successes = self.failures = self.lat_count = 0
        self.lat_sum = 0.0
        self.lat_min: float | None = None
        self.lat_max: float | None = None
        self.hist: sketch.Bins = {}

    def add(self, ok: int | None, latency: float | None) -> None:
        self.count += 1
        if ok == 1:
            self.successes += 1
        elif ok == 0:
            self.failures += 1
        if latency is not None:  # inlined min/max/sketch.add: this runs for every DataStore event on ingest
            self.lat_count += 1
            self.lat_sum += latency
            if self.lat_min is None or latency < self.lat_min:
                self.lat_min = latency
            if self.lat_max is None or latency > self.lat_max:
                self.lat_max = latency
            index = sketch.bin_of(latency)
            self.hist[index] = self.hist.get(index, 0) + 1

    def merge(self, other: OpAgg) -> None:
        self.count += other.count
        self.successes += other.successes
        self.failures += other.failures
        self.lat_count += other.lat_count
        self.lat_sum += other.lat_sum
        self.lat_min = _min(self.lat_min, other.lat_min)
        self.lat_max = _max(self.lat_max, other.lat_max)
        sketch.merge(self.hist, other.hist)


class KeyAgg:
    """One (datastore, scope, key): calls naming it, failures, value sizes, latency, first and last access."""

    __slots__ = ("bytes", "failures", "first", "last", "lat_count", "lat_max", "lat_sum", "max_size", "reads", "sized")

    def __init__(self) -> None:
        self.reads = self.failures = self.sized = self.lat_count = 0
        self.bytes = self.lat_sum = 0.0
        self.max_size: float | None = None
        self.lat_max: float | None = None
        self.first: float | None = None
        self.last: float | None = None

    def add(self, ts: float, ok: int | None, latency: float | None, size: float | None) -> None:
        self.reads += 1
        if ok == 0:
            self.failures += 1
        if size is not None:
            self.sized += 1
            self.bytes += size
            if self.max_size is None or size > self.max_size:
                self.max_size = size
        if latency is not None:
            self.lat_count += 1
            self.lat_sum += latency
            if self.lat_max is None or latency > self.lat_max:
                self.lat_max = latency
        if self.first is None or ts < self.first:
            self.first = ts
        if self.last is None or ts > self.last:
            self.last = ts

    def merge(self, other: KeyAgg) -> None:
        self.reads += other.reads
        self.failures += other.failures
        self.sized += other.sized
        self.bytes += other.bytes
        self.max_size = _max(self.max_size, other.max_size)
        self.lat_count += other.lat_count
        self.lat_sum += other.lat_sum
        self.lat_max = _max(self.lat_max, other.lat_max)
        self.first = _min(self.first, other.first)
        self.last = _max(self.last, other.last)


class Bucket:
    """Everything the reports need about the events of one period."""

    __slots__ = ("counts", "keys", "ops", "sessions", "ui")

    def __init__(self) -> None:
        self.counts: dict[CountKey, int] = {}
        self.ops: dict[str, OpAgg] = {}
        self.ui: dict[UiKey, int] = {}
        self.sessions: dict[str, list[float]] = {}  # session -> [events, first ts, last ts]
        self.keys: dict[KeyAddress, KeyAgg] = {}

    def add_row(self, row: tuple[Any, ...]) -> None:
        self.add_totals(row)
        self.add_details(row)

    def add_totals(self, row: tuple[Any, ...]) -> None:
        """The parts kept per hour: counts and DataStore operations."""
        kind, name, ok, code = row[ROW_KIND], row[ROW_NAME], row[ROW_OK], row[ROW_ERROR_CODE]
        ck = (kind, name, NO_CODE if code is None else code, NO_CODE if ok is None else ok)
        self.counts[ck] = self.counts.get(ck, 0) + 1
        if kind == "datastore":
            op = self.ops.get(name)
            if op is None:
                op = self.ops[name] = OpAgg()
            op.add(ok, row[ROW_LATENCY])

    def add_details(self, row: tuple[Any, ...], with_keys: bool = True) -> None:
        """The parts kept per day only: sessions, UI events by feature/view, per-key access (unless not wanted)."""
        kind, ts = row[ROW_KIND], row[ROW_TS]
        session = self.sessions.get(row[ROW_SESSION])
        if session is None:
            self.sessions[row[ROW_SESSION]] = [1, ts, ts]
        else:
            session[0] += 1
            if ts < session[1]:
                session[1] = ts
            elif ts > session[2]:
                session[2] = ts
        if kind == "datastore":
            if with_keys and row[ROW_DATASTORE] is not None:
                address = (row[ROW_DATASTORE], row[ROW_SCOPE] or "", row[ROW_KEY] or "")
                agg = self.keys.get(address)
                if agg is None:
                    agg = self.keys[address] = KeyAgg()
                agg.add(ts, row[ROW_OK], row[ROW_LATENCY], row[ROW_SIZE])
        elif kind == "ui":
            uk = (row[ROW_NAME], row[ROW_FEATURE] or "", row[ROW_VIEW] or "")
            self.ui[uk] = self.ui.get(uk, 0) + 1

    def merge(self, other: Bucket) -> Bucket:
        for ck, n in other.counts.items():
            self.counts[ck] = self.counts.get(ck, 0) + n
        for uk, n in other.ui.items():
            self.ui[uk] = self.ui.get(uk, 0) + n
        for sid, (n, first, last) in other.sessions.items():
            mine = self.sessions.get(sid)
            if mine is None:
                self.sessions[sid] = [n, first, last]
            else:
                mine[0] += n
                mine[1] = min(mine[1], first)
                mine[2] = max(mine[2], last)
        for name, op in other.ops.items():
            self.ops.setdefault(name, OpAgg()).merge(op)
        for address, agg in other.keys.items():
            self.keys.setdefault(address, KeyAgg()).merge(agg)
        return self

    # Convenience views used by several reports.
    def total(self) -> int:
        return sum(self.counts.values())

    def by_kind(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for (kind, _name, _code, _ok), n in self.counts.items():
            out[kind] = out.get(kind, 0) + n
        return out

    def errors(self) -> dict[tuple[str, int | None], int]:
        """Error events by (name, code) plus failed DataStore calls by ("<op> failed", code)."""
        out: dict[tuple[str, int | None], int] = {}
        for (kind, name, code, ok), n in self.counts.items():
            if kind == "error":
                category = name
            elif kind == "datastore" and ok == 0:
                category = f"{name} failed"
            else:
                continue
            key = (category, None if code == NO_CODE else code)
            out[key] = out.get(key, 0) + n
        return out

    def error_total(self) -> int:
        return sum(self.errors().values())


def bucket_rows(rows: Iterable[tuple[Any, ...]], grain: int = HOUR) -> dict[tuple[int, int], Bucket]:
    """Aggregate event rows into (user, bucket start) buckets of `grain` seconds."""
    out: dict[tuple[int, int], Bucket] = {}
    for row in rows:
        slot = (row[ROW_USER], int(row[ROW_TS] // grain) * grain)
        bucket = out.get(slot)
        if bucket is None:
            bucket = out[slot] = Bucket()
        bucket.add_row(row)
    return out


def regroup(buckets: dict[tuple[int, int], Bucket], grain: int) -> dict[tuple[int, int], Bucket]:
    """Merge finer buckets into coarser ones (e.g. hours into UTC days)."""
    out: dict[tuple[int, int], Bucket] = {}
    for (user, start), bucket in buckets.items():
        out.setdefault((user, start // grain * grain), Bucket()).merge(bucket)
    return out


def split_rows(
    rows: Iterable[tuple[Any, ...]], keys_before: float = math.inf
) -> tuple[dict[tuple[int, int], Bucket], dict[tuple[int, int], Bucket]]:
    """(hourly buckets of counts and operations, daily buckets of everything) for the rollup writer.

    Cheaper than `bucket_rows` then `regroup`: the per-day-only parts are added to the day once. Per-key
    access is only aggregated for events before `keys_before` (see `rollups.close_key_days`).
    """
    hours: dict[tuple[int, int], Bucket] = {}
    days: dict[tuple[int, int], Bucket] = {}
    last_hour: tuple[int, int] | None = None
    bucket = detail = Bucket()
    for row in rows:
        ts = row[ROW_TS]
        hour = (row[ROW_USER], int(ts // HOUR) * HOUR)
        if hour != last_hour:  # a batch's rows mostly share one hour: skip the lookups
            last_hour = hour
            bucket = hours.get(hour) or hours.setdefault(hour, Bucket())
            day = (hour[0], hour[1] // DAY * DAY)
            detail = days.get(day) or days.setdefault(day, Bucket())
        bucket.add_totals(row)
        detail.add_details(row, ts < keys_before)
    for (user, start), bucket in hours.items():
        day_bucket = days[(user, start // DAY * DAY)]
        for ck, n in bucket.counts.items():
            day_bucket.counts[ck] = day_bucket.counts.get(ck, 0) + n
        for name, op in bucket.ops.items():
            day_bucket.ops.setdefault(name, OpAgg()).merge(op)
    return hours, days
