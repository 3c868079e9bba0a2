"""Checks a database file before the companion writes to it, and names storage faults in one sentence.

Nothing here writes to the file. A file that is not a database, a damaged or truncated one, another
program's database or one written by a newer companion is refused as it is, so the user can still
recover it; the checks read it through a read-only connection.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Literal

from dsm import __version__
from dsm.errors import DsmError
from dsm.exitcodes import Exit

SQLITE_MAGIC = b"SQLite format 3\x00"
HEADER_BYTES = 100
DB_FILE_EXAMPLE = "dsm.sqlite3"

FaultKind = Literal["argument", "damaged", "newer", "unwritable"]
EXIT_CODES: dict[FaultKind, Exit] = {
    "argument": Exit.USAGE,
    "damaged": Exit.DAMAGED,
    "newer": Exit.NEWER,
    "unwritable": Exit.UNWRITABLE,
}
UNCHANGED = "the companion left it unchanged"
MOVE_AWAY = "move it away (the companion then starts a new database) or restore a backup with `dsm import`"


class StoreFault(Exception):
    """The database file cannot be used; the message names the file and what to do."""

    def __init__(self, kind: FaultKind, path: Path, message: str) -> None:
        super().__init__(message)
        self.kind: FaultKind = kind
        self.path = path

    @property
    def exit_code(self) -> Exit:
        return EXIT_CODES[self.kind]


def preflight(path: Path, latest_version: int) -> Path | None:
    """Refuse a file the companion must not open for writing; create the folder of a new database (returned when
    it did not exist: `dsm serve` says so in its start line, so a mistyped --db is seen at once)."""
    if path.is_dir():
        raise StoreFault(
            "argument", path, f"{path} is a folder, not a database file: pass --db {path / DB_FILE_EXAMPLE}"
        )
    if _has_content(path):
        check_header(path)
        with open_read_only(path) as conn:
            quick_check(conn, path)
            check_schema(conn, path, latest_version)
    created = _ensure_folder(path)
    if path.exists():
        _check_file_writable(path)
    return created


def _has_content(path: Path) -> bool:
    wal = Path(f"{path}-wal")
    return (path.exists() and path.stat().st_size > 0) or (wal.exists() and wal.stat().st_size > 0)


def check_header(path: Path) -> None:
    """The first 100 bytes: SQLite's magic string, a sane page size, and a file as long as the header says."""
    try:
        with path.open("rb") as file:
            head = file.read(HEADER_BYTES)
    except OSError as exc:
        raise StoreFault("unwritable", path, f"cannot read {path}: {exc.strerror or exc}") from None
    if not head.startswith(SQLITE_MAGIC):
        if head and SQLITE_MAGIC.startswith(head):
            raise _truncated(path, len(head), HEADER_BYTES)
        shown = head[:8].hex(" ")
        raise StoreFault(
            "damaged",
            path,
            f"{path} is not a SQLite database (it starts with bytes {shown}); {UNCHANGED}. "
            "Pass --db with the right file, or move this one away to start a new database",
        )
    if len(head) < HEADER_BYTES:
        raise _truncated(path, len(head), HEADER_BYTES)
    page_size = int.from_bytes(head[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    if page_size < 512 or page_size & (page_size - 1):
        raise StoreFault(
            "damaged", path, f"{path} has a damaged header (page size {page_size}); {UNCHANGED}: {MOVE_AWAY}"
        )
    pages = int.from_bytes(head[28:32], "big")
    # The page count is only kept when "version-valid-for" equals the change counter; with a WAL beside
    # the file the newest pages may live there, so a short file is only suspicious without one.
    counted = head[92:96] == head[24:28] and pages > 0
    wal = Path(f"{path}-wal")
    size = path.stat().st_size
    if counted and not (wal.exists() and wal.stat().st_size > 0) and size < pages * page_size:
        raise _truncated(path, size, pages * page_size)


def _truncated(path: Path, size: int, expected: int) -> StoreFault:
    return StoreFault(
        "damaged",
        path,
        f"{path} is truncated: it holds {size:,} bytes of the {expected:,} its header announces "
        f"(a copy or download cut short?); {UNCHANGED}: {MOVE_AWAY}",
    )


@contextlib.contextmanager
def open_read_only(path: Path) -> Iterator[sqlite3.Connection]:
    """A connection that cannot write. Without a WAL or journal beside the file it is also `immutable`,
    so SQLite creates no -wal/-shm files next to a file it was only asked to look at."""
    side_files = any(Path(f"{path}{suffix}").exists() for suffix in ("-wal", "-journal"))
    query = "mode=ro" if side_files else "mode=ro&immutable=1"
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?{query}", uri=True, isolation_level=None)
    except sqlite3.Error as exc:
        raise _read_fault(path, exc) from None
    try:
        yield conn
    except sqlite3.Error as exc:
        raise _read_fault(path, exc) from None
    finally:
        conn.close()


def _read_fault(path: Path, exc: sqlite3.Error) -> StoreFault:
    name = getattr(exc, "sqlite_errorname", "")
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return StoreFault("damaged", path, f"{path} is damaged (SQLite: {exc}); {UNCHANGED}: {MOVE_AWAY}")
    return StoreFault("unwritable", path, f"cannot read {path} (SQLite: {exc}): check the file's permissions")


def quick_check(conn: sqlite3.Connection, path: Path) -> None:
    """SQLite's `quick_check`: every page and B-tree is sound (about half a second per million events)."""
    problems = findings(conn.execute("PRAGMA quick_check(10)").fetchall())
    if problems != ["ok"]:
        raise StoreFault(
            "damaged",
            path,
            f"{path} is damaged (SQLite's quick_check: {summary(problems)}); {UNCHANGED}. "
            f"Run `dsm doctor --db {path}` for details, then {MOVE_AWAY}",
        )


def findings(rows: list[tuple[str]]) -> list[str]:
    """SQLite's check output as a list of findings (one row may hold several lines and a "*** in database" title)."""
    lines = [line.strip() for row in rows for line in str(row[0]).splitlines()]
    return [line for line in lines if line and not line.startswith("***")]


def summary(problems: list[str], shown: int = 3) -> str:
    more = f"; and {len(problems) - shown} more" if len(problems) > shown else ""
    return "; ".join(problems[:shown]) + more


def schema_version(conn: sqlite3.Connection) -> int | None:
    """The newest migration recorded; 0 for an empty database; None for another program's database."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables:
        return 0
    if "schema_migrations" not in tables:
        return None
    return int(conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_migrations").fetchone()[0])


def check_schema(conn: sqlite3.Connection, path: Path, latest_version: int) -> None:
    version = schema_version(conn)
    if version is None:
        raise StoreFault(
            "damaged",
            path,
            f"{path} is another program's SQLite database (it has tables but no schema_migrations); "
            f"{UNCHANGED}: pass --db with the companion's database or a new file name",
        )
    if version > latest_version:
        raise StoreFault("newer", path, newer_message(path, version, latest_version))


def newer_message(path: Path, version: int, latest_version: int) -> str:
    return (
        f"{path} was written by a newer DataStore Manager Pro companion (schema {version}; this dsm {__version__} "
        f"knows up to {latest_version}): update the companion (e.g. `git pull` in its folder) and start it again; "
        f"{UNCHANGED}"
    )


def _ensure_folder(path: Path) -> Path | None:
    folder = path.parent
    missing = next((p for p in reversed((folder, *folder.parents)) if not p.exists()), None)
    blocker = next((p for p in (folder, *folder.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise StoreFault(
            "unwritable",
            path,
            f"cannot create the folder {folder} for the database {path}: {blocker} is a file; "
            "pass --db with a path in a folder you can write to",
        )
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StoreFault(
            "unwritable",
            path,
            f"cannot create the folder {folder} for the database {path} ({exc.strerror or exc}): "
            "pass --db with a path in a folder you can write to",
        ) from None
    # A real write is the only test that holds on every platform (ACLs, read-only mounts, Windows attributes).
    try:
        fd, probe = tempfile.mkstemp(prefix=".dsm-write-test-", dir=folder)
    except OSError as exc:
        raise StoreFault(
            "unwritable",
            path,
            f"cannot write in the folder {folder} ({exc.strerror or exc}): the database {path.name} needs files "
            "beside it (-wal, -shm); make the folder writable or pass --db with a path in a writable folder",
        ) from None
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return missing


def _check_file_writable(path: Path) -> None:
    try:
        with path.open("r+b"):  # opened for writing, nothing written
            pass
    except OSError as exc:
        raise StoreFault(
            "unwritable",
            path,
            f"cannot write to {path} ({exc.strerror or exc}): make the file writable (it may be marked read-only) "
            "or pass --db with another file",
        ) from None


def open_fault(path: Path, exc: sqlite3.Error) -> StoreFault | None:
    """A storage fault met while migrating or opening the writer, as a StoreFault (None: not one)."""
    name = getattr(exc, "sqlite_errorname", "")
    if name.startswith("SQLITE_FULL"):
        return StoreFault("unwritable", path, f"the disk holding {path} is full: free some space and start again")
    if name.startswith(("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_PERM")):
        return StoreFault(
            "unwritable", path, f"cannot write to {path} (SQLite: {exc}): check the disk and its permissions"
        )
    if name.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return StoreFault("damaged", path, f"{path} is damaged (SQLite: {exc}): {MOVE_AWAY}")
    return None


def write_fault(path: Path, exc: BaseException) -> DsmError | None:
    """A write that failed because of the disk, as the error reply the client gets (None: not one).

    The contract has no code for "the server cannot store anything right now"; `rate_limited` is its
    code for "not now, retry later" (`retry: true`), which is what the client should do: keep the data.
    """
    name = getattr(exc, "sqlite_errorname", "")
    if name.startswith("SQLITE_FULL"):
        problem = f"the disk holding {path.name} is full"
    elif name.startswith(("SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_CANTOPEN")):
        problem = f"the database file cannot be written ({exc})"
    else:
        return None
    return DsmError(
        "rate_limited",
        f"not stored: {problem}. Nothing from this request was saved; keep it and send it again once the "
        "companion's disk has room (the companion's window says more)",
    )
