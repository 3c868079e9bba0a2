"""The dashboard page at `/`: pick a Studio user and a period, live charts of their DataStore work, the reports
list with filters, the Generate form (from the catalog), comparing two reports, and the share links.

Server-rendered; the only script is the companion's own `dashboard.js`, which swaps in the charts the server
pushes. Every link and form is relative to this server; no asset comes from anywhere else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from dsm.reports import catalog
from dsm.reports.format import esc, value_text
from dsm.web import forms
from dsm.web.layout import document
from dsm.web.panels import PERIODS, Period

NOTICES = {
    "shared": "Share link created: anyone with it can read that one report, nothing else. Revoke it below.",
    "revoked": "Share link revoked: it no longer opens anything.",
}


@dataclass
class View:
    """Everything the page shows; built by the handler, drawn here."""

    version: str
    users: list[int]
    user_id: int | None
    period: Period
    panels_html: str = ""
    reports: list[dict[str, Any]] = field(default_factory=list)
    all_reports: list[dict[str, Any]] = field(default_factory=list)
    shares: list[dict[str, Any]] = field(default_factory=list)
    filters: dict[str, str] = field(default_factory=dict)
    form_values: dict[str, str] = field(default_factory=dict)
    form_type: str | None = None
    error: str = ""
    notice: str = ""
    logout: bool = False
    origin: str = ""

    @property
    def ws_url(self) -> str:
        """The link's address on this server, as the browser reached it."""
        return self.origin.replace("http://", "ws://", 1) + "/ws"


def query(view: View, **changes: str) -> str:
    params = {"user": str(view.user_id) if view.user_id is not None else "", "period": view.period.name} | changes
    return "/?" + urlencode({k: v for k, v in params.items() if v})


def render(view: View) -> str:
    parts = [_header(view), _users(view)]
    if view.user_id is None:
        parts.append(_empty(view))
    else:
        parts += [_nav(view), _periods(view), _panels(view), _reports(view), _generate(view), _compare(view)]
        parts.append(_shares(view))
    css = forms.type_css()
    return document("DataStore Manager Pro — dashboard", "".join(parts), script=view.user_id is not None, extra_css=css)


def _header(view: View) -> str:
    who = f" · Studio user {esc(view.user_id)}" if view.user_id is not None else ""
    logout = (
        "<form class='inline' method='post' action='/logout'>"
        "<button class='plain' type='submit'>Log out</button></form>"
        if view.logout
        else ""
    )
    live = "<span class='live' id='live-state'>live</span>" if view.user_id is not None else ""
    return (
        f"<header class='top'><h1>DataStore Manager Pro</h1><div class='meta'>companion {esc(view.version)}{who}</div>"
        f"{live}{logout}</header>"
    )


def _users(view: View) -> str:
    if len(view.users) <= 1 and view.user_id in (*view.users, None):
        return ""
    links = " ".join(
        f"<a href='{esc(query(view, user=str(u)))}'>{'<b>' if u == view.user_id else ''}user {esc(u)}"
        f"{'</b>' if u == view.user_id else ''}</a>"
        for u in view.users
    )
    prompt = "" if view.user_id is not None else "<p>Several Studio users have data here: pick one.</p>"
    return f"<section class='users'>{prompt}<nav>Studio users: {links}</nav></section>"


def _empty(view: View) -> str:
    if view.users:
        return ""
    return (
        "<h2>No data yet</h2><section class='empty-start'><p>Nothing has reached this companion yet. Two ways on:</p>"
        "<ol class='steps'><li><b>See it with sample data in a minute:</b> run "
        f"<code>dsm demo --url {esc(view.ws_url)}{' --token …' if view.logout else ''}</code>; it sends a month of a "
        "Studio user's DataStore work through the plugin's link (reads, failures, a throttling episode, an anomaly) "
        "as user 1 and generates every report type; then reload this page. (Plain <code>dsm demo</code> fills a "
        "separate demo database instead.)</li>"
        "<li><b>Use your own:</b> install the plugin with <code>dsm plugin install</code>, open Roblox Studio and "
        "connect it (Connection tab); your DataStore work shows up here live.</li></ol></section>"
    )


def _nav(view: View) -> str:
    places = [("panels", "Charts"), ("reports", "Reports"), ("generate", "Generate")]
    places += [("compare", "Compare")] if len(view.all_reports) >= 2 else []
    places.append(("shares", f"Share links ({len(view.shares)})"))
    return "<nav class='jump'>" + " · ".join(f"<a href='#{i}'>{esc(t)}</a>" for i, t in places) + "</nav>"


def _periods(view: View) -> str:
    links = " · ".join(
        f"<b>{esc(p.label)}</b>"
        if p == view.period
        else f"<a href='{esc(query(view, period=p.name))}'>{esc(p.label)}</a>"
        for p in PERIODS
    )
    return f"<nav class='periods'>Period: {links} <span class='hint'>(UTC)</span></nav>"


def _panels(view: View) -> str:
    stream = f"/live?{urlencode({'user': view.user_id, 'period': view.period.name})}"
    return f"<div id='panels' data-stream='{esc(stream)}'>{view.panels_html}</div>"


