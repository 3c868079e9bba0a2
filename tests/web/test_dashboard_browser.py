"""The dashboard in a real browser (Debian's chromium through chromium-driver, driven by Selenium): data sent
through the real WebSocket link shows up as drawn SVG figures, a chart updates while an event arrives, the
Generate form works and shows its errors inline, a report link opens, a share link is made and revoked, and a
server with a token is logged into from its one-time URL. Screenshots of each page go to artifacts/dashboard/."""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import aiohttp
import pytest
from browser_support import ELEVEN, EVENTS, WAIT_S, ThreadedServer, both_schemes, ds_event
from selenium.webdriver.common.by import By
from selenium.webdriver.support.select import Select
from selenium.webdriver.support.ui import WebDriverWait

from chromium import SKIP_REASON, driver_available, webdriver
from dsm.config import ServerConfig
from dsm.reports import catalog
from dsm.web.auth import cookie_name, login_url
from dsm.web.routes import SESSIONS
from support import FIXED_NOW, rows, run_dsm

pytestmark = pytest.mark.skipif(not driver_available(), reason=SKIP_REASON + " with chromium-driver")
USER = 4242
TOKEN = "s3cret-token"
DAY = 86400.0


@pytest.fixture
def browser() -> Iterator[Any]:
    driver = webdriver()
    try:
        yield driver
    finally:
        driver.quit()


def _serve(config: ServerConfig, **changes: Any) -> Iterator[ThreadedServer]:
    served = ThreadedServer(replace(config, **changes))
    try:
        yield served
    finally:
        served.stop()


@pytest.fixture
def served(config: ServerConfig) -> Iterator[ThreadedServer]:
    yield from _serve(config)


@pytest.fixture
def served_with_token(config: ServerConfig) -> Iterator[ThreadedServer]:
    yield from _serve(config, token=TOKEN)


def _send(served: ThreadedServer, events: list[dict[str, Any]], token: str | None = None) -> None:
    client = served.client(USER, token)
    assert served.call(client, "events.append", {"events": events})["accepted"] == len(events)


def _text(element: Any) -> str:
    return str(element.get_attribute("textContent")).strip()


def _tiles(driver: Any) -> dict[str, str]:
    """The figures as drawn (read in one step: the live stream may swap the charts in between two reads)."""
    tiles = driver.execute_script(
        "var out = {}; document.querySelectorAll('#panels .tile').forEach(function (t) {"
        " out[t.getAttribute('data-name')] = t.querySelector('.value').textContent.trim(); }); return out;"
    )
    assert tiles, "no figures drawn"
    return dict(tiles)


def _chart_tips(driver: Any, section_id: str) -> list[str]:
    """The tooltips of a chart's drawn marks (columns, dots, bars): each names a figure as the user reads it."""
    return list(
        driver.execute_script(
            "return Array.from(document.querySelectorAll(arguments[0])).map(function (t) {"
            " return t.textContent.trim(); });",
            f"#{section_id} + section svg title",
        )
    )


def _wait(driver: Any, condition: Any) -> Any:
    return WebDriverWait(driver, WAIT_S).until(lambda d: condition(d))


def _nearest_rank(values: list[float], p: float) -> float:
    return sorted(values)[math.ceil(p * len(values)) - 1]


def _ms(text: str) -> float:
    found = re.search(r"([\d,.]+) ms", text)
    assert found, text
    return float(found.group(1).replace(",", ""))


