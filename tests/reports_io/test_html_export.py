"""The HTML export: standalone (no URLs, nothing external), escaped, with drawn SVG charts; rendered in Chromium."""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rio_support import HOSTILE, sample_body, sample_report

from dsm.reports.export import export
from dsm.reports.html_export import render

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "reports_io"


class _Collector(HTMLParser):
    """Everything a browser would see: tags, attributes and text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.attrs: list[tuple[str, str | None]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.attrs.extend(attrs)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _parse(page: str) -> _Collector:
    collector = _Collector()
    collector.feed(page)
    return collector


def test_page_is_standalone_with_no_urls_and_no_external_assets() -> None:
    page = render(sample_report())
    assert not re.search(r"(?i)https?:/|//|url\(|@import", page)
    tags = _parse(page).tags
    assert "script" not in tags and "link" not in tags and "img" not in tags and "iframe" not in tags
    assert "style" in tags
    assert "Content-Security-Policy" in page and "default-src 'none'" in page


def test_hostile_strings_are_escaped_everywhere() -> None:
    page = render(sample_report())
    assert HOSTILE not in page and "<script" not in page
    parsed = _parse(page)
    assert "script" not in parsed.tags
    text = "".join(parsed.text)
    assert text.count(HOSTILE) >= 5  # title, insight, metric label, error category, table cells: shown as text
    assert "visit https://evil.example/x" in text  # text a user typed still reads right


def test_charts_are_inline_svg_activity_latency_and_errors() -> None:
    page = render(sample_report())
    parsed = _parse(page)
    assert parsed.tags.count("svg") == 3
    labels = [value for name, value in parsed.attrs if name == "aria-label"]
    assert labels == ["Activity over time", "Latency percentiles per operation", "Errors"]
    body = sample_body()
    # One stacked column part per non-zero count in the activity series, one bar per percentile and error.
    activity_parts = sum(1 for p in body["series"]["activity"] for k in ("ui", "datastore", "error") if p[k] > 0)
    assert parsed.tags.count("rect") == activity_parts + 3 * len(body["operations"]) + len(body["errors"])


def test_metrics_table_shows_values_with_units_and_changes() -> None:
    text = " ".join(_parse(render(sample_report())).text)
    for expected in ("Total events", "123", "+23 (+23.0%)", "181.5 ms", "97.5%", "4.0 KB", "-2 (-22.2%)"):
        assert expected in text, expected


def test_report_with_only_metrics_has_no_charts_but_still_renders() -> None:
    body = {"period": {"from": 0, "to": 86400}, "metrics": sample_body()["metrics"][:1]}
    page = render(sample_report(body))
    assert "<svg" not in page and "Total events" in page


def test_export_dispatch_gives_html_mime() -> None:
    exported = export(sample_report(), "html")
    assert exported.mime == "text/html; charset=utf-8" and exported.filename == "rpt_test1.html"


@pytest.mark.skipif(shutil.which("chromium") is None, reason="chromium is not on PATH (CI installs Debian's chromium)")
def test_headless_chromium_renders_the_report_to_a_png(tmp_path: Path) -> None:
    page_file = tmp_path / "report.html"
    page_file.write_text(render(sample_report()), encoding="utf-8")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shot = ARTIFACTS / "sample_report.png"
    shot.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run(
            [
                "chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                f"--user-data-dir={profile}", f"--screenshot={shot}", "--window-size=1280,2000",
                page_file.as_uri(),
            ],
            check=True, capture_output=True, timeout=90,
        )  # fmt: skip
    data = shot.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1280, 2000)
    assert len(data) > 20_000  # a blank page compresses to a few KB; charts and tables do not


def test_a_long_series_is_merged_into_at_most_240_columns_keeping_the_totals() -> None:
    points = [{"t": 1_795_392_000 + i * 60, "ui": 1, "datastore": 2} for i in range(1000)]
    body = {"period": {"from": 0, "to": 1}, "series": {"activity": points}}
    parsed = _parse(render(sample_report(body)))
    assert parsed.tags.count("svg") == 1
    assert parsed.tags.count("rect") == 2 * 200  # 1000 points in groups of 5, two kinds each
    titles = [t for t in parsed.text if " ui: " in t]
    assert all(t.endswith("ui: 5") for t in titles)
