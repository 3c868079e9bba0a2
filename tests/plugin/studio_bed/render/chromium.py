"""PNGs from laid-out pictures through headless Chromium (the tests' one launcher, tests/chromium.py): all pictures
of a batch go on one page, one Chromium run takes one screenshot of it, and Pillow cuts it into one PNG per picture
(a run costs about a second)."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

from chromium import ChromiumMissing, screenshot
from chromium import executable as chromium_path

from .fonts import FontBook
from .layout import Layout
from .page import document, picture_html
from .tree import Color

__all__ = ["ChromiumMissing", "Picture", "chromium_path", "write_pngs"]

GAP = 8  # pixels between pictures on the shared page
PAGE_WIDTH = 2400  # pictures are packed in rows up to this width
# Headless Chromium shows a much shorter viewport than asked for in small windows (a 240 x 116 window draws
# 30 px of the page): the shared page is never smaller than this, and pictures are cut out of it.
MIN_PAGE = 400


@dataclass
class Picture:
    """One laid-out view to draw: its layout, the window background and where its files go (name.png/.html)."""

    name: str
    layout: Layout
    background: Color

    def html(self, fonts_css: str) -> str:
        return document(picture_html(self.layout, self.background), fonts_css, self.layout.width, self.layout.height)


def _pack(pictures: list[Picture]) -> tuple[list[tuple[int, int]], int, int]:
    """Shelf packing: left to right in rows of at most PAGE_WIDTH pixels."""
    spots, x, y, row_height, width = [], GAP, GAP, 0, 0
    for picture in pictures:
        w, h = int(picture.layout.width), int(picture.layout.height)
        if x > GAP and x + w + GAP > PAGE_WIDTH:
            x, y, row_height = GAP, y + row_height + GAP, 0
        spots.append((x, y))
        x += w + GAP
        width, row_height = max(width, x), max(row_height, h)
    return spots, max(width, MIN_PAGE), max(y + row_height + GAP, MIN_PAGE)


def write_pngs(pictures: list[Picture], out_dir: Path, fonts: FontBook) -> list[Path]:
    """Writes `<name>.html` (standalone, fonts embedded) and `<name>.png` for each picture; returns the PNG paths."""
    from PIL import Image  # the test extra `pillow`

    if not pictures:
        return []
    out_dir.mkdir(parents=True, exist_ok=True)
    fonts_css = fonts.font_face_css()
    spots, width, height = _pack(pictures)
    body = "\n".join(picture_html(p.layout, p.background, dx, dy) for p, (dx, dy) in zip(pictures, spots, strict=True))
    pngs = []
    with tempfile.TemporaryDirectory(prefix="bed-pictures-") as work:
        page, sheet = Path(work) / "page.html", Path(work) / "page.png"
        page.write_text(document(body, fonts_css, width, height), encoding="utf-8")
        screenshot(page, sheet, width, height)
        with Image.open(sheet) as image:
            for picture, (dx, dy) in zip(pictures, spots, strict=True):
                png = out_dir / f"{picture.name}.png"
                box = (dx, dy, dx + int(picture.layout.width), dy + int(picture.layout.height))
                image.crop(box).convert("RGB").save(png)
                (out_dir / f"{picture.name}.html").write_text(picture.html(fonts_css), encoding="utf-8")
                pngs.append(png)
    return pngs
