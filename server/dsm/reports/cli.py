"""`dsm report generate|list|show`, `dsm export` and `dsm import`: reports and data from a terminal.

They open the database file directly (same migrations and single writer as the server), so they
work whether or not `dsm serve` is running: SQLite's WAL mode lets both use the file at once.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import threading
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, TextIO, TypeVar

from dsm import __version__
from dsm.config import default_db_path
from dsm.errors import DsmError
from dsm.exitcodes import Exit, epilog
from dsm.reports.export import EXPORTERS, export
from dsm.reports.runner import compute, parse_when
from dsm.store import portable
from dsm.store import reports as store
from dsm.store.database import Database
from dsm.store.events import EventStore
from dsm.store.schema import companion_schema
from dsm.validate import Window

T = TypeVar("T")


class CliError(Exception):
    """A problem to print as `dsm <command>: <message>` with exit status `status`."""

    def __init__(self, message: str, status: int = Exit.USAGE) -> None:
        super().__init__(message)
        self.status = status


class Interrupted(Exception):
    """Ctrl+C stopped a command; the message says what was done (instead of a KeyboardInterrupt traceback)."""


async def outlive_interrupt(work: Awaitable[T], on_interrupt: Callable[[], None] = lambda: None) -> tuple[T, bool]:
    """Await `work` to its end even when Ctrl+C comes meanwhile (then `on_interrupt()` is called first, which may
    ask the work to stop early): a write handed to the writer finishes or rolls back, so the outcome is known.
    Returns (result, whether Ctrl+C came)."""
    task = asyncio.ensure_future(work)
    try:
        return await asyncio.shield(task), False
    except asyncio.CancelledError:
        on_interrupt()
        return await task, True


def event_store(db: Database) -> EventStore:
    """The event store with the observers of the schema `db` was opened with, so imported events keep the rollups
    right (the same as the server's)."""
    return EventStore(list(db.schema.observers), db.clock)


def _run(args: argparse.Namespace, work: Callable[[Database, argparse.Namespace], Awaitable[int]]) -> int:
    async def main() -> int:
        db = await Database.open(args.db or default_db_path(), companion_schema())
        try:
            return await work(db, args)
        finally:
            await db.close()

    try:
        return asyncio.run(main())
    except CliError as exc:
        return _fail(args, str(exc), exc.status)
    except DsmError as exc:
        return _fail(args, exc.message, Exit.NOT_FOUND if exc.code == "not_found" else Exit.USAGE)
    except Interrupted as exc:
        return _fail(args, f"interrupted: {exc}", Exit.INTERRUPTED)


def _fail(args: argparse.Namespace, message: str, status: int) -> int:
    command = f"{args.command} {args.action}" if args.command == "report" else args.command
    newline = "\n" if status == Exit.INTERRUPTED else ""  # Ctrl+C may have cut a progress line
    print(f"{newline}dsm {command}: {message}", file=sys.stderr)
    return status


async def pick_user(db: Database, wanted: int | None, fallback: int | None = None) -> int:
    """The `--user` given, else the only user with data (or `fallback` when there is none)."""
    if wanted is not None:
        return wanted
    users = await db.read(lambda conn: portable.known_users(conn, db.tables))
    if len(users) == 1:
        return users[0]
    if not users and fallback is not None:
        return fallback
    if not users:
        raise CliError(NO_DATA)
    raise CliError(f"several Studio users have data ({', '.join(map(str, users))}): pick one with --user ID")


NO_DATA = (
    "the database has no data yet. To see what the reports show, run `dsm demo` (a month of sample activity in "
    "a demo database); to collect your own, install the plugin (`dsm plugin install`), keep `dsm serve` running "
    "and use the DataStore Manager in Studio"
)
USER_HELP = (
    "Studio user id whose data to use: the Roblox user id the plugin sends (each Studio user's data is kept "
    "apart). Default: the only user with data; when there are several, the command lists them"
)


def parse_option(text: str) -> tuple[list[str], Any]:
    """`k=v` or `a.b=v`; the value is read as JSON when it parses (numbers, true, objects), else as text."""
    key, sep, raw = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"{text!r}: expected KEY=VALUE")
    try:
        value = json.loads(raw)
    except json.JSONDecodeError:
        value = raw
    return key.split("."), value


def build_options(args: argparse.Namespace) -> dict[str, Any]:
    options: dict[str, Any] = {}
    for path, value in args.option:
        slot = options
        for part in path[:-1]:
            slot = slot.setdefault(part, {})
        slot[path[-1]] = value
    try:
        if args.start is not None:
            options["from"] = parse_when(args.start)
        if args.end is not None:
            options["to"] = parse_when(args.end, end_of_day=True)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    return options


