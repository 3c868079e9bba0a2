"""Roblox's GUI layout, computed in Python: where each GuiObject of a tree lands, what clips it, which text lines
it shows, and in which order everything is painted.

Rules implemented (as Roblox documents them): UDim2 Position/Size against the parent's content box (its size less
UIPadding), AnchorPoint; AutomaticSize X/Y/XY (Size is the minimum; content = text bounds and children, plus
padding); UIListLayout (FillDirection, Padding, Horizontal/VerticalAlignment, SortOrder LayoutOrder/Name; `Wraps`
and flex items are not); UIGridLayout (CellSize, CellPadding, FillDirection, FillDirectionMaxCells); UISizeConstraint
and UIAspectRatioConstraint (FitWithinMaxSize on the width); ScrollingFrame (CanvasSize, AutomaticCanvasSize, the
canvas never smaller than the window, CanvasPosition, scroll bar insets, a scroll bar thumb, clipping);
ClipsDescendants; Visible; ZIndex with ZIndexBehavior Sibling or Global; text per `text.py` (TextScaled included).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from . import text as textmod
from .fonts import Face, FontBook
from .tree import Color, FontFace, GuiNode, UDim, UDim2, Vec2

TEXT_CLASSES = ("TextLabel", "TextButton", "TextBox")
LEGACY_FONT = FontFace("rbxasset://fonts/families/LegacyArial.json", 400, False)


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float

    @property
    def right(self) -> float:
        return self.x + self.w

    @property
    def bottom(self) -> float:
        return self.y + self.h

    def intersect(self, other: Rect | None) -> Rect:
        if other is None:
            return self
        x, y = max(self.x, other.x), max(self.y, other.y)
        return Rect(x, y, max(0.0, min(self.right, other.right) - x), max(0.0, min(self.bottom, other.bottom) - y))

    def contains(self, other: Rect, slack: float = 0.5) -> bool:
        return (
            other.x >= self.x - slack
            and other.y >= self.y - slack
            and other.right <= self.right + slack
            and other.bottom <= self.bottom + slack
        )

    @property
    def area(self) -> float:
        return self.w * self.h


@dataclass(frozen=True)
class Padding:
    left: float = 0.0
    top: float = 0.0
    right: float = 0.0
    bottom: float = 0.0

    def inset(self, rect: Rect) -> Rect:
        return Rect(
            rect.x + self.left, rect.y + self.top, rect.w - self.left - self.right, rect.h - self.top - self.bottom
        )


@dataclass
class TextPlacement:
    """Lines of one text object, placed: `region` is the box less UIPadding, the block starts at `top`."""

    lines: list[str]
    widths: list[float]
    region: Rect
    top: float
    line_height: float
    size: float
    face: Face
    x_align: str  # Left, Center, Right
    color: Color
    transparency: float
    clip: Rect | None
    placeholder: bool
    stroke: tuple[Color, float, float] | None  # color, thickness, transparency (UIStroke on text)

    @property
    def rect(self) -> Rect:
        """The area the drawn lines cover."""
        width = max(self.widths, default=0.0)
        x = {
            "Left": self.region.x,
            "Right": self.region.right - width,
        }.get(self.x_align, self.region.x + (self.region.w - width) / 2)
        return Rect(x, self.top, width, self.line_height * len(self.lines))


@dataclass
class ScrollBar:
    track: Rect
    thumb: Rect
    color: Color
    transparency: float


@dataclass
class Box:
    """One laid-out GuiObject (or the root): absolute rectangle, the clip its ancestors put on it, what it draws."""

    node: GuiNode
    rect: Rect
    clip: Rect | None
    text: TextPlacement | None = None
    scrollbars: list[ScrollBar] = field(default_factory=list)
    canvas: Vec2 | None = None  # ScrollingFrame: AbsoluteCanvasSize
    window: Vec2 | None = None  # ScrollingFrame: AbsoluteWindowSize
    children: list[Box] = field(default_factory=list)

    @property
    def visible_rect(self) -> Rect:
        return self.rect.intersect(self.clip)


def _prop(node: GuiNode, name: str, default: Any) -> Any:
    value = node.get(name)
    return default if value is None else value


def _padding(node: GuiNode, width: float, height: float) -> Padding:
    pad = node.child_of_class("UIPadding")
    if pad is None:
        return Padding()

    def get(name: str, length: float) -> float:
        udim: UDim = _prop(pad, name, UDim(0, 0))
        return udim.resolve(length)

    return Padding(
        get("PaddingLeft", width), get("PaddingTop", height), get("PaddingRight", width), get("PaddingBottom", height)
    )


def _layout_child(node: GuiNode) -> GuiNode | None:
    return next((c for c in node.children if c.class_name in ("UIListLayout", "UIGridLayout")), None)


def _visible_gui_children(node: GuiNode) -> list[GuiNode]:
    return [c for c in node.gui_children() if _prop(c, "Visible", True)]


class Layout:
    """The computed layout of one tree in a viewport of `width` x `height` pixels."""

    def __init__(self, root: GuiNode, width: float, height: float, fonts: FontBook) -> None:
        self.root = root
        self.width = width
        self.height = height
        self.fonts = fonts
        self.content_sizes: dict[int, Vec2] = {}  # UIListLayout/UIGridLayout id -> AbsoluteContentSize
        self._sizes: dict[tuple[int, float, float], tuple[float, float]] = {}
        viewport = Rect(0, 0, width, height)
        if root.is_a("GuiObject"):  # a bare GuiObject: laid out as in a ScreenGui of the viewport's size
            frame = Box(GuiNode(0, "ScreenGui", "Viewport", {}), viewport, None)
            self.top = self._place_children_of([root], frame, viewport, viewport, None)[0]
        else:
            self.top = Box(root, viewport, None)
            self._place_children(self.top, viewport, viewport)
        behavior = _prop(root, "ZIndexBehavior", "Sibling") if not root.is_a("GuiObject") else "Sibling"
        self.boxes = list(self._paint_order(behavior))

    # ---------------------------------------------------------------- queries
    def box(self, name: str) -> Box:
        """The first box (in paint order) of a GuiObject with that Name."""
        found = next((b for b in self.boxes if b.node.name == name), None)
        if found is None:
            raise KeyError(f"no visible GuiObject named {name!r} in the layout")
        return found

    def texts(self) -> list[str]:
        """Every text laid out (lines joined by spaces), in paint order."""
        return [" ".join(b.text.lines) for b in self.boxes if b.text is not None]

    def visible_texts(self) -> list[str]:
        """The texts a user can see: not empty, and not entirely clipped away (scrolled out, hidden by a frame)."""
        return [
            " ".join(b.text.lines)
            for b in self.boxes
            if b.text is not None and "".join(b.text.lines).strip() and b.text.rect.intersect(b.text.clip).area > 0
        ]

    # ---------------------------------------------------------------- sizes
    def text_face(self, node: GuiNode) -> Face:
        return self.fonts.face(_prop(node, "FontFace", LEGACY_FONT))

    def _text_lines(self, node: GuiNode, wrap_width: float | None, size: float) -> textmod.TextLines:
        face = self.text_face(node)
        shown = self._shown_text(node)[0]
        line_height = size * float(_prop(node, "LineHeight", 1))
        return textmod.lay_out_text(
            shown, lambda s: self.fonts.width(s, face, size), line_height, wrap_width=wrap_width
        )

    @staticmethod
    def _shown_text(node: GuiNode) -> tuple[str, bool]:
        """The text drawn (a TextBox shows its PlaceholderText while empty) and whether it is the placeholder."""
        value = str(_prop(node, "Text", ""))
        if node.class_name == "TextBox" and value == "" and _prop(node, "PlaceholderText", ""):
            return str(node["PlaceholderText"]), True
        return textmod.plain_text(value, bool(_prop(node, "RichText", False))), False

    def _text_size(self, node: GuiNode, region: Rect | None) -> float:
        size = float(_prop(node, "TextSize", 8))
        if not _prop(node, "TextScaled", False) or region is None:
            return size
        limit = node.child_of_class("UITextSizeConstraint")
        low = int(_prop(limit, "MinTextSize", 1)) if limit else 1
        high = int(_prop(limit, "MaxTextSize", 100)) if limit else 100
        wrap = region.w if _prop(node, "TextWrapped", False) else None
        best = low
        while low <= high:  # the largest size whose lines fit the region
            mid = (low + high) // 2
            bw, bh = self._text_lines(node, wrap, mid).bounds
            if bw <= region.w + 0.01 and bh <= region.h + 0.01:
                best, low = mid, mid + 1
            else:
                high = mid - 1
        return float(best)

    def size_of(self, node: GuiNode, avail_w: float, avail_h: float) -> tuple[float, float]:
        """AbsoluteSize of `node` in a parent content box of avail_w x avail_h (before list/grid cell sizing)."""
        key = (node.id, avail_w, avail_h)
        if key in self._sizes:
            return self._sizes[key]
        size: UDim2 = _prop(node, "Size", UDim2(UDim(0, 0), UDim(0, 0)))
        w, h = size.x.resolve(avail_w), size.y.resolve(avail_h)
        auto = str(_prop(node, "AutomaticSize", "None"))
        if auto != "None":
            cw, ch = self._content_extent(node, w, h, auto)
            if "X" in auto:
                w = max(w, cw)
            if "Y" in auto:
                h = max(h, ch)
        w, h = self._constrain(node, w, h)
        self._sizes[key] = (w, h)
        return w, h

    @staticmethod
    def _constrain(node: GuiNode, w: float, h: float) -> tuple[float, float]:
        for c in node.children:
            if c.class_name == "UISizeConstraint":
                lo: Vec2 = _prop(c, "MinSize", Vec2(0, 0))
                hi: Vec2 = _prop(c, "MaxSize", Vec2(float("inf"), float("inf")))
                w, h = min(max(w, lo.x), hi.x), min(max(h, lo.y), hi.y)
            elif c.class_name == "UIAspectRatioConstraint":
                ratio = float(_prop(c, "AspectRatio", 1)) or 1.0
                if h > 0 and w / h > ratio:
                    w = h * ratio
                else:
                    h = w / ratio
        return w, h

    def _content_extent(self, node: GuiNode, w: float, h: float, auto: str) -> tuple[float, float]:
        """Width and height the node's content needs (text, children), padding included."""
        pad = _padding(node, w, h)
        inner_w, inner_h = max(0.0, w - pad.left - pad.right), max(0.0, h - pad.top - pad.bottom)
        ew = eh = 0.0
        if node.class_name in TEXT_CLASSES:
            wrap: float | None = None
            if _prop(node, "TextWrapped", False):
                wrap = inner_w
                if "X" in auto:  # grows sideways: wraps only at a UISizeConstraint's MaxSize
                    cap = self._constrain(node, float("inf"), h)[0]
                    wrap = cap - pad.left - pad.right if cap != float("inf") else None
            ew, eh = self._text_lines(node, wrap, self._text_size(node, None)).bounds
        kids = _visible_gui_children(node)
        if kids:
            cw, ch = self._children_extent(node, kids, inner_w, inner_h)
            ew, eh = max(ew, cw), max(eh, ch)
        return ew + pad.left + pad.right, eh + pad.top + pad.bottom

    def _children_extent(
        self, node: GuiNode, kids: list[GuiNode], inner_w: float, inner_h: float
    ) -> tuple[float, float]:
        layout = _layout_child(node)
        if layout is not None:
            _, content = self._arrange(layout, kids, Rect(0, 0, inner_w, inner_h))
            return content.x, content.y
        ew = eh = 0.0
        for kid in kids:
            kw, kh = self.size_of(kid, inner_w, inner_h)
            pos: UDim2 = _prop(kid, "Position", UDim2(UDim(0, 0), UDim(0, 0)))
            anchor: Vec2 = _prop(kid, "AnchorPoint", Vec2(0, 0))
            ew = max(ew, pos.x.resolve(inner_w) - anchor.x * kw + kw)
            eh = max(eh, pos.y.resolve(inner_h) - anchor.y * kh + kh)
        return ew, eh

    # ---------------------------------------------------------------- list and grid layouts
    def _arrange(self, layout: GuiNode, kids: list[GuiNode], content: Rect) -> tuple[list[Rect], Vec2]:
        """Rectangles of `kids` (in their given order) inside `content`, and the layout's AbsoluteContentSize."""
        order = str(_prop(layout, "SortOrder", "LayoutOrder"))
        if order == "Name":
            ranked = sorted(kids, key=lambda k: (k.name, k.index))
        else:
            ranked = sorted(kids, key=lambda k: (int(_prop(k, "LayoutOrder", 0)), k.index))
        if layout.class_name == "UIGridLayout":
            rects, size = self._grid(layout, ranked, content)
        else:
            rects, size = self._list(layout, ranked, content)
        by_id = {k.id: r for k, r in zip(ranked, rects, strict=True)}
        return [by_id[k.id] for k in kids], size

    def _list(self, layout: GuiNode, kids: list[GuiNode], content: Rect) -> tuple[list[Rect], Vec2]:
        vertical = _prop(layout, "FillDirection", "Horizontal") == "Vertical"
        gap: UDim = _prop(layout, "Padding", UDim(0, 0))
        spacing = gap.resolve(content.h if vertical else content.w)
        sizes = [self.size_of(k, content.w, content.h) for k in kids]
        main_sizes = [s[1] if vertical else s[0] for s in sizes]
        total = sum(main_sizes) + spacing * max(0, len(kids) - 1)
        cross_extent = max((s[0] if vertical else s[1] for s in sizes), default=0.0)
        main_avail, cross_avail = (content.h, content.w) if vertical else (content.w, content.h)
        main_align = _prop(layout, "VerticalAlignment" if vertical else "HorizontalAlignment", "Top")
        cross_align = _prop(layout, "HorizontalAlignment" if vertical else "VerticalAlignment", "Left")
        cursor = _aligned(main_align, main_avail, total)
        rects = []
        for (w, h), main in zip(sizes, main_sizes, strict=True):
            cross = _aligned(cross_align, cross_avail, w if vertical else h)
            if vertical:
                rects.append(Rect(content.x + cross, content.y + cursor, w, h))
            else:
                rects.append(Rect(content.x + cursor, content.y + cross, w, h))
            cursor += main + spacing
        size = Vec2(cross_extent, total) if vertical else Vec2(total, cross_extent)
        return rects, size

    def _grid(self, layout: GuiNode, kids: list[GuiNode], content: Rect) -> tuple[list[Rect], Vec2]:
        cell: UDim2 = _prop(layout, "CellSize", UDim2(UDim(0, 100), UDim(0, 100)))
        gap: UDim2 = _prop(layout, "CellPadding", UDim2(UDim(0, 5), UDim(0, 5)))
        cw, ch = cell.x.resolve(content.w), cell.y.resolve(content.h)
        px, py = gap.x.resolve(content.w), gap.y.resolve(content.h)
        horizontal = _prop(layout, "FillDirection", "Horizontal") == "Horizontal"
        fits = (content.w + px) / (cw + px) if horizontal else (content.h + py) / (ch + py)
        per_line = max(1, int(fits + 1e-6)) if cw + px > 0 and ch + py > 0 else 1
        cap = int(_prop(layout, "FillDirectionMaxCells", 0))
        if cap > 0:
            per_line = min(per_line, cap)
        lines = -(-len(kids) // per_line) if kids else 0
        cols, rows = (min(per_line, len(kids)), lines) if horizontal else (lines, min(per_line, len(kids)))
        size = Vec2(max(0.0, cols * (cw + px) - px), max(0.0, rows * (ch + py) - py))
        x0 = _aligned(_prop(layout, "HorizontalAlignment", "Left"), content.w, size.x)
        y0 = _aligned(_prop(layout, "VerticalAlignment", "Top"), content.h, size.y)
        rects = []
        for i in range(len(kids)):
            col, row = (i % per_line, i // per_line) if horizontal else (i // per_line, i % per_line)
            rects.append(Rect(content.x + x0 + col * (cw + px), content.y + y0 + row * (ch + py), cw, ch))
        return rects, size

    # ---------------------------------------------------------------- placing
    def _place_children_of(
        self, kids: list[GuiNode], parent: Box, content: Rect, clip: Rect | None, layout: GuiNode | None
    ) -> list[Box]:
        if layout is not None:
            rects, size = self._arrange(layout, kids, content)
            self.content_sizes[layout.id] = size
        else:
            rects = []
            for kid in kids:
                w, h = self.size_of(kid, content.w, content.h)
                pos: UDim2 = _prop(kid, "Position", UDim2(UDim(0, 0), UDim(0, 0)))
                anchor: Vec2 = _prop(kid, "AnchorPoint", Vec2(0, 0))
                x = content.x + pos.x.resolve(content.w) - anchor.x * w
                y = content.y + pos.y.resolve(content.h) - anchor.y * h
                rects.append(Rect(x, y, w, h))
        boxes = []
        for kid, rect in zip(kids, rects, strict=True):
            box = Box(kid, rect, clip)
            parent.children.append(box)
            self._place(box)
            boxes.append(box)
        return boxes

    def _place_children(self, box: Box, content: Rect, clip: Rect | None) -> None:
        kids = _visible_gui_children(box.node)
        self._place_children_of(kids, box, content, clip, _layout_child(box.node))

    def _place(self, box: Box) -> None:
        node, rect = box.node, box.rect
        pad = _padding(node, rect.w, rect.h)
        clips = node.class_name == "ScrollingFrame" or bool(_prop(node, "ClipsDescendants", False))
        inner_clip = rect.intersect(box.clip) if clips else box.clip
        if node.class_name in TEXT_CLASSES:
            box.text = self._place_text(box, pad.inset(rect))
        if node.class_name == "ScrollingFrame":
            content, window = self._scroll(box, pad)
            self._place_children(box, content, window.intersect(box.clip))
        else:
            self._place_children(box, pad.inset(rect), inner_clip)

    def _place_text(self, box: Box, region: Rect) -> TextPlacement:
        node = box.node
        size = self._text_size(node, region)
        face = self.text_face(node)
        shown, placeholder = self._shown_text(node)
        line_height = size * float(_prop(node, "LineHeight", 1))
        wrap = region.w if _prop(node, "TextWrapped", False) else None
        cut = (region.w, region.h) if _prop(node, "TextTruncate", "None") != "None" else None
        lines = textmod.lay_out_text(
            shown, lambda s: self.fonts.width(s, face, size), line_height, wrap_width=wrap, truncate_to=cut
        )
        block = lines.line_height * len(lines.lines)
        top = region.y + _aligned(_prop(node, "TextYAlignment", "Center"), region.h, block)
        stroke = _stroke(node, text=True)
        # A TextBox keeps its text inside itself; other text is clipped only by ClipsDescendants (its own or above).
        own_clip = node.class_name == "TextBox" or bool(_prop(node, "ClipsDescendants", False))
        color_prop = "PlaceholderColor3" if placeholder else "TextColor3"
        return TextPlacement(
            lines=lines.lines,
            widths=lines.widths,
            region=region,
            top=top,
            line_height=line_height,
            size=size,
            face=face,
            x_align=str(_prop(node, "TextXAlignment", "Center")),
            color=_prop(node, color_prop, Color(0, 0, 0)),
            transparency=float(_prop(node, "TextTransparency", 0)),
            clip=box.rect.intersect(box.clip) if own_clip else box.clip,
            placeholder=placeholder,
            stroke=stroke,
        )

    def _scroll(self, box: Box, pad: Padding) -> tuple[Rect, Rect]:
        """Canvas content box and window of a ScrollingFrame; adds its scroll bars to the box."""
        node, rect = box.node, box.rect
        thickness = float(_prop(node, "ScrollBarThickness", 12))
        direction = str(_prop(node, "ScrollingDirection", "XY"))
        canvas: UDim2 = _prop(node, "CanvasSize", UDim2(UDim(0, 0), UDim(2, 0)))
        cw, ch = canvas.x.resolve(rect.w), canvas.y.resolve(rect.h)
        auto = str(_prop(node, "AutomaticCanvasSize", "None"))
        if auto != "None":
            kids = _visible_gui_children(node)
            ew, eh = self._children_extent(node, kids, max(cw, rect.w) - pad.left - pad.right, max(ch, rect.h))
            ew, eh = ew + pad.left + pad.right, eh + pad.top + pad.bottom
            cw, ch = (max(cw, ew) if "X" in auto else cw), (max(ch, eh) if "Y" in auto else ch)
        enabled = bool(_prop(node, "ScrollingEnabled", True))
        show_v = enabled and direction in ("Y", "XY") and ch > rect.h + 0.01
        show_h = enabled and direction in ("X", "XY") and cw > rect.w + 0.01
        v_inset = _prop(node, "VerticalScrollBarInset", "None")
        h_inset = _prop(node, "HorizontalScrollBarInset", "None")
        win_w = rect.w - (thickness if v_inset == "Always" or (v_inset == "ScrollBar" and show_v) else 0)
        win_h = rect.h - (thickness if h_inset == "Always" or (h_inset == "ScrollBar" and show_h) else 0)
        cw, ch = max(cw, win_w), max(ch, win_h)
        position: Vec2 = _prop(node, "CanvasPosition", Vec2(0, 0))
        px = min(max(position.x, 0.0), cw - win_w)
        py = min(max(position.y, 0.0), ch - win_h)
        box.canvas, box.window = Vec2(cw, ch), Vec2(win_w, win_h)
        color: Color = _prop(node, "ScrollBarImageColor3", Color(1, 1, 1))
        transparency = float(_prop(node, "ScrollBarImageTransparency", 0))
        if show_v:
            track = Rect(rect.right - thickness, rect.y, thickness, rect.h - (thickness if show_h else 0))
            length = max(thickness, track.h * win_h / ch)
            offset = (track.h - length) * (py / (ch - win_h) if ch > win_h else 0)
            box.scrollbars.append(
                ScrollBar(track, Rect(track.x, track.y + offset, thickness, length), color, transparency)
            )
        if show_h:
            track = Rect(rect.x, rect.bottom - thickness, rect.w - (thickness if show_v else 0), thickness)
            length = max(thickness, track.w * win_w / cw)
            offset = (track.w - length) * (px / (cw - win_w) if cw > win_w else 0)
            box.scrollbars.append(
                ScrollBar(track, Rect(track.x + offset, track.y, length, thickness), color, transparency)
            )
        canvas_rect = Rect(rect.x - px, rect.y - py, cw, ch)
        return pad.inset(canvas_rect), Rect(rect.x, rect.y, win_w, win_h)

    # ---------------------------------------------------------------- painting
    def _paint_order(self, behavior: str) -> Iterator[Box]:
        if behavior == "Global":
            flat: list[Box] = []

            def walk(box: Box) -> None:
                flat.append(box)
                for child in box.children:
                    walk(child)

            for child in self.top.children:
                walk(child)
            yield from sorted(flat, key=lambda b: int(_prop(b.node, "ZIndex", 1)))  # stable: tree order in a tie
            return

        def sibling(box: Box) -> Iterator[Box]:
            yield box
            for child in sorted(box.children, key=lambda b: (int(_prop(b.node, "ZIndex", 1)), b.node.index)):
                yield from sibling(child)

        for child in sorted(self.top.children, key=lambda b: (int(_prop(b.node, "ZIndex", 1)), b.node.index)):
            yield from sibling(child)

    # ---------------------------------------------------------------- back into the VM
    def absolute_props(self) -> list[dict[str, Any]]:
        """Per instance id, the Vector2 properties Studio's layout engine sets (for `applyLayout`)."""
        out: list[dict[str, Any]] = []
        for box in self.boxes:
            props: dict[str, list[float]] = {
                "AbsolutePosition": [box.rect.x, box.rect.y],
                "AbsoluteSize": [box.rect.w, box.rect.h],
            }
            if box.text is not None and not box.text.placeholder:
                bw, bh = textmod.TextLines(box.text.lines, box.text.widths, box.text.line_height).bounds
                props["TextBounds"] = [bw, bh if box.text.lines != [""] else 0.0]
            if box.canvas is not None and box.window is not None:
                props["AbsoluteCanvasSize"] = [box.canvas.x, box.canvas.y]
                props["AbsoluteWindowSize"] = [box.window.x, box.window.y]
            out.append({"id": box.node.id, "props": props})
        for layout_id, size in self.content_sizes.items():
            out.append({"id": layout_id, "props": {"AbsoluteContentSize": [size.x, size.y]}})
        if self.root.class_name == "ScreenGui":
            out.append({"id": self.root.id, "props": {"AbsoluteSize": [self.width, self.height]}})
        return out


def _aligned(alignment: str, available: float, used: float) -> float:
    if alignment in ("Center",):
        return (available - used) / 2
    if alignment in ("Right", "Bottom"):
        return available - used
    return 0.0


def _stroke(node: GuiNode, *, text: bool) -> tuple[Color, float, float] | None:
    """The node's enabled UIStroke as (color, thickness, transparency) if it strokes the text (or the border)."""
    stroke = next((c for c in node.children if c.class_name == "UIStroke" and _prop(c, "Enabled", True)), None)
    if stroke is None:
        return None
    on_text = node.class_name in TEXT_CLASSES and _prop(stroke, "ApplyStrokeMode", "Contextual") == "Contextual"
    if on_text != text:
        return None
    return (
        _prop(stroke, "Color", Color(0, 0, 0)),
        float(_prop(stroke, "Thickness", 1)),
        float(_prop(stroke, "Transparency", 0)),
    )


def border_stroke(node: GuiNode) -> tuple[Color, float, float] | None:
    """The UIStroke drawn around the node's box (not its text)."""
    return _stroke(node, text=False)


def corner_radius(node: GuiNode, rect: Rect) -> float:
    corner = node.child_of_class("UICorner")
    if corner is None:
        return 0.0
    radius: UDim = _prop(corner, "CornerRadius", UDim(0, 8))
    short = min(rect.w, rect.h)
    return max(0.0, min(radius.resolve(short), short / 2))
