"""A computed Layout as HTML: one absolutely positioned box per GuiObject, in paint order, each clipped by what
clips it in Roblox; text lines as the layout broke them (the page never re-wraps), in the embedded font files."""

from __future__ import annotations

import html

from .fonts import FontBook
from .layout import Box, Layout, Rect, border_stroke, corner_radius
from .tree import Color


def _px(value: float) -> str:
    return f"{round(value, 2):g}px"


def _snap(rect: Rect) -> Rect:
    """Whole pixels, edge by edge, as Roblox draws GUI rectangles."""
    x0, y0 = round(rect.x), round(rect.y)
    return Rect(x0, y0, round(rect.right) - x0, round(rect.bottom) - y0)


def _clip_path(own: Rect, clip: Rect | None) -> str:
    if clip is None:
        return ""
    c = _snap(clip)
    if c.w <= 0 or c.h <= 0:
        return "display:none;"
    top, left = c.y - own.y, c.x - own.x
    right, bottom = own.right - c.right, own.bottom - c.bottom
    return f"clip-path:inset({_px(top)} {_px(right)} {_px(bottom)} {_px(left)});"


def _box_html(box: Box, fonts: FontBook) -> list[str]:
    node = box.node
    rect = _snap(box.rect)
    style = [f"left:{_px(rect.x)};top:{_px(rect.y)};width:{_px(rect.w)};height:{_px(rect.h)};"]
    transparency = float(node.get("BackgroundTransparency", 0))
    shadows = []
    if transparency < 1:
        background: Color = node.get("BackgroundColor3", Color(0.64, 0.64, 0.65))
        style.append(f"background:{background.css(transparency)};")
        border = float(node.get("BorderSizePixel", 0))
        if border > 0:
            color: Color = node.get("BorderColor3", Color(0.1, 0.16, 0.2))
            shadows.append(f"0 0 0 {_px(border)} {color.css(transparency)}")
    stroke = border_stroke(node)
    if stroke is not None:
        color, thickness, stroke_transparency = stroke
        shadows.append(f"0 0 0 {_px(thickness)} {color.css(stroke_transparency)}")
    if shadows:
        style.append(f"box-shadow:{', '.join(shadows)};")
    radius = corner_radius(node, rect)
    if radius:
        style.append(f"border-radius:{_px(radius)};")
    style.append(_clip_path(rect, box.clip))
    title = html.escape(f"{node.class_name} {node.name}", quote=True)
    out = [f'<div class="b" title="{title}" style="{"".join(style)}"></div>']
    if node.class_name in ("ImageLabel", "ImageButton") and node.get("Image"):
        tint: Color = node.get("ImageColor3", Color(1, 1, 1))
        alpha = float(node.get("ImageTransparency", 0))
        out.append(
            f'<div class="b img" style="left:{_px(rect.x)};top:{_px(rect.y)};width:{_px(rect.w)};'
            f'height:{_px(rect.h)};--tint:{tint.css(alpha)};{_clip_path(rect, box.clip)}"></div>'
        )
    if box.text is not None:
        out.extend(_text_html(box, fonts))
    for bar in box.scrollbars:
        thumb = _snap(bar.thumb)
        out.append(
            f'<div class="b" style="left:{_px(thumb.x)};top:{_px(thumb.y)};width:{_px(thumb.w)};'
            f'height:{_px(thumb.h)};background:{bar.color.css(bar.transparency)};{_clip_path(thumb, box.clip)}"></div>'
        )
    return out


def _text_html(box: Box, fonts: FontBook) -> list[str]:
    text = box.text
    assert text is not None
    if not any(text.lines) or text.transparency >= 1:
        return []
    region = text.region
    justify = {"Left": "flex-start", "Right": "flex-end"}.get(text.x_align, "center")
    font = (
        f"font-family:{html.escape(fonts.css_stack(text.face), quote=True)};font-size:{_px(text.size)};"
        f"line-height:{_px(text.line_height)};color:{text.color.css(text.transparency)};justify-content:{justify};"
    )
    if text.stroke is not None:
        color, thickness, transparency = text.stroke
        font += f"-webkit-text-stroke:{_px(thickness * 2)} {color.css(transparency)};paint-order:stroke fill;"
    out = []
    for i, line in enumerate(text.lines):
        top = text.top + i * text.line_height
        row = Rect(region.x, top, region.w, text.line_height)
        out.append(
            f'<div class="t" style="left:{_px(row.x)};top:{_px(row.y)};width:{_px(row.w)};height:{_px(row.h)};'
            f'{font}{_clip_path(row, text.clip)}"><span>{html.escape(line)}</span></div>'
        )
    return out


STYLE = """
* { margin: 0; padding: 0; box-sizing: border-box; }
body { position: relative; overflow: hidden; }
.b, .t { position: absolute; }
.t { display: flex; align-items: flex-start; white-space: pre; overflow: visible;
     font-kerning: none; font-variant-ligatures: none; font-feature-settings: "kern" 0, "liga" 0;
     font-synthesis: none; -webkit-font-smoothing: antialiased; }
.t span { flex: none; }
.img { background: repeating-linear-gradient(45deg, var(--tint) 0 2px, transparent 2px 8px);
       outline: 1px dashed var(--tint); outline-offset: -1px; }
"""


def picture_html(layout: Layout, background: Color, dx: float = 0, dy: float = 0) -> str:
    """The boxes of one layout in a viewport-sized clip at (dx, dy), on the window's `background`."""
    parts = [
        f'<div class="b" style="left:{_px(dx)};top:{_px(dy)};width:{_px(layout.width)};height:{_px(layout.height)};'
        f'overflow:hidden;background:{background.css()}">'
    ]
    for box in layout.boxes:
        parts.extend(_box_html(box, layout.fonts))
    parts.append("</div>")
    return "\n".join(parts)


def document(body: str, fonts_css: str, width: float, height: float) -> str:
    return (
        "<!doctype html><html><head><meta charset='utf-8'>"
        f"<style>{fonts_css}\n{STYLE} body {{ width: {_px(width)}; height: {_px(height)}; }}</style>"
        f"</head><body>\n{body}\n</body></html>"
    )
