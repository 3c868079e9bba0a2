"""The `dsm` command: argument parsing only; the work happens in the modules it calls.

Every fault ends as one line on stderr and an exit status from `dsm.exitcodes` (listed in `--help`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from dsm import __version__
from dsm.analytics.commands import add_rollups_parser
from dsm.backups.cli import add_backups_parser
from dsm.config import DEFAULT_HOST, DEFAULT_PORT, ServerConfig, default_db_path
from dsm.demo.cli import add_demo_parser
from dsm.exitcodes import Exit, epilog
from dsm.plugin_build.cli import add_parser as add_plugin_parser
from dsm.reports.cli import add_parsers as add_report_parsers
from dsm.store.commands import add_doctor_parser
from dsm.store.health import StoreFault

Command = Callable[[argparse.Namespace], int]


class Parser(argparse.ArgumentParser):
    """A usage mistake is one line naming the option and pointing at `--help` (not the whole usage text)."""

    def error(self, message: str) -> NoReturn:
        self.exit(Exit.USAGE, f"{self.prog}: {message} (see `{self.prog} --help`)\n")


def port_number(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port: expected 0..65535 (0 picks a free one)")
    return port


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
        _ignore_ctrl_c()
    except RefusedToStart as exc:
        print(f"dsm serve: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        # Windows: Ctrl+C cancels the server's task; it has shut down gracefully by the time this arrives.
        _ignore_ctrl_c()
    print(f"dsm stopped: every acknowledged write is saved in {config.db_path}", flush=True)
    return Exit.OK


def _ignore_ctrl_c() -> None:
    """The server has stopped: a second Ctrl+C (or one passed on by scripts/serve.py) has nothing left to stop."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _serve_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "serve",
        help="run the companion server for the Studio plugin",
        description="Run the companion server the Studio plugin connects to. Ctrl+C stops it gracefully: "
        "requests in flight are answered and pending writes committed first.",
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--host", default=DEFAULT_HOST, help=f"address to bind (default {DEFAULT_HOST})")
    p.add_argument(
        "--port", type=port_number, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0 picks a free one)"
    )
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
    add_doctor_parser,
    add_backups_parser,
    add_demo_parser,
]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="dsm",
        description="DataStore Manager Pro companion server and tools.",
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
    try:
        status = func(args)
        sys.stdout.flush()  # a closed pipe shows up here, not as a warning at exit
        return status
    except StoreFault as fault:
        print(f"dsm {args.command}: {fault}", file=sys.stderr)
        return fault.exit_code
    except KeyboardInterrupt:
        print(f"\ndsm {args.command}: interrupted (Ctrl+C)", file=sys.stderr)
        return Exit.INTERRUPTED
    except BrokenPipeError:
        _discard_stdout()
        return Exit.OUTPUT_CLOSED


def _discard_stdout() -> None:
    """The reader went away (`dsm report list | head`): say nothing more, and let the exit flush go nowhere."""
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
