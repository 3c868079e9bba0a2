"""Who reaches what over HTTP, against a real server: share links (one report, read-only, revocable, gone with
their report), the token login (one-time URL, session cookie, logout) and the guard that stays in front of both."""

from __future__ import annotations

import asyncio
import re
import time
from typing import Any

import aiohttp

from dsm.web.auth import cookie_name
from support import FIXED_NOW, event, fingerprint, start_dsm_serve, stop_process

TOKEN = "t0ken"
DAY = 86400.0
DAY0 = FIXED_NOW // DAY * DAY - DAY  # the day before the test clock's


async def _seed_and_report(base: str, connect: Any, user_id: int, *, seed: bool = True) -> str:
    if seed:
        await _seed(connect, user_id)
    body = {"type": "DAILY_SUMMARY", "user": user_id, "options": {"from": DAY0, "to": DAY0 + DAY}}
    async with aiohttp.ClientSession() as http, http.post(f"{base}/api/reports", json=body) as r:
        assert r.status == 201, await r.text()
        return str((await r.json())["report"]["id"])


async def _seed(connect: Any, user_id: int) -> None:
    client = await connect(user_id)
    events = [event(i, ts=DAY0, kind="datastore", name="GetAsync", latencyMs=10.0 + i, ok=True) for i in range(40)]
    assert (await client.call("events.append", {"events": events}))["accepted"] == 40


async def _post(base: str, path: str, form: dict[str, str], **kwargs: Any) -> aiohttp.ClientResponse:
    headers = {"Origin": base, **kwargs.pop("headers", {})}
    async with aiohttp.ClientSession() as http:
        resp = await http.post(f"{base}{path}", data=form, headers=headers, allow_redirects=False, **kwargs)
        await resp.read()
        return resp


async def _listed_shares(base: str, user_id: int) -> set[str]:
    """The share ids the dashboard lists for the user (in its read-only link boxes)."""
    async with aiohttp.ClientSession() as http, http.get(f"{base}/?user={user_id}") as page:
        return set(re.findall(r"&#47;share&#47;([A-Za-z0-9_-]+)'", await page.text()))


async def _share(base: str, user_id: int, report_id: str) -> str:
    before = await _listed_shares(base, user_id)
    resp = await _post(base, "/shares", {"user": str(user_id), "report": report_id})
    assert resp.status == 303 and resp.headers["Location"].endswith("notice=shared#shares")
    new = await _listed_shares(base, user_id) - before
    assert len(new) == 1
    return new.pop()


async def _get(url: str, **kwargs: Any) -> tuple[int, str, Any]:
    async with aiohttp.ClientSession() as http, http.get(url, allow_redirects=False, **kwargs) as resp:
        return resp.status, await resp.text(), resp.headers


async def test_a_share_link_shows_one_report_and_nothing_else(server: Any, connect: Any) -> None:
    base = server.http_url
    mine = await _seed_and_report(base, connect, 11)
    share = await _share(base, 11, mine)
    status, page, headers = await _get(f"{base}/share/{share}")
    assert status == 200 and "DAILY_SUMMARY" in page and mine in page
    assert "default-src 'none'" in headers["Content-Security-Policy"] and headers["Cache-Control"] == "no-store"
    assert not re.search(r"<(a|form|script)\b", page)
    for other in (f"/share/{share}/x", f"/share/{share}.json", f"/share/{share[:-1]}", "/share/"):
        status, page, _ = await _get(f"{base}{other}")
        assert status == 404 and mine not in page


async def test_sharing_is_refused_for_another_users_report_and_changes_nothing(server: Any, connect: Any) -> None:
    base = server.http_url
    mine = await _seed_and_report(base, connect, 11)
    await _seed_and_report(base, connect, 12)
    before = fingerprint(server.config.db_path)
    resp = await _post(base, "/shares", {"user": "12", "report": mine})
    assert resp.status == 404
    resp = await _post(base, "/shares", {"user": "x", "report": mine})
    assert resp.status == 400
    share = await _share(base, 11, mine)
    resp = await _post(base, "/shares/revoke", {"user": "12", "share": share})  # not 12's to revoke
    assert resp.status == 404
    status, _, _ = await _get(f"{base}/share/{share}")
    assert status == 200
    after = fingerprint(server.config.db_path)
    assert after["report_shares"][0] == before["report_shares"][0] + 1  # only the one share made by its owner


async def test_a_revoked_share_and_a_deleted_reports_share_open_nothing(server: Any, connect: Any) -> None:
    base = server.http_url
    first = await _seed_and_report(base, connect, 11)
    second = await _seed_and_report(base, connect, 11, seed=False)
    one, two = await _share(base, 11, first), await _share(base, 11, second)
    resp = await _post(base, "/shares/revoke", {"user": "11", "share": one})
    assert resp.status == 303
    status, page, _ = await _get(f"{base}/share/{one}")
    assert status == 404 and "revoked, or never existed" in page and first not in page
    client = await connect(11)
    assert (await client.call("reports.delete", {"id": second}))["deleted"] == second
    status, _, _ = await _get(f"{base}/share/{two}")
    assert status == 404  # the share went with its report


