"""The `dsm` command: argument parsing only; the work happens in the modules it calls."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from dsm import __version__
from dsm.analytics.commands import add_rollups_parser
from dsm.config import DEFAULT_HOST, DEFAULT_PORT, ServerConfig, default_db_path
from dsm.plugin_build.cli import add_parser as add_plugin_parser
from dsm.reports.cli import add_parsers as add_report_parsers

Command = Callable[[argparse.Namespace], int]


def _add_db(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, default=None, help=f"SQLite database file (default: {default_db_path()})")


def _serve(args: argparse.Namespace) -> int:
    from dsm.server import RefusedToStart, serve

    origins = frozenset(o.rstrip("/") for o in args.allow_origin)
    config = ServerConfig(
        db_path=args.db or default_db_path(),
        host=args.host,
        port=args.port,
        token=args.token,
        allowed_origins=origins,
    )
    try:
        asyncio.run(serve(config, on_ready=lambda line: print(line, flush=True)))
    except RefusedToStart as exc:
        print(f"dsm serve: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        pass
    return 0


def _serve_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "serve",
        help="run the companion server for the Studio plugin",
        description="Run the companion server the Studio plugin connects to.",
    )
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    p.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks a free one)")
    _add_db(p)
    p.add_argument("--token", default=None, help="secret the plugin must send in hello (required off loopback)")
    p.add_argument(
        "--allow-origin",
        action="append",
        default=[],
        metavar="ORIGIN",
        help="extra browser Origin allowed to call the server (repeatable)",
    )
    p.set_defaults(func=_serve)


# Each entry adds one sub-command; feature packages contribute theirs here.
PARSERS: list[Callable[[argparse._SubParsersAction], None]] = [  # type: ignore[type-arg]
    _serve_parser,
    add_plugin_parser,
    add_report_parsers,
    add_rollups_parser,
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="dsm", description="DataStore Manager Pro companion server and tools.")
    parser.add_argument("--version", action="version", version=f"dsm {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log debug details")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for add in PARSERS:
        add(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    func: Command = args.func
    return func(args)
