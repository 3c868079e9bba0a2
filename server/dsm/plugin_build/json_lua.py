"""Converts a JSON value into the Lua module source Rojo generates for `X.json` files.

Layout follows Rojo's: `return ` + the value; objects one entry a line, tab-indented, keys sorted,
trailing commas; arrays inline. Unlike Rojo we escape strings, so quotes and newlines stay valid Lua.
"""

from __future__ import annotations

import math
import re
from decimal import Decimal
from typing import Any

_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_KEYWORDS = frozenset(
    "and break do else elseif end false for function if in local nil not or repeat return then true until while".split()
)
_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def json_to_lua(value: Any) -> str:
    """`return <value>` as Lua source for a parsed JSON value."""
    return "return " + _value(value, 0)


def _value(value: Any, depth: int) -> str:
    if value is None:
        return "nil"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return _number(float(value))
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list):
        return "{" + ", ".join(_value(v, depth) for v in value) + "}"
    if isinstance(value, dict):
        inner = "\t" * (depth + 1)
        lines = [f"{inner}{_key(k)} = {_value(value[k], depth + 1)},\n" for k in sorted(value)]
        return "{\n" + "".join(lines) + "\t" * depth + "}"
    raise TypeError(f"not a JSON value: {value!r}")


def _number(value: float) -> str:
    # Matches Rust's f64 Display, which Rojo uses: shortest round-trip digits, never an exponent.
    if math.isnan(value):
        return "0/0"
    if math.isinf(value):
        return "math.huge" if value > 0 else "-math.huge"
    if value.is_integer():
        return str(int(value))
    text = repr(value)
    return format(Decimal(text), "f") if "e" in text else text


def _string(value: str) -> str:
    out = []
    for ch in value:
        if ch in _ESCAPES:
            out.append(_ESCAPES[ch])
        elif ord(ch) < 32 or ord(ch) == 127:
            out.append(f"\\{ord(ch):03d}")
        else:
            out.append(ch)
    return '"' + "".join(out) + '"'


def _key(key: str) -> str:
    if _IDENT.match(key) and key not in _KEYWORDS:
        return key
    return f"[{_string(key)}]"
