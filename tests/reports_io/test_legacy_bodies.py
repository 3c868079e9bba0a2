"""Bodies that do not follow the report model (older companions, imported files, anything at all) are read into
it, so every saved report is drawn by the HTML and CSV exports, and never as raw JSON."""

from __future__ import annotations

import re
from typing import Any

import pytest
from rio_support import legacy_body, sample_body, sample_report

from dsm.reports import legacy, model
from dsm.reports.csv_export import to_csv
from dsm.reports.html_export import render
from dsm.reports.model_check import check_body

ODD_BODIES: list[Any] = [
    None,
    [],
    "just text",
    {"metrics": "x", "insights": [1, None, {"a": 1}]},
    {"period": {"from": "monday"}, "metrics": [{"value": "7"}, {"name": None, "unit": "parsecs", "value": 1e400}]},
    {"series": {"activity": [{"t": "x", "n": 1}], "latency": [{"t": 1795392000, "p50": 3.5, "label": "a"}]}},
    {"operations": [{"name": 1, "count": "many"}], "errors": [{"category": "x", "count": 2, "extra": True}]},
    {"sections": [{"kind": "nope", "id": 3}], "insights": ["kept"]},
    {"nested": {"deeper": {"deepest": [1, 2, {"x": [3]}]}}, "flag": True, "empty": [], "list": [1, "two", None]},
    {"rows": [{"a": 1, "b": None}, {"a": "text", "c": {"d": 1}}], "times": [{"createdAt": 1795392000.5}]},
]


@pytest.mark.parametrize("body", ODD_BODIES)
def test_any_body_is_read_into_the_model_and_drawn(body: Any) -> None:
    upgraded = legacy.upgrade(body)
    check_body(upgraded)
    page = render(sample_report(upgraded))
    text = re.sub(r"<[^>]+>", " ", page.split("<body>", 1)[1])
    assert not re.search(r"\{&quot;|\[\{|&quot;:\s", text)  # no JSON dumped as text
    assert to_csv(upgraded).startswith("section,metric,")


def test_a_model_body_is_served_as_it_is() -> None:
    body = sample_body()
    assert legacy.upgrade(body) is body


def test_an_old_body_keeps_its_figures_with_typed_columns() -> None:
    upgraded = legacy.upgrade(legacy_body())
    kinds = {s["id"]: s["kind"] for s in upgraded["sections"]}
    assert kinds == {
        "series.activity": "series",
        "operations": "operations",
        "errors": "errors",
        "topKeys": "table",
        "notes": "facts",
    }
    operations = model.section_by_id(upgraded, "operations")["rows"]
    assert [(r["name"], r["p95"], r["minLatencyMs"]) for r in operations] == [
        ("getData", 181.5, None),
        ("listKeys", 51.0, None),
    ]
    total = upgraded["metrics"][0]
    assert (total["value"], total["previous"], total["change"], total["better"]) == (123, 100, 23, None)
