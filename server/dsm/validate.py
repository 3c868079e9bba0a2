"""Checks for request bodies: each returns the typed value or raises `invalid_body` naming the field path.

Roblox's `HttpService:JSONEncode` sends an empty table as `[]`, so wherever an object is expected
an empty list is read as an empty object. The checks know the store's ranges: SQLite keeps integers in
64 bits and the reports do calendar arithmetic on timestamps, so values past either are refused here,
where the field is known, rather than failing later inside a transaction or a report.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from dsm.errors import invalid

Obj = dict[str, Any]

# SQLite's INTEGER is a signed 64-bit value: binding a larger Python int raises OverflowError.
INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1
OUT_OF_RANGE = f"out of range: whole numbers must lie within {INT64_MIN}..{INT64_MAX}"
# The timestamps the store takes (Unix seconds, UTC): 2000-01-01 up to 2100-01-01. Outside it is a client bug
# (milliseconds sent as seconds, an unset clock), and calendar arithmetic on it would fail in reports.
EARLIEST_TS = 946_684_800.0
LATEST_TS = 4_102_444_800.0
TS_RANGE = "expected Unix seconds between 2000-01-01 and 2100-01-01"
# Free-form values (event props, cached DataStore values, snapshot bodies) nest at most this deep: the replies
# that carry them back must still encode (orjson stops at 254 levels, the envelope adds a few).
MAX_DEPTH = 100


def join(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def as_object(value: Any, path: str) -> Obj:
    """An object (dict); `[]` and a missing body (None) count as `{}`."""
    if value is None or (isinstance(value, list) and not value):
        return {}
    if not isinstance(value, dict):
        raise invalid(path or "body", "expected an object")
    return value


def as_list(value: Any, path: str) -> list[Any]:
    if isinstance(value, dict) and not value:
        return []  # an empty Luau table may also arrive as an empty object over msgpack
    if not isinstance(value, list):
        raise invalid(path, "expected an array")
    return value


def is_number(value: Any) -> bool:
    return type(value) in (int, float) and math.isfinite(value)


def in_int64(value: float) -> bool:
    """True when the number fits SQLite's 64-bit INTEGER (floats always fit a REAL; their whole value may not)."""
    return INT64_MIN <= value <= INT64_MAX


def number(
    obj: Obj,
    key: str,
    path: str,
    *,
    required: bool = True,
    minimum: float | None = None,
    maximum: float | None = None,
    default: float | None = None,
) -> float | None:
    value = obj.get(key)
    where = join(path, key)
    if value is None:
        if required:
            raise invalid(where, "required number is missing")
        return default
    if not is_number(value):
        raise invalid(where, "expected a number")
    if type(value) is int and not in_int64(value):
        raise invalid(where, OUT_OF_RANGE)
    if minimum is not None and value < minimum:
        raise invalid(where, f"must be at least {minimum:g}")
    if maximum is not None and value > maximum:
        raise invalid(where, f"must be at most {maximum:g}")
    return value


def integer(
    obj: Obj,
    key: str,
    path: str,
    *,
    required: bool = True,
    minimum: int | None = None,
    maximum: int | None = None,
    default: int | None = None,
) -> int | None:
    value = number(obj, key, path, required=required, minimum=minimum, maximum=maximum)
    if value is None:
        return default
    if value != int(value):
        raise invalid(join(path, key), "expected a whole number")
    if not in_int64(value):  # a float such as 1e19 is whole but too large for an INTEGER column
        raise invalid(join(path, key), OUT_OF_RANGE)
    return int(value)


def timestamp(obj: Obj, key: str, path: str, *, required: bool = True) -> float | None:
    """Unix seconds within the store's window (`EARLIEST_TS`..`LATEST_TS`)."""
    value = number(obj, key, path, required=required)
    if value is None:
        return None
    if not EARLIEST_TS <= value <= LATEST_TS:
        raise invalid(join(path, key), TS_RANGE)
    return float(value)


def string(
    obj: Obj,
    key: str,
    path: str,
    *,
    required: bool = True,
    min_len: int = 0,
    max_len: int = 10_000,
    default: str | None = None,
) -> str | None:
    value = obj.get(key)
    where = join(path, key)
    if value is None:
        if required:
            raise invalid(where, "required string is missing")
        return default
    if not isinstance(value, str):
        raise invalid(where, "expected a string")
    if not min_len <= len(value) <= max_len:
        raise invalid(where, f"expected {min_len}..{max_len} characters, got {len(value)}")
    return value


def boolean(obj: Obj, key: str, path: str, *, required: bool = True, default: bool | None = None) -> bool | None:
    value = obj.get(key)
    if value is None:
        if required:
            raise invalid(join(path, key), "required boolean is missing")
        return default
    if not isinstance(value, bool):
        raise invalid(join(path, key), "expected a boolean")
    return value


def choice(
    obj: Obj,
    key: str,
    path: str,
    options: tuple[str, ...],
    *,
    required: bool = True,
    default: str | None = None,
) -> str | None:
    value = string(obj, key, path, required=required, default=default)
    if value is not None and value not in options:
        raise invalid(join(path, key), f"expected one of {', '.join(options)}")
    return value


def plain_value(value: Any, path: str) -> Any:
    """A free-form value as JSON can carry it: objects with string keys, arrays, strings, finite numbers (whole
    ones within 64 bits), booleans and null, nested at most `MAX_DEPTH` levels. A msgpack frame can carry more
    (binary strings, extension types, other keys, NaN) that neither the store nor a JSON reply could give back.
    """
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        kind = type(item)
        if kind is dict or kind is list:
            if depth >= MAX_DEPTH:
                raise invalid(path, f"nested deeper than {MAX_DEPTH} levels")
            if kind is dict:
                if not all(type(key) is str for key in item):
                    raise invalid(path, "object keys must be strings")
                item = item.values()
            stack.extend((inner, depth + 1) for inner in item)
        elif kind is float:
            if not math.isfinite(item):
                raise invalid(path, "numbers must be finite")
        elif kind is int:
            if not in_int64(item):
                raise invalid(path, OUT_OF_RANGE)
        elif item is not None and kind is not str and kind is not bool:
            raise invalid(path, f"not a JSON value ({kind.__name__})")
    return value


def only_keys(obj: Obj, allowed: frozenset[str], path: str) -> None:
    """Reject fields the op does not know, so a typo is an error rather than silently ignored."""
    for key in obj:
        if key not in allowed:
            raise invalid(join(path, str(key)), "unknown field")


@dataclass(frozen=True)
class Window:
    """The `from` / `to` / `limit` fields every listing op takes."""

    start: float | None
    end: float | None
    limit: int


def window(obj: Obj, path: str = "", *, default_limit: int = 100, max_limit: int = 1000) -> Window:
    limit = integer(obj, "limit", path, required=False, minimum=1, maximum=max_limit, default=default_limit)
    return Window(
        timestamp(obj, "from", path, required=False), timestamp(obj, "to", path, required=False), limit or default_limit
    )
