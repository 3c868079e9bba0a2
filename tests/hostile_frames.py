"""Hostile link frames as hypothesis strategies, each with the reply the contract promises for it.

`SHAPES` describes every op's body as docs/protocol.md documents it: a valid body and the type of each field.
A probe breaks exactly one thing (a field's type or range, an unknown field, the frame itself, the order of the
handshake), so its reply is known: `invalid_body` naming that field, `bad_frame`, `unknown_op`, `hello_required`
or `protocol_mismatch`, never `internal`, and nothing stored. Shared by tests/server/test_hostile_frames.py
(bounded, in the suite) and scripts/fuzz_link.py (the long run).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import msgpack
import orjson
from hypothesis import strategies as st

from dsm.link.ops import OPS
from dsm.store.portable import FORMAT, VERSION
from dsm.store.reports import REPORT_TYPES
from dsm.validate import EARLIEST_TS, INT64_MAX, LATEST_TS, MAX_DEPTH

# "free": an object of any content (props); "value": any JSON value (a cached DataStore value); "version": a number
# of any size (one the server does not speak is a protocol_mismatch, not an invalid_body).
Kind = Literal["text", "number", "int", "ts", "bool", "enum", "object", "free", "value", "list", "version"]
Path = tuple[str | int, ...]

T0 = 1_781_520_000.0  # inside the store's window, like every timestamp of a valid body below
T1 = T0 + 3600.0
# JSON (orjson) carries integers up to 2**64 - 1 and msgpack the same: the largest a client can send as integers.
U64_MAX = 2**64 - 1


@dataclass(frozen=True)
class Field:
    """One field of a body: where it is and what it must be (`low`/`high`: length of a text, range of a number)."""

    path: Path
    kind: Kind
    low: float | None = None
    high: float | None = None
    choices: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        """The path as the server names it in an `invalid_body` message (`events[0].ts`, `options.from`)."""
        out = ""
        for part in self.path:
            out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
        return out


@dataclass(frozen=True)
class Shape:
    op: str
    body: dict[str, Any]
    fields: tuple[Field, ...]
    # Objects of the body that refuse unknown keys (the top level always does).
    strict: tuple[Path, ...] = ()


def _text(*path: str | int, low: int = 0, high: int) -> Field:
    return Field(path, "text", low, high)


def _event(ts: float) -> dict[str, Any]:
    return {
        "id": "FUZZ-1",
        "ts": ts,
        "kind": "datastore",
        "name": "getData",
        "datastore": "PlayerData",
        "scope": "global",
        "key": "player_1",
        "feature": "Explorer",
        "view": "Keys",
        "message": "ok",
        "latencyMs": 12.5,
        "size": 100,
        "errorCode": 301,
        "ok": True,
        "props": {"source": "fuzz"},
    }


_EVENT_FIELDS = (
    _text("id", low=1, high=128),
    Field(("ts",), "ts"),
    Field(("kind",), "enum", choices=("ui", "datastore", "perf", "error")),
    _text("name", low=1, high=1000),
    *(_text(name, high=1000) for name in ("datastore", "scope", "key", "feature", "view")),
    _text("message", high=4000),
    Field(("latencyMs",), "number", 0, 1e9),
    Field(("size",), "number", 0, 1e15),
    Field(("errorCode",), "int"),
    Field(("ok",), "bool"),
    Field(("props",), "free"),
)


def _under(prefix: Path, fields: tuple[Field, ...]) -> tuple[Field, ...]:
    return tuple(Field(prefix + f.path, f.kind, f.low, f.high, f.choices) for f in fields)


_KEY_INFO = {"version": "v1", "createdTime": 1.7e12, "updatedTime": 1.7e12, "userIds": [1], "metadata": {"a": 1}}
_EXPORT = {
    "format": FORMAT,
    "version": VERSION,
    "stores": {"events": [{**_event(T0), "props": None, "receivedAt": T0}]},
}
_CUSTOM = {
    "analysis": "key_pattern_analysis",
    "parameters": {"pattern": "player_*", "timeRange": 86400},
    "filters": {"datastoreName": "PlayerData"},
}

SHAPES: tuple[Shape, ...] = (
    *(Shape(op, {}, ()) for op in ("ping", "status", "settings.get", "cache.stats", "analytics.current")),
    Shape("data.export", {}, ()),
    Shape(
        "events.append",
        {"events": [_event(T0)]},
        (Field(("events",), "list"), *_under(("events", 0), _EVENT_FIELDS)),
        strict=(("events", 0),),
    ),
    Shape(
        "cache.put",
        {"type": "value", "datastore": "PlayerData", "scope": "global", "key": "k", "value": {"coins": 1}},
        (
            Field(("type",), "enum", choices=("datastores", "keys", "value")),
            _text("datastore", low=1, high=50),
            _text("scope", high=50),
            _text("key", low=1, high=50),
            Field(("value",), "value"),
        ),
    ),
    Shape(
        "cache.put",
        {"type": "value", "datastore": "D", "key": "k", "value": 1, "keyInfo": _KEY_INFO},
        (
            Field(("keyInfo",), "object"),
            _text("keyInfo", "version", high=200),
            Field(("keyInfo", "createdTime"), "number", 0),
            Field(("keyInfo", "updatedTime"), "number", 0),
            Field(("keyInfo", "userIds"), "list"),
            Field(("keyInfo", "userIds", 0), "int"),
            Field(("keyInfo", "metadata"), "free"),
        ),
        strict=(("keyInfo",),),
    ),
    Shape("cache.put", {"type": "keys", "datastore": "D", "keys": ["a"]}, (Field(("keys",), "list"),)),
    Shape(
        "cache.get",
        {"type": "value", "datastore": "D", "scope": "global", "key": "k"},
        (_text("datastore", low=1, high=50), _text("key", low=1, high=50)),
    ),
    Shape("cache.clear", {"datastore": "D"}, (_text("datastore", low=1, high=50),)),
    Shape(
        "settings.update",
        {
            "patch": {
                "analytics": {"enabled": True, "retainDataDays": 30},
                "dataStore": {"cacheTimeout": 300},
                "reporting": {"reportFrequency": "daily"},
            }
        },
        (
            Field(("patch",), "object"),
            Field(("patch", "analytics"), "object"),
            Field(("patch", "analytics", "enabled"), "bool"),
            Field(("patch", "analytics", "retainDataDays"), "int", 1, 3650),
            Field(("patch", "dataStore", "cacheTimeout"), "number", 0, 7 * 86400),
            Field(("patch", "reporting", "reportFrequency"), "enum", choices=("hourly", "daily", "weekly")),
        ),
        strict=(("patch", "analytics"),),
    ),
    Shape(
        "reports.generate",
        {"type": "DAILY_SUMMARY", "options": {"from": T0, "to": T1, "limit": 10}},
        (
            Field(("type",), "enum", choices=REPORT_TYPES),
            Field(("options",), "object"),
            Field(("options", "from"), "ts"),
            Field(("options", "to"), "ts"),
            Field(("options", "limit"), "int", 1, 1000),
        ),
        strict=(("options",),),
    ),
    Shape(
        "reports.generate",
        {"type": "CUSTOM_ANALYSIS", "options": _CUSTOM},
        (
            Field(("options", "analysis"), "enum", choices=("key_pattern_analysis",)),
            Field(("options", "parameters"), "object"),
            _text("options", "parameters", "pattern", low=1, high=200),
            Field(("options", "parameters", "timeRange"), "number", 1, 3650 * 86400),
            _text("options", "filters", "datastoreName", low=1, high=200),
        ),
        strict=(("options", "parameters"), ("options", "filters")),
    ),
    Shape(
        "reports.generate",
        {
            "type": "HISTORICAL_COMPARISON",
            "options": {"from": T0, "to": T1, "baselineFrom": T0 - 86400.0, "baselineTo": T1 - 86400.0},
        },
        (Field(("options", "baselineFrom"), "ts"), Field(("options", "baselineTo"), "ts")),
    ),
    Shape(
        "reports.list",
        {"type": "DAILY_SUMMARY", "from": T0, "to": T1, "limit": 5},
        (
            Field(("type",), "enum", choices=REPORT_TYPES),
            Field(("from",), "ts"),
            Field(("to",), "ts"),
            Field(("limit",), "int", 1, 1000),
        ),
    ),
    *(Shape(op, {"id": "r1"}, (_text("id", low=1, high=128),)) for op in ("reports.get", "reports.delete")),
    Shape(
        "reports.export",
        {"id": "r1", "format": "csv"},
        (_text("id", low=1, high=128), Field(("format",), "enum", choices=("json", "csv", "html"))),
    ),
    Shape(
        "analytics.history",
        {"seconds": 3600, "granularity": "hourly"},
        (
            Field(("seconds",), "number", 0, 3650 * 86400),
            Field(("granularity",), "enum", choices=("realtime", "5min", "hourly", "daily")),
        ),
    ),
    Shape(
        "analytics.snapshot",
        {"data": {"a": 1}, "sessionTime": 5, "timestamp": T0},
        (Field(("data",), "free"), Field(("sessionTime",), "number", 0), Field(("timestamp",), "ts")),
    ),
    Shape(
        "history.snapshot",
        {"label": "L", "category": "c", "body": {"x": 1}},
        (_text("label", low=1, high=200), _text("category", low=1, high=64), Field(("body",), "free")),
    ),
    Shape("history.snapshot", {"label": "L", "from": T0, "to": T1}, (Field(("from",), "ts"), Field(("to",), "ts"))),
    Shape(
        "history.list",
        {"category": "c", "from": T0, "to": T1, "limit": 10},
        (
            _text("category", low=1, high=64),
            Field(("from",), "ts"),
            Field(("to",), "ts"),
            Field(("limit",), "int", 1, 1000),
        ),
    ),
    Shape("history.get", {"id": "h1"}, (_text("id", low=1, high=128),)),
    Shape(
        "edits.record",
        {
            "edit": {
                "ts": T0,
                "datastore": "PlayerData",
                "scope": "global",
                "key": "player_1",
                "op": "set",
                "ok": True,
                "before": {"coins": 1},
                "after": {"coins": 2},
                "version": "v2",
                "errorCode": 301,
                "message": "ok",
                "store": "ordered",
            }
        },
        (
            Field(("edit",), "object"),
            Field(("edit", "ts"), "ts"),
            _text("edit", "datastore", low=1, high=50),
            _text("edit", "scope", low=1, high=50),
            _text("edit", "key", low=1, high=50),
            Field(("edit", "op"), "enum", choices=("set", "update", "remove", "restore", "increment")),
            Field(("edit", "ok"), "bool"),
            Field(("edit", "before"), "value"),
            Field(("edit", "after"), "value"),
            _text("edit", "version", low=1, high=200),
            Field(("edit", "errorCode"), "int"),
            _text("edit", "message", high=4000),
            Field(("edit", "store"), "enum", choices=("standard", "ordered")),
        ),
        strict=(("edit",),),
    ),
    Shape(
        "edits.list",
        {"datastore": "PlayerData", "key": "player_1", "from": T0, "to": T1, "limit": 10, "withUndoes": True},
        (
            _text("datastore", low=1, high=50),
            _text("key", low=1, high=50),
            Field(("from",), "ts"),
            Field(("to",), "ts"),
            Field(("limit",), "int", 1, 1000),
            Field(("withUndoes",), "bool"),
        ),
    ),
    Shape("edits.get", {"id": "e1"}, (_text("id", low=1, high=128),)),
    Shape(
        "backups.begin",
        {"datastore": "PlayerData", "scope": "global", "prefix": "Player_"},
        (_text("datastore", low=1, high=50), _text("scope", low=1, high=50), _text("prefix", high=50)),
    ),
    Shape(
        "backups.append",
        {
            "id": "backup_00000000000aa",
            "seq": 1,
            "cursor": "c",
            "entries": [{"key": "k", "value": {"coins": 1}, "userIds": [7], "metadata": {"a": 1}, "version": "v1"}],
        },
        (
            _text("id", low=1, high=128),
            Field(("seq",), "int", 1),
            _text("cursor", high=4000),
            Field(("entries",), "list"),
            Field(("entries", 0), "object"),
            _text("entries", 0, "key", low=1, high=50),
            Field(("entries", 0, "value"), "value"),
            Field(("entries", 0, "userIds"), "list"),
            Field(("entries", 0, "userIds", 0), "int"),
            Field(("entries", 0, "metadata"), "free"),
            _text("entries", 0, "version", low=1, high=200),
        ),
        strict=(("entries", 0),),
    ),
    *(Shape(op, {"id": "b1"}, (_text("id", low=1, high=128),)) for op in ("backups.finish", "backups.get")),
    Shape(
        "backups.list",
        {"datastore": "PlayerData", "limit": 10},
        (_text("datastore", low=1, high=50), Field(("limit",), "int", 1, 1000)),
    ),
    Shape(
        "backups.read",
        {"id": "b1", "offset": 0, "limit": 10},
        (_text("id", low=1, high=128), Field(("offset",), "int", 0), Field(("limit",), "int", 1, 1000)),
    ),
    Shape(
        "history.compare",
        {"reportId": "r1", "baselineReportId": "r2"},
        (_text("reportId", low=1, high=128), _text("baselineReportId", low=1, high=128)),
    ),
    Shape("data.clean", {"olderThan": 86400}, (Field(("olderThan",), "number", 0),)),
    Shape(
        "data.import",
        {"data": _EXPORT},
        (
            Field(("data",), "object"),
            Field(("data", "format"), "enum", choices=(FORMAT,)),
            Field(("data", "version"), "int", VERSION, VERSION),
            Field(("data", "stores"), "object"),
            Field(("data", "stores", "events"), "list"),
            Field(("data", "stores", "events", 0, "ts"), "ts"),
            Field(("data", "stores", "events", 0, "kind"), "enum", choices=("ui", "datastore", "perf", "error")),
            Field(("data", "stores", "events", 0, "receivedAt"), "ts"),
        ),
    ),
)

HELLO = Shape(
    "hello",
    {
        "protocol": 1,
        "plugin": {"version": "fuzz"},
        "user": {"id": 7},
        "studio": {"placeId": 1, "gameId": 2, "sessionId": "FUZZ"},
    },
    (
        Field(("protocol",), "version"),
        Field(("user",), "object"),
        Field(("user", "id"), "int", 0),
        Field(("plugin",), "object"),
        _text("plugin", "version", high=64),
        Field(("studio",), "object"),
        _text("studio", "sessionId", low=1, high=128),
        Field(("studio", "placeId"), "int"),
        Field(("studio", "gameId"), "int"),
    ),
)
# A greeting that stores nothing (no Studio session to record): fuzzing never adds rows.
QUIET_HELLO = {"protocol": 1, "plugin": {"version": "fuzz"}, "user": {"id": 7}}


@dataclass(frozen=True)
class Probe:
    """One frame and the reply it must get: `code`, `re` (None when the frame's id cannot be read) and, for
    `invalid_body`, the field path the message starts with."""

    frame: bytes
    binary: bool
    request_id: str | None
    code: str
    field: str | None = None
    what: str = ""

    def check(self, reply: dict[str, Any]) -> str | None:
        """What is wrong with `reply`, or None when it is the promised one."""
        error = reply.get("error") or {}
        if reply.get("re") != self.request_id:
            return f"reply to {reply.get('re')!r}, expected {self.request_id!r}"
        if reply.get("ok") or error.get("code") != self.code:
            return f"got {error.get('code') if not reply.get('ok') else 'ok'}, expected {self.code}"
        message = str(error.get("message", ""))
        if self.field is not None and not (
            message.startswith(self.field) and message[len(self.field) : len(self.field) + 1] in (":", ".", "[")
        ):
            return f"message {message[:120]!r} does not start with {self.field!r}"
        return None


@dataclass
class Session:
    """Probes for a new connection, sent in order before (and perhaps after) a `hello`."""

    probes: list[Probe] = field(default_factory=list)


# ------------------------------------------------------------------------------------------ values


# Integers either codec can carry (orjson and msgpack stop at 64 bits).
ints = st.integers(-(2**63), U64_MAX)


def _deep(depth: int, leaf: Any = 1) -> Any:
    value = leaf
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


def deep_values(binary: bool) -> st.SearchStrategy[Any]:
    """Values nested past the store's limit (and, in JSON, still encodable: orjson writes at most 254 levels)."""
    return st.integers(MAX_DEPTH + 1, 500 if binary else 250).map(_deep)


def huge_ints() -> st.SearchStrategy[int]:
    return st.integers(INT64_MAX + 1, U64_MAX)


_NONFINITE = (math.nan, math.inf, -math.inf)


def _msgpack_only() -> st.SearchStrategy[Any]:
    """What a msgpack frame can carry and JSON cannot: binary strings, NaN and infinities, non-string keys."""
    return st.one_of(
        st.binary(max_size=8),
        st.sampled_from(_NONFINITE),
        st.builds(lambda k: {k: 1}, st.binary(min_size=1, max_size=4)),
    )


def _not_object() -> st.SearchStrategy[Any]:
    scalars = st.one_of(st.text(max_size=8), ints, st.floats(allow_nan=False, allow_infinity=False))
    return st.one_of(scalars, st.booleans(), st.lists(ints, min_size=1, max_size=3))


def _numbers_outside(low: float | None, high: float | None) -> st.SearchStrategy[Any]:
    """Integers past 64 bits (floats of any size fit a REAL), and numbers outside the field's range."""
    options: list[st.SearchStrategy[Any]] = [huge_ints()]
    if low is not None:
        options.append(st.floats(max_value=low, exclude_max=True, allow_nan=False, allow_infinity=False, width=64))
    if high is not None:
        options.append(st.floats(min_value=high, exclude_min=True, allow_nan=False, allow_infinity=False))
    return st.one_of(options)


def _wrong_type_for_number() -> st.SearchStrategy[Any]:
    return st.one_of(st.text(max_size=8), st.booleans(), st.lists(ints, max_size=3), st.just({"n": 1}))


def wrong_value(spec: Field, binary: bool) -> st.SearchStrategy[Any]:
    """Values the field must refuse with `invalid_body` naming it."""
    extra = [_msgpack_only()] if binary else []
    if spec.kind == "text":
        high = int(spec.high or 0)
        options = [ints, st.booleans(), st.lists(st.text(max_size=3), max_size=2), st.just({"s": "x"})]
        options.append(st.integers(high + 1, high + 40).map(lambda n: "x" * n))
        if spec.low:
            options.append(st.just(""))
        return st.one_of(options)
    if spec.kind == "version":
        return st.one_of([_wrong_type_for_number(), *([st.sampled_from(_NONFINITE)] if binary else [])])
    if spec.kind in ("number", "int", "ts"):
        options = [_wrong_type_for_number(), _numbers_outside(spec.low, spec.high)]
        if spec.kind == "int":
            options.append(st.sampled_from([0.5, 1.25, 1e19, -1e19]))
        if spec.kind == "ts":  # outside 2000-01-01 .. 2100-01-01, including milliseconds sent as seconds
            ranges = st.one_of(
                st.floats(-1e308, EARLIEST_TS, exclude_max=True), st.floats(LATEST_TS, 1e308, exclude_min=True)
            )
            options.append(ranges)
        if binary:
            options.append(st.sampled_from(_NONFINITE))
        return st.one_of(options)
    if spec.kind == "bool":
        return st.one_of(st.integers(0, 1), st.text(max_size=5), st.lists(st.booleans(), min_size=1, max_size=2))
    if spec.kind == "enum":
        wrong_text = st.text(max_size=12).filter(lambda s: s not in spec.choices)
        return st.one_of(wrong_text, ints, st.lists(st.text(max_size=3), max_size=2), st.just({"k": "v"}))
    if spec.kind == "object":
        return _not_object()
    if spec.kind == "free":
        return st.one_of([_not_object(), deep_values(binary), *[v.map(lambda x: {"v": x}) for v in extra]])
    if spec.kind == "value":
        return st.one_of([deep_values(binary), *[v.map(lambda x: {"v": [x]}) for v in extra]])
    # list
    return st.one_of(st.text(max_size=8), ints, st.booleans(), st.just({"not": "a list"}))


# ------------------------------------------------------------------------------------------ frames


def encode(message: Any, binary: bool) -> bytes:
    if binary:
        return msgpack.packb(message, use_bin_type=True)
    return orjson.dumps(message)


def _put(body: Any, path: Path, value: Any) -> Any:
    """A copy of `body` with the value at `path` replaced."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(body, list):
        copy = list(body)
        copy[head] = _put(copy[head], rest, value)  # type: ignore[index]
        return copy
    return {**body, head: _put(body.get(head), rest, value)}  # type: ignore[dict-item]


def _get(body: Any, path: Path) -> Any:
    for part in path:
        body = body[part]
    return body


request_ids = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=64)
codecs = st.booleans()


@st.composite
def broken_field(draw: st.DrawFn, shapes: tuple[Shape, ...] = SHAPES) -> Probe:
    """A valid body of some op with one field given a value it must refuse."""
    shape = draw(st.sampled_from([s for s in shapes if s.fields]))
    spec = draw(st.sampled_from(shape.fields))
    binary = draw(codecs)
    value = draw(wrong_value(spec, binary))
    rid = draw(request_ids)
    frame = encode({"id": rid, "op": shape.op, "body": _put(shape.body, spec.path, value)}, binary)
    return Probe(frame, binary, rid, "invalid_body", spec.where, f"{shape.op} {spec.where}={value!r:.60}")


@st.composite
def unknown_field(draw: st.DrawFn, shapes: tuple[Shape, ...] = SHAPES) -> Probe:
    """A valid body with one field the op does not know, at the top level or in a nested object that checks."""
    shape = draw(st.sampled_from(shapes))
    where: Path = draw(st.sampled_from(((), *shape.strict)))
    known = _get(shape.body, where)
    key = "~" + draw(st.text(max_size=12))  # no field of any op starts with "~"
    value = draw(st.one_of(st.none(), ints, st.text(max_size=5)))
    binary = draw(codecs)
    rid = draw(request_ids)
    body = _put(shape.body, where, {**known, key: value})
    path = Field((*where, key), "text").where
    return Probe(encode({"id": rid, "op": shape.op, "body": body}, binary), binary, rid, "invalid_body", path, path)


_OP_NAMES = st.one_of(st.text(max_size=20), st.sampled_from([op.upper() for op in OPS] + ["events", "hello "]))


@st.composite
def unknown_op(draw: st.DrawFn) -> Probe:
    op = draw(_OP_NAMES.filter(lambda name: name not in OPS and name != "hello"))
    binary = draw(codecs)
    rid = draw(request_ids)
    return Probe(encode({"id": rid, "op": op, "body": {}}, binary), binary, rid, "unknown_op", None, f"op {op!r}")


_BAD_UTF8 = (b"\xff", b"\xc3\x28", b"\xed\xa0\x80", b"\xf8\x88\x80\x80\x80", b"\x80", b"\xe2\x82")
_MARK = "QQMARKQQ"


@st.composite
def unreadable(draw: st.DrawFn) -> Probe:
    """A frame the server cannot read: not JSON or msgpack, bad UTF-8, not an object, an id or op of the wrong
    kind. Its reply is `bad_frame`, with `re: null` unless the id could be read."""
    binary = draw(codecs)
    rid = draw(request_ids)
    shape = draw(st.sampled_from(SHAPES))
    whole = encode({"id": rid, "op": shape.op, "body": shape.body}, binary)
    how = draw(st.sampled_from(["truncated", "trailing", "utf8", "not-object", "bad-id", "bad-op"]))
    if how == "truncated":  # a proper prefix of one JSON object or msgpack value is never a whole one
        cut = draw(st.integers(1, len(whole) - 1))
        return Probe(whole[:cut], binary, None, "bad_frame", None, f"truncated at {cut}")
    if how == "trailing":
        junk = draw(st.binary(min_size=1, max_size=6).filter(lambda b: b.strip(b" \t\r\n") != b""))
        return Probe(whole + junk, binary, None, "bad_frame", None, f"trailing {junk!r}")
    if how == "utf8":
        bad = draw(st.sampled_from(_BAD_UTF8))
        marked = encode({"id": rid, "op": shape.op, "body": {"x": _MARK}}, binary)
        frame = marked.replace(_MARK.encode(), bad.ljust(len(_MARK), b"Q"))
        return Probe(frame, binary, None, "bad_frame", None, f"bad UTF-8 {bad!r}")
    if how == "not-object":
        value = draw(st.one_of(ints, st.text(max_size=8), st.lists(ints, max_size=3), st.none()))
        return Probe(encode(value, binary), binary, None, "bad_frame", None, f"not an object: {value!r:.40}")
    if how == "bad-id":
        bad_id = draw(st.one_of(ints, st.just(""), st.text(min_size=65, max_size=70), st.lists(st.text(), max_size=2)))
        frame = encode({"id": bad_id, "op": "ping"}, binary)
        return Probe(frame, binary, None, "bad_frame", None, f"id {bad_id!r:.40}")
    op = draw(st.one_of(ints, st.none(), st.lists(st.text(max_size=3), max_size=2), st.just({"op": "ping"})))
    return Probe(encode({"id": rid, "op": op}, binary), binary, rid, "bad_frame", None, f"op {op!r:.40}")


@st.composite
def second_hello(draw: st.DrawFn) -> Probe:
    binary = draw(codecs)
    rid = draw(request_ids)
    frame = encode({"id": rid, "op": "hello", "body": QUIET_HELLO}, binary)
    return Probe(frame, binary, rid, "invalid_body", "hello", "second hello")


def after_hello() -> st.SearchStrategy[Probe]:
    """Every probe for a connection that has said hello."""
    return st.one_of(broken_field(), unknown_field(), unknown_op(), unreadable(), second_hello())


@st.composite
def before_hello(draw: st.DrawFn) -> Probe:
    """A probe for a connection that has not said hello: any other op, or a hello with a field broken."""
    binary = draw(codecs)
    rid = draw(request_ids)
    if draw(st.booleans()):
        op = draw(st.one_of(st.sampled_from(sorted(OPS)), _OP_NAMES.filter(lambda name: name != "hello")))
        return Probe(encode({"id": rid, "op": op}, binary), binary, rid, "hello_required", None, f"{op!r} first")
    spec = draw(st.sampled_from(HELLO.fields))
    if spec.path == ("protocol",) and draw(st.booleans()):
        version = draw(st.one_of(st.integers(2, U64_MAX), st.integers(-(2**63), 0), st.floats(1.5, 1e300)))
        body = _put(HELLO.body, spec.path, version)
        return Probe(encode({"id": rid, "op": "hello", "body": body}, binary), binary, rid, "protocol_mismatch")
    body = _put(HELLO.body, spec.path, draw(wrong_value(spec, binary)))
    frame = encode({"id": rid, "op": "hello", "body": body}, binary)
    return Probe(frame, binary, rid, "invalid_body", spec.where, f"hello {spec.where}")


def handshakes() -> st.SearchStrategy[Session]:
    """A new connection's first frames, out of order: ops and broken hellos before any valid hello."""
    return st.lists(before_hello(), min_size=1, max_size=4).map(Session)
