"""HTML export of a report: one standalone page (inline CSS, inline SVG charts), readable offline.

Every piece of report text goes through `esc`, which HTML-escapes it and breaks `//` so the page
holds no URL at all; a Content-Security-Policy forbids loading anything from anywhere besides.
Charts are drawn here: activity over time (`series`), latency percentiles per operation
(`operations`) and errors (`errors`). Other sections become tables.
"""

from __future__ import annotations

import html
import json
import math
import time
from collections.abc import Iterable, Sequence
from typing import Any

from dsm.store.reports import Report

PALETTE = ("#3b82f6", "#f59e0b", "#10b981", "#ef4444", "#8b5cf6", "#06b6d4", "#ec4899", "#84cc16")
PERCENTILES = (("p50", "#60a5fa"), ("p95", "#f59e0b"), ("p99", "#ef4444"))
# Sections with their own rendering; everything else in the body is shown as a table.
KNOWN = frozenset(("period", "metrics", "series", "operations", "errors", "insights"))

CSS = """
:root { color-scheme: light dark; --fg:#1f2937; --muted:#6b7280; --bg:#ffffff; --card:#f9fafb; --line:#e5e7eb;
  --up:#047857; --down:#b91c1c; }
@media (prefers-color-scheme: dark) { :root { --fg:#e5e7eb; --muted:#9ca3af; --bg:#111827; --card:#1f2937;
  --line:#374151; --up:#34d399; --down:#f87171; } }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--fg); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.meta { color: var(--muted); margin-bottom: 16px; }
section { background: var(--card); border: 1px solid var(--line); border-radius: 8px; padding: 12px 16px;
  margin: 12px 0; overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.up { color: var(--up); } .down { color: var(--down); }
svg { display: block; max-width: 100%; height: auto; }
svg text { fill: var(--fg); font: 11px system-ui, sans-serif; }
svg .axis { stroke: var(--line); } svg .muted { fill: var(--muted); }
.legend span { display: inline-block; margin-right: 14px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin-right: 4px; border-radius: 2px; }
ul.insights li { margin: 2px 0; }
footer { color: var(--muted); margin-top: 24px; font-size: 12px; }
"""


def esc(value: Any) -> str:
    """HTML-escaped text with every `//` broken up, so no report text can form a URL."""
    return html.escape(str(value), quote=True).replace("/", "&#47;")


def fmt_time(ts: Any) -> str:
    if not isinstance(ts, int | float) or isinstance(ts, bool) or not math.isfinite(ts):
        return "" if ts is None else str(ts)
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(ts))


def fmt_value(value: Any, unit: str | None = None) -> str:
    """A figure as people read it: counts grouped, ratios as percentages, bytes and seconds scaled."""
    if value is None:
        return "—"
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if not math.isfinite(value):
        return "—"
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    if unit == "ms":
        return f"{value:,.1f} ms"
    if unit == "bytes":
        return _bytes(value)
    if unit == "seconds":
        return _seconds(value)
    if isinstance(value, int):
        return f"{value:,}"
    if value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) >= 0.001 else f"{value:.3g}"


def _bytes(value: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(value) < 1024 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value} B"


def _seconds(value: float) -> str:
    if abs(value) < 60:
        return f"{value:.1f} s"
    minutes, seconds = divmod(int(value), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {seconds:02d}s"


def _num(value: Any) -> float:
    ok = isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
    return float(value) if ok else 0.0


def _nice_max(value: float) -> float:
    if value <= 0:
        return 1.0
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 2.5, 5, 10):
        if value <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _legend(items: Iterable[tuple[str, str]]) -> str:
    spans = "".join(f'<span><i style="background:{color}"></i>{esc(name)}</span>' for name, color in items)
    return f'<div class="legend">{spans}</div>'


