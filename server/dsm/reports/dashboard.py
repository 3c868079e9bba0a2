"""The dashboard at `/`: a server-rendered page listing a user's reports and a form to generate one.

No scripts and no external assets: links, one form, inline CSS shared with the HTML report pages.
"""

from __future__ import annotations

from typing import Any

from dsm.reports import catalog
from dsm.reports.format import esc, value_text
from dsm.reports.html_export import page

EXTRA_CSS = """
form.generate { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: end; }
form.generate label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); }
select, input, textarea, button { font: inherit; padding: 4px 6px; }
button { cursor: pointer; }
nav.users a { margin-right: 12px; }
"""


def render(user_id: int | None, users: list[int], reports: list[dict[str, Any]], version: str) -> str:
    parts = [f"<h1>DataStore Manager Pro</h1><div class='meta'>companion server {esc(version)}</div>"]
    parts.append(_user_picker(user_id, users))
    if user_id is not None:
        parts.append(_generate_form(user_id))
        parts.append(_report_list(user_id, reports))
    elif not users:
        parts.append(
            "<section><p>No data yet. Connect the DataStore Manager Pro plugin in Roblox Studio; "
            "its events and reports will show up here.</p></section>"
        )
    return page("DataStore Manager Pro — reports", "".join(parts), EXTRA_CSS)


def _user_picker(user_id: int | None, users: list[int]) -> str:
    if len(users) <= 1 and user_id in (*users, None):
        return f"<div class='meta'>Studio user {esc(user_id)}</div>" if user_id is not None else ""
    links = "".join(
        f"<a href='?user={u}'>{'<b>' if u == user_id else ''}user {esc(u)}{'</b>' if u == user_id else ''}</a>"
        for u in users
    )
    prompt = "" if user_id is not None else "<p>Several Studio users have data here: pick one.</p>"
    return f"<h2>Users</h2><section>{prompt}<nav class='users'>{links}</nav></section>"


def _generate_form(user_id: int) -> str:
    options = "".join(f"<option value='{esc(t.name)}'>{esc(t.title)}</option>" for t in catalog.TYPES)
    return (
        "<h2>Generate a report</h2><section>"
        "<form class='generate' method='post' action='api&#47;reports'>"
        f"<input type='hidden' name='user' value='{esc(user_id)}'>"
        f"<label>Type<select name='type'>{options}</select></label>"
        "<label>From (UTC day, optional)<input type='date' name='from'></label>"
        "<label>To (UTC day, optional)<input type='date' name='to'></label>"
        "<label>Options (JSON, optional)<input type='text' name='options' size='36' "
        'placeholder=\'{"analysis": "key_pattern_analysis"}\'></label>'
        "<button type='submit'>Generate</button></form></section>"
    )


def _report_list(user_id: int, reports: list[dict[str, Any]]) -> str:
    if not reports:
        return "<h2>Reports</h2><section><p>No saved reports yet.</p></section>"
    rows = []
    for r in reports:
        base = f"api&#47;reports&#47;{esc(r['id'])}"
        query = f"?user={esc(user_id)}"
        rows.append(
            f"<tr><td>{esc(value_text(r['createdAt'], 'time'))}</td><td>{esc(r['type'])}</td>"
            f"<td><a href='{base}.html{query}'>{esc(r['title'])}</a></td>"
            f"<td><a href='{base}.json{query}'>json</a> · <a href='{base}.csv{query}'>csv</a> · "
            f"<a href='{base}.html{query}'>html</a></td></tr>"
        )
    head = "<tr><th>Created</th><th>Type</th><th>Title</th><th>Export</th></tr>"
    return f"<h2>Reports ({len(reports)})</h2><section><table>{head}{''.join(rows)}</table></section>"
