"""`GET /metrics`: the companion's figures in Prometheus' text exposition format, made by `prometheus-client`.

Each application has its own `CollectorRegistry` (never the package's global one), so two companions in one
process (the tests run many) never mix their figures. Ingest figures are counted as requests are answered; the
DataStore operation figures per user and operation are read from the daily rollups at scrape time, so they
cover everything stored (deduplicated, surviving restarts), not only what arrived since the server started."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric, SummaryMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

from dsm.analytics import rollups, sketch
from dsm.analytics.buckets import HOUR
from dsm.clock import Clock
from dsm.store.database import Database

# Seconds from an `events.append` arriving to its acknowledgement (after COMMIT): fsync-bound, usually milliseconds.
ACK_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

QUANTILES = (0.5, 0.95, 0.99)


@dataclass(eq=False)  # the registry keeps collectors in a dict: identity, not value
class DataStoreFigures(Collector):
    """DataStore calls, failed calls and latency per Studio user and operation, as last read from the rollups.

    A collector cannot await, so the route reads the figures through the database's read path first and sets them
    here; collecting them (on the event loop, right after) only formats."""

    totals: list[rollups.OpTotal] = field(default_factory=list)
    recent: dict[tuple[int, str], sketch.Bins] = field(default_factory=dict)

    def collect(self) -> Iterator[Metric]:
        yield from _totals(self.totals)
        yield _percentiles(self.recent)


LABELS = ["user", "operation"]


def _totals(rows: list[tuple[int, str, int, int, int, float]]) -> tuple[Metric, ...]:
    calls = CounterMetricFamily("dsm_datastore_calls", "DataStore calls the plugin made", labels=LABELS)
    errors = CounterMetricFamily("dsm_datastore_errors", "DataStore calls that failed", labels=LABELS)
    latency = SummaryMetricFamily("dsm_datastore_latency_seconds", "Latency of timed DataStore calls", labels=LABELS)
    for user_id, name, count, failures, timed, latency_ms in rows:
        key = [str(user_id), str(name)]
        calls.add_metric(key, count)
        errors.add_metric(key, failures)
        latency.add_metric(key, count_value=timed, sum_value=latency_ms / 1000.0)
    return calls, errors, latency


def _percentiles(recent: dict[tuple[int, str], sketch.Bins]) -> Metric:
    quantile = GaugeMetricFamily(
        "dsm_datastore_recent_latency_seconds",
        "Latency percentiles of DataStore calls in the current and the previous UTC hour",
        labels=[*LABELS, "quantile"],
    )
    for (user_id, name), bins in sorted(recent.items()):
        for p, value in zip(QUANTILES, sketch.quantiles(bins, QUANTILES), strict=True):
            if value is not None:
                quantile.add_metric([str(user_id), name, str(p)], value / 1000.0)
    return quantile


class Metrics:
    """One application's instruments and registry."""

    def __init__(self, db: Database, connections: Callable[[], int], clock: Clock) -> None:
        self.db = db
        self.clock = clock
        self.registry = CollectorRegistry()
        r = self.registry
        self.events = Counter(
            "dsm_ingest_events", "Events in acknowledged events.append requests", ["result"], registry=r
        )
        self.requests = Counter("dsm_ingest_requests", "events.append requests by reply code", ["code"], registry=r)
        self.ack_seconds = Histogram(
            "dsm_ingest_ack_seconds",
            "Seconds from events.append to its acknowledgement",
            buckets=ACK_BUCKETS,
            registry=r,
        )
        self.connections = Gauge("dsm_link_connections", "Open WebSocket connections", registry=r)
        self.connections.set_function(lambda: float(connections()))
        self.figures = DataStoreFigures()
        r.register(self.figures)

    def ingested(self, accepted: int, duplicates: int, seconds: float) -> None:
        self.events.labels("accepted").inc(accepted)
        self.events.labels("duplicate").inc(duplicates)
        self.requests.labels("ok").inc()
        self.ack_seconds.observe(seconds)

    def refused(self, code: str) -> None:
        self.requests.labels(code).inc()

    async def exposition(self) -> bytes:
        since = math.floor(self.clock() / HOUR) * HOUR - HOUR
        totals, recent = await self.db.read(
            lambda conn: (rollups.op_totals(conn), rollups.recent_op_sketches(conn, since))
        )
        # Set and formatted with no await between: a concurrent scrape cannot interleave.
        self.figures.totals, self.figures.recent = totals, recent
        return generate_latest(self.registry)


def metrics_handler(get: Callable[[web.Request], Metrics]) -> Callable[[web.Request], object]:
    """The `/metrics` route: the figures are read on the database's read path, then formatted."""

    async def handler(request: web.Request) -> web.Response:
        body = await get(request).exposition()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})

    return handler
