"""HISTORICAL_COMPARISON and `history.compare`: one period against an earlier one, or a saved report
against an earlier report or snapshot, metric by metric (matched by name)."""

from __future__ import annotations

import sqlite3
from typing import Any

from dsm.analytics import periods
from dsm.errors import not_found
from dsm.reports import common as c
from dsm.reports import model as m
from dsm.store import historical, reports
from dsm.validate import is_number


def flatten(value: Any, prefix: str = "") -> dict[str, float]:
    """Numeric leaves of a nested body as dotted names (for snapshots that carry no `metrics` list)."""
    out: dict[str, float] = {}
    if isinstance(value, dict):
        for key, inner in value.items():
            out.update(flatten(inner, f"{prefix}.{key}" if prefix else str(key)))
    elif is_number(value) and not isinstance(value, bool):
        out[prefix] = value
    return out


def metric_values(body: dict[str, Any]) -> dict[str, tuple[float | None, str | None, str | None, str | None]]:
    """name -> (value, label, unit, better) from a body's `metrics` list, or from its numeric leaves."""
    rows = body.get("metrics")
    if isinstance(rows, list) and rows:
        return {
            str(m["name"]): (m.get("value"), m.get("label"), m.get("unit"), m.get("better"))
            for m in rows
            if isinstance(m, dict) and "name" in m
        }
    return {name: (value, name, None, None) for name, value in flatten(body).items()}


def compare_bodies(current: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    now_values, then_values = metric_values(current), metric_values(baseline)
    rows = []
    for name, (value, label, unit, better) in now_values.items():
        if name not in then_values:
            continue
        before = then_values[name][0]
        change, pct = c.delta(value if is_number(value) else None, before if is_number(before) else None)
        rows.append(
            {"name": name, "label": label, "unit": unit, "value": value, "baseline": before}
            | {"change": change, "changePct": pct, "better": better}
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
    return {"metrics": [f.metric() for f in c.summary_values(bucket)]}


def _unit(unit: str | None) -> str:
    """A compared metric keeps its unit when it is a quantity the model knows (snapshot leaves have none)."""
    return unit if unit in m.NUMERIC_UNITS - {"time"} else "number"


UNMATCHED_COLUMNS = (m.col("name", "Metric", "text"), m.col("presentIn", "Only in", "text"))


def _unmatched(result: dict[str, Any]) -> m.Section:
    rows = [{"name": n, "presentIn": "current"} for n in result["onlyInCurrent"]]
    rows += [{"name": n, "presentIn": "baseline"} for n in result["onlyInBaseline"]]
    return m.table("unmatched", "Metrics without a counterpart", UNMATCHED_COLUMNS, rows)


def _side(item: dict[str, Any], prefix: str, label: str) -> list[m.Row]:
    return [
        m.fact(f"{prefix}Title", label, item["title"], "text"),
        m.fact(f"{prefix}Kind", f"{label}: kind", item["kind"], "text"),
        m.fact(f"{prefix}CreatedAt", f"{label}: made", item["createdAt"], "time"),
    ]


def _insights(metrics: list[m.Row]) -> list[str]:
    moved = sorted(
        (r for r in metrics if r["changePct"] is not None and r["unit"] == "count"), key=lambda r: -abs(r["changePct"])
    )[:3]
    return [f"{r['label']}: {r['changePct']:+.0%} ({r['previous']} → {r['value']})" for r in moved]


def build(conn: sqlite3.Connection, user_id: int, options: dict[str, Any], now: float) -> tuple[str, dict[str, Any]]:
    if "reportId" in options:
        result = compare_saved(
            conn,
            user_id,
            (options["reportId"], None),
            (options.get("baselineReportId"), options.get("baselineSnapshotId")),
        )
        metrics = [
            m.metric(
                "comparison",
                r["name"],
                r["label"] or r["name"],
                r["value"] if is_number(r["value"]) else None,
                _unit(r["unit"]),
                r["baseline"] if is_number(r["baseline"]) else None,
                better=r["better"],
            )
            for r in result["metrics"]
        ]
        facts = _side(result["current"], "current", "Report") + _side(result["baseline"], "baseline", "Baseline")
        sections = [m.facts("compared", "Compared", facts), _unmatched(result)]
        start, end = result["baseline"]["createdAt"], result["current"]["createdAt"]
        body = c.body(start, end, _insights(metrics), metrics, sections)
        body["baseline"] = {"label": result["baseline"]["title"]}
        title = f"Historical comparison — {result['current']['title']} vs {result['baseline']['title']}"
        return title, body
    start, end = c.period(options)
    base_start = options.get("baselineFrom", start - (end - start))
    base_end = options.get("baselineTo", start)
    current = _period_metrics(conn, user_id, start, end)
    baseline = _period_metrics(conn, user_id, base_start, base_end)
    values = {r["name"]: r["value"] for r in baseline["metrics"]}
    metrics = [
        m.metric(r["section"], r["name"], r["label"], r["value"], r["unit"], values.get(r["name"]), better=r["better"])
        for r in current["metrics"]
    ]
    facts = [
        m.fact("from", "Period: from", start, "time"),
        m.fact("to", "Period: to", end, "time"),
        m.fact("baselineFrom", "Baseline: from", base_start, "time"),
        m.fact("baselineTo", "Baseline: to", base_end, "time"),
    ]
    sections = [m.facts("compared", "Compared", facts), _unmatched(compare_bodies(current, baseline))]
    body = c.body(start, end, _insights(metrics), metrics, sections)
    body["baseline"] = {"label": c.period_text(base_start, base_end), "from": base_start, "to": base_end}
    return (
        f"Historical comparison — {c.period_text(start, end)} vs {c.period_text(base_start, base_end)} (UTC)",
        body,
    )
