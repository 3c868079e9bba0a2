"""Inline SVG charts for the HTML export: a series over time (stacked columns for parts of a whole, lines
for separate measures) and grouped horizontal bars. Axis and value labels are written in the data's unit."""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from typing import Any

from dsm.reports.format import bytes_text, duration_text, esc, value_text

PALETTE = ("#3b82f6", "#f59e0b", "#10b981", "#8b5cf6", "#06b6d4", "#ec4899", "#84cc16", "#64748b")
RED = "#ef4444"
# Fields named like failures are drawn red whatever their position, so red always means trouble.
ALARM_NAMES = frozenset(("error", "errors", "failures", "failed", "p99"))
MAX_COLUMNS = 240
WIDTH = 1100
Point = dict[str, Any]
# Where a plot sits: left edge, top edge, plot height, width per point, value at the top of the axis.
Frame = tuple[float, float, float, float, float]


def colors(names: Sequence[str]) -> list[str]:
    out, i = [], 0
    for name in names:
        if name.lower() in ALARM_NAMES:
            out.append(RED)
        else:
            out.append(PALETTE[i % len(PALETTE)])
            i += 1
    return out


def _num(value: Any) -> float | None:
    ok = type(value) in (int, float) and math.isfinite(value)
    return float(value) if ok else None


TICKS = 4  # gridlines above zero


def nice_max(value: float) -> float:
    """The top of an axis: `TICKS` times a round step (1, 2 or 5 times a power of ten) that covers `value`."""
    if value <= 0:
        return float(TICKS)
    raw = value / TICKS
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(s * magnitude for s in (1, 2, 5, 10) if raw <= s * magnitude)
    return step * TICKS


def tick_text(value: float, unit: str) -> str:
    """Short axis labels: `1.5k`, `250 ms`, `40%`, `2 MB`, `1h 00m`."""
    if unit == "ratio":
        return f"{value * 100:g}%"
    if unit == "bytes":
        return bytes_text(value)
    if unit == "seconds":
        return duration_text(value) if value else "0"
    text = f"{value / 1000:g}k" if value >= 1000 else f"{value:g}"
    return f"{text} ms" if unit == "ms" else text


def legend_html(items: Sequence[tuple[str, str]]) -> str:
    spans = "".join(f'<span><i style="background:{color}"></i>{esc(name)}</span>' for name, color in items)
    return f'<div class="legend">{spans}</div>'


def svg(width: int, height: int, title: str, parts: list[str]) -> str:
    return (
        f'<svg viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
        f'aria-label="{esc(title)}"><title>{esc(title)}</title>{"".join(parts)}</svg>'
    )


def _y_axis(left: int, top: int, plot_w: float, plot_h: float, top_value: float, unit: str) -> list[str]:
    lines = []
    for k in range(TICKS + 1):
        y = top + plot_h - plot_h * k / TICKS
        label = esc(tick_text(top_value * k / TICKS, unit))
        lines.append(f'<line class="axis" x1="{left}" x2="{left + plot_w:.1f}" y1="{y:.1f}" y2="{y:.1f}"/>')
        lines.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end" class="muted">{label}</text>')
    return lines


def _time_label(t: float, step: float, span: float) -> str:
    if step >= 86400:
        return time.strftime("%b %d", time.gmtime(t))
    return time.strftime("%H:%M" if span <= 86400 else "%b %d %H:%M", time.gmtime(t))


def _x_labels(points: Sequence[Point], x_of: Callable[[int], float], step: float, height: int) -> list[str]:
    span = (points[-1]["t"] - points[0]["t"]) + step
    stride = max(1, math.ceil(len(points) / 7))
    parts = []
    for i in range(0, len(points), stride):
        anchor = "start" if i == 0 and len(points) > 7 else "middle"
        label = esc(_time_label(points[i]["t"], step, span))
        parts.append(f'<text x="{x_of(i):.1f}" y="{height - 10}" text-anchor="{anchor}" class="muted">{label}</text>')
    return parts


def _downsample(points: Sequence[dict[str, Any]], fields: list[str], step: float) -> tuple[list[dict[str, Any]], float]:
    """At most MAX_COLUMNS columns: neighbouring points are summed (stacked parts stay parts of the whole)."""
    if len(points) <= MAX_COLUMNS:
        return list(points), step
    size = math.ceil(len(points) / MAX_COLUMNS)
    merged = []
    for start in range(0, len(points), size):
        group = points[start : start + size]
        merged.append({"t": group[0]["t"], **{f: sum(_num(p.get(f)) or 0.0 for p in group) for f in fields}})
    return merged, step * size


