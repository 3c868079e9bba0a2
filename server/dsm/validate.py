"""Checks for request bodies: each returns the typed value or raises `invalid_body` naming the field path.

Roblox's `HttpService:JSONEncode` sends an empty table as `[]`, so wherever an object is expected
an empty list is read as an empty object.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from dsm.errors import invalid

Obj = dict[str, Any]


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
    return int(value)


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
        number(obj, "from", path, required=False), number(obj, "to", path, required=False), limit or default_limit
    )
