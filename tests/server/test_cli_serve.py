"""`dsm serve` as a user runs it: startup line, refusal off loopback, graceful stop on SIGTERM."""

from __future__ import annotations

import asyncio
import re
import signal
import subprocess
import sys

import pytest

from dsm.cli import build_parser
from dsm.link.client import LinkClient
from dsm.serve_process import start_serve
from support import event, rows

LINE = re.compile(r"^dsm (\S+) listening on ws://127\.0\.0\.1:(\d+)/ws .*database (.+)$")


def test_every_command_has_help(capsys):
    parser = build_parser()
    with pytest.raises(SystemExit):
        parser.parse_args(["serve", "--help"])
    assert "--port" in capsys.readouterr().out


def test_serve_refuses_a_public_bind_without_token(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "dsm", "serve", "--host", "0.0.0.0", "--db", str(tmp_path / "x.sqlite3")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "without a token" in result.stderr
    assert not (tmp_path / "x.sqlite3").exists()


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is POSIX; Windows uses Ctrl+C")
async def test_sigterm_commits_pending_writes_and_closes_sockets_with_a_reason(tmp_path):
    db = tmp_path / "serve.sqlite3"
    proc, url, line = await start_serve(db)
    try:
        match = LINE.match(line)
        assert match, line
        assert match.group(3) == str(db)
        client = await LinkClient.connect(url)
        await client.hello(1)
        # Stamped by the server's clock: its first scheduler tick applies retention, which would drop events of
        # long ago (the default stamp is in 2023) and leave fewer rows than were acknowledged.
        now = (await client.call("status"))["startedAt"]
        # many appends in flight, then stop: each one acknowledged must be on disk
        ids = [
            await client.send("events.append", {"events": [event(b * 100 + i, ts=now - 3600) for i in range(100)]})
            for b in range(20)
        ]
        futures = [client.expect(i) for i in ids]
        proc.send_signal(signal.SIGTERM)
        replies = await asyncio.wait_for(asyncio.gather(*futures, return_exceptions=True), 30)
        assert await asyncio.wait_for(proc.wait(), 30) == 0
        await asyncio.wait_for(client._reader, 10)
        assert client.ws.close_code == 1001
        acked = sum(r["body"]["accepted"] for r in replies if isinstance(r, dict) and r.get("ok"))
        assert rows(db, "SELECT COUNT(*) FROM events")[0][0] >= acked > 0
        await client.close()
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()


def test_default_database_path_follows_the_platform(monkeypatch, tmp_path):
    from dsm import config

    monkeypatch.setattr(config.sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "Local"))
    assert config.default_db_path() == tmp_path / "Local" / "DataStoreManagerPro" / "dsm.sqlite3"
    monkeypatch.setattr(config.sys, "platform", "darwin")
    monkeypatch.setattr(config.Path, "home", lambda: tmp_path)
    assert config.default_db_path() == tmp_path / "Library/Application Support/DataStoreManagerPro/dsm.sqlite3"
    monkeypatch.setattr(config.sys, "platform", "linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert config.default_db_path() == tmp_path / "xdg" / "datastore-manager-pro" / "dsm.sqlite3"
