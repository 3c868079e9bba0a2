"""Time and id helpers. The companion reads time only through a `Clock` handed down from its config, so tests
(and the plugin's test bed, whose virtual clock drives the companion) control every timestamp it makes.
Ids grow with time so SQLite appends them at the end of its B-trees."""

from __future__ import annotations

import os
import time
from collections.abc import Callable

Clock = Callable[[], float]
"""Returns Unix seconds."""


def system_clock() -> float:
    """Unix seconds from the wall clock: the default `Clock` of a real server."""
    return time.time()


def time_ordered_id(prefix: str, at: float) -> str:
    """`<prefix>_<ms since epoch, hex>_<random>`: sortable by creation time, unique without coordination."""
    return f"{prefix}_{max(0, int(at * 1000)):011x}{os.urandom(4).hex()}"
