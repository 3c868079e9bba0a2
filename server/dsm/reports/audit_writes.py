"""DATASTORE_AUDIT's part on writes: what the edits journal holds for the period — which keys were written, by
which operations, the sizes before and after, failures, restores and undos, by whom (the Studio user) and when."""

from __future__ import annotations

import sqlite3
from collections import Counter
from dataclasses import dataclass, field

from dsm.reports import model as m
from dsm.store import edits as store

WRITE_COLUMNS = (
    m.col("ts", "When", "time"),
    m.col("userId", "Studio user", "text"),
    m.col("datastore", "DataStore", "text"),
    m.col("scope", "Scope", "text"),
    m.col("key", "Key", "text"),
    m.col("op", "Operation", "text"),
    m.col("ok", "Succeeded", "boolean"),
    m.col("beforeSize", "Size before", "bytes"),
    m.col("afterSize", "Size after", "bytes"),
    m.col("version", "Version", "text"),
    m.col("errorCode", "Error code", "number"),
    m.col("message", "Error", "text"),
    m.col("undo", "Undo", "boolean"),
    m.col("store", "Store", "text"),  # "ordered" for an OrderedDataStore entry's number
)
KEY_COLUMNS = (
    m.col("datastore", "DataStore", "text"),
    m.col("scope", "Scope", "text"),
    m.col("key", "Key", "text"),
    m.col("writes", "Writes", "count"),
    m.col("failed", "Failed", "count"),
    m.col("operations", "Operations", "text"),
    m.col("lastWrite", "Last write", "time"),
)


@dataclass
class Writes:
    """What the audit adds for writes: metrics, sections and insights, in the report model."""

    metrics: list[m.Row] = field(default_factory=list)
    sections: list[m.Section] = field(default_factory=list)
    insights: list[str] = field(default_factory=list)


def _write_row(user_id: int, edit: store.Edit) -> m.Row:
    return {
        "ts": edit.ts,
        "userId": str(user_id),
        "datastore": edit.datastore,
        "scope": edit.scope,
        "key": edit.key,
        "store": edit.store or "standard",  # an ordered entry's write says so
        "op": edit.op,
        "ok": edit.ok,
        "beforeSize": edit.before_size,
        "afterSize": edit.after_size,
        "version": edit.version,
        "errorCode": edit.error_code,
        "message": edit.message,
        "undo": edit.undoes is not None,
    }


def _key_rows(edits: list[store.Edit]) -> list[m.Row]:
    per: dict[tuple[str, str, str], m.Row] = {}
    for edit in edits:  # newest first, so the first seen is the last write
        address = (edit.datastore, edit.scope, edit.key)
        row = per.get(address)
        if row is None:
            row = per[address] = dict(zip(("datastore", "scope", "key"), address, strict=True))
            row.update(writes=0, failed=0, ops=Counter(), lastWrite=edit.ts)
        row["writes"] += 1
        row["failed"] += int(not edit.ok)
        row["ops"][edit.op] += 1
    rows = sorted(per.values(), key=lambda r: (-r["writes"], r["datastore"], r["scope"], r["key"]))
    for row in rows:
        row["operations"] = ", ".join(f"{op} {n}" for op, n in sorted(row.pop("ops").items()))
    return rows


def _op_rows(edits: list[store.Edit]) -> list[m.Row]:
    ok = Counter(e.op for e in edits if e.ok)
    failed = Counter(e.op for e in edits if not e.ok)
    return [{"label": op, "succeeded": ok[op], "failed": failed[op]} for op in store.OPS if ok[op] or failed[op]]


def _insights(edits: list[store.Edit]) -> list[str]:
    if not edits:
        return ["No writes were made through the plugin in this period."]
    writes = Counter(e.datastore for e in edits)
    failed = Counter(e.datastore for e in edits if not e.ok)
    out = []
    for datastore, count in sorted(writes.items(), key=lambda kv: (-failed[kv[0]], -kv[1], kv[0])):
        noun = "write" if count == 1 else "writes"
        out.append(f"{count} {noun} to {datastore}, {failed[datastore]} failed.")
    return out


def build(conn: sqlite3.Connection, user_id: int, start: float, end: float, only: str | None, limit: int) -> Writes:
    """The journal's writes with `start <= ts < end` (one DataStore when `only`), newest first."""
    edits = store.between(conn, user_id, start, end, only)
    failed = sum(not e.ok for e in edits)
    restores = sum(e.op == "restore" for e in edits)
    undos = sum(e.undoes is not None for e in edits)
    written = sum(e.after_size or 0 for e in edits if e.ok)
    shown = [_write_row(user_id, e) for e in edits[:limit]]
    note = f"The newest {limit} of {len(edits)}." if len(edits) > limit else None
    return Writes(
        metrics=[
            m.metric("edits", "audit.writes", "Writes through the plugin", len(edits), "count", better=None),
            m.metric("edits", "audit.failedWrites", "Failed writes", failed, "count", better="down"),
            m.metric("edits", "audit.restores", "Restores", restores, "count", better=None),
            m.metric("edits", "audit.undos", "Undos", undos, "count", better=None),
            m.metric("edits", "audit.bytesWritten", "Size of values written", written, "bytes", better=None),
        ],
        sections=[
            m.table("writes", "Writes", WRITE_COLUMNS, shown, note=note),
            m.bars(
                "writesByOperation",
                "Writes by operation",
                "count",
                (("succeeded", "Succeeded"), ("failed", "Failed")),
                _op_rows(edits),
            ),
            m.table("writtenKeys", "Keys written", KEY_COLUMNS, _key_rows(edits)[:limit]),
        ],
        insights=_insights(edits),
    )