def test_dashboard_draws_the_data_sent_through_the_link_and_updates_live(served: ThreadedServer, browser: Any) -> None:
    _send(served, EVENTS)
    browser.get(served.url + "/")
    tiles = _tiles(browser)
    assert tiles["calls"] == "8" and tiles["failed"] == "2" and tiles["budget"] == "1"
    assert tiles["successRate"] == "75.0%"  # 6 of 8 calls
    assert tiles["errors"] == "3"  # the two failed calls and the error event

    # Calls by operation, stacked per hour: the tooltips of the drawn columns carry the counts that were sent.
    by_op = _chart_tips(browser, "callsByOperation")
    assert "2026-06-15 10:00 UTC GetAsync: 4" in by_op and "2026-06-15 10:00 UTC SetAsync: 1" in by_op
    assert "2026-06-15 11:00 UTC GetAsync: 2" in by_op and "2026-06-15 11:00 UTC RemoveAsync: 1" in by_op
    by_outcome = _chart_tips(browser, "callsByOutcome")
    assert "2026-06-15 10:00 UTC Failed: 1" in by_outcome and "2026-06-15 11:00 UTC Succeeded: 2" in by_outcome
    # Latency percentiles per hour: within the sketch's 1% of the exact nearest-rank percentile.
    tips = _chart_tips(browser, "latency")
    ten = [20.0, 40.0, 60.0, 100.0, 5.0]
    for p, name in zip((0.5, 0.95, 0.99), ("p50", "p95", "p99"), strict=True):
        tip = next(t for t in tips if t.startswith(f"2026-06-15 10:00 UTC {name}:"))
        exact = _nearest_rank(ten, p)
        assert abs(_ms(tip) - exact) <= 0.01 * exact, (tip, exact)
    assert "2026-06-15 10:00 UTC events: 1" in _chart_tips(browser, "budget")
    errors = _chart_tips(browser, "errors")
    assert "GetAsync failed (301) errors: 1" in errors and "request_failed (502) errors: 1" in errors
    busiest = _chart_tips(browser, "busiestDataStores")
    assert "PlayerData calls: 7" in busiest and "Inventory calls: 1" in busiest
    both_schemes(browser, "dashboard")
    dark_bg = browser.execute_script("return getComputedStyle(document.body).backgroundColor")
    assert dark_bg == "rgb(255, 255, 255)"  # back to light after the dark shot

    # Live: the page holds its stream open; one more call through the link is drawn without a reload.
    _wait(browser, lambda d: d.find_element(By.TAG_NAME, "body").get_attribute("data-live") == "open")
    browser.execute_script("var m = document.createElement('i'); m.id = 'no-reload'; document.body.append(m);")
    _send(served, [ds_event(10, ELEVEN + 600, "GetAsync", 45.0)])
    _wait(browser, lambda d: _tiles(d)["calls"] == "9")
    assert "2026-06-15 11:00 UTC GetAsync: 3" in _chart_tips(browser, "callsByOperation")
    assert browser.find_elements(By.ID, "no-reload"), "the page was reloaded instead of updated"


def test_dark_scheme_is_applied_to_the_dashboard(served: ThreadedServer, browser: Any) -> None:
    _send(served, EVENTS)
    browser.get(served.url + "/")
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}
    )
    assert browser.execute_script("return getComputedStyle(document.body).backgroundColor") == "rgb(17, 24, 39)"
    # The charts' axis labels take the dark scheme's muted text colour (light grey on the dark card).
    fill = "return getComputedStyle(document.querySelector('#panels svg text.muted')).fill"
    assert browser.execute_script(fill) == "rgb(156, 163, 175)"


def test_empty_dashboard_points_to_the_demo_and_the_plugin(served: ThreadedServer, browser: Any) -> None:
    browser.get(served.url + "/")
    start = _text(browser.find_element(By.CSS_SELECTOR, "section.empty-start"))
    assert "dsm demo" in start and "dsm plugin install" in start
    both_schemes(browser, "empty")