def activity_chart(points: Sequence[dict[str, Any]], width: int = 900, height: int = 260) -> str:
    """Stacked columns: one column per point, one colour per counted field (a `total` is not stacked)."""
    fields = _series_fields(points)
    if not points or not fields:
        return ""
    points = _downsample(points, fields)
    left, right, top, bottom = 48, 12, 10, 36
    plot_w, plot_h = width - left - right, height - top - bottom
    top_value = _nice_max(max(sum(_num(p.get(f)) for f in fields) for p in points))
    slot = plot_w / len(points)
    bar_w = max(1.0, slot * 0.8)
    parts = [_y_axis(left, top, plot_w, plot_h, top_value)]
    for i, point in enumerate(points):
        x = left + i * slot + (slot - bar_w) / 2
        base = top + plot_h
        for j, field in enumerate(fields):
            h = _num(point.get(field)) / top_value * plot_h
            if h <= 0:
                continue
            base -= h
            tip = f"{fmt_time(point.get('t'))} {field}: {fmt_value(point.get(field))}"
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                f'fill="{PALETTE[j % len(PALETTE)]}"><title>{esc(tip)}</title></rect>'
            )
    for i in sorted({0, len(points) // 2, len(points) - 1}):
        x = left + (i + 0.5) * slot
        anchor = "start" if i == 0 and len(points) > 1 else "end" if i == len(points) - 1 else "middle"
        label = esc(fmt_time(points[i].get("t")))
        parts.append(f'<text x="{x:.1f}" y="{height - 14}" text-anchor="{anchor}" class="muted">{label}</text>')
    legend = _legend((f, PALETTE[j % len(PALETTE)]) for j, f in enumerate(fields))
    return _svg(width, height, "Activity over time", parts) + legend


MAX_COLUMNS = 240


def _downsample(points: Sequence[dict[str, Any]], fields: list[str]) -> Sequence[dict[str, Any]]:
    """At most MAX_COLUMNS columns: neighbouring points are summed (counts stay counts)."""
    if len(points) <= MAX_COLUMNS:
        return points
    size = math.ceil(len(points) / MAX_COLUMNS)
    merged = []
    for start in range(0, len(points), size):
        group = points[start : start + size]
        merged.append({"t": group[0].get("t"), **{f: sum(_num(p.get(f)) for p in group) for f in fields}})
    return merged


def _series_fields(points: Sequence[dict[str, Any]]) -> list[str]:
    fields: dict[str, None] = {}
    for point in points:
        for key, value in point.items():
            if key != "t" and isinstance(value, int | float) and not isinstance(value, bool):
                fields.setdefault(str(key), None)
    names = list(fields)
    return [n for n in names if n != "total"] if len(names) > 1 and "total" in names else names


def _y_axis(left: int, top: int, plot_w: float, plot_h: float, top_value: float) -> str:
    lines = []
    for k in range(5):
        value = top_value * k / 4
        y = top + plot_h - plot_h * k / 4
        lines.append(f'<line class="axis" x1="{left}" x2="{left + plot_w:.1f}" y1="{y:.1f}" y2="{y:.1f}"/>')
        lines.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="muted">{esc(_tick(value))}</text>')
    return "".join(lines)


def _tick(value: float) -> str:
    if value >= 1000:
        return f"{value / 1000:g}k"
    return f"{value:g}"


def _svg(width: int, height: int, title: str, parts: list[str]) -> str:
    body = "".join(parts)
    return (
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{esc(title)}"><title>{esc(title)}</title>{body}</svg>'
    )


def hbar_chart(
    rows: Sequence[tuple[str, Sequence[tuple[str, float, str]]]], title: str, unit: str | None, width: int = 900
) -> str:
    """Horizontal bars: for each labelled row, one bar per (name, value, colour), drawn under one scale."""
    if not rows:
        return ""
    label_w, right, bar_h, gap = 190, 90, 14, 10
    per_row = max(len(bars) for _, bars in rows) * bar_h + gap
    height = len(rows) * per_row + 24
    top_value = _nice_max(max((v for _, bars in rows for _, v, _ in bars), default=0.0))
    plot_w = width - label_w - right
    parts = []
    for i, (label, bars) in enumerate(rows):
        y0 = 12 + i * per_row
        short = label if len(label) <= 28 else label[:27] + "…"
        middle = y0 + len(bars) * bar_h / 2 + 4
        parts.append(f'<text x="{label_w - 8}" y="{middle:.1f}" text-anchor="end">{esc(short)}</text>')
        for j, (name, value, color) in enumerate(bars):
            w = max(0.0, value) / top_value * plot_w
            y = y0 + j * bar_h
            tip = f"{label} {name}: {fmt_value(value, unit)}"
            parts.append(
                f'<rect x="{label_w}" y="{y:.1f}" width="{w:.1f}" height="{bar_h - 2}" fill="{color}">'
                f"<title>{esc(tip)}</title></rect>"
            )
            parts.append(
                f'<text x="{label_w + w + 4:.1f}" y="{y + bar_h - 4:.1f}" class="muted">{esc(fmt_value(value, unit))}'
                "</text>"
            )
    return _svg(width, height, title, parts)


def latency_chart(operations: Sequence[dict[str, Any]]) -> str:
    rows = [
        (str(op.get("name", "?")), [(p, _num(op.get(p)), color) for p, color in PERCENTILES])
        for op in operations
        if isinstance(op, dict)
    ]
    chart = hbar_chart(rows, "Latency percentiles per operation", "ms")
    return chart + _legend((p, color) for p, color in PERCENTILES) if chart else ""


def errors_chart(errors: Sequence[dict[str, Any]]) -> str:
    rows = []
    for err in errors:
        if not isinstance(err, dict):
            continue
        label = str(err.get("category", "?"))
        if err.get("code") is not None:
            label += f" ({err['code']})"
        rows.append((label, [("count", _num(err.get("count")), PALETTE[3])]))
    return hbar_chart(rows, "Errors", None)


def metrics_table(metrics: Sequence[Any]) -> str:
    head = (
        "<tr><th>Section</th><th>Metric</th><th class='num'>Value</th><th class='num'>Previous</th>"
        "<th class='num'>Change</th></tr>"
    )
    rows = []
    for m in metrics:
        if not isinstance(m, dict):
            continue
        unit = m.get("unit")
        label = m.get("label") or m.get("name") or ""
        rows.append(
            f"<tr><td>{esc(m.get('section', ''))}</td><td title='{esc(m.get('name', ''))}'>{esc(label)}</td>"
            f"<td class='num'>{esc(fmt_value(m.get('value'), unit))}</td>"
            f"<td class='num'>{esc(fmt_value(m.get('previous'), unit))}</td>{_change_cell(m, unit)}</tr>"
        )
    return f"<table>{head}{''.join(rows)}</table>"


def _change_cell(metric: dict[str, Any], unit: Any) -> str:
    change, pct = metric.get("change"), metric.get("changePct")
    if not isinstance(change, int | float) or isinstance(change, bool):
        return "<td class='num'>—</td>"
    arrow, cls = ("▲", "up") if change > 0 else ("▼", "down") if change < 0 else ("■", "")
    text = ("+" if change > 0 else "") + fmt_value(change, unit)
    if isinstance(pct, int | float) and not isinstance(pct, bool) and math.isfinite(pct):
        text += f" ({pct * 100:+.1f}%)"
    return f"<td class='num {cls}'>{arrow} {esc(text)}</td>"


def rows_table(rows: Sequence[dict[str, Any]]) -> str:
    columns: dict[str, None] = {}
    for row in rows:
        for key in row:
            columns.setdefault(str(key), None)
    numeric = {c for c in columns if all((_is_num(v) and not _is_time(c, v)) or v is None for v in _column(rows, c))}
    head = "".join(f"<th class='num'>{esc(c)}</th>" if c in numeric else f"<th>{esc(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(_td(row.get(c), c) for c in columns) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _column(rows: Sequence[dict[str, Any]], key: str) -> list[Any]:
    return [row.get(key) for row in rows]


def kv_table(obj: dict[str, Any]) -> str:
    body = "".join(f"<tr><th>{esc(k)}</th>{_td(v, str(k))}</tr>" for k, v in obj.items())
    return f"<table>{body}</table>"


def _is_num(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


TIME_NAMES = frozenset(("t", "ts", "from", "to", "start", "end", "timestamp", "first", "last"))
TIME_SUFFIXES = ("At", "_at", "Ts", "_ts", "Seen", "_seen")


def _is_time(key: str, value: Any) -> bool:
    """Unix seconds by name (`createdAt`, `from`, `first_ts`, ...) and by size (2001..2286)."""
    named = key in TIME_NAMES or key.endswith(TIME_SUFFIXES)
    return named and _is_num(value) and 1e9 <= value < 1e10


def cell_text(value: Any, key: str = "") -> str:
    """What a table cell shows: times as UTC dates, small objects as `key: value` pairs, the rest formatted."""
    if _is_time(key, value):
        return fmt_time(value)
    if isinstance(value, dict) and all(not isinstance(v, dict | list) for v in value.values()):
        return ", ".join(f"{k}: {cell_text(v, str(k))}" for k, v in value.items())
    return fmt_value(value)


def _td(value: Any, key: str = "") -> str:
    cls = " class='num'" if _is_num(value) and not _is_time(key, value) else ""
    return f"<td{cls}>{esc(cell_text(value, key))}</td>"


def section_html(name: str, value: Any) -> str:
    """Any other part of the body: row lists as tables, objects as key/value tables, lists as bullets."""
    if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        content = rows_table(value)
    elif isinstance(value, dict):
        content = kv_table(value) if value else "<p class='meta'>(empty)</p>"
    elif isinstance(value, list):
        content = "<ul>" + "".join(f"<li>{esc(fmt_value(v))}</li>" for v in value) + "</ul>" if value else "(none)"
    else:
        content = f"<p>{esc(fmt_value(value))}</p>"
    return f"<h2>{esc(_heading(name))}</h2><section>{content}</section>"


def _heading(name: str) -> str:
    spaced = "".join(" " + c.lower() if c.isupper() else c for c in name).replace("_", " ").strip()
    return spaced[:1].upper() + spaced[1:]


def render(report: Report) -> str:
    body = report.body if isinstance(report.body, dict) else {}
    period = body.get("period") if isinstance(body.get("period"), dict) else {}
    parts = [
        f"<h1>{esc(report.title)}</h1>",
        f"<div class='meta'>{esc(report.type)} · created {esc(fmt_time(report.created_at))}"
        f" · period {esc(fmt_time(period.get('from')))} – {esc(fmt_time(period.get('to')))}"
        f" · id {esc(report.id)}</div>",
    ]
    parts.extend(_main_sections(body))
    parts.extend(section_html(str(k), v) for k, v in body.items() if k not in KNOWN)
    parts.append("<footer>DataStore Manager Pro · generated offline; this page loads nothing from anywhere.</footer>")
    return page(str(report.title), "".join(parts))


def _main_sections(body: dict[str, Any]) -> list[str]:
    out = []
    insights = body.get("insights")
    if isinstance(insights, list) and insights:
        items = "".join(f"<li>{esc(fmt_value(i))}</li>" for i in insights)
        out.append(f"<h2>Insights</h2><section><ul class='insights'>{items}</ul></section>")
    metrics = body.get("metrics")
    if isinstance(metrics, list) and metrics:
        out.append(f"<h2>Metrics</h2><section>{metrics_table(metrics)}</section>")
    series = body.get("series")
    if isinstance(series, dict):
        for name, points in series.items():
            if isinstance(points, list) and points and all(isinstance(p, dict) for p in points):
                title = "Activity over time" if name == "activity" else _heading(str(name))
                out.append(f"<h2>{esc(title)}</h2><section>{activity_chart(points)}</section>")
    operations = body.get("operations")
    if isinstance(operations, list) and operations:
        ops = [op for op in operations if isinstance(op, dict)]
        out.append(f"<h2>Latency per operation</h2><section>{latency_chart(ops)}{rows_table(ops)}</section>")
    errors = body.get("errors")
    if isinstance(errors, list) and errors:
        errs = [e for e in errors if isinstance(e, dict)]
        out.append(f"<h2>Errors</h2><section>{errors_chart(errs)}{rows_table(errs)}</section>")
    return out


def page(title: str, content: str, extra_css: str = "") -> str:
    """A whole standalone document around `content` (already escaped HTML)."""
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; style-src 'unsafe-inline'\">"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(title)}</title><style>{CSS}{extra_css}</style></head><body>{content}</body></html>\n"
    )
