"""PNGs from laid-out pictures through headless Chromium: all pictures of a batch go on one page, one Chromium
run takes one screenshot of it, and Pillow cuts it into one PNG per picture (a run costs about a second)."""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from .fonts import FontBook
from .layout import Layout
from .page import document, picture_html
from .tree import Color

GAP = 8  # pixels between pictures on the shared page
PAGE_WIDTH = 2400  # pictures are packed in rows up to this width
CHROMIUM_TIMEOUT = 120.0
# Headless Chromium shows a much shorter viewport than asked for in small windows (a 240 x 116 window draws
# 30 px of the page): the shared page is never smaller than this, and pictures are cut out of it.
MIN_PAGE = 400


class ChromiumMissing(RuntimeError):
    """Headless Chromium is not installed (Debian: `apt-get install chromium`; .ci/run does it)."""


@dataclass
class Picture:
    """One laid-out view to draw: its layout, the window background and where its files go (name.png/.html)."""

    name: str
    layout: Layout
    background: Color

    def html(self, fonts_css: str) -> str:
        return document(picture_html(self.layout, self.background), fonts_css, self.layout.width, self.layout.height)


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def screenshot(page: Path, png: Path, width: int, height: int) -> None:
    """One headless Chromium run: `page` (a file) rendered at width x height CSS pixels into `png`."""
    exe = chromium_path()
    if exe is None:
        raise ChromiumMissing("headless Chromium is not on PATH (Debian package `chromium`)")
    with tempfile.TemporaryDirectory(prefix="bed-chromium-") as profile:
        done = subprocess.run(
            [
                exe, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--hide-scrollbars", "--force-device-scale-factor=1", f"--user-data-dir={profile}",
                f"--screenshot={png}", f"--window-size={width},{height}", page.as_uri(),
            ],
            capture_output=True, text=True, timeout=CHROMIUM_TIMEOUT,
        )  # fmt: skip
    if done.returncode != 0 or not png.is_file():
        raise RuntimeError(f"chromium failed (exit {done.returncode}):\n{done.stderr[-2000:]}")


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
