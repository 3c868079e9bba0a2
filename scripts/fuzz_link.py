"""Long-run fuzzing of the link: at least 100,000 hostile frames against a `dsm serve` this script starts itself.

The frames come from tests/hostile_frames.py, the strategies the suite's property tests use, here drawn at random
in far greater number: every op with one field of the wrong type or range (integers past 64 bits, timestamps
outside 2000..2100, deep values, over-long strings, msgpack-only values), unknown fields and ops, unreadable frames
(truncated, trailing bytes, bad UTF-8, not an object, bad ids), a second hello, and handshakes out of order on new
connections. Each frame has one promised reply; the script counts replies by code and reports every reply that is
not the promised one, every `internal`, every connection the server closed, every frame left unanswered, any
change to the database (seeded with a user's data first) and every traceback in the server's log.

Loopback only: the server is started here on 127.0.0.1 with a fresh database, and nothing else is contacted.

Usage: python scripts/fuzz_link.py [--frames 100000] [--max-seconds 1800] [--seed 1] [--connections 4]
Exit status 0 when every frame got its promised reply and nothing changed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the strategies of the suite's property tests

from hypothesis import HealthCheck, Phase, given, seed, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from bench_ingest import Server  # noqa: E402
from dsm.link.client import LinkClient, LinkError  # noqa: E402
from hostile_frames import QUIET_HELLO, Probe, Session, after_hello, broken_field, handshakes  # noqa: E402
from support import fingerprint  # noqa: E402

BATCH = 2_000  # probes drawn per round
SESSIONS_PER_BATCH = 20  # new connections per round that send frames before (or instead of) a valid hello
WINDOW = 16  # requests in flight per connection (the server allows 32)
REPLY_TIMEOUT_S = 30.0
USER = QUIET_HELLO["user"]["id"]
# Most frames break one field of one op (the largest space); the rest are spread over the other kinds of probe.
MIX = st.one_of(broken_field(), broken_field(), after_hello())


@dataclass
class Tally:
    frames: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    wrong: int = 0
    closed: int = 0
    unanswered: int = 0
    examples: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # a valid request refused after hostile ones

    def record(self, probe: Probe, reply: dict[str, Any] | None, problem: str | None = None) -> None:
        self.frames += 1
        if reply is None:
            self.unanswered += 1
            problem = problem or "no reply"
        else:
            self.codes["ok" if reply.get("ok") else str((reply.get("error") or {}).get("code"))] += 1
            problem = probe.check(reply)
        if problem:
            self.wrong += 1
            if len(self.examples) < 20:
                self.examples.append(f"{probe.what}: {problem}")


def draw(strategy: st.SearchStrategy[Any], count: int, round_seed: int) -> list[Any]:
    """`count` examples of `strategy` (generation only: nothing fails, so nothing is shrunk)."""
    drawn: list[Any] = []

    @seed(round_seed)
    @settings(
        max_examples=count,
        database=None,
        deadline=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(item: Any) -> None:
        drawn.append(item)

    collect()
    return drawn


async def greeted(url: str) -> LinkClient:
    client = await LinkClient.connect(url)
    await client.call("hello", QUIET_HELLO)
    return client


class Channel:
    """One greeted connection sending probes with up to WINDOW in flight; reconnects if the server closes it."""

    def __init__(self, url: str, tally: Tally) -> None:
        self.url = url
        self.tally = tally
        self.client: LinkClient | None = None
        self.window = asyncio.Semaphore(WINDOW)
        self.in_flight: dict[str, asyncio.Task[None]] = {}

    async def _ready(self) -> LinkClient:
        if self.client is None or self.client.ws.closed:
            if self.client is not None:
                self.tally.closed += 1
                await self.client.close()
            self.client = await greeted(self.url)
        return self.client

    async def send(self, probe: Probe) -> None:
        client = await self._ready()
        if probe.request_id is None:  # its reply carries no id: let the others finish, then send it alone
            await self.settle()
            try:
                await client.send_frame(probe.frame, binary=probe.binary)
            except ConnectionError as exc:  # closed under us: counted when the channel reconnects
                self.tally.record(probe, None, f"not sent ({exc!r})")
                return
            self.tally.record(probe, await unmatched_reply(client))
            return
        while probe.request_id in self.in_flight:  # ids are drawn, so they may repeat: one at a time per id
            await self.in_flight[probe.request_id]
        await self.window.acquire()
        future = client.expect(probe.request_id)
        try:
            await client.send_frame(probe.frame, binary=probe.binary)
        except ConnectionError as exc:  # closed under us: counted when the channel reconnects
            future.cancel()
            self.window.release()
            self.tally.record(probe, None, f"not sent ({exc!r})")
            return
        task = asyncio.create_task(self._answer(probe, future))
        self.in_flight[probe.request_id] = task

    async def _answer(self, probe: Probe, future: asyncio.Future[dict[str, Any]]) -> None:
        try:
            self.tally.record(probe, await asyncio.wait_for(future, REPLY_TIMEOUT_S))
        except (TimeoutError, ConnectionError) as exc:
            self.tally.record(probe, None, f"no reply ({exc.__class__.__name__})")
        finally:
            self.window.release()
            assert probe.request_id is not None
            self.in_flight.pop(probe.request_id, None)

    async def settle(self) -> None:
        if self.in_flight:
            await asyncio.gather(*self.in_flight.values())

    async def close(self) -> None:
        await self.settle()
        if self.client is not None:
            await self.client.close()


async def unmatched_reply(client: LinkClient) -> dict[str, Any] | None:
    """The next reply without an id, or None if the connection closes (or nothing comes) first."""
    reply = asyncio.ensure_future(client.unmatched.get())
    closed = asyncio.ensure_future(client.wait_closed())
    await asyncio.wait({reply, closed}, timeout=REPLY_TIMEOUT_S, return_when=asyncio.FIRST_COMPLETED)
    closed.cancel()
    if reply.done():
        return reply.result()
    reply.cancel()
    return None


async def run_session(url: str, session: Session, tally: Tally) -> None:
    """Frames on a new connection before any valid hello; then a valid hello must still be accepted."""
    client = await LinkClient.connect(url)
    try:
        for probe in session.probes:
            waiting = client.expect(probe.request_id) if probe.request_id is not None else None
            try:
                await client.send_frame(probe.frame, binary=probe.binary)
            except ConnectionError as exc:
                tally.closed += 1
                tally.record(probe, None, f"not sent, the server closed the connection ({exc!r})")
                return
            if waiting is None:
                tally.record(probe, await unmatched_reply(client))
                continue
            try:
                tally.record(probe, await asyncio.wait_for(waiting, REPLY_TIMEOUT_S))
            except (TimeoutError, ConnectionError) as exc:
                tally.record(probe, None, f"no reply ({exc.__class__.__name__})")
        try:
            await client.call("hello", QUIET_HELLO)
        except (LinkError, ConnectionError, TimeoutError) as exc:
            tally.failures.append(f"a valid hello after {len(session.probes)} probes failed: {exc!r}")
    finally:
        await client.close()


async def seed_data(url: str) -> None:
    """A user with something in every store, so "changes nothing" is checked against real rows. Events are dated
    three days back: the schedule's automatic reports look at the last completed period only."""
    client = await LinkClient.connect(url)
    try:
        await client.hello(USER, session_id="FUZZ-SEED")
        events = [
            {"id": f"SEED-{n}", "ts": time.time() - 3 * 86400 + n, "kind": "ui", "name": "button_click"}
            for n in range(50)
        ]
        await client.call("events.append", {"events": events})
        await client.call("settings.update", {"patch": {"ui": {"enableNotifications": False}}})
        await client.call("cache.put", {"type": "value", "datastore": "D", "key": "k", "value": {"coins": 1}})
        await client.call("history.snapshot", {"label": "seed", "body": {"a": 1}})
        await client.call("analytics.snapshot", {"data": {"a": 1}})
        await client.call("reports.generate", {"type": "DAILY_SUMMARY"})
    finally:
        await client.close()


