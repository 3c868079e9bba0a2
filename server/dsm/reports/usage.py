"""USAGE_ANALYTICS: features and views used (how often, for how long), navigation paths between views,
searches and usage by hour of day (UTC).

Counts come from the rollups; time in a view and view-to-view paths need the order of a session's
`view_change` events, so those (and `search_query` events) are read from the raw events of the period.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from dsm.analytics import periods
from dsm.analytics.buckets import HOUR
from dsm.reports import common as c
from dsm.store.codec import unpack

DEFAULT_DAYS = 7


def _navigation(conn: sqlite3.Connection, user_id: int, start: float, end: float) -> dict[str, Any]:
    views: dict[str, dict[str, float]] = {}
    paths: dict[tuple[str, str], int] = {}
    queries: dict[str, int] = {}
    searches = 0
    last: dict[str, tuple[float, str]] = {}  # session -> (ts, view) of its previous view_change
    for session, ts, name, view, props in conn.execute(
        "SELECT session, ts, name, view, props FROM events WHERE user_id = ? AND ts >= ? AND ts < ?"
        " AND kind = 'ui' AND name IN ('view_change', 'search_query') ORDER BY session, ts, seq",
        (user_id, start, end),
    ):
        if name == "search_query":
            searches += 1
            query = (unpack(props) or {}).get("query") if props is not None else None
            if isinstance(query, str) and query:
                queries[query] = queries.get(query, 0) + 1
            continue
        if not view:
            continue
        slot = views.setdefault(view, {"visits": 0, "timedVisits": 0, "seconds": 0.0})
        slot["visits"] += 1
        previous = last.get(session)
        if previous is not None:
            before = views[previous[1]]
            before["timedVisits"] += 1
            before["seconds"] += ts - previous[0]
            paths[(previous[1], view)] = paths.get((previous[1], view), 0) + 1
        last[session] = (ts, view)
    return {"views": views, "paths": paths, "queries": queries, "searches": searches}


def build(conn: sqlite3.Connection, user_id: int, options: dict[str, Any], now: float) -> tuple[str, dict[str, Any]]:
    start, end = c.period(options, now, DEFAULT_DAYS)
    limit = options.get("limit", c.DEFAULT_LIMIT)
    hourly = periods.series(conn, user_id, start, end, ("counts",), HOUR)
    total = periods.load(conn, user_id, start, end, ("ui", "sessions"))
    by_hour = [{"hour": h, "events": 0, "ui": 0} for h in range(24)]
    for t, bucket in hourly.items():
        slot = by_hour[(t // HOUR) % 24]
        slot["events"] += bucket.total()
        slot["ui"] += bucket.by_kind().get("ui", 0)
    features: dict[str, int] = {}
    interactions: dict[str, int] = {}
    for (name, feature, _view), n in total.ui.items():
        interactions[name] = interactions.get(name, 0) + n
        if feature:
            features[feature] = features.get(feature, 0) + n
    nav = _navigation(conn, user_id, start, end)
    view_rows = sorted(
        (
            {
                "view": v,
                "visits": int(s["visits"]),
                "totalSeconds": s["seconds"],
                "avgSeconds": c.rate(s["seconds"], s["timedVisits"]),
            }
            for v, s in nav["views"].items()
        ),
        key=lambda r: (-r["visits"], r["view"]),
    )
    path_rows = [{"from": a, "to": b, "count": n} for (a, b), n in c.top(nav["paths"], limit)]
    query_rows = [{"query": q, "count": n} for q, n in c.top(nav["queries"], limit)]
    sessions = c.session_durations(total)
    ui_total = sum(interactions.values())
    metrics = [
        c.metric("usage", "usage.uiEvents", "UI events", ui_total, "count"),
        c.metric("usage", "usage.features", "Features used", len(features), "count"),
        c.metric("usage", "usage.views", "Views visited", len(view_rows), "count"),
        c.metric("usage", "usage.viewChanges", "View changes", sum(r["visits"] for r in view_rows), "count"),
        c.metric("usage", "usage.searches", "Searches", nav["searches"], "count"),
        c.metric("usage", "usage.distinctQueries", "Distinct search queries", len(nav["queries"]), "count"),
        c.metric("usage", "usage.sessions", "Sessions", len(sessions), "count"),
        c.metric(
            "usage",
            "usage.avgSessionSeconds",
            "Average session",
            c.rate(sum(s["durationSeconds"] for s in sessions), len(sessions)),
            "seconds",
        ),
    ]
    body = {
        "period": {"from": start, "to": end},
        "metrics": metrics,
        "features": [{"feature": f, "count": n} for f, n in c.top(features, limit)],
        "interactions": [{"name": name, "count": n} for name, n in c.top(interactions, limit)],
        "views": view_rows,
        "navigationPaths": path_rows,
        "searches": query_rows,
        "usageByHour": by_hour,
        "series": {
            "activity": [
                {"t": t, "total": b.total(), "ui": b.by_kind().get("ui", 0)} for t, b in sorted(hourly.items())
            ]
        },
    }
    insights = []
    if body["features"]:
        insights.append(f"Most used feature: {body['features'][0]['feature']}.")
    if path_rows:
        insights.append(f"Most common path: {path_rows[0]['from']} → {path_rows[0]['to']} ({path_rows[0]['count']}).")
    busiest = max(by_hour, key=lambda h: h["events"])
    if busiest["events"]:
        insights.append(f"Busiest hour of day (UTC): {busiest['hour']:02d}:00.")
    body["insights"] = insights
    return c.title("Usage analytics", start, end), body
