"""The `hello` handshake: protocol version, token and the Studio user every later request is scoped to."""

from __future__ import annotations

import hmac
from dataclasses import dataclass

from dsm import PROTOCOL_VERSION
from dsm.errors import DsmError, invalid
from dsm.validate import Obj, as_object, integer, is_number, string

SUPPORTED_PROTOCOLS = [PROTOCOL_VERSION]


@dataclass(frozen=True)
class Greeting:
    user_id: int
    plugin_version: str
    studio_session: str | None
    place_id: int | None
    game_id: int | None


def parse_hello(body: Obj, token: str | None) -> Greeting:
    protocol = body.get("protocol")
    if not is_number(protocol):  # any number is a version: one not spoken here is a mismatch, however large
        raise invalid("protocol", "expected a number (the protocol version)")
    if protocol not in SUPPORTED_PROTOCOLS:
        raise DsmError(
            "protocol_mismatch",
            f"protocol {protocol:g} is not spoken here; supported: {SUPPORTED_PROTOCOLS}",
            supported=SUPPORTED_PROTOCOLS,
        )
    if token is not None:
        given = body.get("token")
        if not isinstance(given, str) or not hmac.compare_digest(given.encode(), token.encode()):
            raise DsmError("unauthorized", "this server requires a token: pass the one it was started with")
    user = as_object(body.get("user"), "user")
    user_id = integer(user, "id", "user", minimum=0)
    plugin = as_object(body.get("plugin"), "plugin")
    plugin_version = string(plugin, "version", "plugin", required=False, max_len=64, default="unknown")
    studio = as_object(body.get("studio"), "studio")
    return Greeting(
        user_id=user_id or 0,
        plugin_version=plugin_version or "unknown",
        studio_session=string(studio, "sessionId", "studio", required=False, min_len=1, max_len=128),
        place_id=integer(studio, "placeId", "studio", required=False),
        game_id=integer(studio, "gameId", "studio", required=False),
    )
