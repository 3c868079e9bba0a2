"""`dsm backups list` / `dsm backups show ID`: the backup files beside a database, read without a running server."""

from __future__ import annotations

import argparse
import datetime
import sys
from pathlib import Path

from dsm.backups.files import BackupFiles, Header
from dsm.clock import system_clock
from dsm.config import default_db_path
from dsm.errors import DsmError
from dsm.exitcodes import Exit, epilog


def _files(args: argparse.Namespace) -> BackupFiles:
    return BackupFiles.beside(args.db or default_db_path(), system_clock)


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.datetime.fromtimestamp(ts, datetime.UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _line(user_id: int, header: Header) -> str:
    where = f"{header.datastore}/{header.scope}" + (f" prefix {header.prefix!r}" if header.prefix else "")
    state = header.state if header.state != "open" else "open (resumable)"
    return f"{header.id}  user {user_id}  {state:<16} {header.entries:>7} keys  {_when(header.created_at)}  {where}"


def _list(args: argparse.Namespace) -> int:
    files = _files(args)
    users = [args.user] if args.user is not None else files.users()
    shown = 0
    for user_id in users:
        for header in files.list(user_id, args.datastore, limit=1_000_000):
            print(_line(user_id, header))
            shown += 1
    if shown == 0:
        print(f"no backups in {files.folder}", file=sys.stderr)
    return Exit.OK


def _show(args: argparse.Namespace) -> int:
    files = _files(args)
    for user_id in files.users():
        try:
            header = files.header(user_id, args.id)
        except DsmError:
            continue
        print(_line(user_id, header))
        print(f"  finished {_when(header.finished_at)}, {header.chunks} chunks, {header.bytes} bytes on disk")
        if header.problem:
            print(f"  damaged: {header.problem}")
            return Exit.DAMAGED
        if header.state == "finished" and args.keys:
            try:
                _, entries, _ = files.read(user_id, args.id, 0, args.keys)
            except DsmError as exc:
                print(f"dsm backups show: {exc.message}", file=sys.stderr)
                return Exit.DAMAGED
            for entry in entries:
                print(f"  {entry.key}  version {entry.version or '-'}  userIds {entry.user_ids}")
        return Exit.OK
    print(f"dsm backups show: no backup with id {args.id} in {files.folder}", file=sys.stderr)
    return Exit.NOT_FOUND


def add_backups_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    p = sub.add_parser(
        "backups",
        help="list and show DataStore backups the plugin made (files in `backups` beside the database)",
        description="DataStore backups the plugin saved through the companion: one gzip JSON-lines file per "
        "finished backup, an open (resumable) one as a .partial.jsonl file, in `backups/u<user id>/` beside "
        "the database. Reading them changes nothing; safe while dsm serve runs.",
        epilog=epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = actions.add_parser("list", help="every backup: id, user, state, keys, when, DataStore", epilog=epilog())
    listing.add_argument("--db", type=Path, default=None, help=f"database file (default: {default_db_path()})")
    listing.add_argument("--user", type=int, default=None, help="only this Studio user's backups")
    listing.add_argument("--datastore", default=None, help="only backups of this DataStore")
    listing.set_defaults(func=_list)
    show = actions.add_parser("show", help="one backup: its header and its first keys", epilog=epilog())
    show.add_argument("id", help="the backup's id (from `dsm backups list`)")
    show.add_argument("--db", type=Path, default=None, help=f"database file (default: {default_db_path()})")
    show.add_argument("--keys", type=int, default=20, help="how many of its keys to list (default 20)")
    show.set_defaults(func=_show)
