"""CSV export of a report: one row per headline metric, then the insights, then every section as a table.

The first table has the columns of `METRIC_COLUMNS`, one row per entry of `body["metrics"]`. Each further
table follows after one empty line; its header row starts with the cell `table` and each of its rows starts
with the section's id, so every row says what it is. Every section kind has its table (see `SECTION_TABLES`).
Numbers are plain numbers, times ISO 8601 UTC. Quoting is RFC 4180 (CRLF line ends, `"` doubled) and any text
cell that a spreadsheet would read as a formula is prefixed with `'`.
"""

from __future__ import annotations

import csv
import io
import json
import math
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from dsm.reports import model as m

METRIC_COLUMNS = (
    "section",
    "metric",
    "label",
    "value",
    "unit",
    "previous",
    "change",
    "changePct",
    "better",
    "average7d",
)
METRIC_FIELDS = ("section", "name", "label", "value", "unit", "previous", "change", "changePct", "better", "average7d")
# Text starting with these is run as a formula by Excel, LibreOffice and Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
Table = tuple[list[str], list[list[str]]]  # header (without the leading `table` cell), rows (without the id)


def cell(value: Any, unit: str = "") -> str:
    """One cell's text: numbers as numbers, times as ISO 8601 UTC, empty for null, formulas defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if unit == "time" and type(value) in (int, float) and math.isfinite(value):
        return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def metric_rows(body: dict[str, Any]) -> list[list[str]]:
    return [[cell(metric.get(field)) for field in METRIC_FIELDS] for metric in body["metrics"]]


def _columns_table(columns: Sequence[dict[str, Any]], rows: Iterable[dict[str, Any]]) -> Table:
    header = [c["name"] for c in columns]
    return header, [[cell(r.get(c["name"]), c["unit"]) for c in columns] for r in rows]


def _fixed(columns: Sequence[dict[str, Any]], optional: frozenset[str]) -> Callable[[dict[str, Any]], Table]:
    def table(section: dict[str, Any]) -> Table:
        rows = section["rows"]
        present = [c for c in columns if c["name"] not in optional or any(r.get(c["name"]) is not None for r in rows)]
        return _columns_table(present, rows)

    return table


def _series(section: dict[str, Any]) -> Table:
    return _columns_table(list(m.columns(section)), section["points"])


def _bars(section: dict[str, Any]) -> Table:
    return _columns_table(list(m.columns(section)), section["rows"])


def _facts(section: dict[str, Any]) -> Table:
    rows = [[cell(i["name"]), cell(i["label"]), cell(i["value"], i["unit"]), cell(i["unit"])] for i in section["items"]]
    return ["name", "label", "value", "unit"], rows


def _details(facts: Sequence[dict[str, Any]]) -> str:
    return "; ".join(f"{f['label']}: {cell(f['value'], f['unit'])}" for f in facts)


def _findings(section: dict[str, Any]) -> Table:
    rows = []
    for item in section["items"]:
        texts = [cell(item[k]) for k in ("severity", "type", "title")]
        rows.append([*texts, cell(item["from"], "time"), cell(item["to"], "time"), cell(_details(item["facts"]))])
    return ["severity", "type", "title", "from", "to", "details"], rows


SECTION_TABLES: dict[str, Callable[[dict[str, Any]], Table]] = {
    "table": lambda s: _columns_table(s["columns"], s["rows"]),
    "operations": _fixed(m.OPERATION_COLUMNS, m.OPERATION_OPTIONAL),
    "errors": _fixed(m.ERROR_COLUMNS, m.ERROR_OPTIONAL),
    "series": _series,
    "bars": _bars,
    "facts": _facts,
    "findings": _findings,
}


def to_csv(body: dict[str, Any]) -> str:
    """The CSV of a model body (reports read from the store are in the model, see dsm.reports.legacy)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(METRIC_COLUMNS)
    writer.writerows(metric_rows(body))
    tables: list[tuple[str, Table]] = []
    if body["insights"]:
        tables.append(("insights", (["insight"], [[cell(i)] for i in body["insights"]])))
    tables += [(s["id"], SECTION_TABLES[s["kind"]](s)) for s in body["sections"]]
    for name, (header, rows) in tables:
        writer.writerow([])
        writer.writerow(["table", *(cell(h) for h in header)])
        writer.writerows([cell(name), *row] for row in rows)
    return out.getvalue()
