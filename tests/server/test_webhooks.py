"""Webhook notifications: a real local receiver on a free port gets the anomaly and the daily summary in each
format; a failing receiver gets them after the backoff; a hanging one never delays an acknowledgement."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web

from dsm.config import ServerConfig
from dsm.demo.month import month
from dsm.demo.send import send_month
from dsm.link.client import LinkClient, LinkError
from support import FIXED_NOW, RunningServer, event, start_server

YESTERDAY = FIXED_NOW - 86400  # noon of the day DAILY_SUMMARY covers by default


@dataclass
class Receiver:
    """A webhook endpoint: answers `statuses` in turn (then 204), or never answers while `hang` is set."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    hang: bool = False
    bodies: list[dict[str, Any]] = field(default_factory=list)
    tries: int = 0
    arrived: asyncio.Event = field(default_factory=asyncio.Event)
    release: asyncio.Event = field(default_factory=asyncio.Event)
    changed: asyncio.Condition = field(default_factory=asyncio.Condition)

    async def handle(self, request: web.Request) -> web.Response:
        self.tries += 1
        self.arrived.set()
        await self._tell()
        if self.hang:
            await self.release.wait()
        status = self.statuses.pop(0) if self.statuses else 204
        if status < 300:
            self.bodies.append(await request.json())
            await self._tell()
        return web.Response(status=status)

    async def wait_for(self, count: int, tries: int = 0) -> list[dict[str, Any]]:
        """Once `count` bodies were taken and `tries` requests came (a bound, not a timed assertion)."""
        async with asyncio.timeout(60), self.changed:
            await self.changed.wait_for(lambda: len(self.bodies) >= count and self.tries >= tries)
        return self.bodies

    async def _tell(self) -> None:
        async with self.changed:
            self.changed.notify_all()


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    hook = Receiver()
    app = web.Application()
    app.router.add_post("/hook", hook.handle)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
    hook.url = f"http://127.0.0.1:{port}/hook"
    yield hook
    hook.release.set()
    await runner.cleanup()


@dataclass
class Sleeps:
    """The notifier's injected sleep: records each backoff and returns at once."""

    delays: list[float] = field(default_factory=list)

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


async def _user(url: str, user_id: int, notifications: dict[str, Any]) -> LinkClient:
    client = await LinkClient.connect(url)
    await client.hello(user_id)
    await client.call("settings.update", {"patch": {"notifications": notifications}})
    return client


async def _summary_of_a_few_events(client: LinkClient) -> dict[str, Any]:
    calls = [event(i, ts=YESTERDAY, kind="datastore", name="getData", ok=i != 4, latencyMs=50.0) for i in range(5)]
    await client.call("events.append", {"events": calls})
    return (await client.call("reports.generate", {"type": "DAILY_SUMMARY"}))["report"]


async def test_anomaly_and_daily_summary_reach_a_discord_webhook(server: RunningServer, receiver: Receiver) -> None:
    client = await _user(server.ws_url, 5, {"webhookUrl": receiver.url, "webhookFormat": "discord"})
    await client.close()
    sent = await send_month(server.ws_url, 5, month(3, FIXED_NOW))
    bodies = await receiver.wait_for(2)
    assert len(bodies) == 2 and receiver.tries == 2  # only these two of the seven reports notify
    by_title = {b["embeds"][0]["footer"]["text"].split(" · ")[0]: b for b in bodies}
    anomaly, summary = by_title["ANOMALY_DETECTION"], by_title["DAILY_SUMMARY"]
    assert anomaly["content"].startswith("DataStore Manager Pro: 3 anomalies found for user 5")
    assert "error burst" in anomaly["embeds"][0]["description"]
    assert anomaly["embeds"][0]["footer"]["text"].endswith(sent.reports["ANOMALY_DETECTION"])
    assert summary["content"] == "DataStore Manager Pro: daily summary for user 5"
    assert summary["embeds"][0]["timestamp"] == "2026-06-15T12:00:00Z"
    assert summary["allowed_mentions"] == {"parse": []}  # a report's text never pings anyone


@pytest.mark.parametrize("fmt", ["slack", "json"])
async def test_the_daily_summary_in_slack_and_plain_json(server: RunningServer, receiver: Receiver, fmt: str) -> None:
    client = await _user(server.ws_url, 6, {"webhookUrl": receiver.url, "webhookFormat": fmt})
    try:
        report = await _summary_of_a_few_events(client)
    finally:
        await client.close()
    (body,) = await receiver.wait_for(1)
    if fmt == "slack":
        assert body["text"] == "DataStore Manager Pro: daily summary for user 6"
        assert body["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": report["title"]}}
        assert report["body"]["insights"][0] in body["blocks"][1]["text"]["text"]
    else:
        assert body["event"] == "daily_summary" and body["user"] == 6
        assert body["report"]["id"] == report["id"] and body["insights"] == report["body"]["insights"]
        assert body["metrics"]["events.total"] == 5


async def test_no_webhook_url_or_notices_turned_off_send_nothing(server: RunningServer, receiver: Receiver) -> None:
    client = await _user(server.ws_url, 7, {"webhookUrl": receiver.url, "notifyDailySummary": False})
    try:
        await _summary_of_a_few_events(client)
        await client.call("settings.update", {"patch": {"notifications": {"notifyDailySummary": True}}})
        await client.call("reports.generate", {"type": "PERFORMANCE_ANALYSIS"})  # not a notifying type
        await client.call("reports.generate", {"type": "DAILY_SUMMARY"})
        await receiver.wait_for(1)  # the queue is in order: had the first notified, it would have come first
        status = await client.call("status", {})
    finally:
        await client.close()
    assert receiver.tries == 1 and status["notifications"]["users"]["7"]["sent"] == 1