async def _generate(db: Database, args: argparse.Namespace) -> int:
    user_id = await pick_user(db, args.user)
    options = build_options(args)
    try:
        report = await compute(db, user_id, args.type, options, db.clock())
    except asyncio.CancelledError:
        raise Interrupted("no report saved") from None
    saved, interrupted = await outlive_interrupt(db.write(store.save_job(user_id, report)))
    if interrupted:
        raise Interrupted(f"the report was saved before stopping: {saved.id}")
    print(f"{saved.id}\t{saved.type}\t{saved.title}")
    return 0


async def _list(db: Database, args: argparse.Namespace) -> int:
    user_id = await pick_user(db, args.user)
    rows = await db.read(lambda c: store.list_headers(c, user_id, args.type, Window(None, None, args.limit)))
    for row in rows:
        created = time.strftime("%Y-%m-%d %H:%M", time.gmtime(row["createdAt"]))
        print(f"{row['id']}\t{row['type']}\t{created} UTC\t{row['title']}")
    if not rows:
        print(f"no reports for user {user_id}", file=sys.stderr)
    return 0


async def _show(db: Database, args: argparse.Namespace) -> int:
    user_id = await pick_user(db, args.user)
    report = await db.read(lambda c: store.get(c, user_id, args.id))
    if report is None:
        raise CliError(f"no report with id {args.id} for user {user_id}", status=1)
    content = export(report, args.format).content
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(content, encoding="utf-8", newline="")
        print(f"wrote {args.output}", file=sys.stderr)
    else:
        sys.stdout.buffer.write(content.encode("utf-8"))
        sys.stdout.flush()
    return 0


class TextProgress:
    """`label [#####.....] done/total rows` on one stderr line (plain ASCII and `\\r`: fine on Windows consoles)."""

    def __init__(self, label: str, total: int, stream: TextIO | None = None, width: int = 30) -> None:
        self.label, self.total, self.width = label, total, width
        self.stream = stream or sys.stderr
        self.live = self.stream.isatty()
        self.finished: dict[str, int] = {}
        self._last = -1

    def update(self, part: str, done: int, part_total: int) -> None:
        if done >= part_total:
            self.finished[part] = part_total
        overall = sum(self.finished.values()) + (0 if part in self.finished else done)
        if self.live:
            filled = self.width * overall // self.total if self.total else self.width
            bar = "#" * filled + "." * (self.width - filled)
            self.stream.write(f"\r{self.label} [{bar}] {overall}/{self.total} rows ({part})   ")
            self.stream.flush()
        elif part in self.finished and overall != self._last:  # a log file gets one line per store
            self.stream.write(f"{self.label}: {overall}/{self.total} rows ({part} done)\n")
            self._last = overall

    def close(self) -> None:
        if self.live:
            self.stream.write("\n")
            self.stream.flush()


async def _export(db: Database, args: argparse.Namespace) -> int:
    user_id = await pick_user(db, args.user)
    users = await db.read(lambda conn: portable.known_users(conn, db.tables))
    if user_id not in users:  # an empty export would look like a backup and restore nothing
        having = f"users with data: {', '.join(map(str, users))}" if users else "it has no data yet"
        raise CliError(f"user {user_id} has no data in {db.path} ({having}); nothing written", Exit.NOT_FOUND)
    at = db.clock()
    nothing = f"nothing written to {args.output}"
    try:
        document = await db.read(lambda c: portable.export_user(c, user_id, at, __version__, tables=db.tables))
    except asyncio.CancelledError:
        raise Interrupted(nothing) from None
    counts = document["counts"]
    progress = TextProgress("export", sum(counts.values()))
    for name, count in counts.items():
        progress.update(name, count, count)
    progress.close()
    stop = threading.Event()
    try:
        size, interrupted = await outlive_interrupt(
            asyncio.to_thread(portable.write_file, document, args.output, stop), stop.set
        )
    except portable.WriteStopped:
        raise Interrupted(nothing) from None
    except OSError as exc:
        raise CliError(f"cannot write {args.output}: {exc.strerror or exc}", Exit.UNWRITABLE) from None
    done = f"exported {sum(counts.values())} rows of user {user_id} to {args.output} ({size} bytes)"
    if interrupted:
        raise Interrupted(f"the export had finished: {done}")
    print(done)
    return 0


def _import_command(args: argparse.Namespace) -> int:
    """Read the file before opening the database: a file that is no export changes nothing, creates nothing."""
    try:
        document = portable.read_file(args.file)
    except portable.UnreadableFile as exc:
        return _fail(args, str(exc), Exit.USAGE)
    except OSError as exc:
        return _fail(args, f"cannot read {args.file}: {exc.strerror or exc}", Exit.USAGE)
    except KeyboardInterrupt:
        return _fail(args, "interrupted: nothing imported", Exit.INTERRUPTED)
    return _run(args, lambda db, a: _import(db, a, document))


