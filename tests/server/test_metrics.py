"""`GET /metrics`: scraped from a real server after real events, read back with prometheus-client's own parser."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import pytest
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from prometheus_client.parser import text_string_to_metric_families

from dsm.config import ServerConfig
from dsm.link.client import LinkClient, LinkError
from support import ManualClock, RunningServer, event


async def _scrape(url: str, headers: dict[str, str] | None = None) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session, session.get(f"{url}/metrics", headers=headers) as response:
        return response.status, response.headers.get("Content-Type", ""), await response.text()


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    out = {}
    families = list(text_string_to_metric_families(text))
    assert families
    for family in families:
        for sample in family.samples:
            out[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return out


def _call(op: str, ok: bool, latency: float, seq: int, **fields: Any) -> dict[str, Any]:
    return event(seq, kind="datastore", name=op, ok=ok, latencyMs=latency, **fields)


async def test_metrics_count_ingest_connections_and_datastore_calls_per_user_and_operation(
    server: RunningServer, connect: Callable[..., Awaitable[LinkClient]]
) -> None:
    alice, bob = await connect(7), await connect(8, session_id="S2")
    batch = [_call("getData", True, 40.0, 1), _call("getData", False, 60.0, 2, errorCode=502)]
    batch += [_call("listKeys", True, 100.0, 3), event(4)]
    assert await alice.call("events.append", {"events": batch}) == {"accepted": 4, "duplicates": 0}
    assert await alice.call("events.append", {"events": batch[:1]}) == {"accepted": 0, "duplicates": 1}
    assert await bob.call("events.append", {"events": [_call("getData", True, 20.0, 1, session="B")]})
    with pytest.raises(LinkError) as refused:
        await bob.call("events.append", {"events": [{"id": "x"}]})
    assert refused.value.code == "invalid_body"

    status, content_type, text = await _scrape(server.http_url)
    assert status == 200 and content_type == CONTENT_TYPE_LATEST
    samples = _samples(text)
    assert samples[("dsm_ingest_events_total", (("result", "accepted"),))] == 5
    assert samples[("dsm_ingest_events_total", (("result", "duplicate"),))] == 1
    assert samples[("dsm_ingest_requests_total", (("code", "ok"),))] == 3
    assert samples[("dsm_ingest_requests_total", (("code", "invalid_body"),))] == 1
    assert samples[("dsm_ingest_ack_seconds_count", ())] == 3
    assert samples[("dsm_ingest_ack_seconds_bucket", (("le", "+Inf"),))] == 3
    assert samples[("dsm_link_connections", ())] == 2

    def op(name: str, user: str, operation: str) -> float:
        return samples[(name, (("operation", operation), ("user", user)))]

    assert op("dsm_datastore_calls_total", "7", "getData") == 2
    assert op("dsm_datastore_errors_total", "7", "getData") == 1
    assert op("dsm_datastore_latency_seconds_count", "7", "getData") == 2
    assert abs(op("dsm_datastore_latency_seconds_sum", "7", "getData") - 0.1) < 1e-9
    assert op("dsm_datastore_calls_total", "7", "listKeys") == 1
    assert op("dsm_datastore_errors_total", "7", "listKeys") == 0
    assert op("dsm_datastore_calls_total", "8", "getData") == 1

    await bob.close()
    samples = _samples((await _scrape(server.http_url))[2])
    assert samples[("dsm_link_connections", ())] == 1


async def test_each_server_has_its_own_registry(
    server_factory: Callable[..., Awaitable[RunningServer]], config: ServerConfig, tmp_path: Any
) -> None:
    first = await server_factory(config)
    second = await server_factory(config, db_path=tmp_path / "other.sqlite3")
    client = await LinkClient.connect(first.ws_url)
    try:
        await client.hello(1)
        await client.call("events.append", {"events": [event(1)]})
    finally:
        await client.close()
    assert _samples((await _scrape(first.http_url))[2])[("dsm_ingest_events_total", (("result", "accepted"),))] == 1
    other = _samples((await _scrape(second.http_url))[2])
    assert ("dsm_ingest_events_total", (("result", "accepted"),)) not in other  # no label set seen there yet
    assert other[("dsm_link_connections", ())] == 0


async def test_metrics_need_the_token_and_a_loopback_host_like_every_route(
    server_factory: Callable[..., Awaitable[RunningServer]], config: ServerConfig
) -> None:
    running = await server_factory(config, token="s3cret")
    assert (await _scrape(running.http_url))[0] == 401
    status, _, text = await _scrape(running.http_url, {"Authorization": "Bearer s3cret"})
    assert status == 200 and "dsm_link_connections" in text
    assert (await _scrape(running.http_url, {"Authorization": "Bearer s3cret", "Host": "evil.example"}))[0] == 403
    foreign = {"Authorization": "Bearer s3cret", "Origin": "http://evil.example"}
    assert (await _scrape(running.http_url, foreign))[0] == 403


async def test_recent_latency_percentiles_cover_the_current_and_previous_hour_only(
    server: RunningServer, connect: Callable[..., Awaitable[LinkClient]], clock: ManualClock
) -> None:
    client = await connect(7)
    now = clock()
    recent = [_call("getData", True, 10.0 * i, i, ts=now - 60 - i) for i in range(1, 11)]  # 10..100 ms
    old = [_call("getData", True, 5000.0, 100 + i, ts=now - 3 * 3600 - i) for i in range(5)]  # hours ago: not recent
    assert (await client.call("events.append", {"events": recent + old}))["accepted"] == 15
    samples = _samples((await _scrape(server.http_url))[2])

    def quantile(q: str) -> float:
        return samples[
            ("dsm_datastore_recent_latency_seconds", (("operation", "getData"), ("quantile", q), ("user", "7")))
        ]

    assert quantile("0.5") == pytest.approx(0.050, rel=0.01)  # the sketch's bound: within 1%
    assert quantile("0.95") == pytest.approx(0.100, rel=0.01)
    assert quantile("0.99") == pytest.approx(0.100, rel=0.01)
    assert samples[("dsm_datastore_calls_total", (("operation", "getData"), ("user", "7")))] == 15
    clock.advance(2 * 3600)  # two hours on, nothing is recent any more
    later = _samples((await _scrape(server.http_url))[2])
    assert not [key for key in later if key[0] == "dsm_datastore_recent_latency_seconds"]
    assert later[("dsm_datastore_calls_total", (("operation", "getData"), ("user", "7")))] == 15
