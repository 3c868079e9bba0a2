"""`status`, `GET /api/status`, and the Origin / Host / bind checks of the contract."""

from __future__ import annotations

import aiohttp
import pytest

from dsm.config import ServerConfig
from dsm.link.client import LinkClient
from dsm.server import RefusedToStart, check_bind
from support import event


async def test_status_op_reports_version_uptime_connections_and_this_users_rows(connect):
    client = await connect(1)
    await client.call("events.append", {"events": [event(1), event(2)]})
    other = await connect(2)
    await other.call("events.append", {"events": [event(1)]})
    status = await client.call("status")
    assert status["version"] == "0.1.0"
    assert status["uptime"] >= 0
    assert status["connections"] == 2
    assert status["rows"]["analytics"]["events"] == 2
    assert status["database"]["bytes"] > 0


async def test_http_status_has_totals_per_store(server, connect):
    client = await connect(1)
    await client.call("events.append", {"events": [event(1)]})
    await client.call("cache.put", {"type": "datastores", "names": ["A"]})
    async with aiohttp.ClientSession() as http, http.get(f"{server.http_url}/api/status") as resp:
        assert resp.status == 200
        body = await resp.json()
    assert body["connections"] == 1
    assert body["rows"]["analytics"]["events"] == 1
    assert body["rows"]["cache"]["cache_entries"] == 1
    assert set(body["rows"]) == {"cache", "analytics", "reports", "settings", "historical", "edits", "shares"}
    assert body["database"]["path"] == str(server.config.db_path)


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://127.0.0.1.evil.example"])
async def test_foreign_origin_is_refused_for_websocket_and_http(server, origin):
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.http_url}/api/status", headers={"Origin": origin}) as resp:
            assert resp.status == 403
        with pytest.raises(aiohttp.WSServerHandshakeError) as err:
            await http.ws_connect(server.ws_url, headers={"Origin": origin})
        assert err.value.status == 403


async def test_own_origin_and_allowed_origins_pass(server_factory, config):
    running = await server_factory(config, allowed_origins=frozenset({"https://tools.example"}))
    async with aiohttp.ClientSession() as http:
        for origin in (f"http://127.0.0.1:{running.port}", f"http://localhost:{running.port}", "https://tools.example"):
            async with http.get(f"{running.http_url}/api/status", headers={"Origin": origin}) as resp:
                assert resp.status == 200, origin
    client = await LinkClient.connect(running.ws_url, headers={"Origin": "https://tools.example"})
    try:
        assert (await client.hello(1))["protocol"] == 1
    finally:
        await client.close()


@pytest.mark.parametrize("host", ["evil.example", "evil.example:34873", "192.168.1.5:34873", "attacker.localhost.com"])
async def test_non_loopback_host_header_is_refused(server, host):
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{server.http_url}/api/status", headers={"Host": host}) as resp:
            assert resp.status == 403
        with pytest.raises(aiohttp.WSServerHandshakeError):
            await http.ws_connect(server.ws_url, headers={"Host": host})


@pytest.mark.parametrize("host", ["localhost", "127.0.0.1:9", "[::1]:34873"])
async def test_loopback_host_headers_pass(server, host):
    async with aiohttp.ClientSession() as http, http.get(f"{server.http_url}/api/status", headers={"Host": host}) as r:
        assert r.status == 200


def test_binding_off_loopback_without_a_token_refuses_to_start(tmp_path):
    with pytest.raises(RefusedToStart, match="token"):
        check_bind(ServerConfig(db_path=tmp_path / "x.sqlite3", host="0.0.0.0"))
    check_bind(ServerConfig(db_path=tmp_path / "x.sqlite3", host="0.0.0.0", token="t"))
    check_bind(ServerConfig(db_path=tmp_path / "x.sqlite3", host="127.0.0.1"))
    check_bind(ServerConfig(db_path=tmp_path / "x.sqlite3", host="::1"))


def test_host_rules_for_a_server_bound_off_loopback(tmp_path):
    from dsm.security import host_allowed

    wildcard = ServerConfig(db_path=tmp_path / "x.sqlite3", host="0.0.0.0", token="t")
    assert host_allowed(wildcard, "192.168.1.20") and host_allowed(wildcard, "localhost")
    assert not host_allowed(wildcard, "evil.example")  # a DNS name is what a rebinding attack needs
    bound = ServerConfig(db_path=tmp_path / "x.sqlite3", host="10.0.0.5", token="t")
    assert host_allowed(bound, "10.0.0.5") and not host_allowed(bound, "10.0.0.6")


async def test_with_a_token_http_needs_it_too(server_factory, config):
    running = await server_factory(config, token="s3cret")
    url = f"{running.http_url}/api/status"
    async with aiohttp.ClientSession() as http:
        async with http.get(url) as resp:
            assert resp.status == 401
        async with http.get(url, headers={"Authorization": "Bearer wrong"}) as resp:
            assert resp.status == 401
        async with http.get(url, headers={"Authorization": "Bearer s3cret"}) as resp:
            assert resp.status == 200
        async with http.get(f"{url}?token=s3cret") as resp:
            assert resp.status == 200
