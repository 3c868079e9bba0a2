"""The checks of a backup's request bodies: each returns typed values or raises `invalid_body` naming the field.

A whole body is checked before anything is looked up or written, so a bad field is named even when the backup does
not exist, and nothing is stored for a request that has one.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from dsm.errors import DsmError, invalid
from dsm.validate import OUT_OF_RANGE, Obj, as_list, as_object, in_int64, integer, join, only_keys, plain_value, string

NAME_LIMIT = 50  # Roblox: DataStore names, scopes and keys
PREFIX_LIMIT = 50
VALUE_LIMIT_CHARS = 4_194_304  # Roblox: a value is at most this many characters of JSON
USER_IDS_LIMIT = 4  # Roblox: at most 4 UserIds per key
METADATA_LIMIT_CHARS = 300  # Roblox: metadata is at most 300 characters of JSON
VERSION_LIMIT = 200
CURSOR_LIMIT = 4_000
ID_LIMIT = 128
MAX_ENTRIES = 1_000  # entries per append, like events per `events.append`
ENTRY_FIELDS = frozenset(("key", "value", "userIds", "metadata", "version"))


@dataclass(frozen=True)
class Entry:
    """One key of a backup: its value with the key info a restore writes back."""

    key: str
    value: Any
    user_ids: list[int]
    metadata: Obj
    version: str | None

    def to_wire(self) -> Obj:
        return {
            "key": self.key,
            "value": self.value,
            "userIds": self.user_ids,
            "metadata": self.metadata,
            "version": self.version,
        }


@dataclass(frozen=True)
class Begin:
    datastore: str
    scope: str
    prefix: str


@dataclass(frozen=True)
class Append:
    id: str
    seq: int
    entries: list[Entry]
    cursor: str | None


def json_size(value: Any) -> int:
    """Characters of the value's compact JSON, the unit of Roblox's limits."""
    return len(json.dumps(value, ensure_ascii=False, separators=(",", ":")))


def backup_id(body: Obj) -> str:
    return string(body, "id", "", min_len=1, max_len=ID_LIMIT) or ""


def parse_begin(body: Obj) -> Begin:
    only_keys(body, frozenset(("datastore", "scope", "prefix")), "")
    return Begin(
        string(body, "datastore", "", min_len=1, max_len=NAME_LIMIT) or "",
        string(body, "scope", "", required=False, min_len=1, max_len=NAME_LIMIT, default="global") or "global",
        string(body, "prefix", "", required=False, max_len=PREFIX_LIMIT, default="") or "",
    )


def _user_ids(entry: Obj, path: str) -> list[int]:
    where = join(path, "userIds")
    items = as_list(entry.get("userIds", []), where)
    if len(items) > USER_IDS_LIMIT:
        raise invalid(where, f"at most {USER_IDS_LIMIT} UserIds (Roblox's limit), got {len(items)}")
    out: list[int] = []
    for index, item in enumerate(items):
        if type(item) is float and item.is_integer():
            item = int(item)
        if type(item) is not int:
            raise invalid(join(where, index), "expected a whole number")
        if not in_int64(item):
            raise invalid(join(where, index), OUT_OF_RANGE)
        out.append(item)
    return out


def _entry(raw: Any, path: str) -> Entry:
    entry = as_object(raw, path)
    only_keys(entry, ENTRY_FIELDS, path)
    key = string(entry, "key", path, min_len=1, max_len=NAME_LIMIT) or ""
    where = join(path, "value")
    if entry.get("value") is None:
        raise invalid(where, "required value is missing (a key without a value is left out of a backup)")
    value = plain_value(entry["value"], where)
    size = json_size(value)
    if size > VALUE_LIMIT_CHARS:
        raise DsmError("too_large", f"{where}: {size} characters of JSON, over Roblox's limit of {VALUE_LIMIT_CHARS}")
    metadata_path = join(path, "metadata")
    metadata = plain_value(as_object(entry.get("metadata"), metadata_path), metadata_path)
    if json_size(metadata) > METADATA_LIMIT_CHARS:
        raise invalid(metadata_path, f"over Roblox's limit of {METADATA_LIMIT_CHARS} characters of JSON")
    version = string(entry, "version", path, required=False, min_len=1, max_len=VERSION_LIMIT)
    return Entry(key, value, _user_ids(entry, path), metadata, version)


def parse_append(body: Obj) -> Append:
    only_keys(body, frozenset(("id", "seq", "entries", "cursor")), "")
    ident = backup_id(body)
    seq = integer(body, "seq", "", minimum=1) or 1
    raw = as_list(body.get("entries"), "entries") if "entries" in body else None
    if raw is None:
        raise invalid("entries", "required array is missing")
    if len(raw) > MAX_ENTRIES:
        raise DsmError("too_large", f"entries: at most {MAX_ENTRIES} entries per append, got {len(raw)}")
    entries = [_entry(item, f"entries[{index}]") for index, item in enumerate(raw)]
    cursor = string(body, "cursor", "", required=False, max_len=CURSOR_LIMIT)
    return Append(ident, seq, entries, cursor)


def entry_from_file(raw: Any) -> Entry:
    """An entry line of a backup file (written by this module, so only its shape is checked)."""
    if not isinstance(raw, dict) or not isinstance(raw.get("key"), str) or "value" not in raw:
        raise ValueError("not an entry")
    user_ids = list(raw.get("userIds") or [])
    return Entry(raw["key"], raw["value"], user_ids, dict(raw.get("metadata") or {}), raw.get("version"))