async def test_a_receiver_failing_twice_gets_it_on_the_third_try_after_backing_off(
    server_factory: Callable[..., Awaitable[RunningServer]],
    config: ServerConfig,
    receiver: Receiver,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sleeps = Sleeps()
    running = await server_factory(config, sleep=sleeps)
    receiver.statuses = [500, 503]
    client = await _user(running.ws_url, 8, {"webhookUrl": receiver.url, "webhookFormat": "json"})
    try:
        report = await _summary_of_a_few_events(client)
        (body,) = await receiver.wait_for(1)
        status = await client.call("status", {})
    finally:
        await client.close()
    assert body["report"]["id"] == report["id"]
    assert receiver.tries == 3 and sleeps.delays == [1.0, 2.0]
    figures = status["notifications"]["users"]["8"]
    assert figures["sent"] == 1 and figures["retries"] == 2 and figures["failed"] == 0
    assert figures["lastError"]["error"] == "HTTP 503 Service Unavailable"
    assert figures["lastError"]["host"] == receiver.url.split("/")[2]
    host = receiver.url.split("/")[2]
    logged = [r.getMessage() for r in caplog.records if r.name == "dsm.notify.notifier"]
    assert logged == [
        f"webhook to {host} failed (HTTP 500 Internal Server Error), try 2 of 5 in 1 s",
        f"webhook to {host} failed (HTTP 503 Service Unavailable), try 3 of 5 in 2 s",
    ]


async def test_a_receiver_that_always_fails_is_given_up_after_five_tries(
    server_factory: Callable[..., Awaitable[RunningServer]], config: ServerConfig, receiver: Receiver
) -> None:
    sleeps = Sleeps()
    running = await server_factory(config, sleep=sleeps)
    receiver.statuses = [500] * 5
    client = await _user(running.ws_url, 12, {"webhookUrl": receiver.url, "webhookFormat": "json"})
    try:
        await _summary_of_a_few_events(client)
        await receiver.wait_for(0, tries=5)
        async with asyncio.timeout(60):
            status = await client.call("status", {})
            while status["notifications"]["pending"]:  # the fifth answer is being read
                status = await client.call("status", {})
    finally:
        await client.close()
    figures = status["notifications"]["users"]["12"]
    assert receiver.bodies == [] and receiver.tries == 5 and sleeps.delays == [1.0, 2.0, 4.0, 8.0]
    assert figures["sent"] == 0 and figures["failed"] == 1 and figures["retries"] == 4
    assert figures["lastError"]["error"] == "HTTP 500 Internal Server Error"


async def test_a_receiver_that_never_answers_does_not_delay_ingest(server: RunningServer, receiver: Receiver) -> None:
    receiver.hang = True
    client = await _user(server.ws_url, 9, {"webhookUrl": receiver.url, "webhookFormat": "json"})
    try:
        await _summary_of_a_few_events(client)
        await asyncio.wait_for(receiver.arrived.wait(), 60)  # the delivery is under way and hanging
        ack = await client.call("events.append", {"events": [event(100, ts=FIXED_NOW - 60)]})
        status = await client.call("status", {})
        assert receiver.bodies == [] and not receiver.release.is_set()  # still hanging while acks come back
    finally:
        await client.close()
    assert ack == {"accepted": 1, "duplicates": 0}
    assert status["notifications"]["pending"] == 1


async def test_a_webhook_url_must_be_http_and_is_refused_naming_the_setting(connect: Any) -> None:
    client = await connect(10)
    for bad in ("ftp://example.com/x", "discord.com/api/webhooks/1", "http://", "http://a b"):
        with pytest.raises(LinkError) as refused:
            await client.call("settings.update", {"patch": {"notifications": {"webhookUrl": bad}}})
        assert str(refused.value).startswith("invalid_body: patch.notifications.webhookUrl: expected an http://")
    with pytest.raises(LinkError) as refused:
        await client.call("settings.update", {"patch": {"notifications": {"webhookUrl": 5}}})
    assert "expected text" in str(refused.value)
    off = await client.call("settings.update", {"patch": {"notifications": {"webhookUrl": ""}}})
    assert off["settings"]["notifications"] == {
        "webhookUrl": "",
        "webhookFormat": "discord",
        "notifyAnomalies": True,
        "notifyDailySummary": True,
    }


async def test_the_schedules_daily_summary_reaches_the_webhook(
    server_factory: Callable[..., Awaitable[RunningServer]], config: ServerConfig, receiver: Receiver
) -> None:
    setup = await start_server(config)  # no schedule: the webhook and the day's events are in place first
    client = await _user(setup.ws_url, 11, {"webhookUrl": receiver.url, "webhookFormat": "json"})
    try:
        calls = [event(i, ts=YESTERDAY, kind="datastore", name="getData", ok=True, latencyMs=9.0) for i in range(3)]
        await client.call("events.append", {"events": calls})
    finally:
        await client.close()
        await setup.runner.cleanup()
    running = await server_factory(config, schedule_interval=0.05)  # its first tick makes yesterday's summary
    (body,) = await receiver.wait_for(1)
    client = await _user(running.ws_url, 11, {})
    try:
        saved = (await client.call("reports.list", {"type": "DAILY_SUMMARY"}))["reports"]
    finally:
        await client.close()
    assert body["event"] == "daily_summary" and body["user"] == 11
    assert [r["id"] for r in saved] == [body["report"]["id"]] and body["metrics"]["events.total"] == 3
