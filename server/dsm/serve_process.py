"""`dsm serve` started as a child process, the way users run it: for the benchmarks, the soak script and the
tests that are about the process (signals, kill -9, exit status)."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path

LISTENING = re.compile(r"listening on (ws://[^/\s]+:(\d+)/ws)")


async def start_serve(db: Path, *extra: str, timeout: float = 120) -> tuple[asyncio.subprocess.Process, str, str]:
    """Start `dsm serve --port 0 --db DB` and wait for its startup line; (the process, its WebSocket URL, the line)."""
    proc = await asyncio.create_subprocess_exec(
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
        stderr=asyncio.subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    line = (await asyncio.wait_for(proc.stdout.readline(), timeout)).decode()
    match = LISTENING.search(line)
    if match is None:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()
        raise RuntimeError(f"dsm serve did not start: {line!r}")
    return proc, match.group(1), line.strip()
