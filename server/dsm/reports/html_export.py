"""HTML export of a report: one standalone page (inline CSS, inline SVG charts), readable offline.

The page draws the report model (`dsm.reports.model`) kind by kind, so it never needs to know the report's
type: insights, the metrics table (a change is coloured by whether it is better or worse), then each section
(`series` as stacked columns or lines over time, `bars` and `errors` as bars, `operations` as grouped
p50/p95/p99 bars, `table` and `facts` as tables, `findings` as cards). Every piece of report text goes
through `esc`, which HTML-escapes it and breaks `/`, so the page holds no URL; a Content-Security-Policy
forbids loading anything besides.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from dsm.reports import charts
from dsm.reports import model as m
from dsm.reports.format import change_class, change_text, esc, period_text, value_text
from dsm.store.reports import Report

CSS = """
:root { color-scheme: light dark; --fg:#1f2937; --muted:#6b7280; --bg:#ffffff; --card:#f9fafb; --line:#e5e7eb;
  --better:#047857; --worse:#b91c1c; --better-bg:#ecfdf5; --worse-bg:#fef2f2; --high:#b91c1c; --medium:#b45309;
  --low:#1d4ed8; --info:#6b7280; }
@media (prefers-color-scheme: dark) { :root { --fg:#e5e7eb; --muted:#9ca3af; --bg:#111827; --card:#1f2937;
  --line:#374151; --better:#34d399; --worse:#f87171; --better-bg:#064e3b; --worse-bg:#450a0a; --high:#f87171;
  --medium:#fbbf24; --low:#93c5fd; --info:#9ca3af; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1200px; padding: 24px 32px;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 26px 0 8px; }
h3 { font-size: 14px; margin: 0 0 6px; }
.meta, .note, .empty { color: var(--muted); } .meta { margin-bottom: 16px; } .note { margin: 0 0 8px; font-size: 13px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px;
  margin: 12px 0; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
tr.group th { color: var(--fg); padding-top: 12px; text-transform: capitalize; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td { overflow-wrap: anywhere; }
td.time { white-space: nowrap; font-variant-numeric: tabular-nums; }
table.wide { font-size: 12.5px; } table.wide th, table.wide td { padding: 4px 6px; }
table.metrics td:first-child { min-width: 220px; }
td.better { color: var(--better); background: var(--better-bg); font-weight: 600; }
td.worse { color: var(--worse); background: var(--worse-bg); font-weight: 600; }
td.neutral { color: var(--muted); }
svg { display: block; width: 100%; max-width: 1100px; height: auto; margin: 4px 0 8px; }
svg text { fill: var(--fg); font: 12px system-ui, sans-serif; }
svg .axis { stroke: var(--line); } svg .muted { fill: var(--muted); }
.legend { margin-bottom: 8px; } .legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
ul.insights { margin: 0; padding-left: 20px; } ul.insights li { margin: 3px 0; }
.finding { border-left: 4px solid var(--info); padding: 6px 12px; margin: 8px 0; background: var(--bg);
  border-radius: 0 6px 6px 0; }
.finding.high { border-color: var(--high); } .finding.medium { border-color: var(--medium); }
.finding.low { border-color: var(--low); }
.badge { display: inline-block; font-size: 11px; font-weight: 700; text-transform: uppercase; padding: 1px 6px;
  border-radius: 4px; color: var(--bg); background: var(--info); margin-right: 6px; }
.high .badge { background: var(--high); } .medium .badge { background: var(--medium); }
.low .badge { background: var(--low); }
.when { color: var(--muted); margin-left: 6px; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 6px 0 2px; }
dl.facts dt { color: var(--muted); } dl.facts dd { margin: 0; }
footer { color: var(--muted); margin-top: 24px; font-size: 12px; }
"""


def _empty(text: str) -> str:
    return f"<p class='empty'>{esc(text)}</p>"


def _num_class(unit: str) -> str:
    return " class='num'" if unit in m.NUMERIC_UNITS - {"time"} else ""


def _cell(value: Any, unit: str) -> str:
    if unit == "time":  # the column header says UTC
        return f"<td class='time'>{esc(value_text(value, unit).removesuffix(' UTC'))}</td>"
    return f"<td{_num_class(unit)}>{esc(value_text(value, unit))}</td>"


def _head(column: dict[str, Any]) -> str:
    label = column["label"] + (" (UTC)" if column["unit"] == "time" else "")
    return f"<th{_num_class(column['unit'])}>{esc(label)}</th>"


WIDE = 8  # columns from which a table is set smaller


def table_html(columns: Sequence[dict[str, Any]], rows: Sequence[dict[str, Any]]) -> str:
    if not rows:
        return _empty("None.")
    head = "".join(_head(c) for c in columns)
    body = "".join("<tr>" + "".join(_cell(r.get(c["name"]), c["unit"]) for c in columns) + "</tr>" for r in rows)
    wide = " class='wide'" if len(columns) >= WIDE else ""
    return f"<table{wide}><tr>{head}</tr>{body}</table>"


def _present(
    columns: Sequence[dict[str, Any]], rows: Sequence[dict[str, Any]], optional: frozenset[str]
) -> list[dict[str, Any]]:
    """The fixed columns, without optional ones no row has."""
    return [c for c in columns if c["name"] not in optional or any(r.get(c["name"]) is not None for r in rows)]


# ---- metrics ------------------------------------------------------------------------------------------------


def metrics_html(metrics: Sequence[dict[str, Any]], baseline: dict[str, Any] | None) -> str:
    compared = any(x.get("previous") is not None for x in metrics)
    averaged = any(x.get("average7d") is not None for x in metrics)
    previous = "Previous" + (f" ({baseline['label']})" if baseline else "")
    head = "<tr><th>Metric</th>"
    head += (
        f"<th class='num'>{esc(previous)}</th><th class='num'>Now</th><th class='num'>Change</th>"
        if compared
        else ("<th class='num'>Value</th>")
    )
    if averaged:
        head += "<th class='num'>7-day average</th><th class='num'>Change vs average</th>"
    rows = []
    groups = len({x["section"] for x in metrics}) > 1
    last = None
    for x in metrics:
        if groups and x["section"] != last:
            rows.append(f"<tr class='group'><th colspan='6'>{esc(x['section'])}</th></tr>")
            last = x["section"]
        unit = x["unit"]
        row = f"<tr><td title='{esc(x['name'])}'>{esc(x['label'])}</td>"
        if compared:
            row += _cell(x.get("previous"), unit) + _cell(x["value"], unit)
            row += _change(x, x.get("change"), x.get("changePct"))
        else:
            row += _cell(x["value"], unit)
        if averaged:
            row += _cell(x.get("average7d"), unit) + _change(
                x, x.get("changeVsAverage7d"), x.get("changePctVsAverage7d")
            )
        rows.append(row + "</tr>")
    return f"<table class='metrics'>{head}</tr>{''.join(rows)}</table>"


def _change(metric: dict[str, Any], change: Any, pct: Any) -> str:
    text = change_text(change, pct, metric["unit"])
    if not text:
        return "<td class='num'>—</td>"
    cls = change_class(change, metric.get("better"))
    return f"<td class='num {cls}' title='{esc(cls)}'>{esc(text)}</td>"


# ---- sections -----------------------------------------------------------------------------------------------


def _series(section: dict[str, Any]) -> str:
    points = section["points"]
    if not points or all(p.get(f["name"]) in (None, 0) for p in points for f in section["fields"]):
        return _empty("Nothing in this period.")
    return charts.series_chart(section)


def _bars(section: dict[str, Any]) -> str:
    rows = section["rows"]
    if not rows:
        return _empty("None in this period.")
    fields = [(f["name"], f["label"]) for f in section["fields"]]
    return charts.bar_chart(
        [(r["label"], [(label, r.get(name)) for name, label in fields]) for r in rows],
        section["title"],
        section["unit"],
        legend=len(fields) > 1,
    )


def _operations(section: dict[str, Any]) -> str:
    rows = section["rows"]
    if not rows:
        return _empty("No DataStore calls in this period.")
    chart = charts.bar_chart(
        [(r["name"], [(p, r.get(p)) for p in m.PERCENTILE_FIELDS]) for r in rows],
        "Latency percentiles per operation",
        "ms",
        legend=True,
    )
    return chart + table_html(_present(m.OPERATION_COLUMNS, rows, m.OPERATION_OPTIONAL), rows)


def _errors(section: dict[str, Any]) -> str:
    rows = section["rows"]
    if not rows:
        return _empty("No errors in this period.")
    labelled = [(r["category"] + (f" ({r['code']:g})" if r.get("code") is not None else ""), r) for r in rows]
    chart = charts.bar_chart([(label, [("errors", r["count"])]) for label, r in labelled], "Errors", "count")
    return chart + table_html(_present(m.ERROR_COLUMNS, rows, m.ERROR_OPTIONAL), rows)


def _facts_list(items: Sequence[dict[str, Any]]) -> str:
    pairs = "".join(f"<dt>{esc(i['label'])}</dt><dd>{esc(value_text(i['value'], i['unit']))}</dd>" for i in items)
    return f"<dl class='facts'>{pairs}</dl>"


def _facts(section: dict[str, Any]) -> str:
    return _facts_list(section["items"]) if section["items"] else _empty("None.")


def _findings(section: dict[str, Any]) -> str:
    if not section["items"]:
        return _empty("None found.")
    cards = []
    for item in section["items"]:
        when = period_text(item["from"], item["to"]) if item["from"] is not None else ""
        cards.append(
            f"<div class='finding {esc(item['severity'])}'><h3><span class='badge'>{esc(item['severity'])}</span>"
            f"{esc(item['title'])}<span class='when'>{esc(when)}</span></h3>{_facts_list(item['facts'])}</div>"
        )
    return "".join(cards)


def _table(section: dict[str, Any]) -> str:
    return table_html(section["columns"], section["rows"])


DRAW: dict[str, Callable[[dict[str, Any]], str]] = {
    "series": _series,
    "bars": _bars,
    "operations": _operations,
    "errors": _errors,
    "table": _table,
    "facts": _facts,
    "findings": _findings,
}


def section_html(section: dict[str, Any]) -> str:
    note = f"<p class='note'>{esc(section['note'])}</p>" if section.get("note") else ""
    return (
        f"<h2 id='{esc(section['id'])}'>{esc(section['title'])}</h2>"
        f"<section class='{esc(section['kind'])}'>{note}{DRAW[section['kind']](section)}</section>"
    )


def render(report: Report) -> str:
    body = report.body  # reports read from the store are already in the model (see dsm.reports.legacy)
    period = body["period"]
    schedule = body.get("schedule")
    meta = [esc(report.type), f"period {esc(period_text(period['from'], period['to']))}"]
    if isinstance(schedule, dict):
        meta.append(f"scheduled ({esc(schedule.get('frequency', ''))})")
    meta += [f"created {esc(value_text(report.created_at, 'time'))}", f"id {esc(report.id)}"]
    parts = [f"<h1>{esc(report.title)}</h1>", f"<div class='meta'>{' · '.join(meta)}</div>"]
    if body["insights"]:
        items = "".join(f"<li>{esc(i)}</li>" for i in body["insights"])
        parts.append(f"<h2>Insights</h2><section><ul class='insights'>{items}</ul></section>")
    if body["metrics"]:
        parts.append(f"<h2>Metrics</h2><section>{metrics_html(body['metrics'], body.get('baseline'))}</section>")
    parts.extend(section_html(s) for s in body["sections"])
    parts.append("<footer>DataStore Manager Pro · generated offline; this page loads nothing from anywhere.</footer>")
    return page(str(report.title), "".join(parts))


def page(title: str, content: str, extra_css: str = "") -> str:
    """A whole standalone document around `content` (already escaped HTML)."""
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(title)}</title><style>{CSS}{extra_css}</style></head><body>{content}</body></html>\n"
    )
