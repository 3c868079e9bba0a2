"""The error value every edge speaks: a protocol error code, a message and whether a retry may help."""

from __future__ import annotations

from typing import Any, Final, Literal

ErrorCode = Literal[
    "hello_required",
    "protocol_mismatch",
    "unauthorized",
    "bad_frame",
    "unknown_op",
    "invalid_body",
    "not_found",
    "too_large",
    "rate_limited",
    "internal",
]

RETRYABLE: Final = frozenset({"rate_limited", "internal"})


class DsmError(Exception):
    """Raised inside the server; the link turns it into `{"ok": false, "error": {...}}`."""

    def __init__(self, code: ErrorCode, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.code: ErrorCode = code
        self.message = message
        self.extra = extra

    def __reduce__(self) -> tuple[Any, ...]:
        # Raised in a report process, it crosses back by pickling (Exception's default loses `code`).
        return (_rebuild, (self.code, self.message, self.extra))

    @property
    def retry(self) -> bool:
        return self.code in RETRYABLE

    def to_wire(self) -> dict[str, Any]:
        return {"code": self.code, "message": self.message, "retry": self.retry, **self.extra}


def _rebuild(code: ErrorCode, message: str, extra: dict[str, Any]) -> DsmError:
    return DsmError(code, message, **extra)


def invalid(path: str, problem: str) -> DsmError:
    """An `invalid_body` error whose message starts with the offending field path."""
    return DsmError("invalid_body", f"{path}: {problem}")


def not_found(what: str) -> DsmError:
    return DsmError("not_found", what)
