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
from dsm.reports import model as m
from dsm.store.codec import unpack


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


VIEW_COLUMNS = (
    m.col("view", "View", "text"),
    m.col("visits", "Visits", "count"),
    m.col("totalSeconds", "Time in view", "seconds"),
    m.col("avgSeconds", "Average visit", "seconds"),
)
PATH_COLUMNS = (m.col("from", "From view", "text"), m.col("to", "To view", "text"), m.col("count", "Times", "count"))
SEARCH_COLUMNS = (m.col("query", "Query", "text"), m.col("count", "Times", "count"))


def build(conn: sqlite3.Connection, user_id: int, options: dict[str, Any], now: float) -> tuple[str, dict[str, Any]]:
    start, end = c.period(options)
    limit = options["limit"]
    hourly = periods.series(conn, user_id, start, end, ("counts",), HOUR)
    total = periods.load(conn, user_id, start, end, ("ui", "sessions"))
    by_hour = [{"label": f"{h:02d}:00", "events": 0, "ui": 0} for h in range(24)]
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
    feature_rows = [{"label": f, "count": n} for f, n in c.top(features, limit)]
    metrics = [
        m.metric("usage", "usage.uiEvents", "UI events", sum(interactions.values()), "count", better=None),
        m.metric("usage", "usage.features", "Features used", len(features), "count", better=None),
        m.metric("usage", "usage.views", "Views visited", len(view_rows), "count", better=None),
        m.metric(
            "usage", "usage.viewChanges", "View changes", sum(r["visits"] for r in view_rows), "count", better=None
        ),
        m.metric("usage", "usage.searches", "Searches", nav["searches"], "count", better=None),
        m.metric(
            "usage", "usage.distinctQueries", "Distinct search queries", len(nav["queries"]), "count", better=None
        ),
        m.metric("usage", "usage.sessions", "Sessions", len(sessions), "count", better=None),
        m.metric(
            "usage",
            "usage.avgSessionSeconds",
            "Average session",
            c.rate(sum(s["durationSeconds"] for s in sessions), len(sessions)),
            "seconds",
            better=None,
        ),
    ]
    hours = {t: {"total": b.total(), "ui": b.by_kind().get("ui", 0)} for t, b in hourly.items()}
    sections = [
        m.bars("features", "Features", "count", (("count", "Events"),), feature_rows),
        m.bars(
            "interactions",
            "UI events",
            "count",
            (("count", "Events"),),
            [{"label": name, "count": n} for name, n in c.top(interactions, limit)],
        ),
        m.table("views", "Views", VIEW_COLUMNS, view_rows, note="The last view of a session has no known duration."),
        m.table("navigationPaths", "Navigation paths", PATH_COLUMNS, path_rows),
        m.table("searches", "Searches", SEARCH_COLUMNS, query_rows),
        m.bars(
            "usageByHour",
            "Usage by hour of day (UTC)",
            "count",
            (("events", "All events"), ("ui", "UI events")),
            by_hour,
        ),
        m.series(
            "activity",
            "Activity over time",
            "count",
            (("total", "All events"), ("ui", "UI events")),
            c.timeline(start, end, HOUR, hours, ("total", "ui"), 0),
            stacked=False,
            step=HOUR,
        ),
        m.table("sessions", "Sessions", c.SESSION_COLUMNS, sessions),
    ]
    insights = []
    if feature_rows:
        insights.append(f"Most used feature: {feature_rows[0]['label']} ({feature_rows[0]['count']} events).")
    if path_rows:
        insights.append(f"Most common path: {path_rows[0]['from']} → {path_rows[0]['to']} ({path_rows[0]['count']}).")
    busiest = max(by_hour, key=lambda h: h["events"])
    if busiest["events"]:
        insights.append(f"Busiest hour of day (UTC): {busiest['label']}.")
    return c.title("Usage analytics", start, end), c.body(start, end, insights, metrics, sections)