def test_generate_from_the_form_shows_errors_inline_and_follows_the_report_link(
    served: ThreadedServer, browser: Any
) -> None:
    _send(served, EVENTS)
    browser.get(served.url + "/")
    Select(browser.find_element(By.CSS_SELECTOR, "form.generate select[name=type]")).select_by_value("CUSTOM_ANALYSIS")
    # Only the chosen type's options are shown, drawn from the catalog.
    assert browser.find_element(By.NAME, "CUSTOM_ANALYSIS.from").is_displayed()
    assert not browser.find_element(By.NAME, "DAILY_SUMMARY.date").is_displayed()
    Select(browser.find_element(By.NAME, "CUSTOM_ANALYSIS.analysis")).select_by_value("operation_breakdown")
    assert browser.find_element(By.NAME, "CUSTOM_ANALYSIS.operation_breakdown.filters.operation").is_displayed()
    assert not browser.find_element(By.NAME, "CUSTOM_ANALYSIS.key_pattern_analysis.parameters.pattern").is_displayed()
    # A start without an end: the page comes back with the message above the form, the values kept.
    browser.execute_script("document.querySelector(\"[name='CUSTOM_ANALYSIS.from']\").value = '2026-06-15T00:00';")
    browser.find_element(By.CSS_SELECTOR, "form.generate button[type=submit]").click()
    alert = _wait(browser, lambda d: d.find_element(By.ID, "form-error"))
    assert _text(alert) == "options.to: required with from"
    assert browser.find_element(By.NAME, "CUSTOM_ANALYSIS.from").get_attribute("value") == "2026-06-15T00:00"
    assert "{" not in browser.find_element(By.TAG_NAME, "body").text  # a page, not a JSON error
    both_schemes(browser, "form-error")

    browser.execute_script("document.querySelector(\"[name='CUSTOM_ANALYSIS.to']\").value = '2026-06-15T12:00';")
    browser.find_element(By.NAME, "CUSTOM_ANALYSIS.operation_breakdown.filters.operation").send_keys("GetAsync")
    browser.find_element(By.CSS_SELECTOR, "form.generate button[type=submit]").click()
    _wait(browser, lambda d: "/api/reports/" in d.current_url)
    assert "CUSTOM_ANALYSIS" in browser.find_element(By.CSS_SELECTOR, ".meta").text
    query = _text(browser.find_element(By.CSS_SELECTOR, "#query + section"))
    assert "Operation breakdown" in query and "GetAsync" in query
    both_schemes(browser, "report")

    # Back on the dashboard: the report is listed; its link opens it.
    browser.get(served.url + "/")
    link = browser.find_element(By.CSS_SELECTOR, "table.reports a.report")
    title = _text(link)
    link.click()
    _wait(browser, lambda d: d.find_element(By.TAG_NAME, "h1").text == title)


def test_two_reports_are_compared_and_the_list_filters_by_type(served: ThreadedServer, browser: Any) -> None:
    _send(served, EVENTS)
    for kind in ("DAILY_SUMMARY", "PERFORMANCE_ANALYSIS"):
        browser.get(served.url + "/")
        Select(browser.find_element(By.CSS_SELECTOR, "form.generate select[name=type]")).select_by_value(kind)
        browser.find_element(By.CSS_SELECTOR, "form.generate button[type=submit]").click()
        _wait(browser, lambda d: "/api/reports/" in d.current_url)
    browser.get(served.url + "/?type=PERFORMANCE_ANALYSIS")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.reports tr[data-report]")
    assert [_text(r.find_elements(By.TAG_NAME, "td")[1]) for r in rows] == ["PERFORMANCE_ANALYSIS"]
    browser.get(served.url + "/")
    browser.find_element(By.CSS_SELECTOR, "form.compare button[type=submit]").click()
    _wait(browser, lambda d: "/api/reports/" in d.current_url)
    assert "HISTORICAL_COMPARISON" in browser.find_element(By.CSS_SELECTOR, ".meta").text


def test_a_report_is_shared_read_only_and_revoked(served_with_token: ThreadedServer, browser: Any) -> None:
    served = served_with_token
    _send(served, EVENTS, TOKEN)
    browser.get(served.url + "/")
    assert "/login" in browser.current_url  # without a session a browser is sent to log in
    browser.find_element(By.NAME, "token").send_keys(TOKEN)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "form.generate"))
    browser.find_element(By.CSS_SELECTOR, "form.generate button[type=submit]").click()
    _wait(browser, lambda d: "/api/reports/" in d.current_url)
    report_title = browser.find_element(By.TAG_NAME, "h1").text
    browser.get(served.url + "/")
    browser.find_element(By.CSS_SELECTOR, "table.reports button").click()  # Share
    url_box = _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, "input.share-url"))
    share_url = url_box.get_attribute("value")
    assert re.fullmatch(re.escape(served.url) + r"/share/[A-Za-z0-9_-]{32}", share_url)
    assert "Share link created" in browser.find_element(By.CSS_SELECTOR, ".notice").text
    both_schemes(browser, "shares")

    # Someone else (no session, no token) reads that report through the link, and nothing more.
    browser.delete_all_cookies()
    browser.get(share_url)
    assert browser.find_element(By.TAG_NAME, "h1").text == report_title
    assert not browser.find_elements(By.CSS_SELECTOR, "form, a[href], script")
    both_schemes(browser, "shared-report")
    browser.get(served.url + "/")
    assert "/login" in browser.current_url
    listing = served.run(_status_of(f"{served.url}/api/reports"))
    assert listing == 401

    # Revoked: the link opens nothing.
    browser.get(served.url + "/login")
    browser.find_element(By.NAME, "token").send_keys(TOKEN)
    browser.find_element(By.CSS_SELECTOR, "form button[type=submit]").click()
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "table.shares"))
    browser.find_element(By.CSS_SELECTOR, "table.shares button").click()
    notice = _wait(browser, lambda d: d.find_element(By.CSS_SELECTOR, ".notice"))
    assert "revoked" in notice.text and not browser.find_elements(By.CSS_SELECTOR, "table.shares")
    browser.get(share_url)
    assert "revoked, or never existed" in browser.find_element(By.CSS_SELECTOR, ".error").text
    assert report_title not in browser.page_source


