"""The virtual Unix time of the emulated Studio, shared with the companions the bed starts.

The bed moves it as its virtual clock moves; a companion reads it as its `Clock`, so the plugin and the server
agree on what "now" and "today" are whatever the real date, hour or time zone.
"""

from __future__ import annotations

DEFAULT_START = 1795564800.0  # 2026-11-25T00:00:00Z


class BedClock:
    """Virtual Unix seconds. One float assignment per move, so a companion's thread may read it at any time."""

    def __init__(self, at: float = DEFAULT_START) -> None:
        self.at = float(at)

    def __call__(self) -> float:
        return self.at
