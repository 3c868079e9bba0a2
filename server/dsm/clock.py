"""Time and id helpers: ids grow with time so SQLite appends them at the end of its B-trees."""

from __future__ import annotations

import os
import time


def now() -> float:
    """Unix seconds; one place to read the wall clock."""
    return time.time()


def time_ordered_id(prefix: str) -> str:
    """`<prefix>_<ms since epoch, hex>_<random>`: sortable by creation time, unique without coordination."""
    return f"{prefix}_{int(time.time() * 1000):011x}{os.urandom(4).hex()}"
