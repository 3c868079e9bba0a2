"""How a report's figures read as text, by unit: times as UTC dates, durations as durations, ratios as
percentages, bytes scaled; and how a change reads and whether it is better or worse. Shared by the HTML
page and the dashboard; the plugin's Studio view follows the same rules (docs/reports.md)."""

from __future__ import annotations

import html
import math
import time
from typing import Any

DAY = 86400


def esc(value: Any) -> str:
    """HTML-escaped text with every `/` written as `&#47;`, so no report text can form a URL."""
    return html.escape(str(value), quote=True).replace("/", "&#47;")


def _finite(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def time_text(ts: float, with_zone: bool = True) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ts)) + (" UTC" if with_zone else "")


def duration_text(seconds: float) -> str:
    """`12.5 s`, `4m 05s`, `2h 05m`, `3d 4h`."""
    sign, seconds = ("-" if seconds < 0 else ""), abs(seconds)
    if seconds < 60:
        return f"{sign}{seconds:.1f} s"
    whole = round(seconds)
    days, rest = divmod(whole, DAY)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{sign}{days}d {hours}h"
    return f"{sign}{hours}h {minutes:02d}m" if hours else f"{sign}{minutes}m {secs:02d}s"


def bytes_text(value: float) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if abs(value) < 1024 or unit == "GB":
            return f"{value:,.0f} {unit}" if unit == "B" else f"{value:,.1f} {unit}"
        value /= 1024
    return f"{value} B"


def number_text(value: float) -> str:
    """Whole numbers grouped; others with fewer decimals the larger they are (`1,234`, `78.9`, `4.286`)."""
    if float(value).is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    if abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:,.3f}".rstrip("0").rstrip(".") if abs(value) >= 0.001 else f"{value:.3g}"


def value_text(value: Any, unit: str) -> str:
    """A value as people read it, by its unit; `—` for null."""
    if value is None:
        return "—"
    if unit == "text":
        return str(value)
    if unit == "boolean":
        return "yes" if value else "no"
    if not _finite(value):
        return "—"
    if unit == "time":
        return time_text(value)
    if unit == "ratio":
        return f"{value * 100:.1f}%"
    if unit == "ms":
        return f"{value:,.0f} ms" if abs(value) >= 100 else f"{value:,.1f} ms"
    if unit == "bytes":
        return bytes_text(value)
    if unit == "seconds":
        return duration_text(value)
    return number_text(value)


def pct_text(pct: float) -> str:
    return f"{pct * 100:+,.0f}%" if abs(pct) >= 0.1 else f"{pct * 100:+.1f}%"


def change_text(change: Any, pct: Any, unit: str) -> str:
    """`▲ +12 (+1,200%)`: arrow by the sign, the change in the metric's unit (ratios in points), the relative
    change; empty when there is nothing to compare."""
    if not _finite(change):
        return ""
    if change == 0:
        return "= no change"
    arrow, sign = ("▲", "+") if change > 0 else ("▼", "-")
    size = f"{abs(change) * 100:.1f} pts" if unit == "ratio" else value_text(abs(change), unit)
    text = f"{arrow} {sign}{size}"
    return text + (f" ({pct_text(pct)})" if _finite(pct) and unit != "ratio" else "")


def change_class(change: Any, better: Any) -> str:
    """`better`, `worse` or `neutral`: by the direction the metric should move, never by the sign alone."""
    if not _finite(change) or change == 0 or better not in ("up", "down"):
        return "neutral"
    return "better" if (change > 0) == (better == "up") else "worse"


def period_text(start: Any, end: Any) -> str:
    """`2026-11-23 (UTC)` for one whole day, `2026-11-17 – 2026-11-23 (UTC)` for whole days, else times."""
    if not _finite(start) or not _finite(end):
        return "—"
    if start % DAY == 0 and end % DAY == 0:
        first, last = time.strftime("%Y-%m-%d", time.gmtime(start)), time.strftime("%Y-%m-%d", time.gmtime(end - DAY))
        return f"{first} (UTC)" if first == last else f"{first} – {last} (UTC)"
    if start % 60 or end % 60:  # a window of seconds (a key sweep) is shown to the second
        first = time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(start))
        return f"{first} – {time.strftime('%H:%M:%S', time.gmtime(end))} UTC" if end - start < DAY else first + " UTC"
    same_day = start // DAY == (end - 1) // DAY
    tail = time.strftime("%H:%M", time.gmtime(end)) if same_day else time_text(end, with_zone=False)
    return f"{time_text(start, with_zone=False)} – {tail} UTC"
