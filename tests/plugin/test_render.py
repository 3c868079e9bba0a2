"""The bed's renderer on known layouts: pixel positions and sizes computed as Roblox lays GUIs out (pure Python),
the values written back into the VM, and one PNG through headless Chromium in the theme's colors."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from studio_bed import StudioBed
from studio_bed.render import FontBook, Layout, Rect, chromium_path, write_pngs
from studio_bed.render.fonts import Face

FIXTURE_PLUGIN = Path(__file__).parent / "fixtures" / "mini_plugin"


class FixedFonts(FontBook):
    """Every character is half an em wide, so text sizes in these tests are known numbers."""

    def width(self, text: str, face: Face, size: float) -> float:
        return len(text) * size / 2


@pytest.fixture
def gui_bed() -> Iterator[StudioBed]:
    with StudioBed(FIXTURE_PLUGIN) as bed:
        bed._fonts = FixedFonts()
        yield bed


def build(bed: StudioBed, body: str) -> Any:
    """Runs Luau that builds a tree under `root` (a ScreenGui, also kept as `_G.root`) and returns the ScreenGui."""
    return bed.eval(f'local root = Instance.new("ScreenGui")\n_G.root = root\n{body}\nreturn root')[0]


def rect(layout: Layout, name: str) -> Rect:
    return layout.box(name).rect


NEW = """
local function new(class, props, parent)
	local inst = Instance.new(class)
	for k, v in props do
		(inst :: any)[k] = v
	end
	inst.Parent = parent
	return inst
end
"""


def test_a_vertical_list_stacks_children_by_layout_order_with_padding_and_the_frame_padding(gui_bed: StudioBed) -> None:
    root = build(
        gui_bed,
        NEW
        + """
local list = new("Frame", { Name = "List", Position = UDim2.fromOffset(10, 20),
	Size = UDim2.fromOffset(200, 300) }, root)
new("UIPadding", { PaddingLeft = UDim.new(0, 6), PaddingTop = UDim.new(0, 5), PaddingRight = UDim.new(0, 4) }, list)
new("UIListLayout", { FillDirection = Enum.FillDirection.Vertical, Padding = UDim.new(0, 4),
	SortOrder = Enum.SortOrder.LayoutOrder }, list)
new("Frame", { Name = "C", LayoutOrder = 3, Size = UDim2.new(1, 0, 0, 30) }, list)
new("Frame", { Name = "A", LayoutOrder = 1, Size = UDim2.new(0.5, 0, 0, 10) }, list)
new("Frame", { Name = "Hidden", LayoutOrder = 2, Visible = false, Size = UDim2.new(1, 0, 0, 50) }, list)
new("Frame", { Name = "B", LayoutOrder = 2, Size = UDim2.new(0, 40, 0.1, 0) }, list)
""",
    )
    layout = gui_bed.layout(root, 800, 600)
    assert rect(layout, "List") == Rect(10, 20, 200, 300)
    assert rect(layout, "A") == Rect(16, 25, 95, 10)  # content box 190 x 295 at (16, 25)
    assert rect(layout, "B") == Rect(16, 39, 40, 29.5)  # 25 + 10 + 4; 10% of 295
    assert rect(layout, "C") == Rect(16, 72.5, 190, 30)
    assert "Hidden" not in [b.node.name for b in layout.boxes]


def test_a_horizontal_list_aligns_its_block_and_each_child(gui_bed: StudioBed) -> None:
    root = build(
        gui_bed,
        NEW
        + """
local bar = new("Frame", { Name = "Bar", Size = UDim2.fromOffset(300, 40) }, root)
new("UIListLayout", { FillDirection = Enum.FillDirection.Horizontal, Padding = UDim.new(0, 10),
	HorizontalAlignment = Enum.HorizontalAlignment.Right, VerticalAlignment = Enum.VerticalAlignment.Center,
	SortOrder = Enum.SortOrder.Name }, bar)
new("Frame", { Name = "b", Size = UDim2.fromOffset(50, 20) }, bar)
new("Frame", { Name = "a", Size = UDim2.fromOffset(30, 40) }, bar)
""",
    )
    layout = gui_bed.layout(root, 400, 400)
    assert rect(layout, "a") == Rect(210, 0, 30, 40)  # 300 - (30 + 10 + 50) = 210
    assert rect(layout, "b") == Rect(250, 10, 50, 20)
    assert gui_bed.eval("return _G.root.Bar.UIListLayout.AbsoluteContentSize.X", virtual_limit=1) == [90]


def test_anchor_point_positions_a_frame_by_its_center_or_corner(gui_bed: StudioBed) -> None:
    root = build(
        gui_bed,
        NEW
        + """
new("Frame", { Name = "Centered", AnchorPoint = Vector2.new(0.5, 0.5), Position = UDim2.fromScale(0.5, 0.5),
	Size = UDim2.fromOffset(100, 50) }, root)
new("Frame", { Name = "BottomRight", AnchorPoint = Vector2.new(1, 1), Position = UDim2.new(1, -8, 1, -8),
	Size = UDim2.new(0.25, 0, 0, 20) }, root)
