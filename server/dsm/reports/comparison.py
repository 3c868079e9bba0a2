"""HISTORICAL_COMPARISON and `history.compare`: one period against an earlier one, or a saved report
against an earlier report or snapshot, metric by metric (matched by name)."""

from __future__ import annotations

import sqlite3
from typing import Any

from dsm.analytics import periods
from dsm.errors import not_found
from dsm.reports import common as c
from dsm.store import historical, reports
from dsm.validate import is_number

DEFAULT_DAYS = 7


def flatten(value: Any, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a nested body as dotted names (for snapshots that carry no `metrics` list)."""
    out: dict[str, float] = {}
    if isinstance(value, dict):
        for key, inner in value.items():
            out.update(flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
    elif is_number(value) and not isinstance(value, bool):
        out[prefix] = value
    return out


def metric_values(body: dict[str, Any]) -> dict[str, tuple[float | None, str | None, str | None]]:
    """name -> (value, label, unit) from a body's `metrics` list, or from its numeric leaves."""
    rows = body.get("metrics")
    if isinstance(rows, list) and rows:
        return {
            str(m["name"]): (m.get("value"), m.get("label"), m.get("unit"))
            for m in rows
            if isinstance(m, dict) and "name" in m
        }
    return {name: (value, name, None) for name, value in flatten(body).items()}


def compare_bodies(current: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    now_values, then_values = metric_values(current), metric_values(baseline)
    rows = []
    for name, (value, label, unit) in now_values.items():
        if name not in then_values:
            continue
        before = then_values[name][0]
        change, pct = c.delta(value if is_number(value) else None, before if is_number(before) else None)
        rows.append(
            {"name": name, "label": label, "unit": unit, "value": value, "baseline": before}
            | {"change": change, "changePct": pct}
        )
    return {
        "metrics": rows,
        "onlyInCurrent": sorted(set(now_values) - set(then_values)),
        "onlyInBaseline": sorted(set(then_values) - set(now_values)),
    }


def _body_of(conn: sqlite3.Connection, user_id: int, report_id: str | None, snapshot_id: str | None) -> dict[str, Any]:
    if report_id is not None:
        report = reports.get(conn, user_id, report_id)
        if report is None:
            raise not_found(f"no report with id {report_id}")
        return {"id": report.id, "kind": "report", "title": report.title, "createdAt": report.created_at} | {
            "body": report.body
        }
    assert snapshot_id is not None
    snap = historical.get(conn, user_id, snapshot_id)
    if snap is None:
        raise not_found(f"no snapshot with id {snapshot_id}")
    return {"id": snap.id, "kind": "snapshot", "title": snap.label, "createdAt": snap.created_at, "body": snap.body}


def compare_saved(
    conn: sqlite3.Connection,
    user_id: int,
    current: tuple[str | None, str | None],
    baseline: tuple[str | None, str | None],
) -> dict[str, Any]:
    """`(reportId, snapshotId)` pairs, one of each set; the shared body of `history.compare`."""
    now_item, then_item = _body_of(conn, user_id, *current), _body_of(conn, user_id, *baseline)
    result = compare_bodies(now_item.pop("body"), then_item.pop("body"))
    return {"current": now_item, "baseline": then_item, **result}


def _period_metrics(conn: sqlite3.Connection, user_id: int, start: float, end: float) -> dict[str, Any]:
    bucket = periods.load(conn, user_id, start, end)
    return {
        "metrics": [
            {"section": s, "name": n, "label": label, "value": v, "unit": u}
            for s, n, label, v, u in c.summary_values(bucket)
        ]
    }


def build(conn: sqlite3.Connection, user_id: int, options: dict[str, Any], now: float) -> tuple[str, dict[str, Any]]:
    if "reportId" in options:
        result = compare_saved(
            conn,
            user_id,
            (options["reportId"], None),
            (options.get("baselineReportId"), options.get("baselineSnapshotId")),
        )
        metrics = [
            c.metric("comparison", r["name"], r["label"] or r["name"], r["value"], r["unit"] or "count", r["baseline"])
            for r in result["metrics"]
        ]
        body = {"period": {"from": result["baseline"]["createdAt"], "to": result["current"]["createdAt"]}}
        body |= {"metrics": metrics, "comparison": result}
        title = f"Historical comparison — {result['current']['title']} vs {result['baseline']['title']}"
        return title, body
    start, end = c.period(options, now, DEFAULT_DAYS)
    base_start = options.get("baselineFrom", start - (end - start))
    base_end = options.get("baselineTo", start)
    current = _period_metrics(conn, user_id, start, end)
    baseline = _period_metrics(conn, user_id, base_start, base_end)
    values = {m["name"]: m["value"] for m in baseline["metrics"]}
    metrics = [
        c.metric(m["section"], m["name"], m["label"], m["value"], m["unit"], values.get(m["name"]))
        for m in current["metrics"]
    ]
    body = {
        "period": {"from": start, "to": end},
        "baselinePeriod": {"from": base_start, "to": base_end},
        "metrics": metrics,
        "comparison": compare_bodies(current, baseline),
    }
    moved = sorted(
        (m for m in metrics if m["changePct"] is not None and m["unit"] == "count"),
        key=lambda m: -abs(m["changePct"]),
    )[:3]
    body["insights"] = [f"{m['label']}: {m['changePct']:+.0%} ({m['previous']} → {m['value']})" for m in moved]
    return (
        f"Historical comparison — {c.period_text(start, end)} vs {c.period_text(base_start, base_end)} (UTC)",
        body,
    )
