"""What an op handler gets: the shared services, the greeted user and the connection it came on."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from dsm.link.hub import Pushable
from dsm.services import Services


@dataclass
class OpContext:
    services: Services
    user_id: int
    studio_session: str | None
    connection: Pushable | None


Body = dict[str, Any]
Handler = Callable[[OpContext, Body], Awaitable[Body]]
