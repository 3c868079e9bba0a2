"""CSV export of a report: one row per headline metric, then the report's other tables.

The first table has the columns of `METRIC_COLUMNS`, one row per entry of `body["metrics"]`.
Each further table (lists of flat rows such as `operations` or `errors`) follows after one empty
line; its header row starts with the cell `table` and each of its rows starts with the table's
name, so every row says what it is. Quoting is RFC 4180 (CRLF line ends, `"` doubled) and any
text cell that a spreadsheet would read as a formula is prefixed with `'`.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Iterable, Sequence
from typing import Any

METRIC_COLUMNS = ("section", "metric", "label", "value", "unit", "previous", "change", "changePct")
METRIC_FIELDS = ("section", "name", "label", "value", "unit", "previous", "change", "changePct")
# Text starting with these is run as a formula by Excel, LibreOffice and Google Sheets.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Body keys that are not tables of their own.
NOT_TABLES = frozenset(("period", "metrics", "series", "insights"))


def cell(value: Any) -> str:
    """One cell's text: numbers as numbers, empty for null, nested values as JSON, formulas defused."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return repr(value) if math.isfinite(value) else ""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def metric_rows(body: dict[str, Any]) -> list[list[str]]:
    rows = []
    for metric in body.get("metrics") or []:
        if isinstance(metric, dict):
            rows.append([cell(metric.get(field)) for field in METRIC_FIELDS])
    return rows


def _is_flat_row_list(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) for item in value)


def _columns(rows: Iterable[dict[str, Any]]) -> list[str]:
    columns: dict[str, None] = {}
    for row in rows:
        for key in row:
            columns.setdefault(str(key), None)
    return list(columns)


def extra_tables(body: dict[str, Any]) -> list[tuple[str, list[str], list[dict[str, Any]]]]:
    """(name, columns, rows) for every list of row objects in the body besides the metrics."""
    tables = []
    for name, value in body.items():
        if name in NOT_TABLES or not _is_flat_row_list(value):
            continue
        rows = [{str(k): v for k, v in row.items()} for row in value]
        tables.append((str(name), _columns(rows), rows))
    return tables


def to_csv(body: dict[str, Any]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow(METRIC_COLUMNS)
    writer.writerows(metric_rows(body))
    for name, columns, rows in extra_tables(body):
        writer.writerow([])
        writer.writerow(["table", *(cell(c) for c in columns)])
        writer.writerows(_table_rows(name, columns, rows))
    return out.getvalue()


def _table_rows(name: str, columns: Sequence[str], rows: list[dict[str, Any]]) -> Iterable[list[str]]:
    for row in rows:
        yield [cell(name), *(cell(row.get(column)) for column in columns)]
