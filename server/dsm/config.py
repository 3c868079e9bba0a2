"""Server configuration and the default database location on Windows, macOS and Linux."""

from __future__ import annotations

import asyncio
import ipaddress
import os
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path

from dsm.clock import Clock, system_clock

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 34873
APP_DIR_NAME = "DataStoreManagerPro"
DB_FILE_NAME = "dsm.sqlite3"


@dataclass(frozen=True)
class Limits:
    """Announced to the plugin in the `hello` reply."""

    # An edit's record carries two 4 MB DataStore values (before and after), JSON-escaped: they still fit.
    max_frame_bytes: int = 20 * 1024 * 1024
    max_batch: int = 1000
    max_in_flight: int = 32

    def to_wire(self) -> dict[str, int]:
        return {
            "maxFrameBytes": self.max_frame_bytes,
            "maxBatch": self.max_batch,
            "maxInFlight": self.max_in_flight,
        }


@dataclass(frozen=True)
class ServerConfig:
    db_path: Path
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    token: str | None = None
    allowed_origins: frozenset[str] = frozenset()
    limits: Limits = field(default_factory=Limits)
    # Seconds between runs of the background schedule (retention, automatic reports); 0 disables it.
    schedule_interval: float = 60.0
    # Reports computed or rendered at once; more requests wait their turn (see dsm.reports.pool).
    report_workers: int = 2
    # Every timestamp the companion makes comes from here; tests and the plugin's test bed pass their own.
    clock: Clock = field(default=system_clock, compare=False)
    # How background work waits (the webhook retries' backoff); tests pass one that records and returns.
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, compare=False)


def user_data_dir() -> Path:
    """Where the user's data lives by each platform's convention."""
    home = Path.home()
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(home / "AppData" / "Local")
        return Path(base) / APP_DIR_NAME
    if sys.platform == "darwin":
        return home / "Library" / "Application Support" / APP_DIR_NAME
    base = os.environ.get("XDG_DATA_HOME") or str(home / ".local" / "share")
    return Path(base) / "datastore-manager-pro"


def default_db_path() -> Path:
    return user_data_dir() / DB_FILE_NAME


def is_loopback_host(host: str) -> bool:
    """True for names and addresses that only reach this machine."""
    name = host.strip("[]").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False
