"""What handlers share, built once per application and kept on the app under a `web.AppKey`."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from dsm import __version__
from dsm.backups.files import BackupFiles
from dsm.clock import Clock
from dsm.config import ServerConfig
from dsm.link.hub import Hub
from dsm.metrics import Metrics
from dsm.notify.notifier import Notifier
from dsm.reports.pool import ReportPool
from dsm.store.database import Database
from dsm.store.events import EventStore


@dataclass
class Services:
    config: ServerConfig
    db: Database
    events: EventStore
    reports: ReportPool
    hub: Hub = field(default_factory=Hub)
    version: str = __version__
    started_monotonic: float = field(default_factory=time.monotonic)
    started_at: float = 0.0
    backups: BackupFiles = field(init=False)
    metrics: Metrics = field(init=False)  # this application's Prometheus registry (`GET /metrics`)
    notifier: Notifier = field(init=False)  # webhooks; started and closed by the app's services context

    def __post_init__(self) -> None:
        self.started_at = self.started_at or self.clock()
        self.backups = BackupFiles.beside(self.config.db_path, self.config.clock)
        self.metrics = Metrics(self.db, self.hub.__len__, self.config.clock)
        self.notifier = Notifier(self.db, self.config.clock, self.config.sleep)

    @property
    def clock(self) -> Clock:
        return self.config.clock

    def uptime(self) -> float:
        return time.monotonic() - self.started_monotonic
