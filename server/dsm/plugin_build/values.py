"""Turns property values written in project and meta files into typed values, as Rojo resolves them.

Rojo resolves implicit values (`"Hi"`, `true`, `[1, 0, 0]`) with Roblox's reflection database. We carry
only a small table of the properties plugins commonly set; anything else needs the explicit form
(`{"Float32": 0.5}`), and unsupported kinds fail with a clear error instead of writing a wrong file.
"""

from __future__ import annotations

import math
from typing import Any

from dsm.plugin_build.model import BuildError, Color3, Enum, Float32, Int64, PropertyValue, Vector2, Vector3

EXPLICIT_KINDS = ("String", "Bool", "Float32", "Float64", "Int32", "Int64", "Enum", "Vector2", "Vector3", "Color3")

# Enum properties we can resolve from an item name, by property name.
KNOWN_ENUMS: dict[str, dict[str, int]] = {
    "RunContext": {"Legacy": 0, "Server": 1, "Client": 2, "Plugin": 3},
}

# Number properties whose Roblox type is not a double, by (class or "*", property).
KNOWN_NUMBERS: dict[tuple[str, str], str] = {
    ("IntValue", "Value"): "Int64",
    ("*", "LayoutOrder"): "Int32",
    ("*", "ZIndex"): "Int32",
    ("*", "Transparency"): "Float32",
    ("*", "BackgroundTransparency"): "Float32",
    ("*", "TextTransparency"): "Float32",
}


def resolve(class_name: str, prop: str, raw: Any, where: str) -> PropertyValue:
    """The typed value for `class_name.prop` written as `raw` in the file `where`; raises BuildError."""
    label = f"{where}: property {class_name}.{prop}"
    if isinstance(raw, dict):
        return _explicit(raw, label)
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str):
        items = KNOWN_ENUMS.get(prop)
        if items is None:
            return raw
        if raw not in items:
            raise BuildError(f"{label}: unknown enum item {raw!r}; expected one of {', '.join(items)}")
        return Enum(items[raw])
    if isinstance(raw, int | float):
        kind = KNOWN_NUMBERS.get((class_name, prop)) or KNOWN_NUMBERS.get(("*", prop)) or "Float64"
        return _number(kind, raw, label)
    if isinstance(raw, list) and all(_is_number(v) for v in raw):
        if len(raw) == 3:
            return Color3(*map(float, raw)) if _is_color(prop) else Vector3(*map(float, raw))
        if len(raw) == 2:
            return Vector2(*map(float, raw))
    raise BuildError(
        f"{label}: cannot infer the type of {raw!r}; use the explicit form, e.g. "
        f'{{"Vector3": [1, 2, 3]}}, with one of {", ".join(EXPLICIT_KINDS)}'
    )


def _explicit(raw: dict[str, Any], label: str) -> PropertyValue:
    if len(raw) != 1:
        raise BuildError(f"{label}: an explicit value has exactly one key, the type name, got {sorted(raw)}")
    ((kind, value),) = raw.items()
    if kind not in EXPLICIT_KINDS:
        raise BuildError(f"{label}: unsupported value type {kind!r}; supported: {', '.join(EXPLICIT_KINDS)}")
    if kind == "String" and isinstance(value, str):
        return value
    if kind == "Bool" and isinstance(value, bool):
        return value
    if kind in ("Float32", "Float64", "Int32", "Int64") and _is_number(value):
        return _number(kind, value, label)
    if kind == "Enum" and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return Enum(value)
    if kind in ("Vector2", "Vector3", "Color3") and isinstance(value, list) and all(map(_is_number, value)):
        size = 2 if kind == "Vector2" else 3
        if len(value) == size:
            cls = {"Vector2": Vector2, "Vector3": Vector3, "Color3": Color3}[kind]
            return cls(*map(float, value))
    raise BuildError(f"{label}: {value!r} is not a valid {kind}")


def _number(kind: str, value: float, label: str) -> PropertyValue:
    if kind in ("Int32", "Int64"):
        if isinstance(value, float) and not value.is_integer():
            raise BuildError(f"{label}: {value!r} is not a whole number for {kind}")
        number = int(value)
        bits = 31 if kind == "Int32" else 63
        if not -(2**bits) <= number < 2**bits:
            raise BuildError(f"{label}: {number} does not fit in {kind}")
        return number if kind == "Int32" else Int64(number)
    if not math.isfinite(value):
        raise BuildError(f"{label}: {value!r} is not a finite number")
    return Float32(float(value)) if kind == "Float32" else float(value)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_color(prop: str) -> bool:
    return prop == "Color" or prop.endswith("Color3")