def progress(tally: Tally, started: float) -> None:
    rate = tally.frames / max(time.monotonic() - started, 1e-9)
    top = ", ".join(f"{code} {n:,}" for code, n in tally.codes.most_common(5))
    print(f"\r  {tally.frames:,} frames, {rate:,.0f}/s; {top}; wrong {tally.wrong}", end="", file=sys.stderr)


async def fuzz(args: argparse.Namespace, folder: Path) -> tuple[Tally, bool, int, float]:
    log = folder / "server.log"
    async with Server(folder / "fuzz.sqlite3", log) as server:
        await seed_data(server.url)
        before = fingerprint(folder / "fuzz.sqlite3")
        tally = Tally()
        channels = [Channel(server.url, tally) for _ in range(args.connections)]
        started = time.monotonic()
        round_no = 0
        while tally.frames < args.frames and time.monotonic() - started < args.max_seconds:
            probes = draw(MIX, BATCH, args.seed * 1_000_003 + round_no)
            sessions = draw(handshakes(), SESSIONS_PER_BATCH, args.seed * 1_000_003 + round_no + 500_000)
            await asyncio.gather(
                *(run_channel(channel, probes[n :: len(channels)]) for n, channel in enumerate(channels)),
                *(run_session(server.url, session, tally) for session in sessions),
            )
            round_no += 1
            progress(tally, started)
        elapsed = time.monotonic() - started
        for channel in channels:
            await channel.close()
        print(file=sys.stderr)
        unchanged = fingerprint(folder / "fuzz.sqlite3") == before
    tracebacks = log.read_text(errors="replace").count("Traceback")
    return tally, unchanged, tracebacks, elapsed


async def run_channel(channel: Channel, probes: list[Probe]) -> None:
    for probe in probes:
        await channel.send(probe)
    await channel.settle()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--frames", type=int, default=100_000, help="stop after this many frames (default 100,000)")
    parser.add_argument("--max-seconds", type=float, default=1800.0, help="or after this long (default 1800)")
    parser.add_argument("--seed", type=int, default=1, help="seed of the random draw (default 1)")
    parser.add_argument("--connections", type=int, default=4, help="greeted connections in parallel (default 4)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tally, unchanged, tracebacks, elapsed = asyncio.run(fuzz(args, Path(tmp)))
    rows = [
        ("frames sent", f"{tally.frames:,}"),
        *((f"  replies {code}", f"{n:,}") for code, n in sorted(tally.codes.items())),
        ("  replies internal", f"{tally.codes.get('internal', 0):,}"),
        ("not the promised reply", f"{tally.wrong:,}"),
        ("frames without a reply", f"{tally.unanswered:,}"),
        ("connections the server closed", f"{tally.closed:,}"),
        ("valid hellos refused after probes", f"{len(tally.failures):,}"),
        ("database changed", "no" if unchanged else "YES"),
        ("tracebacks in the server log", f"{tracebacks:,}"),
        ("elapsed", f"{elapsed:,.0f} s ({tally.frames / max(elapsed, 1e-9):,.0f} frames/s)"),
    ]
    print()
    for name, value in dict(rows).items():
        print(f"{name:<34} {value:>16}")
    for example in tally.examples:
        print(f"  {example}")
    for failure in tally.failures[:20]:
        print(f"  {failure}")
    clean = not tally.wrong and not tally.closed and not tally.failures and not tracebacks
    ok = clean and unchanged and tally.frames > 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