def _reports(view: View) -> str:
    types = "".join(
        f"<option value='{esc(t.name)}'{' selected' if view.filters.get('type') == t.name else ''}>"
        f"{esc(t.title)}</option>"
        for t in catalog.TYPES
    )
    f = view.filters
    filters = (
        "<form class='row filters' method='get' action='/'>"
        f"<input type='hidden' name='user' value='{esc(view.user_id)}'>"
        f"<input type='hidden' name='period' value='{esc(view.period.name)}'>"
        f"<label>Type<select name='type'><option value=''>All types</option>{types}</select></label>"
        f"<label>Created from (UTC)<input type='date' name='from' value='{esc(f.get('from', ''))}'></label>"
        f"<label>Created to (UTC)<input type='date' name='to' value='{esc(f.get('to', ''))}'></label>"
        "<button class='plain' type='submit'>Filter</button></form>"
    )
    if not view.reports:
        listing = "<p class='empty'>No saved reports match.</p>" if f else "<p class='empty'>No saved reports yet.</p>"
    else:
        rows = "".join(_report_row(view, r) for r in view.reports)
        head = "<tr><th>Created</th><th>Type</th><th>Title</th><th>Export</th><th></th></tr>"
        listing = f"<table class='reports'>{head}{rows}</table>"
    return f"<h2 id='reports'>Reports ({len(view.reports)})</h2><section>{filters}{listing}</section>"


def _report_row(view: View, r: dict[str, Any]) -> str:
    base = f"/api/reports/{esc(r['id'])}"
    q = f"?user={esc(view.user_id)}"
    share = (
        "<form class='inline' method='post' action='/shares'>"
        f"<input type='hidden' name='user' value='{esc(view.user_id)}'><input type='hidden' name='report' "
        f"value='{esc(r['id'])}'><button class='plain' type='submit'>Share</button></form>"
    )
    return (
        f"<tr data-report='{esc(r['id'])}'><td class='time'>{esc(value_text(r['createdAt'], 'time'))}</td>"
        f"<td>{esc(r['type'])}</td><td><a class='report' href='{base}.html{q}'>{esc(r['title'])}</a></td>"
        f"<td><a href='{base}.json{q}'>json</a> · <a href='{base}.csv{q}'>csv</a> · <a href='{base}.html{q}'>html</a>"
        f"</td><td>{share}</td></tr>"
    )


def _generate(view: View) -> str:
    alert = f"<div class='error' role='alert' id='form-error'>{esc(view.error)}</div>" if view.error else ""
    form = forms.render_form(view.user_id or 0, view.all_reports, view.form_values, view.form_type)
    return f"<h2 id='generate'>Generate a report</h2><section>{alert}{form}</section>"


def _compare(view: View) -> str:
    if len(view.all_reports) < 2:
        return ""

    def picks(chosen: str) -> str:
        return "".join(
            f"<option value='{esc(r['id'])}'{' selected' if r['id'] == chosen else ''}>"
            f"{esc(r['title'])} · {esc(value_text(r['createdAt'], 'time'))}</option>"
            for r in view.all_reports
        )

    kind = "HISTORICAL_COMPARISON"
    return (
        "<h2 id='compare'>Compare two reports</h2><section>"
        "<p class='hint'>Metric by metric: each of the report's figures against the same figure of the baseline "
        "(saved as a Historical comparison report).</p>"
        "<form class='row compare' method='post' action='/api/reports'>"
        f"<input type='hidden' name='user' value='{esc(view.user_id)}'><input type='hidden' name='type' value='{kind}'>"
        f"<label>Report<select name='{kind}.reportId'>{picks(view.all_reports[0]['id'])}</select></label>"
        f"<label>Baseline<select name='{kind}.baselineReportId'>{picks(view.all_reports[1]['id'])}</select></label>"
        "<button type='submit'>Compare</button></form></section>"
    )


def _shares(view: View) -> str:
    notice = f"<div class='notice' role='status'>{esc(view.notice)}</div>" if view.notice else ""
    if not view.shares:
        body = "<p class='empty'>No share links. Share a report from the list above.</p>"
    else:
        rows = "".join(
            f"<tr data-share='{esc(s['id'])}'><td>{esc(s['title'])}</td>"
            f"<td class='time'>{esc(value_text(s['createdAt'], 'time'))}</td>"
            f"<td><input class='share-url' readonly value='{esc(view.origin)}&#47;share&#47;{esc(s['id'])}'></td>"
            "<td><form class='inline' method='post' action='/shares/revoke'>"
            f"<input type='hidden' name='user' value='{esc(view.user_id)}'>"
            f"<input type='hidden' name='share' value='{esc(s['id'])}'>"
            "<button class='plain' type='submit'>Revoke</button></form></td></tr>"
            for s in view.shares
        )
        head = "<tr><th>Report</th><th>Shared</th><th>Read-only link (no login needed)</th><th></th></tr>"
        body = f"<table class='shares'>{head}{rows}</table>"
    return f"<h2 id='shares'>Share links</h2><section>{notice}{body}</section>"
