"""What a reviewer would flag in a laid-out view: text that does not fit its box, text cut off by a clipping
frame, and texts drawn over each other. Reported, not enforced: the views' owners decide what to fix."""

from __future__ import annotations

from .layout import Box, Layout, Rect

SLACK = 1.0  # pixels of rounding tolerated


def _text(box: Box) -> str:
    assert box.text is not None
    joined = " ".join(box.text.lines)
    return joined if len(joined) <= 40 else joined[:39] + "…"


def _overlap(a: Rect, b: Rect) -> bool:
    both = a.intersect(b)
    return both.w > 2 and both.h > 2


def find_problems(layout: Layout, *, clipped: bool = True) -> list[str]:
    """Every problem of `layout`; with `clipped=False`, not the texts cut off by a clipping frame (the layout tests:
    a text a scrolling list cuts off scrolls into view)."""
    problems = []
    shown = [b for b in layout.boxes if b.text is not None and "".join(b.text.lines).strip()]
    for box in shown:
        text = box.text
        assert text is not None
        drawn, region, name = text.rect, text.region, f"{box.node.class_name} {box.node.name}"
        visible = drawn.intersect(text.clip)
        if visible.area == 0:
            continue  # scrolled out of view or hidden by a clipping frame: not a layout fault
        if drawn.w > region.w + SLACK or drawn.h > region.h + SLACK:
            problems.append(
                f"{name}: {_text(box)!r} needs {drawn.w:.0f}x{drawn.h:.0f} px, "
                f"its box has {region.w:.0f}x{region.h:.0f}"
            )
        elif clipped and text.clip is not None and not text.clip.contains(drawn, SLACK):
            problems.append(f"{name}: {_text(box)!r} is cut off by a clipping frame")
    for i, a in enumerate(shown):
        for b in shown[i + 1 :]:
            assert a.text is not None and b.text is not None
            ra, rb = a.text.rect.intersect(a.text.clip), b.text.rect.intersect(b.text.clip)
            if _overlap(ra, rb):
                problems.append(
                    f"{a.node.class_name} {a.node.name} and {b.node.class_name} {b.node.name}: "
                    f"{_text(a)!r} and {_text(b)!r} overlap"
                )
    return problems
