"""The CSV export: parses with Python's csv module, one row per metric, spreadsheet-safe cells."""

from __future__ import annotations

import csv
import io

import pytest
from rio_support import HOSTILE, sample_body, sample_report

from dsm.reports.csv_export import METRIC_COLUMNS, to_csv
from dsm.reports.export import export


def _tables(content: str) -> list[list[list[str]]]:
    """Split the parsed rows into tables at the empty rows."""
    tables: list[list[list[str]]] = [[]]
    for row in csv.reader(io.StringIO(content, newline="")):
        if not row:
            tables.append([])
        else:
            tables[-1].append(row)
    return tables


def test_csv_has_a_header_and_one_row_per_metric_with_its_values() -> None:
    body = sample_body()
    tables = _tables(to_csv(body))
    header, *rows = tables[0]
    assert tuple(header) == METRIC_COLUMNS
    assert len(rows) == len(body["metrics"])
    by_metric = {row[1]: dict(zip(header, row, strict=True)) for row in rows}
    total = by_metric["events.total"]
    assert total == {
        "section": "totals",
        "metric": "events.total",
        "label": "Total events",
        "value": "123",
        "unit": "count",
        "previous": "100",
        "change": "23",
        "changePct": "0.23",
        "better": "",
        "average7d": "",
    }
    p95 = by_metric["latency.p95"]
    assert float(p95["value"]) == 181.5 and p95["previous"] == p95["change"] == p95["changePct"] == ""
    assert p95["better"] == "down"
    rate = by_metric["ops.successRate"]
    assert rate["label"] == "Success, rate"  # the comma survived quoting
    assert float(rate["change"]) == pytest.approx(-0.015)  # negative numbers stay numbers, not defused text


def test_cells_a_spreadsheet_would_run_as_formulas_are_prefixed() -> None:
    content = to_csv(sample_body())
    rows = list(csv.reader(io.StringIO(content, newline="")))
    cells = [c for row in rows for c in row]
    assert '\'=HYPERLINK("x")' in cells
    assert "'key.=HYPERLINK" not in cells and "key.=HYPERLINK" in cells  # only a leading = is dangerous
    for cell in cells:
        assert not cell.startswith(("=", "+", "@")), cell
        if cell.startswith("-"):
            float(cell)  # only numbers may start with a minus sign


def test_hostile_text_round_trips_through_rfc4180_quoting() -> None:
    body = sample_body()
    body["metrics"][0]["label"] = 'He said "hi",\r\nthen left'
    content = to_csv(body)
    assert content.endswith("\r\n") and "\r\n" in content.split('"', 1)[0]  # CRLF record ends
    rows = list(csv.reader(io.StringIO(content, newline="")))
    assert rows[1][2] == 'He said "hi",\r\nthen left'
    assert any(HOSTILE in cell for row in rows for cell in row)  # CSV keeps text as is; it is not HTML


def test_every_section_kind_is_a_table_named_by_its_section() -> None:
    body = sample_body()
    tables = {table[1][0]: table for table in _tables(to_csv(body))[1:]}
    assert list(tables) == ["insights", *(s["id"] for s in body["sections"])]
    assert tables["insights"][1:] == [["insights", text] for text in body["insights"]]
    ops = tables["operations"]
    assert ops[0][:3] == ["table", "name", "count"]
    get_data = dict(zip(ops[0], ops[1], strict=True))
    assert get_data["name"] == "getData" and float(get_data["p95"]) == 181.5 and get_data["count"] == "80"
    activity = tables["activity"]
    assert activity[0] == ["table", "t", "ui", "datastore", "error"]
    assert activity[1] == ["activity", "2026-11-23T00:00:00Z", "0", "0", "0"] and len(activity) == 25
    keys = tables["topKeys"]
    assert keys[0] == ["table", "key", "reads", "lastRead", "session"]
    assert keys[1][1:] == [HOSTILE, "12", "2026-11-23T01:00:00Z", "3725.0"]
    assert tables["notes"][0] == ["table", "name", "label", "value", "unit"]
    found = tables["found"]
    assert found[0] == ["table", "severity", "type", "title", "from", "to", "details"]
    assert found[1][1:4] == ["high", "error_burst", f"Error burst in {HOSTILE}"]
    assert found[1][4:6] == ["2026-11-23T02:00:00Z", "2026-11-23T03:00:00Z"]
    assert found[1][6] == "Peak z-score: 9.5"


def test_report_without_metrics_still_has_the_header_row() -> None:
    content = to_csv({"period": {"from": 0, "to": 1}, "insights": [], "metrics": [], "sections": []})
    assert list(csv.reader(io.StringIO(content, newline=""))) == [list(METRIC_COLUMNS)]


def test_export_dispatch_gives_csv_mime_and_filename() -> None:
    exported = export(sample_report(), "csv")
    assert exported.mime == "text/csv; charset=utf-8"
    assert exported.filename == "rpt_test1.csv"
    assert exported.content == to_csv(sample_body())
