"""What a store keeps, declared once per table: the `TableSpec` every store module exports.

Export/import (`portable`), retention, row counts, `dsm doctor` and the list of known users loop over these
declarations (`schema.Schema.tables`); none of them names a table. A new table is a migration plus one `TableSpec`
in its store module, added to `schema.companion_schema()`: see docs/architecture.md, "The store package".

Declarations are plain data (and module-level functions), so they can be handed to a report worker process.
"""

from __future__ import annotations

import base64
import binascii
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from dsm.errors import invalid
from dsm.store.codec import unpack
from dsm.validate import Obj, boolean, integer, number, plain_value, string, timestamp

FieldKind = Literal["text", "integer", "number", "time", "flag", "blob", "value"]
Row = tuple[Any, ...]
MAX_BLOB_TEXT = 64 * 1024 * 1024


@dataclass(frozen=True)
class Field:
    """One column as an export document carries it, and the rule an imported value must meet.

    Kinds: `text` (`min_len`..`max_len` characters, or one of `choices`), `integer` / `number` (at least
    `minimum`), `time` (Unix seconds within 2000..2100), `flag` (JSON boolean, stored 0/1), `blob` (base64 of
    the stored msgpack bytes, decoding to an object) and `value` (the same, any JSON value).
    """

    name: str  # in the document
    column: str  # in the table
    kind: FieldKind = "text"
    required: bool = True
    omit_null: bool = False  # left out of an export when NULL (else written as null)
    min_len: int = 0
    max_len: int = 1000
    minimum: int | None = None
    choices: tuple[str, ...] = ()
    default: Any = None  # stored when an optional field is absent

    @property
    def dumper(self) -> Callable[[Any], Any] | None:
        """How a stored (non-NULL) value is written in the document; None: as it is."""
        return _DUMPERS.get(self.kind)

    def parse(self, obj: Obj, path: str) -> Any:
        """The document's value as the table stores it; `invalid_body` naming `path.name` when it is wrong."""
        if self.kind in ("blob", "value"):
            if obj.get(self.name) is None and not self.required:
                return self.default
            return decode_blob(obj, self.name, path, want_dict=self.kind == "blob")
        if self.kind == "text":
            value = string(obj, self.name, path, required=self.required, min_len=self.min_len, max_len=self.max_len)
            if value is not None and self.choices and value not in self.choices:
                raise invalid(f"{path}.{self.name}", f"expected one of {', '.join(self.choices)}")
            return self.default if value is None else value
        if self.kind == "integer":
            return integer(obj, self.name, path, required=self.required, minimum=self.minimum, default=self.default)
        if self.kind == "number":
            value = number(obj, self.name, path, required=self.required, minimum=self.minimum)
            return self.default if value is None else value
        if self.kind == "time":
            value = timestamp(obj, self.name, path, required=self.required)
            return self.default if value is None else value
        flag = boolean(obj, self.name, path, required=self.required)
        return self.default if flag is None else int(flag)


def b64(blob: bytes | None) -> str | None:
    return None if blob is None else base64.b64encode(blob).decode("ascii")


_DUMPERS: dict[str, Callable[[Any], Any]] = {"blob": b64, "value": b64, "flag": bool}


MergeRule = Literal["keep", "widen", "newer", "larger", "own_id"]


@dataclass(frozen=True)
class Merge:
    """How an imported row meets this user's rows, so importing the same file twice adds nothing.

    `key` is the natural key (with the user id): the same item in the file and in the table.
    - `keep`: a row with that key stays as it is; otherwise the imported row is added.
    - `widen`: likewise, and an existing row's `widen` columns take MIN/MAX of both (not counted as imported).
    - `newer`: the row with the larger `by` column wins (needs a UNIQUE (user, key...) constraint).
    - `larger`: one row per user; each column takes the larger of both.
    - `own_id`: `key` is one id column unique across users; another user's item of the same id is copied under
      the derived id `<id>_u<user>` (the same on every import).
    """

    rule: MergeRule
    key: tuple[str, ...] = ()
    by: str = ""
    widen: tuple[tuple[str, str], ...] = ()  # (column, "MIN" | "MAX")


@dataclass(frozen=True)
class ImportContext:
    """What a store's own import function may need beyond the connection (e.g. the event store's observers)."""

    events: Any  # dsm.store.events.EventStore; typed loosely here so the declarations import no store module
    progress: Callable[[str, int, int], None]


# A store's own validation of its rows (instead of the fields' rules) and its own writer (instead of `merge`).
Parser = Callable[[list[Any], int, str], list[Row]]  # (document items, user id, path) -> rows
Importer = Callable[[sqlite3.Connection, int, list[Row], ImportContext], int]  # -> rows added
Checker = Callable[[Row, str], None]  # (a parsed row, its path): a rule across fields, raising `invalid_body`


@dataclass(frozen=True)
class Portable:
    """How a table travels in an export document (docs/exports.md): under `key`, one object per row."""

    key: str  # the store's name in the document ("cacheEntries")
    fields: tuple[Field, ...]
    merge: Merge
    order: str = ""  # ORDER BY of the export
    single: bool = False  # one row per user: the document holds an object (or null), not a list
    check: Checker | None = None
    parse_rows: Parser | None = None
    import_rows: Importer | None = None

    @property
    def columns(self) -> tuple[str, ...]:
        return tuple(f.column for f in self.fields)


@dataclass(frozen=True)
class TableSpec:
    """One table of a store and what the loops over every table need of it."""

    name: str
    store: str  # the store it belongs to: `status` counts rows under this name
    user_column: str = "user_id"
    counted: bool = True  # in `status` and `dsm doctor` row counts
    age_column: str | None = None  # retention removes rows whose value here is older than the cut-off
    retention_name: str = ""  # the name `data.clean` reports its removed rows under (default: `store`)
    portable: Portable | None = None  # None: not exported (derived data such as rollups, rebuilt on import)

    @property
    def removed_as(self) -> str:
        return self.retention_name or self.store


def decode_blob(obj: Obj, key: str, path: str, *, want_dict: bool = True) -> bytes:
    """The bytes of a `...B64` field: msgpack of a JSON-shaped value (an object unless not `want_dict`)."""
    text = string(obj, key, path, max_len=MAX_BLOB_TEXT) or ""
    try:
        blob = base64.b64decode(text, validate=True)
        value = unpack(blob)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise invalid(f"{path}.{key}", f"not base64 of msgpack data ({exc.__class__.__name__})") from None
    except Exception:  # msgpack raises several of its own exception types for malformed data
        raise invalid(f"{path}.{key}", "not base64 of msgpack data") from None
    if want_dict and not isinstance(value, dict):
        raise invalid(f"{path}.{key}", "expected an encoded object")
    plain_value(value, f"{path}.{key}")  # what it holds is sent back as JSON one day (a report, a snapshot)
    return blob


def portable_tables(tables: tuple[TableSpec, ...]) -> list[tuple[TableSpec, Portable]]:
    """The tables an export carries, each with how it travels, in declaration order."""
    return [(t, t.portable) for t in tables if t.portable is not None]
