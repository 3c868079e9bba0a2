"""`dsm serve` started as a child process, the way users run it: for the benchmarks, the soak script and the
tests that are about the process (signals, kill -9, exit status)."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path
from typing import BinaryIO

LISTENING = re.compile(r"listening on (ws://[^/\s]+:(\d+)/ws)")


async def start_serve(
    db: Path, *extra: str, timeout: float = 120, log: Path | None = None
) -> tuple[asyncio.subprocess.Process, str, str]:
    """Start `dsm serve --port 0 --db DB` and wait for its startup line; (the process, its WebSocket URL, the line).
    Its log (stderr) goes to `log` when given (the fuzz script counts tracebacks in it), else nowhere."""
    log_file = log.open("wb") if log else None
    try:
        proc = await _spawn(db, extra, log_file)
    finally:
        if log_file:
            log_file.close()  # the child has its own copy
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), timeout)).decode()
    match = LISTENING.search(line)
    if match is None:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()
        raise RuntimeError(f"dsm serve did not start: {line!r}")
    return proc, match.group(1), line.strip()


async def _spawn(db: Path, extra: tuple[str, ...], log_file: BinaryIO | None) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "dsm",
        "serve",
        "--port",
        "0",
        "--db",
        str(db),
        *extra,
        stdout=asyncio.subprocess.PIPE,
        stderr=log_file if log_file else asyncio.subprocess.DEVNULL,
    )
