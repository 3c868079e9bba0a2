"""`X.json` becomes a ModuleScript whose source, run in a real Luau VM, returns the same data."""

from __future__ import annotations

from typing import Any

import pluau
import pytest

from dsm.plugin_build.json_lua import json_to_lua


def _from_lua(value: Any) -> Any:
    if isinstance(value, pluau.String):
        return value.as_bytes().decode("utf-8")
    if isinstance(value, pluau.Table):
        pairs: list[tuple[Any, Any]] = []
        value.for_each(lambda k, v: pairs.append((_from_lua(k), _from_lua(v))))
        keys = [k for k, _ in pairs]
        if pairs and all(isinstance(k, int) for k in keys) and sorted(keys) == list(range(1, len(keys) + 1)):
            return [v for _, v in sorted(pairs)]
        return dict(pairs)
    return value


def _run(source: str) -> Any:
    lua = pluau.Lua()
    (result,) = lua.load_chunk(source, name="=json").call()
    return _from_lua(result)


def test_output_matches_rojos_own_snapshot_for_its_json_test() -> None:
    # Input and expected text of Rojo's `json::test::instance_from_vfs` snapshot.
    value = {
        "array": [1, 2, 3],
        "object": {"hello": "world"},
        "true": True,
        "false": False,
        "null": None,
        "int": 1234,
        "float": 1234.5452,
        "1invalidident": "nice",
    }
    assert json_to_lua(value) == (
        'return {\n\t["1invalidident"] = "nice",\n\tarray = {1, 2, 3},\n\t["false"] = false,\n'
        '\tfloat = 1234.5452,\n\tint = 1234,\n\tnull = nil,\n\tobject = {\n\t\thello = "world",\n\t},\n'
        '\t["true"] = true,\n}'
    )


@pytest.mark.parametrize(
    "value",
    [
        {"name": "x", "n": 3, "f": -0.125, "big": 1e21, "tiny": 1e-7, "nested": {"deep": {"list": [1, "two", True]}}},
        {'quote"key': 'va"lue', "back\\slash": "a\\b", "nl": "line1\nline2\r\ttab", "ctl": "\x01\x7f", "é": "ü"},
        {"end": 1, "local": 2, "_ok": 3, "9lives": 4, "with space": 5, "objs": [{"a": 1}, {"b": [2, 3]}]},
        [1, 2, 3],
        "just a string",
        42,
    ],
)
def test_lua_source_evaluates_to_the_json_value(value: Any) -> None:
    assert _run(json_to_lua(value)) == value


def test_nulls_become_nil_and_vanish_from_tables() -> None:
    assert _run(json_to_lua({"a": None, "b": 1})) == {"b": 1}