""",
    )
    layout = gui_bed.layout(root, 400, 300)
    assert rect(layout, "Centered") == Rect(150, 125, 100, 50)
    assert rect(layout, "BottomRight") == Rect(292, 272, 100, 20)


def test_automatic_size_grows_to_children_and_text_and_never_below_size(gui_bed: StudioBed) -> None:
    root = build(
        gui_bed,
        NEW
        + """
local card = new("Frame", { Name = "Card", Size = UDim2.fromOffset(40, 10),
	AutomaticSize = Enum.AutomaticSize.Y }, root)
new("UIPadding", { PaddingTop = UDim.new(0, 8), PaddingBottom = UDim.new(0, 8) }, card)
new("UIListLayout", { FillDirection = Enum.FillDirection.Vertical, Padding = UDim.new(0, 2) }, card)
new("TextLabel", { Name = "Wrapped", Text = "aaaa bbbb cccc", TextSize = 10, TextWrapped = true,
	Size = UDim2.new(1, 0, 0, 0), AutomaticSize = Enum.AutomaticSize.Y }, card)
new("TextLabel", { Name = "Chip", Text = "abcdef", TextSize = 10, Size = UDim2.fromOffset(10, 12),
	AutomaticSize = Enum.AutomaticSize.XY, LayoutOrder = 1 }, card)
""",
    )
    layout = gui_bed.layout(root, 400, 300)
    # 5 px per character: "aaaa bbbb" is 45 px, wider than the card's 40 px, so each word gets its own line.
    assert layout.box("Wrapped").text is not None and layout.box("Wrapped").text.lines == ["aaaa", "bbbb", "cccc"]
    assert rect(layout, "Wrapped") == Rect(0, 8, 40, 30)
    assert rect(layout, "Chip") == Rect(0, 40, 30, 12)  # text 30 x 10, at least Size 10 x 12
    assert rect(layout, "Card") == Rect(0, 0, 40, 60)  # 8 + 30 + 2 + 12 + 8
    bounds = gui_bed.eval("local t = _G.root.Card.Wrapped.TextBounds return t.X, t.Y", virtual_limit=1)
    assert bounds == [20, 30]


def test_a_scrolling_frame_grows_its_canvas_clips_and_scrolls(gui_bed: StudioBed) -> None:
    root = build(
        gui_bed,
        NEW
        + """
local scroll = new("ScrollingFrame", { Name = "Scroll", Position = UDim2.fromOffset(0, 100),
	Size = UDim2.fromOffset(200, 100), CanvasSize = UDim2.new(0, 0, 0, 0), ScrollBarThickness = 6,
	AutomaticCanvasSize = Enum.AutomaticSize.Y, CanvasPosition = Vector2.new(0, 50) }, root)
new("UIListLayout", { FillDirection = Enum.FillDirection.Vertical }, scroll)
for i = 1, 8 do
	new("Frame", { Name = "Row" .. i, LayoutOrder = i, Size = UDim2.new(1, 0, 0, 25) }, scroll)
end
""",
    )
    layout = gui_bed.layout(root, 400, 300)
    scroll = layout.box("Scroll")
    assert scroll.canvas is not None and (scroll.canvas.x, scroll.canvas.y) == (200, 200)
    assert rect(layout, "Row1") == Rect(0, 50, 200, 25)  # scrolled up by 50
    assert rect(layout, "Row3") == Rect(0, 100, 200, 25)
    assert layout.box("Row8").clip == Rect(0, 100, 200, 100)
    assert layout.box("Row8").visible_rect.area == 0  # below the window
    [bar] = scroll.scrollbars
    assert bar.thumb == Rect(194, 125, 6, 50)  # half the canvas is visible; scrolled a third of the way
    canvas = gui_bed.eval("local s = _G.root.Scroll.AbsoluteCanvasSize return s.X, s.Y", virtual_limit=1)
    assert canvas == [200, 200]


def test_clips_descendants_and_truncation(gui_bed: StudioBed) -> None:
    root = build(
        gui_bed,
        NEW
        + """
local clip = new("Frame", { Name = "Clip", Size = UDim2.fromOffset(100, 40), ClipsDescendants = true }, root)
new("Frame", { Name = "Inside", Position = UDim2.fromOffset(60, 10), Size = UDim2.fromOffset(80, 80) }, clip)
new("TextLabel", { Name = "Cut", Text = "abcdefghijkl", TextSize = 10, Size = UDim2.fromOffset(40, 10),
	TextTruncate = Enum.TextTruncate.AtEnd, Position = UDim2.fromOffset(0, 50) }, root)
""",
    )
    layout = gui_bed.layout(root, 300, 300)
    assert layout.box("Inside").visible_rect == Rect(60, 10, 40, 30)
    cut = layout.box("Cut").text
    assert cut is not None and cut.lines == ["abcdefg…"]  # 8 characters of 5 px fit in 40 px


def test_zindex_orders_siblings_and_global_behavior_orders_everything(gui_bed: StudioBed) -> None:
    code = (
        NEW
        + """