async def _status_of(url: str, **kwargs: Any) -> int:
    async with aiohttp.ClientSession() as http, http.get(url, allow_redirects=False, **kwargs) as resp:
        return resp.status


def test_the_one_time_login_url_gives_a_session_cookie_and_logout_ends_it(
    served_with_token: ThreadedServer, browser: Any
) -> None:
    served = served_with_token
    _send(served, EVENTS, TOKEN)
    app = served.server.app
    once = login_url(served.server.config, served.server.port, app[SESSIONS])
    assert once is not None and TOKEN not in once
    browser.get(served.url + "/login")
    both_schemes(browser, "login")
    browser.get(once)
    _wait(browser, lambda d: d.find_elements(By.CSS_SELECTOR, "#panels .tile"))
    assert browser.current_url == served.url + "/"  # the code left the address bar
    assert _tiles(browser)["calls"] == "8"
    cookie = browser.get_cookie(cookie_name(served.server.port))
    assert cookie is not None and cookie["httpOnly"] is True and cookie["sameSite"] == "Strict"
    assert browser.execute_script("return document.cookie") == ""  # no script can read it
    # Links work with the cookie alone: a JSON export through a link of the page.
    browser.get(served.url + "/api/reports")
    assert '"users": [4242]' in browser.find_element(By.TAG_NAME, "body").text

    session = cookie["value"]
    headers = {"Cookie": f"{cookie_name(served.server.port)}={session}"}
    assert served.run(_status_of(f"{served.url}/api/reports", headers=headers)) == 200
    # The URL works once.
    browser.delete_all_cookies()
    browser.get(once)
    assert "already used" in browser.find_element(By.CSS_SELECTOR, ".error").text
    browser.add_cookie({"name": cookie_name(served.server.port), "value": session, "path": "/"})
    browser.get(served.url + "/")
    browser.find_element(By.CSS_SELECTOR, "form[action='/logout'] button").click()
    _wait(browser, lambda d: "/login" in d.current_url)
    assert "logged out" in browser.find_element(By.CSS_SELECTOR, ".notice").text
    assert browser.get_cookie(cookie_name(served.server.port)) is None
    # The session is over on the server too: the old cookie opens nothing.
    assert served.run(_status_of(f"{served.url}/api/reports", headers=headers)) == 401
    # The plugin's link still authenticates by its token in hello, as before.
    assert served.call(served.client(USER, TOKEN), "ping", {}) is not None


def test_after_dsm_demo_the_dashboard_shows_its_month_and_every_report_type(
    served: ThreadedServer, browser: Any
) -> None:
    """What a new user does first: `dsm demo` against the running companion, then the dashboard."""
    done = run_dsm("demo", "--url", served.server.ws_url, "--now", "2026-06-15T12:00:00", "--days", "15")
    assert done.returncode == 0, done.stderr
    browser.get(served.url + "/?user=1&period=30d")
    start, end = FIXED_NOW // DAY * DAY + DAY - 30 * DAY, FIXED_NOW // DAY * DAY + DAY
    sql = "SELECT COUNT(*), SUM(ok = 0) FROM events WHERE user_id = 1 AND kind = 'datastore' AND ts >= ? AND ts < ?"
    ((calls, failed),) = rows(served.server.config.db_path, sql, (start, end))
    assert calls > 0
    tiles = _tiles(browser)
    assert (tiles["calls"], tiles["failed"]) == (f"{calls:,}", f"{failed:,}")
    assert len(_chart_tips(browser, "callsByOperation")) > 0 and len(_chart_tips(browser, "latency")) > 0
    listed = {
        _text(r.find_elements(By.TAG_NAME, "td")[1])
        for r in browser.find_elements(By.CSS_SELECTOR, "table.reports tr[data-report]")
    }
    assert listed == set(catalog.NAMES)
    both_schemes(browser, "demo")
