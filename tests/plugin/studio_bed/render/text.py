"""Roblox's text rules: lines from `\\n`, word wrapping (TextWrapped), `…` truncation (TextTruncate.AtEnd), and
TextBounds; the layout engine places the lines and the page only draws them, so both agree on every break."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

ELLIPSIS = "…"
_TOKENS = re.compile(r"\S+|\s+")
_TAG = re.compile(r"<[^>]*>")

Measure = Callable[[str], float]


@dataclass(frozen=True)
class TextLines:
    lines: list[str]
    widths: list[float]
    line_height: float

    @property
    def bounds(self) -> tuple[float, float]:
        """Roblox's TextBounds: the widest line by the lines' total height."""
        return (max(self.widths, default=0.0), self.line_height * len(self.lines))


def plain_text(text: str, rich: bool) -> str:
    """The characters a label shows: RichText markup is dropped (its styling is not drawn) and entities decoded."""
    return html.unescape(_TAG.sub("", text)) if rich else text


def _break_word(word: str, measure: Measure, width: float) -> list[str]:
    parts, current = [], ""
    for char in word:
        if current and measure(current + char) > width:
            parts.append(current)
            current = char
        else:
            current += char
    return [*parts, current] if current else parts


def _wrap(paragraph: str, measure: Measure, width: float) -> list[str]:
    lines: list[str] = []
    current = ""
    for token in _TOKENS.findall(paragraph):
        if token.isspace() or measure(current + token) <= width:
            current += token
            continue
        if current.strip():  # the word goes to the next line
            lines.append(current.rstrip())
        pieces = [token] if measure(token) <= width else _break_word(token, measure, width)
        lines.extend(pieces[:-1])  # a word longer than a line is cut between characters
        current = pieces[-1]
    lines.append(current.rstrip())
    return lines


def truncate(line: str, measure: Measure, width: float) -> str:
    """The longest start of `line` that fits `width` with `…` after it (Roblox's TextTruncate.AtEnd)."""
    if measure(line) <= width:
        return line
    lo, hi = 0, len(line)
    while lo < hi:  # the longest prefix whose text + ellipsis fits
        mid = (lo + hi + 1) // 2
        if measure(line[:mid].rstrip() + ELLIPSIS) <= width:
            lo = mid
        else:
            hi = mid - 1
    return line[:lo].rstrip() + ELLIPSIS if lo else ELLIPSIS


def lay_out_text(
    text: str,
    measure: Measure,
    line_height: float,
    *,
    wrap_width: float | None,
    truncate_to: tuple[float, float] | None = None,
) -> TextLines:
    """Lines of `text`: wrapped at `wrap_width` (None: only at `\\n`), then cut to fit `truncate_to` (width, height)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        lines.extend(_wrap(paragraph, measure, wrap_width) if wrap_width is not None else [paragraph])
    if truncate_to is not None:
        width, height = truncate_to
        fit = max(1, int(height // line_height + 1e-6)) if line_height > 0 else len(lines)
        if len(lines) > fit:
            lines = [*lines[: fit - 1], lines[fit - 1].rstrip() + ELLIPSIS]
        lines = [truncate(line, measure, width) for line in lines]
    return TextLines(lines, [measure(line) for line in lines], line_height)
