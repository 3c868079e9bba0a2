"""The bed's renderer: the emulated GUI tree laid out as Roblox does (layout.py, pure Python), drawn as an HTML
page of absolutely positioned boxes (page.py) and photographed by headless Chromium (chromium.py)."""

from .chromium import ChromiumMissing, Picture, chromium_path, write_pngs
from .fonts import FontBook
from .layout import Box, Layout, Rect
from .tree import Color, GuiNode, from_lua

__all__ = [
    "Box",
    "ChromiumMissing",
    "Color",
    "FontBook",
    "GuiNode",
    "Layout",
    "Picture",
    "Rect",
    "chromium_path",
    "from_lua",
    "write_pngs",
]
