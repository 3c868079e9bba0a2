"""The HTML export: standalone (no URLs, nothing external), escaped, with drawn SVG charts; rendered in Chromium."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from rio_support import HOSTILE, legacy_body, sample_body, sample_report

import chromium
from dsm.reports import legacy
from dsm.reports.export import export
from dsm.reports.html_export import render
from html_tree import parse as tree
from html_tree import table_rows

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
    assert text.count(HOSTILE) >= 7  # title, insight, metric label, error category, cell, fact, finding: as text
    assert "visit https://evil.example/x" in text  # text a user typed still reads right


def test_charts_are_inline_svg_activity_latency_and_errors() -> None:
    page = render(sample_report())
    parsed = _parse(page)
    assert parsed.tags.count("svg") == 3
    labels = [value for name, value in parsed.attrs if name == "aria-label"]
    assert labels == ["Activity over time", "Latency percentiles per operation", "Errors"]
    sections = {s["id"]: s for s in sample_body()["sections"]}
    # One stacked column part per non-zero count in the activity series, one bar per percentile and error.
    activity_parts = sum(1 for p in sections["activity"]["points"] for k in ("ui", "datastore", "error") if p[k] > 0)
    bars = 3 * len(sections["operations"]["rows"]) + len(sections["errors"]["rows"])
    assert parsed.tags.count("rect") == activity_parts + bars


def test_metrics_table_shows_values_with_units_and_changes() -> None:
    rows = {
        r[0].text(): [c.text() for c in r] for r in table_rows(tree(render(sample_report())).find("table", "metrics"))
    }
    assert rows["Metric"] == ["Metric", "Previous (the day before)", "Now", "Change"]
    assert rows["Total events"] == ["Total events", "100", "123", "▲ +23 (+23%)"]
    assert rows["p95 latency"] == ["p95 latency", "—", "182 ms", "—"]
    assert rows["Success, rate"] == ["Success, rate", "99.0%", "97.5%", "▼ -1.5 pts"]
    assert rows['=HYPERLINK("x")'][1:] == ["2.0 KB", "4.0 KB", "▲ +2.0 KB (+100%)"]
    assert rows[f"Feature {HOSTILE}"][3] == "▼ -2 (-22%)"


def test_a_change_is_coloured_by_whether_it_is_better_not_by_its_sign() -> None:
    rows = {r[0].text(): r for r in table_rows(tree(render(sample_report())).find("table", "metrics"))}
    failed = rows["Failed DataStore calls"][3]
    assert failed.text() == "▲ +12 (+1,200%)" and "worse" in failed.classes  # a rise in failures is bad
    faster = rows["p99 latency"][3]
    assert faster.text() == "▼ -180 ms (-75%)" and "better" in faster.classes  # a fall in latency is good
    assert "worse" in rows["Success, rate"][3].classes  # a fall in success rate is bad
    assert "neutral" in rows["Total events"][3].classes  # activity is neither
    css = tree(render(sample_report())).find("style").children[0]
    assert isinstance(css, str) and "td.worse { color: var(--worse)" in css and "--worse:#b91c1c" in css


def test_times_are_dates_and_durations_read_as_durations() -> None:
    page = tree(render(sample_report()))
    rows = [[c.text() for c in r] for r in table_rows(page.find_all("table")[-1])]
    assert rows == [
        ["Key", "Reads", "Last read (UTC)", "Time in session"],
        [HOSTILE, "12", "2026-11-23 01:00", "1h 02m"],
        ["player_1", "3", "—", "12.5 s"],
    ]
    finding = page.find("div", "finding")
    assert "high" in finding.classes and "2026-11-23 02:00 – 03:00 UTC" in finding.text()


def test_report_with_only_metrics_has_no_charts_but_still_renders() -> None:
    body = {"period": {"from": 0, "to": 86400}, "insights": [], "metrics": sample_body()["metrics"][:1], "sections": []}
    page = render(sample_report(body))
    assert "<svg" not in page and "Total events" in page


def test_a_body_saved_before_the_report_model_is_drawn_without_raw_json() -> None:
    page = tree(render(sample_report(legacy.upgrade(legacy_body()))))
    text = page.find("body").text()
    assert not re.search(r"[{\[]\s*[\"'{\[]|\"\s*:", text)
    assert [h.text() for h in page.find_all("h2")] == [
        "Insights", "Metrics", "Activity", "Operations", "Errors", "Top keys", "Notes"
    ]  # fmt: skip
    assert "visit https:&#47;&#47;evil.example&#47;x" not in text and "visit https://evil.example/x" in text


def test_export_dispatch_gives_html_mime() -> None:
    exported = export(sample_report(), "html")
    assert exported.mime == "text/html; charset=utf-8" and exported.filename == "rpt_test1.html"


@pytest.mark.skipif(not chromium.available(), reason="chromium is not on PATH (CI installs Debian's chromium)")
def test_headless_chromium_renders_the_report_to_a_png() -> None:
    shot = ARTIFACTS / "sample_report.png"
    sizes = chromium.screenshots({shot: render(sample_report())}, 1280)
    width, height = sizes[shot]
    assert width == 1280 and height > 1200  # the whole page, measured
    assert shot.stat().st_size > 20_000  # a blank page compresses to a few KB; charts and tables do not


def test_a_long_series_is_merged_into_at_most_240_columns_keeping_the_totals() -> None:
    points = [{"t": 1_795_392_000 + i * 60, "ui": 1, "datastore": 2} for i in range(1000)]
    series = {"id": "activity", "kind": "series", "title": "Activity", "unit": "count", "stacked": True, "step": 60}
    fields = [{"name": "ui", "label": "ui"}, {"name": "datastore", "label": "datastore"}]
    body = {"period": {"from": 0, "to": 1}, "insights": [], "metrics": []}
    body["sections"] = [series | {"fields": fields, "points": points}]
    parsed = _parse(render(sample_report(body)))
    assert parsed.tags.count("svg") == 1
    assert parsed.tags.count("rect") == 2 * 200  # 1000 points in groups of 5, two kinds each
    titles = [t for t in parsed.text if " ui: " in t]
    assert len(titles) == 200 and all(t.endswith("ui: 5") for t in titles)
