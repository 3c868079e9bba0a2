"""Pictures of HTML pages through headless Chromium (Debian's `chromium`): each page is measured first, so
its PNG holds the whole page and nothing below it."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--hide-scrollbars",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def available() -> bool:
    return shutil.which("chromium") is not None


def _run(args: list[str], profile: str) -> str:
    done = subprocess.run(
        ["chromium", *FLAGS, f"--user-data-dir={profile}", *args], check=True, capture_output=True, timeout=120
    )
    return done.stdout.decode("utf-8", "replace")


def page_heights(pages: list[str], width: int) -> list[int]:
    """Each page's full height at `width` CSS pixels: the pages are laid out in same-origin frames of one
    measuring page whose script writes their heights into the DOM that Chromium dumps."""
    frames = "".join(
        f"<iframe id='f{i}' style='width:{width}px;height:100px;border:0' srcdoc=\"{html.escape(p)}\"></iframe>"
        for i, p in enumerate(pages)
    )
    script = (
        "<script>window.onload=function(){var out=[];"
        f"for(var i=0;i<{len(pages)};i++){{out.push(document.getElementById('f'+i)"
        ".contentDocument.documentElement.scrollHeight);}"
        "document.getElementById('heights').textContent=out.join(',');};</script>"
    )
    with tempfile.TemporaryDirectory() as tmp:
        wrapper = Path(tmp) / "measure.html"
        wrapper.write_text(f"<html><body><pre id='heights'></pre>{frames}{script}</body></html>", encoding="utf-8")
        dom = _run(["--virtual-time-budget=5000", "--dump-dom", wrapper.as_uri()], str(Path(tmp) / "profile"))
    found = re.search(r"<pre id=\"heights\">([\d,]+)</pre>", dom)
    if found is None:
        raise RuntimeError("chromium did not report the page heights")
    return [int(h) for h in found.group(1).split(",")]


def _shoot(page: str, out: Path, width: int, height: int, dark: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "page.html"
        source.write_text(page, encoding="utf-8")
        out.unlink(missing_ok=True)
        theme = ["--force-dark-mode"] if dark else []  # prefers-color-scheme: dark
        args = [*theme, f"--screenshot={out}", f"--window-size={width},{height}", source.as_uri()]
        _run(args, str(Path(tmp) / "profile"))


def screenshots(pages: dict[Path, str], width: int, dark: frozenset[Path] = frozenset()) -> dict[Path, tuple[int, int]]:
    """Write a PNG of each page (whole page, `width` pixels wide; the ones in `dark` in the dark colour scheme);
    returns each PNG's size as Chromium wrote it."""
    targets = list(pages)
    heights = page_heights([pages[t] for t in targets], width)
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=8) as pool:
        jobs = [(t, h) for t, h in zip(targets, heights, strict=True)]
        list(pool.map(lambda job: _shoot(pages[job[0]], job[0], width, job[1], job[0] in dark), jobs))
    return {t: png_size(t.read_bytes()) for t in targets}


def png_size(data: bytes) -> tuple[int, int]:
    if data[:8] != PNG_MAGIC:
        raise ValueError("not a PNG")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
