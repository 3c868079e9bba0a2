"""Every report type drawn as HTML (and CSV) from the real companion: reports generated and exported over a real
WebSocket from the seeded 30-day history (with injected anomalies and cached values), read back as a user sees
them: insights, metric values, changes coloured by better/worse, every section drawn by its kind, no raw JSON."""

from __future__ import annotations

import asyncio
import csv
import io
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from report_db import History

import chromium
from dsm.config import ServerConfig
from dsm.link.client import LinkClient
from dsm.reports import catalog
from dsm.reports.format import value_text
from html_tree import Node, parse, sections, table_rows
from support import ManualClock, fact_values, section_rows, start_server

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "reports"
USER = 1
DATE = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}( UTC)?$")


@dataclass
class Drawn:
    name: str
    type: str
    options: dict[str, Any]
    report: dict[str, Any]
    html: str
    csv: str

    @property
    def body(self) -> dict[str, Any]:
        return self.report["body"]


def _anomalies(day: float) -> list[dict[str, Any]]:
    """A burst of clicks, an error burst and a sweep over 80 keys on the last day of the history."""
    spike = [
        {"id": f"spike-{i}", "ts": day + 14 * 3600 + i * 10.0, "kind": "ui", "name": "button_click"} for i in range(200)
    ]
    burst = [
        {
            "id": f"burst-{i}",
            "ts": day + 16 * 3600 + i * 20.0,
            "kind": "error",
            "name": "network_error",
            "errorCode": 500,
        }
        for i in range(40)
    ]
    sweep = [
        {"id": f"sweep-{i}", "ts": day + 18 * 3600 + i * 0.5, "kind": "datastore", "name": "getData"}
        | {"datastore": "PlayerData", "scope": "global", "key": f"player_{1000 + i}", "latencyMs": 50.0, "ok": True}
        for i in range(80)
    ]
    return spike + burst + sweep


# Writes journaled through the plugin on the last day: (hour, key, operation, succeeded).
WRITES = [(10, "player_1", "update", True), (11, "player_2", "set", False), (12, "player_1", "restore", True)]


def _writes(day: float) -> list[dict[str, Any]]:
    out = []
    for hour, key, op, ok in WRITES:
        edit = {"ts": day + hour * 3600, "datastore": "PlayerData", "scope": "global", "key": key, "op": op, "ok": ok}
        values = {"before": {"coins": hour}, "after": {"coins": hour + 1}} if ok else {"errorCode": 105}
        out.append({"edit": edit | values})
    return out


CACHED = {
    "player_1": {"coins": 10, "name": "a", "items": [1, 2]},
    "player_2": {"coins": 3, "name": "b"},
    "player_3": {"coins": "many"},
}

SPECS: list[tuple[str, str, dict[str, Any]]] = [
    ("daily_summary", "DAILY_SUMMARY", {}),
    ("performance_analysis", "PERFORMANCE_ANALYSIS", {}),
    ("datastore_audit", "DATASTORE_AUDIT", {"limit": 12}),
    ("anomaly_detection", "ANOMALY_DETECTION", {}),
    ("usage_analytics", "USAGE_ANALYTICS", {}),
    ("historical_comparison", "HISTORICAL_COMPARISON", {}),
    ("custom_key_pattern_analysis", "CUSTOM_ANALYSIS", {"parameters": {"pattern": "player_*"}, "limit": 12}),
    ("custom_operation_breakdown", "CUSTOM_ANALYSIS", {"analysis": "operation_breakdown"}),
    ("custom_error_analysis", "CUSTOM_ANALYSIS", {"analysis": "error_analysis", "limit": 8}),
]


async def _draw_all(path: Path, now: float, last_day: float) -> list[Drawn]:
    config = ServerConfig(db_path=path, host="127.0.0.1", port=0, schedule_interval=0, clock=ManualClock(now))
    server = await start_server(config)
    client = await LinkClient.connect(f"ws://127.0.0.1:{server.port}/ws")
    try:
        await client.hello(USER)
        assert (await client.call("events.append", {"events": _anomalies(last_day)}))["accepted"] == 320
        for key, value in CACHED.items():
            address = {"type": "value", "datastore": "PlayerData", "scope": "global", "key": key}
            await client.call("cache.put", address | {"value": value, "keyInfo": {"version": "1"}})
        for write in _writes(last_day):
            await client.call("edits.record", write)
        specs = list(SPECS)
        before = await client.call("reports.generate", {"type": "DAILY_SUMMARY", "options": {"date": "2025-12-06"}})
        pair = {"reportId": None, "baselineReportId": before["report"]["id"]}
        out = []
        for name, report_type, options in specs:
            out.append(await _draw(client, name, report_type, options))
        pair["reportId"] = out[0].report["id"]
        out.append(await _draw(client, "historical_comparison_of_reports", "HISTORICAL_COMPARISON", pair))
        return out
    finally:
        await client.close()
        await server.runner.cleanup()


