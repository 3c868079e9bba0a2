"""Sends a demo month through the real link, as the plugin would: one connection and `hello` per Studio session,
`events.append` in batches, `edits.record` per write, `cache.put`/`cache.get` for values read; then one report of
every type through `reports.generate`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dsm.demo.month import Session
from dsm.link.client import LinkClient
from dsm.reports.catalog import NAMES

BATCH = 200  # events per `events.append`: the plugin's queue sends up to this many at once
CACHE_READS = 40  # values of the last sessions put in the companion's cache, then read back

Progress = Callable[[str], None]


@dataclass
class Sent:
    """What the companion acknowledged."""

    sessions: int = 0
    events: int = 0
    duplicates: int = 0
    edits: int = 0
    cache_puts: int = 0
    cache_hits: int = 0
    reports: dict[str, str] = field(default_factory=dict)  # type -> report id


async def _connect(url: str, user_id: int, session: Session, token: str | None) -> LinkClient:
    client = await LinkClient.connect(url)
    body: dict[str, Any] = {
        "protocol": 1,
        "plugin": {"version": "demo"},
        "user": {"id": user_id},
        "studio": {"placeId": session.place_id, "gameId": session.place_id // 7, "sessionId": session.session_id},
    }
    if token is not None:
        body["token"] = token
    try:
        await client.call("hello", body)
    except BaseException:
        await client.close()
        raise
    return client


async def _send_session(client: LinkClient, session: Session, sent: Sent) -> None:
    for start in range(0, len(session.events), BATCH):
        reply = await client.call("events.append", {"events": session.events[start : start + BATCH]})
        sent.events += reply["accepted"]
        sent.duplicates += reply["duplicates"]
    ids: list[str] = []
    for edit in session.edits:
        body = dict(edit.body)
        if edit.undoes is not None:
            body["undoes"] = ids[edit.undoes]
        reply = await client.call("edits.record", {"edit": body})
        ids.append(reply["edit"]["id"])
        sent.edits += 1
    sent.sessions += 1


async def _use_cache(client: LinkClient, sessions: list[Session], sent: Sent) -> None:
    """The plugin caches the values it read and asks the cache first next time: some hits, some misses."""
    reads = [r for s in sessions[-8:] for r in s.reads][-CACHE_READS:]
    for i, (datastore, key) in enumerate(reads):
        address = {"type": "value", "datastore": datastore, "scope": "global", "key": key}
        if i % 3 != 2:  # a third are never put: misses
            await client.call("cache.put", {**address, "value": {"demo": True, "key": key}})
            sent.cache_puts += 1
        hit = await client.call("cache.get", address)
        sent.cache_hits += bool(hit["hit"])


async def _reports(client: LinkClient, sent: Sent, say: Progress) -> None:
    """One report of every type over its default period (HISTORICAL_COMPARISON: the last 7 days against the 7
    before)."""
    for name in NAMES:
        reply = await client.call("reports.generate", {"type": name, "options": {}}, timeout=300)
        sent.reports[name] = reply["report"]["id"]
        say(f"generated {name}: {reply['report']['title']}")


async def send_month(
    url: str, user_id: int, sessions: list[Session], token: str | None = None, progress: Progress | None = None
) -> Sent:
    """Send every session, use the cache, generate every report type; returns what was acknowledged."""
    say = progress or (lambda _line: None)
    sent = Sent()
    total = sum(len(s.events) for s in sessions)
    for i, session in enumerate(sessions):
        client = await _connect(url, user_id, session, token)
        try:
            await _send_session(client, session, sent)
            if i == len(sessions) - 1:
                await _use_cache(client, sessions, sent)
                say(f"sent {sent.events}/{total} events, {sent.edits} edits in {sent.sessions} sessions")
                await _reports(client, sent, say)
        finally:
            await client.close()
        if i % 10 == 9:
            say(f"sent {sent.events}/{total} events in {sent.sessions}/{len(sessions)} Studio sessions")
    return sent
