"""The `dsm` command's exit statuses: one list, shown in `dsm --help` and in docs/exports.md."""

from __future__ import annotations

from enum import IntEnum


class Exit(IntEnum):
    OK = 0
    NOT_FOUND = 1
    USAGE = 2
    DAMAGED = 3
    NEWER = 4
    UNWRITABLE = 5
    CANNOT_LISTEN = 6
    UNREACHABLE = 7
    INTERRUPTED = 130
    OUTPUT_CLOSED = 141


MEANINGS: dict[Exit, str] = {
    Exit.OK: "done",
    Exit.NOT_FOUND: "not found (a report id, a user with no data, a database file to read)",
    Exit.USAGE: "bad arguments or invalid data (an option value, an import file that is not an export)",
    Exit.DAMAGED: "the database file is damaged, not a database, or another program's (it was left unchanged)",
    Exit.NEWER: "the database was written by a newer companion: update dsm (the file was left unchanged)",
    Exit.UNWRITABLE: "the database's folder or file cannot be written (read-only, missing, disk full)",
    Exit.CANNOT_LISTEN: "dsm serve cannot listen: the port is in use or the address is not this machine's",
    Exit.UNREACHABLE: "dsm demo --url: no companion answers at that URL (start `dsm serve`, check the port)",
    Exit.INTERRUPTED: "interrupted by Ctrl+C (the message says what was done)",
    Exit.OUTPUT_CLOSED: "the output was closed early, as by `| head` (nothing printed)",
}


def epilog() -> str:
    """The exit statuses as the last paragraph of `--help`."""
    lines = [f"  {int(code):>3}  {meaning}" for code, meaning in MEANINGS.items()]
    return "exit status:\n" + "\n".join(lines)
