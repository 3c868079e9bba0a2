"""Frame codecs: JSON in text frames, msgpack in binary frames, each answered in kind."""

from __future__ import annotations

import json
from typing import Any

import msgpack

from dsm.errors import DsmError

_json_encoder = json.JSONEncoder(ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def decode(frame: str | bytes) -> Any:
    try:
        if isinstance(frame, str):
            return json.loads(frame)
        return msgpack.unpackb(frame, raw=False)
    except (ValueError, msgpack.ExtraData, msgpack.FormatError, msgpack.StackError, TypeError) as exc:
        kind = "JSON" if isinstance(frame, str) else "msgpack"
        raise DsmError("bad_frame", f"frame is not valid {kind}: {exc}") from None


def encode(message: dict[str, Any], binary: bool) -> str | bytes:
    if binary:
        return msgpack.packb(message, use_bin_type=True)
    return _json_encoder.encode(message)
