"""The one launcher of Debian's headless `chromium` for the tests: screenshots of HTML files (the report pages, the
test bed's pictures of the plugin), and a Selenium WebDriver over `chromium-driver` for the dashboard's browser
tests. `.ci/run` installs both packages.

Screenshots of pages are measured first, so each PNG holds the whole page and nothing below it.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--hide-scrollbars",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--force-device-scale-factor=1",
)
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
TIMEOUT_S = 120.0
SKIP_REASON = "headless Chromium is not installed (Debian: chromium; .ci/run installs it)"


class ChromiumMissing(RuntimeError):
    """Headless Chromium is not installed (Debian: `apt-get install chromium`; .ci/run does it)."""


def executable() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")


def available() -> bool:
    return executable() is not None


def driver_available() -> bool:
    return available() and shutil.which("chromedriver") is not None


def _run(args: list[str], profile: str) -> str:
    exe = executable()
    if exe is None:
        raise ChromiumMissing(SKIP_REASON)
    done = subprocess.run(
        [exe, *FLAGS, f"--user-data-dir={profile}", *args], capture_output=True, text=True, timeout=TIMEOUT_S
    )
    if done.returncode != 0:
        raise RuntimeError(f"chromium failed (exit {done.returncode}):\n{done.stderr[-2000:]}")
    return done.stdout


def screenshot(page: Path, png: Path, width: int, height: int, *, dark: bool = False) -> None:
    """One headless Chromium run: the HTML file `page` at width x height CSS pixels into `png` (`dark`: the page
    sees prefers-color-scheme: dark)."""
    png.unlink(missing_ok=True)
    theme = ["--force-dark-mode"] if dark else []
    with tempfile.TemporaryDirectory(prefix="dsm-chromium-") as profile:
        _run([*theme, f"--screenshot={png}", f"--window-size={width},{height}", page.as_uri()], profile)
    if not png.is_file():
        raise RuntimeError(f"chromium wrote no screenshot of {page}")


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
        screenshot(source, out, width, height, dark=dark)


def screenshots(pages: dict[Path, str], width: int, dark: frozenset[Path] = frozenset()) -> dict[Path, tuple[int, int]]:
    """Write a PNG of each page (whole page, `width` pixels wide; the ones in `dark` in the dark colour scheme);
    returns each PNG's size as Chromium wrote it."""
    targets = list(pages)
    heights = page_heights([pages[t] for t in targets], width)
    for target in targets:
        target.parent.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=4) as pool:
        jobs = [(t, h) for t, h in zip(targets, heights, strict=True)]
        list(pool.map(lambda job: _shoot(pages[job[0]], job[0], width, job[1], job[0] in dark), jobs))
    return {t: png_size(t.read_bytes()) for t in targets}


def png_size(data: bytes) -> tuple[int, int]:
    if data[:8] != PNG_MAGIC:
        raise ValueError("not a PNG")
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def webdriver(width: int = 1280, height: int = 900) -> Any:
    """A Selenium WebDriver of headless Chromium (through Debian's `chromedriver`), with a fresh profile."""
    from selenium import webdriver as wd  # the test extra `selenium`
    from selenium.webdriver.chrome.service import Service

    exe, driver = executable(), shutil.which("chromedriver")
    if exe is None or driver is None:
        raise ChromiumMissing(SKIP_REASON + " and chromium-driver")
    options = wd.ChromeOptions()
    options.binary_location = exe
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--window-size={width},{height}")
    return wd.Chrome(options=options, service=Service(driver))
