"""`dsm demo`: a month of sample Studio activity sent through the real link, then one report of every type, so a
new user sees what the companion does before installing the plugin.

Without `--url` it fills a separate database (`demo.sqlite3` beside the usual one, or `--db`) through a companion
of its own on a free loopback port; with `--url` it sends to a running companion, as user `--user`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from pathlib import Path

from aiohttp import web

from dsm.clock import Clock, system_clock
from dsm.config import DEFAULT_PORT, ServerConfig, default_db_path
from dsm.demo.month import DAYS, month
from dsm.demo.send import Sent, send_month
from dsm.exitcodes import Exit, epilog
from dsm.link.client import LinkError
from dsm.reports.runner import parse_when

DEMO_USER = 1  # Roblox's own account id: never a real Studio user's, so demo rows stand out
DEMO_DB_NAME = "demo.sqlite3"


def default_demo_db() -> Path:
    return default_db_path().with_name(DEMO_DB_NAME)


def _say(line: str) -> None:
    print(f"dsm demo: {line}", file=sys.stderr, flush=True)


async def fill_in_process(db: Path, user_id: int, seed: int, clock: Clock, days: int = DAYS) -> Sent:
    """Start a companion of its own on a free loopback port over `db`, send the month to it, stop it."""
    from dsm.app import PORT, make_app

    config = ServerConfig(db_path=db, port=0, schedule_interval=0.0, clock=clock)
    app = make_app(config)
    runner = web.AppRunner(app, handle_signals=False)
    await runner.setup()
    try:
        site = web.TCPSite(runner, config.host, 0)
        await site.start()
        port = next(a[1] for a in runner.addresses if isinstance(a, tuple))
        app[PORT][0] = port
        sessions = month(seed, clock(), days)
        _say(f"sending {days} days of activity ({len(sessions)} Studio sessions) to a companion on port {port}")
        return await send_month(f"ws://127.0.0.1:{port}/ws", user_id, sessions, progress=_say)
    finally:
        await runner.cleanup()


def _dashboard(url: str | None, user_id: int) -> str:
    if url is None:
        return f"http://127.0.0.1:{DEFAULT_PORT}/"
    base = url.replace("ws://", "http://").replace("wss://", "https://").removesuffix("/ws")
    return f"{base}/?user={user_id}"


def _demo(args: argparse.Namespace) -> int:
    if not args.verbose:  # the companion's own log lines would bury the progress
        logging.getLogger().setLevel(logging.WARNING)
    now: float | None = args.now
    clock: Clock = (lambda: now) if now is not None else system_clock
    if args.url and args.db:
        print("dsm demo: give --db or --url, not both (--url sends to that companion's database)", file=sys.stderr)
        return Exit.USAGE
    try:
        if args.url:
            sessions = month(args.seed, clock(), args.days)
            _say(f"sending {args.days} days of activity ({len(sessions)} Studio sessions) to {args.url}")
            sent = asyncio.run(send_month(args.url, args.user, sessions, args.token, _say))
        else:
            db = args.db or default_demo_db()
            db.parent.mkdir(parents=True, exist_ok=True)
            sent = asyncio.run(fill_in_process(db, args.user, args.seed, clock, args.days))
    except LinkError as exc:
        print(f"dsm demo: the companion refused the demo data: {exc}", file=sys.stderr)
        return Exit.USAGE
    except OSError as exc:
        if not args.url:  # its own companion on a free loopback port: the machine refused the port
            print(f"dsm demo: cannot start a companion on a free loopback port: {exc}", file=sys.stderr)
            return Exit.CANNOT_LISTEN
        print(f"dsm demo: no companion answers at {args.url} ({exc}): start `dsm serve` first", file=sys.stderr)
        return Exit.UNREACHABLE
    print(
        f"demo ready: {sent.events} events ({sent.duplicates} already there), {sent.edits} edits, "
        f"{sent.sessions} Studio sessions and {len(sent.reports)} reports for user {args.user}"
    )
    if args.url:
        print(f"open {_dashboard(args.url, args.user)} to see them")
        if args.token:  # a browser has no session yet: the dashboard sends it to /login, which takes the token
            print("   (log in with the URL `dsm serve --token` printed, or with the token on the login page)")
    else:
        db = args.db or default_demo_db()
        print(f"see them: dsm serve --db {db}\n     then open {_dashboard(None, args.user)}")
    return Exit.OK


def _when(text: str) -> float:
    try:
        return parse_when(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def add_demo_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "demo",
        help="fill a demo database with a month of sample Studio activity and generate every report",
        description="Send a made-up but realistic month of one Studio user's plugin activity through the real "
        "link (browsing, DataStore reads with their latency spread, failures with Roblox's error codes, a "
        "throttling episode, an anomaly, edits, cache use), then generate one report of every type. "
        f"By default the data goes into a separate database, {default_demo_db()}, so your own stays untouched; "
        "`dsm serve --db` that file and open the dashboard. With --url it goes to a running companion instead, "
        f"as user --user (default {DEMO_USER}). The same --seed and --now give the same month.",
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--db", type=Path, default=None, help=f"database file to fill (default: {default_demo_db()})")
    p.add_argument("--url", default=None, help="send to a running companion instead, e.g. ws://127.0.0.1:34873/ws")
    p.add_argument("--token", default=None, help="the running companion's --token (with --url)")
    p.add_argument("--user", type=int, default=DEMO_USER, help=f"Studio user id of the demo data (default {DEMO_USER})")
    p.add_argument("--seed", type=int, default=11, help="random seed: the same seed gives the same month (default 11)")
    p.add_argument("--days", type=int, choices=range(15, 61), default=DAYS, metavar="15..60", help="days of activity")
    p.add_argument(
        "--now", type=_when, default=None, metavar="WHEN", help="end the month at this time (default: now), UTC"
    )
    p.set_defaults(func=_demo)
