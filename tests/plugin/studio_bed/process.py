"""What one running Studio shares between its DataModels: the Edit DataModel and, during a play-test, the
Server and Client DataModels each run the plugin in their own VM (one StudioBed each), but they share the
plugin's settings and Studio's budget of open WebStreamClients."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

MAX_WEB_STREAMS = 6  # open WebStreamClients per Studio (create.roblox.com: WebStreamClient)

_owners = itertools.count(1)


@dataclass
class StudioProcess:
    """One Studio: pass the same instance to several StudioBeds to run them as DataModels of one Studio."""

    settings: dict[str, Any] = field(default_factory=dict)
    max_web_streams: int = MAX_WEB_STREAMS
    _open: set[tuple[int, int]] = field(default_factory=set, init=False)  # (owner, socket id) of open clients

    @staticmethod
    def new_owner() -> int:
        """A key for one DataModel's clients."""
        return next(_owners)

    def reserve(self, owner: int, sid: int) -> bool:
        """Take a slot for a new client; False when the limit is reached (the client is refused)."""
        if len(self._open) >= self.max_web_streams:
            return False
        self._open.add((owner, sid))
        return True

    def release(self, owner: int, sid: int) -> None:
        self._open.discard((owner, sid))

    def release_all(self, owner: int) -> None:
        """A DataModel closed (the bed was closed): its clients go with it."""
        self._open = {slot for slot in self._open if slot[0] != owner}

    @property
    def open_web_streams(self) -> int:
        return len(self._open)