def series_chart(section: dict[str, Any], height: int = 260) -> str:
    """A `series` section: stacked columns when its fields are parts of one whole, else one line per field."""
    names = [f["name"] for f in section["fields"]]
    labels = [f["label"] for f in section["fields"]]
    unit, step = section["unit"], float(section["step"])
    palette = colors(names)
    if section["stacked"]:
        points, step = _downsample(section["points"], names, step)
        top_value = nice_max(max(sum(_num(p.get(f)) or 0.0 for f in names) for p in points))
    else:
        points = list(section["points"])
        top_value = nice_max(max((_num(p.get(f)) or 0.0 for p in points for f in names), default=0.0))
    left, right, top, bottom = 64, 12, 10, 30
    plot_w, plot_h = WIDTH - left - right, height - top - bottom
    slot = plot_w / len(points)
    parts = _y_axis(left, top, plot_w, plot_h, top_value, unit)
    if section["stacked"]:
        parts += _columns(points, names, labels, palette, unit, (left, top, plot_h, slot, top_value))
    else:
        parts += _lines(points, names, labels, palette, unit, (left, top, plot_h, slot, top_value))
    parts += _x_labels(points, lambda i: left + (i + 0.5) * slot, step, height)
    return svg(WIDTH, height, section["title"], parts) + legend_html(list(zip(labels, palette, strict=True)))


def _columns(
    points: list[Point], names: list[str], labels: list[str], palette: list[str], unit: str, frame: Frame
) -> list[str]:
    left, top, plot_h, slot, top_value = frame
    bar_w = max(1.0, slot * 0.8)
    parts = []
    for i, point in enumerate(points):
        x, base = left + i * slot + (slot - bar_w) / 2, top + plot_h
        for name, label, color in zip(names, labels, palette, strict=True):
            h = (_num(point.get(name)) or 0.0) / top_value * plot_h
            if h <= 0:
                continue
            base -= h
            tip = f"{value_text(point['t'], 'time')} {label}: {value_text(point.get(name), unit)}"
            parts.append(
                f'<rect x="{x:.1f}" y="{base:.1f}" width="{bar_w:.1f}" height="{h:.1f}" fill="{color}">'
                f"<title>{esc(tip)}</title></rect>"
            )
    return parts


def _lines(
    points: list[Point], names: list[str], labels: list[str], palette: list[str], unit: str, frame: Frame
) -> list[str]:
    """One polyline per field; a null value breaks the line, and few points also get dots with tooltips."""
    left, top, plot_h, slot, top_value = frame
    parts = []
    for name, label, color in zip(names, labels, palette, strict=True):
        runs: list[list[str]] = [[]]
        for i, point in enumerate(points):
            value = _num(point.get(name))
            if value is None:
                runs.append([])
                continue
            x, y = left + (i + 0.5) * slot, top + plot_h - value / top_value * plot_h
            runs[-1].append(f"{x:.1f},{y:.1f}")
            if len(points) <= 60:
                tip = f"{value_text(point['t'], 'time')} {label}: {value_text(value, unit)}"
                parts.append(
                    f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"><title>{esc(tip)}</title></circle>'
                )
        for run in runs:
            if run:
                parts.append(
                    f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{" ".join(run)}">'
                    f"<title>{esc(label)}</title></polyline>"
                )
    return parts


def bar_chart(
    rows: Sequence[tuple[str, Sequence[tuple[str, Any]]]], title: str, unit: str, *, legend: bool = False
) -> str:
    """Grouped horizontal bars: for each labelled row one bar per (name, value), all on one scale, each with
    its value written in `unit` at its end."""
    if not rows:
        return ""
    names = [name for name, _ in rows[0][1]]
    palette = colors(names)
    label_w, right, bar_h, gap = 200, 110, 16, 10
    per_row = len(names) * bar_h + gap
    height = len(rows) * per_row + 12
    top_value = nice_max(max((_num(v) or 0.0 for _, bars in rows for _, v in bars), default=0.0))
    plot_w = WIDTH - label_w - right
    parts = []
    for i, (label, bars) in enumerate(rows):
        y0 = 6 + i * per_row
        short = label if len(label) <= 30 else label[:29] + "…"
        middle = y0 + len(bars) * bar_h / 2 + 4
        parts.append(
            f'<text x="{label_w - 8}" y="{middle:.1f}" text-anchor="end"><title>{esc(label)}</title>{esc(short)}</text>'
        )
        for j, ((name, value), color) in enumerate(zip(bars, palette, strict=True)):
            w = max(0.0, _num(value) or 0.0) / top_value * plot_w
            y = y0 + j * bar_h
            text = value_text(_num(value), unit)
            parts.append(
                f'<rect x="{label_w}" y="{y:.1f}" width="{w:.1f}" height="{bar_h - 3}" rx="2" fill="{color}">'
                f"<title>{esc(f'{label} {name}: {text}')}</title></rect>"
            )
            parts.append(f'<text x="{label_w + w + 5:.1f}" y="{y + bar_h - 5:.1f}" class="muted">{esc(text)}</text>')
    chart = svg(WIDTH, height, title, parts)
    return chart + (legend_html(list(zip(names, palette, strict=True))) if legend else "")