async def _draw(client: LinkClient, name: str, report_type: str, options: dict[str, Any]) -> Drawn:
    report = (await client.call("reports.generate", {"type": report_type, "options": options}))["report"]
    html = (await client.call("reports.export", {"id": report["id"], "format": "html"}))["content"]
    text = (await client.call("reports.export", {"id": report["id"], "format": "csv"}))["content"]
    return Drawn(name, report_type, options, report, html, text)


@pytest.fixture(scope="module")
def drawn(history: History, tmp_path_factory: pytest.TempPathFactory) -> list[Drawn]:
    path = tmp_path_factory.mktemp("drawn") / "dsm.sqlite3"
    shutil.copy(history.path, path)
    return asyncio.run(_draw_all(path, history.now, history.day(history.days - 1)))


def _expected_class(change: float | None, better: str | None) -> str:
    if change is None or change == 0 or better is None:
        return "neutral"
    rising_is_good = better == "up"
    return "better" if (change > 0) == rising_is_good else "worse"


def test_every_report_type_and_analysis_is_drawn(drawn: list[Drawn]) -> None:
    assert {d.type for d in drawn} == set(catalog.NAMES)
    analyses = {fact_values(section_rows(d.body, "query"))["analysis"] for d in drawn if d.type == "CUSTOM_ANALYSIS"}
    assert analyses == {a.title for a in catalog.ANALYSES}


def _metric_rows(page: Node) -> dict[str, list[Node]]:
    rows = table_rows(page.find("table", "metrics"))
    header = [c.text() for c in rows[0]]
    assert header[0] == "Metric"
    return {r[0].text(): r for r in rows[1:] if len(r) > 1}


def test_insights_and_metric_values_are_shown_as_computed(drawn: list[Drawn]) -> None:
    assert len(drawn) == 10
    for d in drawn:
        page = parse(d.html)
        assert d.body["insights"], d.name
        shown = [li.text() for li in page.find("ul", "insights").find_all("li")]
        assert shown == [" ".join(i.split()) for i in d.body["insights"]], d.name
        assert d.body["metrics"], d.name
        rows = _metric_rows(page)
        compared = any(m["previous"] is not None for m in d.body["metrics"])
        for m in d.body["metrics"]:
            cells = [c.text() for c in rows[m["label"]]]
            if compared:
                assert cells[1:3] == [value_text(m["previous"], m["unit"]), value_text(m["value"], m["unit"])], m
            else:
                assert cells[1] == value_text(m["value"], m["unit"]), m


def test_a_change_is_coloured_by_whether_it_is_better_or_worse(drawn: list[Drawn]) -> None:
    seen: dict[str, int] = {"better": 0, "worse": 0, "neutral": 0}
    for d in drawn:
        rows = _metric_rows(parse(d.html))
        for m in d.body["metrics"]:
            if m["previous"] is None:
                continue
            change_cell = rows[m["label"]][3]
            expected = _expected_class(m["change"], m["better"])
            assert expected in change_cell.classes, (d.name, m["label"], change_cell.classes)
            arrow = "▲" if m["change"] > 0 else "▼" if m["change"] < 0 else "="
            assert change_cell.text().startswith(arrow)
            seen[expected] += 1
    assert seen["better"] > 5 and seen["worse"] > 5 and seen["neutral"] > 5


def _check_table(d: Drawn, part: dict[str, Any], content: Node) -> None:
    if not part["rows"]:
        assert content.text() == "None.", part["id"]
        return
    rows = table_rows(content.find("table"))
    assert len(rows) == len(part["rows"]) + 1
    for column_index, column in enumerate(part["columns"]):
        for row, cells in zip(part["rows"], rows[1:], strict=True):
            text = cells[column_index].text()
            value = row[column["name"]]
            if column["unit"] == "time" and value is not None:
                assert DATE.match(text), (d.name, part["id"], text)
            assert text == " ".join(value_text(value, column["unit"]).removesuffix(" UTC").split())


def _check_section(d: Drawn, part: dict[str, Any], content: Node) -> None:
    kind = part["kind"]
    svgs = content.find_all("svg")
    if kind == "table":
        _check_table(d, part, content)
    elif kind == "series":
        values = [p[f["name"]] for p in part["points"] for f in part["fields"]]
        drawn_any = any(v not in (None, 0) for v in values)
        assert [s.attrs["aria-label"] for s in svgs] == ([part["title"]] if drawn_any else [])
    elif kind == "operations":
        if part["rows"]:
            bars = [r.find("title").text() for r in svgs[0].find_all("rect")]
            assert len(bars) == 3 * len(part["rows"])  # p50, p95, p99 side by side; counts are not bars
            assert all(re.search(r" p(50|95|99): ", b) for b in bars)
            first = part["rows"][0]
            assert f"{first['name']} p95: {value_text(first['p95'], 'ms')}" in bars
            assert len(table_rows(content.find("table"))) == len(part["rows"]) + 1
    elif kind in ("errors", "bars"):
        assert len(svgs[0].find_all("rect") if part["rows"] else svgs) == len(part["rows"]) * (
            1 if kind == "errors" else len(part["fields"])
        )
    elif kind == "facts":
        shown = [dd.text() for dd in content.find_all("dd")]
        assert shown == [" ".join(value_text(i["value"], i["unit"]).split()) for i in part["items"]]
    elif kind == "findings":
        cards = content.find_all("div", "finding")
        assert len(cards) == len(part["items"])
        for card, item in zip(cards, part["items"], strict=True):
            assert item["severity"] in card.classes and item["title"] in card.text()
            assert [dd.text() for dd in card.find_all("dd")] == [
                " ".join(value_text(f["value"], f["unit"]).split()) for f in item["facts"]
            ]


