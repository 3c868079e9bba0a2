"""The page shell of the dashboard's pages: the report pages' CSS (light and dark) plus the dashboard's own, and a
Content-Security-Policy that lets a page load nothing but the companion's own script and live stream."""

from __future__ import annotations

from aiohttp import web

from dsm.reports.format import esc
from dsm.reports.html_export import CSS as REPORT_CSS

# Pages may run the companion's own script and open its own live stream; nothing from anywhere else.
POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'self'; connect-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
# A shared report: a page that loads nothing at all and cannot be framed.
SHARED_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)

DASHBOARD_CSS = """
:root { --accent:#2563eb; --error:#b91c1c; --error-bg:#fef2f2; --ok-bg:#ecfdf5; }
@media (prefers-color-scheme: dark) { :root { --accent:#60a5fa; --error:#fca5a5; --error-bg:#450a0a;
  --ok-bg:#064e3b; } }
a { color: var(--accent); }
header.top { display: flex; flex-wrap: wrap; align-items: baseline; gap: 8px 18px; margin-bottom: 8px; }
header.top h1 { margin: 0; } header.top .meta { margin: 0; flex: 1; }
form.inline { display: inline; margin: 0; }
form.row, div.row, fieldset.opts, fieldset.analysis { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: end;
  margin: 0; }
fieldset { border: 0; padding: 0; min-width: 0; }
label { display: flex; flex-direction: column; font-size: 12px; color: var(--muted); gap: 2px; }
label.check { flex-direction: row; align-items: center; gap: 6px; }
select, input, button { font: inherit; padding: 4px 6px; color: var(--fg); background: var(--bg);
  border: 1px solid var(--line); border-radius: 5px; }
button { cursor: pointer; background: var(--accent); color: #fff; border-color: var(--accent); }
button.plain { background: var(--bg); color: var(--fg); border-color: var(--line); }
.error { color: var(--error); background: var(--error-bg); border-radius: 6px; padding: 8px 12px; margin: 8px 0;
  font-weight: 600; }
.notice { background: var(--ok-bg); border-radius: 6px; padding: 8px 12px; margin: 8px 0; }
fieldset.opts, fieldset.analysis { display: none; width: 100%; }
fieldset.opts > p.hint, fieldset.analysis > p.hint { width: 100%; margin: 4px 0 0; }
form.generate { display: flex; flex-direction: column; gap: 10px; }
.hint { font-size: 12px; color: var(--muted); }
.tiles { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; }
.tile { background: var(--bg); border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; }
.tile .value { font-size: 22px; font-weight: 700; font-variant-numeric: tabular-nums; }
.tile .label { color: var(--muted); font-size: 12px; }
.live { font-size: 12px; color: var(--muted); }
body[data-live='open'] .live::before { content: '● '; color: #10b981; }
code { font-size: 13px; }
nav.jump { margin: 0 0 6px; font-size: 13px; }
section.login form { display: flex; gap: 12px; align-items: end; } section.login input { width: 320px; }
ol.steps li { margin: 6px 0; }
input.share-url { width: 100%; min-width: 320px; }
"""


def document(title: str, content: str, *, script: bool = False, policy: str = POLICY, extra_css: str = "") -> str:
    """A whole page around `content` (already escaped HTML); `script` adds the dashboard's live script."""
    tag = "<script src='/static/dashboard.js' defer></script>" if script else ""
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        f'<meta http-equiv="Content-Security-Policy" content="{policy}">'
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<meta name='referrer' content='same-origin'>"  # no-referrer would send Origin: null with forms
        f"<title>{esc(title)}</title><style>{REPORT_CSS}{DASHBOARD_CSS}{extra_css}</style>{tag}</head>"
        f"<body>{content}</body></html>\n"
    )


def error_page(message: str, status: int) -> web.Response:
    """A refused page request as a page: the message in words and the way back, never raw JSON."""
    content = (
        "<h1>DataStore Manager Pro</h1>"
        f"<div class='error' role='alert'>{esc(message)}</div><p><a href='/'>Back to the dashboard</a></p>"
    )
    return web.Response(
        text=document("Not available — DataStore Manager Pro", content), content_type="text/html", status=status
    )