async def test_with_a_token_a_session_cookie_replaces_it_until_logout(server_factory: Any, config: Any) -> None:
    running = await server_factory(config, token=TOKEN)
    base = running.http_url
    status, _, headers = await _get(f"{base}/", headers={"Accept": "text/html"})
    assert status == 303 and headers["Location"] == "/login"  # a browser goes to the login page
    status, _, _ = await _get(f"{base}/api/reports")
    assert status == 401  # an API client is told to bring its token, as before
    resp = await _post(base, "/login", {"token": "wrong"})
    assert resp.status == 401 and not resp.cookies
    resp = await _post(base, "/login", {"token": TOKEN})
    assert resp.status == 303 and resp.headers["Location"] == "/"
    name = cookie_name(running.port)
    set_cookie = resp.headers["Set-Cookie"]
    assert "HttpOnly" in set_cookie and "SameSite=Strict" in set_cookie and "Path=/" in set_cookie
    cookie = {"Cookie": f"{name}={resp.cookies[name].value}"}
    status, page, _ = await _get(f"{base}/", headers=cookie)
    assert status == 200 and "action='/logout'" in page
    # The Origin guard stays: another site's page cannot post with the browser's cookie.
    resp = await _post(base, "/logout", {}, headers={**cookie, "Origin": "http://evil.example"})
    assert resp.status == 403
    resp = await _post(base, "/logout", {}, headers=cookie)
    assert resp.status == 303 and resp.headers["Location"] == "/login?out=1"
    assert resp.cookies[name].value == ""  # cleared in the browser...
    status, _, _ = await _get(f"{base}/api/reports", headers=cookie)
    assert status == 401  # ...and ended on the server


async def test_dsm_serve_with_a_token_prints_a_login_url_that_works_once(tmp_path: Any) -> None:
    proc, _port = await start_dsm_serve(tmp_path / "dsm.sqlite3", "--token", TOKEN)
    try:
        assert proc.stdout is not None
        second = (await asyncio.wait_for(proc.stdout.readline(), 60)).decode()
        found = re.search(r"(http://127\.0\.0\.1:\d+)/login\?once=([A-Za-z0-9_-]+)", second)
        assert found and TOKEN not in second, second
        base, login = found.group(1), found.group(0)
        status, _, headers = await _get(login)
        assert status == 303 and headers["Location"] == "/" and "HttpOnly" in headers["Set-Cookie"]
        status, page, _ = await _get(login)
        assert status == 401 and "already used" in page
        status, _, _ = await _get(f"{base}/api/status", headers={"Authorization": f"Bearer {TOKEN}"})
        assert status == 200  # the token itself still works for API clients
    finally:
        await stop_process(proc)


async def test_without_a_token_login_is_not_needed(server: Any) -> None:
    status, _, headers = await _get(f"{server.http_url}/login")
    assert status == 303 and headers["Location"] == "/"
    status, page, _ = await _get(f"{server.http_url}/")
    assert status == 200 and "action='/logout'" not in page


async def test_a_bad_dashboard_address_is_a_page_saying_why(server: Any, connect: Any) -> None:
    await _seed(connect, 11)
    for query, message in (
        ("user=abc", "user: expected a Studio user id (a whole number)"),
        ("period=5y", "period: expected one of 24h, 7d, 30d"),
        ("from=yesterday", "from: &#x27;yesterday&#x27;: expected Unix seconds, YYYY-MM-DD or an ISO date-time"),
    ):
        async with aiohttp.ClientSession() as http, http.get(f"{server.http_url}/?{query}") as resp:
            assert (resp.status, resp.content_type) == (400, "text/html")
            page = await resp.text()
        assert f"role='alert'>{message}</div>" in page and "href='/'" in page


async def test_the_30_day_view_adds_closed_days_and_today(server: Any, connect: Any) -> None:
    client = await connect(11)
    old = [event(i, ts=FIXED_NOW - 10 * DAY, kind="datastore", name="GetAsync", datastore="Old", key="k", ok=True)
           for i in range(5)]  # fmt: skip
    new = [event(i, ts=FIXED_NOW - 600, session="S2", kind="datastore", name="SetAsync", datastore="Old", key="k",
                 ok=False, errorCode=301) for i in range(3)]  # fmt: skip
    assert (await client.call("events.append", {"events": old + new}))["accepted"] == 8
    status, page, _ = await _get(f"{server.http_url}/?period=30d")
    assert status == 200
    assert "<title>Old / k calls: 8</title>" in page.replace("&#47;", "/")  # 5 ten days ago + 3 today
    assert "<title>Old / k failed: 3</title>" in page.replace("&#47;", "/")
    day = time.strftime("%Y-%m-%d", time.gmtime(FIXED_NOW - 10 * DAY))
    assert f"<title>{day} 00:00 UTC GetAsync: 5</title>" in page  # one column per day
    status, page, _ = await _get(f"{server.http_url}/?period=24h")
    assert "<title>Old / k calls: 3</title>" in page.replace("&#47;", "/")  # only today's