def test_every_section_is_drawn_by_its_kind_and_nothing_falls_through_as_json(drawn: list[Drawn]) -> None:
    kinds: set[str] = set()
    for d in drawn:
        page = parse(d.html)
        drawn_sections = sections(page)
        assert d.body["sections"]
        assert list(drawn_sections) == [s["id"] for s in d.body["sections"]], d.name
        for part in d.body["sections"]:
            heading, content = drawn_sections[part["id"]]
            assert heading.text() == part["title"]
            _check_section(d, part, content)
            kinds.add(part["kind"])
        text = page.find("body").text()
        assert not re.search(r"[{\[]\s*[\"'{\[]|\"\s*:", text), d.name  # no JSON objects or lists as text
        assert not re.search(r"\b1[6-9]\d{8}(\.\d+)?\b", text), d.name  # no raw Unix seconds
    assert kinds == {"series", "bars", "operations", "errors", "table", "facts", "findings"}


def test_the_injected_anomalies_are_findings_with_their_windows(drawn: list[Drawn]) -> None:
    d = next(x for x in drawn if x.name == "anomaly_detection")
    found = next(s for s in d.body["sections"] if s["id"] == "anomalies")["items"]
    assert {f["type"] for f in found} >= {"activity_spike", "error_burst", "key_sweep"}
    cards = parse(d.html).find_all("div", "finding")
    assert any("Key sweep" in c.text() and "PlayerData" in c.text() for c in cards)


def test_the_comparison_of_two_reports_is_a_table_of_previous_now_and_change(drawn: list[Drawn]) -> None:
    d = next(x for x in drawn if x.name == "historical_comparison_of_reports")
    rows = table_rows(parse(d.html).find("table", "metrics"))
    assert [c.text() for c in rows[0]] == ["Metric", "Previous (Daily summary — 2025-12-06 (UTC))", "Now", "Change"]
    failed = next(m for m in d.body["metrics"] if m["name"] == "datastore.failures")
    assert failed["better"] == "down" and failed["previous"] is not None


def test_the_audit_shows_the_writes_made_through_the_plugin(drawn: list[Drawn]) -> None:
    d = next(x for x in drawn if x.name == "datastore_audit")
    _, content = sections(parse(d.html))["writes"]
    rows = [[c.text() for c in r] for r in table_rows(content.find("table"))]
    assert rows[0][4:7] == ["Key", "Operation", "Succeeded"]
    assert [r[4:7] for r in rows[1:]] == [
        [key, op, value_text(ok, "boolean")] for _, key, op, ok in sorted(WRITES, reverse=True)
    ]
    assert "3 writes to PlayerData, 1 failed." in d.body["insights"]


def _csv_tables(content: str) -> dict[str, tuple[list[str], list[list[str]]]]:
    tables: dict[str, tuple[list[str], list[list[str]]]] = {}
    chunks: list[list[list[str]]] = [[]]
    for row in csv.reader(io.StringIO(content, newline="")):
        if row:
            chunks[-1].append(row)
        else:
            chunks.append([])
    for chunk in chunks[1:]:
        header, rows = chunk[0], chunk[1:]
        assert header[0] == "table"
        names = {r[0] for r in rows}
        assert len(names) <= 1
        name = names.pop() if names else f"(empty {len(tables)})"
        tables[name] = (header[1:], [r[1:] for r in rows])
    return tables


def test_csv_has_a_table_for_every_section_with_times_as_iso_dates(drawn: list[Drawn]) -> None:
    for d in drawn:
        tables = _csv_tables(d.csv)
        assert tables["insights"][1] == [[i] for i in d.body["insights"]]
        for part in d.body["sections"]:
            items = part.get("rows", part.get("points", part.get("items")))
            if not items:
                continue
            header, rows = tables[part["id"]]
            assert len(rows) == len(items), (d.name, part["id"])
            if part["kind"] == "series":
                assert header[0] == "t" and all(re.match(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$", r[0]) for r in rows)


@pytest.mark.skipif(not chromium.available(), reason="chromium is not on PATH (CI installs Debian's chromium)")
def test_pictures_of_every_report_type(drawn: list[Drawn]) -> None:
    pages = {ARTIFACTS / f"{d.name}.png": d.html for d in drawn}
    dark = {ARTIFACTS / f"{d.name}_dark.png": d.html for d in drawn if d.name in ("daily_summary", "anomaly_detection")}
    sizes = chromium.screenshots(pages | dark, 1200, frozenset(dark))
    assert len(sizes) == len(drawn) + 2
    for path, (width, height) in sizes.items():
        assert width == 1200 and height > 900, path
        assert path.stat().st_size > 40_000, path  # charts and tables, not a blank page