root.ZIndexBehavior = Enum.ZIndexBehavior.%s
local low = new("Frame", { Name = "Low", ZIndex = 1 }, root)
new("Frame", { Name = "LowChild", ZIndex = 5 }, low)
new("Frame", { Name = "High", ZIndex = 3 }, root)
new("Frame", { Name = "Middle", ZIndex = 2 }, root)
"""
    )
    sibling = gui_bed.layout(build(gui_bed, code % "Sibling"), 100, 100)
    assert [b.node.name for b in sibling.boxes] == ["Low", "LowChild", "Middle", "High"]
    global_ = gui_bed.layout(build(gui_bed, code % "Global"), 100, 100)
    assert [b.node.name for b in global_.boxes] == ["Low", "Middle", "High", "LowChild"]


def test_layout_handlers_see_absolute_sizes_and_the_layout_runs_again(gui_bed: StudioBed) -> None:
    root = build(
        gui_bed,
        NEW
        + """
local scroll = new("ScrollingFrame", { Name = "Scroll", Size = UDim2.fromOffset(100, 50),
	CanvasSize = UDim2.new() }, root)
local list = new("UIListLayout", { FillDirection = Enum.FillDirection.Vertical }, scroll)
for i = 1, 3 do
	new("Frame", { Name = "Row" .. i, Size = UDim2.new(1, 0, 0, 40) }, scroll)
end
-- The classic pattern: the canvas follows the list's content size.
list:GetPropertyChangedSignal("AbsoluteContentSize"):Connect(function()
	scroll.CanvasSize = UDim2.fromOffset(0, list.AbsoluteContentSize.Y)
end)
""",
    )
    layout = gui_bed.layout(root, 200, 200)
    scroll = layout.box("Scroll")
    assert scroll.canvas is not None and scroll.canvas.y == 120
    assert gui_bed.eval("return _G.root.Scroll.CanvasSize.Y.Offset", virtual_limit=1) == [120]


def test_a_dock_widget_takes_the_snapshot_size(bed: StudioBed) -> None:
    bed.start_plugin()
    bed.flush()
    layout = bed.layout("DataStoreManagerPro", 320, 400)
    assert (layout.width, layout.height) == (320, 400)
    assert bed.eval('local s = TestBed.widget("DataStoreManagerPro").AbsoluteSize return s.X, s.Y') == [320, 400]
    assert layout.texts(), "the plugin's widget shows no text"


SWATCH = (
    NEW
    + """
local theme = settings().Studio.Theme
new("Frame", { Name = "Swatch", Position = UDim2.fromOffset(20, 10), Size = UDim2.fromOffset(40, 30),
	BorderSizePixel = 0, BackgroundColor3 = theme:GetColor(Enum.StudioStyleGuideColor.ErrorText) }, root)
new("TextLabel", { Name = "Label", Position = UDim2.fromOffset(20, 60), Size = UDim2.fromOffset(200, 20),
	BackgroundTransparency = 1, Text = "DataStore Manager Pro", TextSize = 18,
	TextColor3 = theme:GetColor(Enum.StudioStyleGuideColor.MainText),
	FontFace = Font.fromEnum(Enum.Font.SourceSans) }, root)
"""
)


@pytest.mark.skipif(chromium_path() is None, reason="headless Chromium is not installed (.ci/run installs it)")
def test_the_png_has_the_theme_background_and_the_frame_colors(gui_bed: StudioBed, tmp_path: Path) -> None:
    from PIL import Image

    if gui_bed.themes is None:
        pytest.skip("studio-theme.json not found: set DSM_STUDIO_THEME (see tests/plugin/README.md)")
    pictures = []
    for theme in ("Dark", "Light"):
        gui_bed.set_theme(theme)  # the tree reads its colors from the theme it is built in
        root = build(gui_bed, SWATCH)
        pictures.append(gui_bed.capture(root, f"known-{theme}", width=240, height=100))
    pngs = write_pngs(pictures, tmp_path, gui_bed.fonts)  # both in one Chromium run
    for theme, png in zip(("Dark", "Light"), pngs, strict=True):
        with Image.open(png) as image:
            rgb = image.convert("RGB")
            assert rgb.size == (240, 100)
            assert rgb.getpixel((5, 5)) == gui_bed.themes.color(theme, "MainBackground")
            assert rgb.getpixel((40, 25)) == gui_bed.themes.color(theme, "ErrorText")
            ink = gui_bed.themes.color(theme, "MainText")
            text_pixels = [rgb.getpixel((x, y)) for x in range(20, 220) for y in range(60, 80)]
            assert any(sum(abs(a - b) for a, b in zip(p, ink, strict=True)) < 60 for p in text_pixels)
        assert png.with_suffix(".html").is_file()


@pytest.mark.skipif(chromium_path() is None, reason="headless Chromium is not installed (.ci/run installs it)")
def test_a_spec_takes_a_snapshot_with_testbed_snapshot(gui_bed: StudioBed) -> None:
    build(gui_bed, SWATCH)
    path = gui_bed.eval('return TestBed.snapshot(_G.root, "spec-snapshot", { width = 240, height = 100 })')[0]
    png = Path(str(path))
    assert png.name == "spec-snapshot.png" and png.with_suffix(".html").is_file()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
