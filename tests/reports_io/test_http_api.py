"""Reports over HTTP against a real server: list, exports with their Content-Types, generate, the dashboard."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path
from typing import Any

import aiohttp
from rio_support import DAY, DAY0, wire_events

import chromium

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "reports_io"


async def _seed(connect: Any, user_id: int, count: int = 60) -> None:
    client = await connect(user_id)
    assert (await client.call("events.append", {"events": wire_events(DAY0, count)}))["accepted"] == count


async def _get(url: str, **kwargs: Any) -> tuple[int, str, str]:
    async with aiohttp.ClientSession() as session, session.get(url, **kwargs) as resp:
        assert resp.charset in (None, "utf-8")
        return resp.status, resp.content_type, await resp.text()


async def _generate(base: str, user_id: int | None, report_type: str = "DAILY_SUMMARY") -> dict[str, Any]:
    body: dict[str, Any] = {"type": report_type, "options": {"from": DAY0, "to": DAY0 + DAY}}
    if user_id is not None:
        body["user"] = user_id
    async with aiohttp.ClientSession() as session, session.post(f"{base}/api/reports", json=body) as resp:
        assert resp.status == 201, await resp.text()
        return await resp.json()


async def test_generate_list_and_export_in_every_format(server: Any, connect: Any) -> None:
    await _seed(connect, 11)
    base = server.http_url
    made = await _generate(base, None)  # the only user is the default
    assert made["user"] == 11 and made["report"]["type"] == "DAILY_SUMMARY"
    report_id = made["report"]["id"]

    status, ctype, text = await _get(f"{base}/api/reports")
    assert status == 200 and ctype == "application/json"
    listing = json.loads(text)
    assert [r["id"] for r in listing["reports"]] == [report_id] and listing["users"] == [11]

    status, ctype, text = await _get(f"{base}/api/reports/{report_id}.json")
    assert (status, ctype) == (200, "application/json")
    body = json.loads(text)["body"]
    assert body["period"] == {"from": DAY0, "to": DAY0 + DAY}

    status, ctype, text = await _get(f"{base}/api/reports/{report_id}.csv?user=11")
    assert (status, ctype) == (200, "text/csv")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert rows[0][:4] == ["section", "metric", "label", "value"]
    metrics = {m["name"]: m for m in body["metrics"]}
    csv_rows = rows[1 : 1 + len(metrics)]
    assert {r[1] for r in csv_rows} == set(metrics)
    total = next(r for r in csv_rows if r[1] == "events.total")
    assert int(total[3]) == metrics["events.total"]["value"] == 60

    status, ctype, page = await _get(f"{base}/api/reports/{report_id}.html")
    assert (status, ctype) == (200, "text/html")
    assert page.count("<svg") == 3 and not re.search(r"(?i)https?:/|//", page)
    if chromium.available():
        _screenshot(page, ARTIFACTS / "daily_summary_http.png")


def _screenshot(page: str, shot: Path) -> None:
    sizes = chromium.screenshots({shot: page}, 1280)
    assert sizes[shot][0] == 1280


async def test_list_filters_by_type_and_time(server: Any, connect: Any) -> None:
    await _seed(connect, 11)
    base = server.http_url
    await _generate(base, 11, "DAILY_SUMMARY")
    await _generate(base, 11, "PERFORMANCE_ANALYSIS")
    status, _, text = await _get(f"{base}/api/reports?type=PERFORMANCE_ANALYSIS&limit=5")
    listing = json.loads(text)
    assert status == 200 and [r["type"] for r in listing["reports"]] == ["PERFORMANCE_ANALYSIS"]
    status, _, text = await _get(f"{base}/api/reports?from=2000-01-01&to=2000-01-02")
    assert status == 200 and json.loads(text)["reports"] == []
    status, _, text = await _get(f"{base}/api/reports?type=NOPE")
    assert status == 400 and "type" in text
    status, _, text = await _get(f"{base}/api/reports?limit=0")
    assert status == 400


async def test_users_are_kept_apart_and_several_users_need_a_choice(server: Any, connect: Any) -> None:
    await _seed(connect, 11)
    await _seed(connect, 12, 8)
    base = server.http_url
    mine = (await _generate(base, 11))["report"]["id"]
    status, _, text = await _get(f"{base}/api/reports")
    assert status == 400 and '"users": [11, 12]' in text
    status, _, text = await _get(f"{base}/api/reports?user=12")
    assert status == 200 and json.loads(text)["reports"] == []
    status, _, _ = await _get(f"{base}/api/reports/{mine}.html?user=12")
    assert status == 404  # user 12 cannot read user 11's report
    status, _, page = await _get(f"{base}/")
    assert status == 200 and "pick one" in page and "?user=11" in page and "?user=12" in page
    status, _, page = await _get(f"{base}/?user=11")
    assert mine in page and "<form" in page


async def test_dashboard_lists_reports_with_links_and_its_form_generates(server: Any, connect: Any) -> None:
    await _seed(connect, 11)
    base = server.http_url
    made = await _generate(base, 11)
    status, ctype, page = await _get(f"{base}/")
    assert (status, ctype) == (200, "text/html")
    assert f"href='/api/reports/{made['report']['id']}.html?user=11'" in page
    # Nothing from elsewhere: no absolute URL, and the only script is the companion's own.
    assert not re.search(r"(?i)https?:/|//", page)
    assert re.findall(r"<script[^>]*>", page) == ["<script src='/static/dashboard.js' defer>"]
    # The catalog's options are the form's fields, per type (USAGE_ANALYTICS: from, to, limit).
    assert "name='USAGE_ANALYTICS.from'" in page and "name='USAGE_ANALYTICS.limit'" in page
    form = {"user": "11", "type": "USAGE_ANALYTICS", "USAGE_ANALYTICS.from": "2026-11-23", "USAGE_ANALYTICS.to": ""}
    headers = {"Origin": base}  # what a browser sends for the dashboard's own form
    async with aiohttp.ClientSession() as session:
        # A refused form is the dashboard again with the message above the form and the values kept, not JSON.
        async with session.post(f"{base}/api/reports", data=form, headers=headers, allow_redirects=False) as resp:
            assert (resp.status, resp.content_type) == (400, "text/html")
            refused = await resp.text()
        assert "role='alert' id='form-error'>options.to: required with from</div>" in refused
        assert "name='USAGE_ANALYTICS.from' value='2026-11-23'" in refused
        form["USAGE_ANALYTICS.to"] = "2026-11-24"
        async with session.post(f"{base}/api/reports", data=form, headers=headers, allow_redirects=False) as resp:
            assert resp.status == 303
            location = resp.headers["Location"]
        assert re.fullmatch(r"/api/reports/rpt_[0-9a-f]+\.html\?user=11", location)
        async with session.get(f"{base}{location}") as resp:
            assert resp.status == 200 and "USAGE_ANALYTICS" in await resp.text()
        # A page on another site cannot use the form (cross-site request forgery).
        evil = {"Origin": "http://evil.example"}
        async with session.post(f"{base}/api/reports", data=form, headers=evil, allow_redirects=False) as resp:
            assert resp.status == 403
    status, _, text = await _get(f"{base}/api/reports?type=USAGE_ANALYTICS")
    assert len(json.loads(text)["reports"]) == 1


async def test_bad_requests_get_error_codes(server: Any, connect: Any) -> None:
    await _seed(connect, 11)
    base = server.http_url
    status, _, text = await _get(f"{base}/api/reports/rpt_nope.csv")
    assert status == 404 and '"not_found"' in text
    status, _, _ = await _get(f"{base}/api/reports/rpt_x.pdf")
    assert status == 404
    async with aiohttp.ClientSession() as session:
        bad = {"type": "DAILY_SUMMARY", "options": {"from": 1.7e9 + 10, "to": 1.7e9 + 5}}
        async with session.post(f"{base}/api/reports", json=bad) as resp:
            assert resp.status == 400
            assert (await resp.json())["error"]["message"].startswith("options.to")
    status, _, _ = await _get(f"{base}/api/reports", headers={"Host": "attacker.example"})
    assert status == 403  # DNS rebinding guard covers HTTP too


async def test_dashboard_on_an_empty_database_says_so(server: Any) -> None:
    status, _, page = await _get(f"{server.http_url}/")
    assert status == 200 and "No data yet" in page
    assert "<code>dsm demo</code>" in page and "<code>dsm plugin install</code>" in page  # the ways on
    status, _, text = await _get(f"{server.http_url}/api/reports")
    assert status == 200 and json.loads(text) == {"user": None, "users": [], "reports": []}
