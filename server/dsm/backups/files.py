"""Backup files: `backups/u<user id>/` beside the database, one file per backup.

While a backup is being made it is `<id>.partial.jsonl`: a header line, then per appended chunk its entry lines and a
chunk line (`{"chunk": seq, "cursor": ...}`) written after them and flushed to disk. Only entries followed by their
chunk line count, so a tail torn by a crash (a half line, entries without their chunk line) is ignored and cut off by
the next append. `finish` writes `<id>.jsonl.gz` (a header line, then one entry line per key) to a temporary file,
flushes it and renames it into place, then removes the partial file: a backup is either open or whole, never half a
gzip. Chunks are numbered (`seq`), so an append sent again after a lost reply stores nothing twice; a key a backup
already holds is kept once (the first copy).

Everything here is synchronous and meant to run in a worker thread (`asyncio.to_thread`), one call at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import gzip
import json
import os
import re
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dsm.backups.entries import Append, Begin, Entry, entry_from_file
from dsm.clock import time_ordered_id
from dsm.errors import DsmError, invalid, not_found
from dsm.validate import Obj

FOLDER_NAME = "backups"
FORMAT = "dsm-backup"
VERSION = 1
ID_PATTERN = re.compile(r"backup_[0-9a-f]{11,20}")  # what `time_ordered_id("backup", ...)` makes; never a path
READ_BYTES = 8 * 1024 * 1024  # a `backups.read` page stops growing past this (well under the 20 MiB frame limit)
DISK_ERRORS = (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EPERM)


@dataclass(frozen=True)
class Header:
    """What a backup is: its address, when it was made, how far it got."""

    id: str
    datastore: str
    scope: str
    prefix: str
    created_at: float
    finished_at: float | None = None
    state: str = "open"  # open | finished | damaged
    entries: int = 0
    chunks: int = 0
    cursor: str | None = None
    bytes: int = 0
    problem: str | None = None

    def to_wire(self) -> Obj:
        return {
            "id": self.id,
            "datastore": self.datastore,
            "scope": self.scope,
            "prefix": self.prefix,
            "createdAt": self.created_at,
            "finishedAt": self.finished_at,
            "state": self.state,
            "entries": self.entries,
            "chunks": self.chunks,
            "cursor": self.cursor,
            "bytes": self.bytes,
            "problem": self.problem,
        }

    def to_file(self) -> Obj:
        wire = self.to_wire()
        for transient in ("bytes", "problem"):
            del wire[transient]
        return {"format": FORMAT, "version": VERSION, **wire}


def _header_from_file(raw: Any, size: int) -> Header:
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise ValueError("not a backup file")
    if raw.get("version") != VERSION:
        raise ValueError(f"a backup file of version {raw.get('version')!r} (this companion reads {VERSION})")
    return Header(
        id=str(raw["id"]),
        datastore=str(raw["datastore"]),
        scope=str(raw["scope"]),
        prefix=str(raw.get("prefix") or ""),
        created_at=float(raw["createdAt"]),
        finished_at=float(raw["finishedAt"]) if raw.get("finishedAt") is not None else None,
        state=str(raw.get("state") or "open"),
        entries=int(raw.get("entries") or 0),
        chunks=int(raw.get("chunks") or 0),
        cursor=raw.get("cursor") if isinstance(raw.get("cursor"), str) else None,
        bytes=size,
    )


@dataclass
class _Open:
    """An open backup as its partial file holds it: the whole chunks, their keys, and where they end."""

    header: Header
    keys: set[str] = field(default_factory=set)
    good_size: int = 0


@dataclass(frozen=True)
class Appended:
    header: Header
    stored: int
    duplicates: int
    resent: bool  # the chunk was stored before: nothing stored now


def _line(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode() + b"\n"


def _disk_error(exc: OSError, path: Path) -> DsmError:
    return DsmError(
        "rate_limited",
        f"not stored: the backup file {path} cannot be written ({exc.strerror or exc}). Nothing from this request "
        "was saved; send it again once there is room.",
    )


def _damaged(ident: str, problem: str) -> DsmError:
    return invalid("id", f"backup {ident} is damaged and cannot be read: {problem}")


class BackupFiles:
    """The backups of every user under one folder (`backups` beside the database)."""

    def __init__(self, folder: Path, clock: Callable[[], float]) -> None:
        self.folder = folder
        self._clock = clock
        self._open: dict[tuple[int, str], _Open] = {}
        # The link runs one backup call at a time (each in a worker thread): appends to one file never interleave.
        self.lock = asyncio.Lock()

    @staticmethod
    def beside(db_path: Path, clock: Callable[[], float]) -> BackupFiles:
        return BackupFiles(db_path.parent / FOLDER_NAME, clock)

    async def run[**P, R](self, work: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
        """`work` (one of this object's methods) in a worker thread, one call at a time (see `lock`)."""
        async with self.lock:
            return await asyncio.to_thread(work, *args, **kwargs)

    # ------------------------------------------------------------------------------------------------ paths

    def _user_folder(self, user_id: int) -> Path:
        return self.folder / f"u{user_id}"

    def _partial(self, user_id: int, ident: str) -> Path:
        return self._user_folder(user_id) / f"{ident}.partial.jsonl"

    def _finished(self, user_id: int, ident: str) -> Path:
        return self._user_folder(user_id) / f"{ident}.jsonl.gz"

    # ------------------------------------------------------------------------------------------------ reading

    def _load_open(self, user_id: int, ident: str) -> _Open | None:
        cached = self._open.get((user_id, ident))
        if cached is not None:
            return cached
        path = self._partial(user_id, ident)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            return None
        state, _ = self._parse_partial(ident, data, keep_entries=False)
        if state.header.state == "open":
            self._open[(user_id, ident)] = state
        return state

    def _parse_partial(self, ident: str, data: bytes, *, keep_entries: bool) -> tuple[_Open, list[Entry]]:
        """The whole chunks of a partial file; a torn tail is left out (and cut off by the next append)."""
        first_end = data.find(b"\n")
        try:
            if first_end < 0:
                raise ValueError("its header line is incomplete")
            header = _header_from_file(json.loads(data[:first_end]), len(data))
        except (ValueError, KeyError, TypeError) as exc:
            broken = Header(ident, "?", "?", "", 0.0, state="damaged", bytes=len(data), problem=str(exc))
            return _Open(broken), []
        state = _Open(replace(header, entries=0, chunks=0, cursor=None), good_size=first_end + 1)
        pending: list[Entry] = []
        committed: list[Entry] = []
        offset = first_end + 1
        while offset < len(data):
            end = data.find(b"\n", offset)
            if end < 0:
                break  # a half-written last line
            try:
                record = json.loads(data[offset:end])
                if "chunk" in record:
                    state.keys.update(entry.key for entry in pending)
                    if keep_entries:
                        committed.extend(pending)
                    state.header = replace(
                        state.header,
                        entries=state.header.entries + len(pending),
                        chunks=int(record["chunk"]),
                        cursor=record.get("cursor"),
                    )
                    pending = []
                    state.good_size = end + 1
                else:
                    pending.append(entry_from_file(record["entry"]))
            except (ValueError, KeyError, TypeError):
                break  # garbage after the last whole chunk: ignored like a torn tail
            offset = end + 1
        return state, committed

    def _finished_header(self, user_id: int, ident: str) -> Header | None:
        path = self._finished(user_id, ident)
        try:
            size = path.stat().st_size
            with gzip.open(path, "rb") as stream:
                return _header_from_file(json.loads(stream.readline()), size)
        except FileNotFoundError:
            return None
        except (OSError, EOFError, zlib.error, ValueError, KeyError, TypeError) as exc:
            return Header(ident, "?", "?", "", 0.0, state="damaged", bytes=path.stat().st_size, problem=str(exc))

    def header(self, user_id: int, ident: str) -> Header:
        """The backup's header; `not_found` when this user has no backup with that id."""
        if ID_PATTERN.fullmatch(ident):
            finished = self._finished_header(user_id, ident)
            if finished is not None:
                return finished
            state = self._load_open(user_id, ident)
            if state is not None:
                return replace(state.header, bytes=self._size(self._partial(user_id, ident)))
        raise not_found(f"no backup with id {ident}")

    @staticmethod
    def _size(path: Path) -> int:
        try:
            return path.stat().st_size
        except FileNotFoundError:
            return 0

    def list(self, user_id: int, datastore: str | None = None, limit: int = 100) -> list[Header]:
        """This user's backups, newest first: finished, open (resumable) and damaged ones."""
        folder = self._user_folder(user_id)
        if not folder.is_dir():
            return []
        idents = set()
        for path in folder.iterdir():
            name = path.name.split(".", 1)[0]
            if ID_PATTERN.fullmatch(name) and (path.name.endswith(".jsonl.gz") or path.name.endswith(".partial.jsonl")):
                idents.add(name)
        headers = [self.header(user_id, ident) for ident in idents]
        if datastore is not None:
            headers = [h for h in headers if h.datastore == datastore]
        headers.sort(key=lambda h: (h.created_at, h.id), reverse=True)
        return headers[:limit]

    def users(self) -> list[int]:
        """The users with backups (for the CLI)."""
        if not self.folder.is_dir():
            return []
        return sorted(int(p.name[1:]) for p in self.folder.iterdir() if re.fullmatch(r"u\d+", p.name))

    def _entries(self, user_id: int, ident: str) -> Iterator[Entry]:
        path = self._finished(user_id, ident)
        try:
            with gzip.open(path, "rb") as stream:
                stream.readline()
                for raw in stream:
                    yield entry_from_file(json.loads(raw))
        except (OSError, EOFError, zlib.error, ValueError, KeyError, TypeError) as exc:
            raise _damaged(ident, f"{type(exc).__name__}: {exc}") from exc

    def read(self, user_id: int, ident: str, offset: int, limit: int) -> tuple[Header, list[Entry], int | None]:
        """Entries `offset`.. of a finished backup (at most `limit`, and about `READ_BYTES`), and the next offset."""
        header = self.header(user_id, ident)
        if header.state == "damaged":
            raise _damaged(ident, header.problem or "unreadable")
        if header.state != "finished":
            raise invalid("id", f"backup {ident} is not finished: resume it, or finish it, before reading it")
        out: list[Entry] = []
        size = 0
        position = 0
        more = False
        for entry in self._entries(user_id, ident):
            if position >= offset:
                if len(out) >= limit or (out and size >= READ_BYTES):
                    more = True
                    break
                out.append(entry)
                size += len(_line(entry.value))
            position += 1
        if not more and position != header.entries:
            raise _damaged(ident, f"it holds {position} entries, its header says {header.entries}")
        return header, out, (offset + len(out)) if more else None

    # ------------------------------------------------------------------------------------------------ writing

    def begin(self, user_id: int, request: Begin) -> Header:
        now = self._clock()
        header = Header(time_ordered_id("backup", now), request.datastore, request.scope, request.prefix, now)
        path = self._partial(user_id, header.id)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "xb") as stream:
                stream.write(_line(header.to_file()))
                stream.flush()
                os.fsync(stream.fileno())
        except OSError as exc:
            with contextlib.suppress(OSError):
                path.unlink()
            if isinstance(exc, PermissionError) or exc.errno in DISK_ERRORS:
                raise _disk_error(exc, path) from exc
            raise
        size = self._size(path)
        self._open[(user_id, header.id)] = _Open(header, good_size=size)
        return replace(header, bytes=size)

    def append(self, user_id: int, request: Append) -> Appended:
        header = self.header(user_id, request.id)
        if header.state == "finished":
            if request.seq <= header.chunks:
                return Appended(header, 0, 0, True)
            raise invalid("id", f"backup {request.id} is finished: nothing more can be added")
        if header.state == "damaged":
            raise _damaged(request.id, header.problem or "unreadable")
        state = self._load_open(user_id, request.id)
        assert state is not None  # header() found it open
        chunks = state.header.chunks
        if request.seq <= chunks:
            return Appended(replace(state.header, bytes=state.good_size), 0, 0, True)
        if request.seq != chunks + 1:
            raise invalid("seq", f"expected {chunks + 1} (the next chunk), got {request.seq}")
        fresh: list[Entry] = []
        seen = set(state.keys)
        for entry in request.entries:
            if entry.key not in seen:
                seen.add(entry.key)
                fresh.append(entry)
        payload = b"".join(_line({"entry": entry.to_wire()}) for entry in fresh)
        payload += _line({"chunk": request.seq, "cursor": request.cursor})
        path = self._partial(user_id, request.id)
        try:
            with open(path, "r+b") as stream:
                stream.truncate(state.good_size)  # a torn tail from a crash goes before anything is added
                stream.seek(state.good_size)
                stream.write(payload)
                stream.flush()
                os.fsync(stream.fileno())
        except OSError as exc:
            with contextlib.suppress(OSError), open(path, "r+b") as stream:
                stream.truncate(state.good_size)
            if isinstance(exc, PermissionError) or exc.errno in DISK_ERRORS:
                raise _disk_error(exc, path) from exc
            raise
        state.keys = seen
        state.good_size += len(payload)
        state.header = replace(
            state.header, entries=state.header.entries + len(fresh), chunks=request.seq, cursor=request.cursor
        )
        return Appended(
            replace(state.header, bytes=state.good_size), len(fresh), len(request.entries) - len(fresh), False
        )

    def finish(self, user_id: int, ident: str) -> Header:
        """Writes the finished file (temporary file, flushed, renamed) and removes the partial one. Idempotent."""
        header = self.header(user_id, ident)
        partial = self._partial(user_id, ident)
        if header.state == "finished":
            with contextlib.suppress(OSError):
                partial.unlink()  # left by a crash between the rename and its removal
            return header
        if header.state == "damaged":
            raise _damaged(ident, header.problem or "unreadable")
        state, entries = self._parse_partial(ident, partial.read_bytes(), keep_entries=True)
        done = replace(state.header, state="finished", finished_at=self._clock())
        final = self._finished(user_id, ident)
        temporary = final.with_name(final.name + ".tmp")
        try:
            with open(temporary, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as stream:
                stream.write(_line(done.to_file()))
                for entry in entries:
                    stream.write(_line(entry.to_wire()))
                stream.close()
                raw.flush()
                os.fsync(raw.fileno())
            os.replace(temporary, final)
        except OSError as exc:
            with contextlib.suppress(OSError):
                temporary.unlink()
            if isinstance(exc, PermissionError) or exc.errno in DISK_ERRORS:
                raise _disk_error(exc, final) from exc
            raise
        self._open.pop((user_id, ident), None)
        with contextlib.suppress(OSError):
            partial.unlink()
        return replace(done, bytes=self._size(final))