async def _import(db: Database, args: argparse.Namespace, document: dict[str, Any]) -> int:
    source = document.get("source")
    source_user = source.get("userId") if isinstance(source, dict) else None
    user_id = await pick_user(db, args.user, source_user if isinstance(source_user, int) else None)
    try:
        parsed = portable.parse_document(document, user_id, db.tables)
    except DsmError as exc:
        raise CliError(f"{args.file} is not a valid export: {exc.message}") from None
    progress = TextProgress("import", parsed.total())
    stop = threading.Event()

    def progress_or_stop(store: str, done: int, total: int) -> None:
        if stop.is_set():  # in the writer's thread: the job fails, its savepoint is rolled back
            raise ImportStopped
        progress.update(store, done, total)

    job = portable.import_job(user_id, parsed, event_store(db), progress_or_stop)
    try:
        result, interrupted = await outlive_interrupt(db.write(job), stop.set)
    except ImportStopped:
        raise Interrupted(f"nothing imported into user {user_id} (stopped and rolled back)") from None
    finally:
        progress.close()
    added, skipped = result["imported"], result["skipped"]
    details = ", ".join(f"{k} {added[k]}" for k in added if added[k] or skipped[k])
    done = (
        f"imported into user {user_id}: {sum(added.values())} new, {sum(skipped.values())} already present"
        f"{' (' + details + ')' if details else ''}"
    )
    if interrupted:
        raise Interrupted(f"the import had finished: {done}")
    print(done)
    return 0


class ImportStopped(Exception):
    """Raised inside the import job when Ctrl+C asked it to stop."""


def _add_common(parser: argparse.ArgumentParser, user: bool = True) -> None:
    parser.add_argument("--db", type=Path, default=None, help=f"SQLite database file (default: {default_db_path()})")
    if user:
        parser.add_argument("--user", type=int, default=None, metavar="ID", help=USER_HELP)


TYPE_HELP = ", ".join(store.REPORT_TYPES)


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Adds `report`, `export` and `import` to the `dsm` command."""
    report = sub.add_parser(
        "report",
        help="generate, list and show saved reports",
        description="Generate, list and show the reports of one Studio user (--user ID when the database holds "
        "several). Report types, in any case: " + TYPE_HELP + ".",
    )
    actions = report.add_subparsers(dest="action", required=True, metavar="ACTION")

    gen = actions.add_parser("generate", help="generate and save a report")
    gen.add_argument("type", type=str.upper, choices=store.REPORT_TYPES, metavar="TYPE", help=TYPE_HELP + " (any case)")
    gen.add_argument("--from", dest="start", metavar="WHEN", help="period start: Unix seconds or YYYY-MM-DD (UTC)")
    gen.add_argument("--to", dest="end", metavar="WHEN", help="period end: Unix seconds, or YYYY-MM-DD (end of day)")
    gen.add_argument(
        "--option",
        action="append",
        type=parse_option,
        default=[],
        metavar="KEY=VALUE",
        help="report option (repeatable; VALUE read as JSON if it parses; a.b=v nests)",
    )
    _add_common(gen)
    gen.set_defaults(func=lambda a: _run(a, _generate))

    lst = actions.add_parser("list", help="list saved reports, newest first")
    lst.add_argument(
        "--type", type=str.upper, choices=store.REPORT_TYPES, default=None, metavar="TYPE", help="only this type"
    )
    lst.add_argument("--limit", type=int, default=100)
    _add_common(lst)
    lst.set_defaults(func=lambda a: _run(a, _list))

    show = actions.add_parser("show", help="print or save one report as json, csv or html")
    show.add_argument("id")
    show.add_argument("--format", choices=tuple(EXPORTERS), default="json")
    show.add_argument("-o", "--output", type=Path, default=None, help="write to this file instead of stdout")
    _add_common(show)
    show.set_defaults(func=lambda a: _run(a, _show))

    exp = sub.add_parser(
        "export",
        help="export all of a user's data to a portable file (gzip'd JSON)",
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    exp.add_argument("-o", "--output", type=Path, required=True, help="file to write, e.g. backup.dsm.json.gz")
    _add_common(exp)
    exp.set_defaults(func=lambda a: _run(a, _export))

    imp = sub.add_parser(
        "import",
        help="merge a file made by `dsm export` into a user's data",
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    imp.add_argument("file", type=Path)
    _add_common(imp)
    imp.set_defaults(func=_import_command)
