"""Values at and past the store's ranges: the edges of the timestamp window, the largest measurements that are
still accepted (their reports must export), and range faults outside the link's frames (HTTP, imported files)."""

from __future__ import annotations

import base64

import aiohttp
import pytest

from dsm.link.client import LinkError
from dsm.store.codec import pack
from dsm.store.events import MAX_LATENCY_MS, MAX_SIZE
from dsm.store.portable import FORMAT, VERSION
from dsm.store.reports import REPORT_TYPES
from dsm.validate import EARLIEST_TS, INT64_MAX, LATEST_TS
from support import FIXED_NOW, rows


async def test_the_timestamp_window_takes_its_edges_and_refuses_just_outside(connect, db_path):
    client = await connect(1)
    edges = [{"id": f"E-{n}", "ts": ts, "kind": "ui", "name": "n"} for n, ts in enumerate((EARLIEST_TS, LATEST_TS))]
    assert await client.call("events.append", {"events": edges}) == {"accepted": 2, "duplicates": 0}
    for n, ts in enumerate((EARLIEST_TS - 0.001, LATEST_TS + 0.001, FIXED_NOW * 1000)):
        with pytest.raises(LinkError) as refused:
            await client.call("events.append", {"events": [{"id": f"X-{n}", "ts": ts, "kind": "ui", "name": "n"}]})
        assert refused.value.code == "invalid_body"
        assert refused.value.error["message"].startswith("events[0].ts: expected Unix seconds between 2000")
    assert rows(db_path, "SELECT COUNT(*) FROM events") == [(2,)]


async def test_the_largest_accepted_measurements_give_reports_that_export(connect):
    client = await connect(1)
    extreme = [
        {
            "id": f"S-{n}",
            "ts": FIXED_NOW - 2 * 86400 + n * 1800,  # over three days: closed days have per-key rollups
            "kind": kind,
            "name": "getData",
            "datastore": "D",
            "key": "k",
            "latencyMs": MAX_LATENCY_MS,
            "size": MAX_SIZE,
            "errorCode": INT64_MAX,
            "ok": n % 2 == 0,
        }
        for n, kind in enumerate(("datastore", "perf", "error", "ui") * 25)
    ]
    assert (await client.call("events.append", {"events": extreme}))["accepted"] == 100
    made = []
    for report_type in REPORT_TYPES:
        options: dict = {"from": FIXED_NOW - 3 * 86400, "to": FIXED_NOW}
        if report_type == "CUSTOM_ANALYSIS":
            options["analysis"] = "key_pattern_analysis"
        made.append((await client.call("reports.generate", {"type": report_type, "options": options}))["report"])
    assert len(made) == len(REPORT_TYPES)
    for report in made:
        for fmt in ("json", "csv", "html"):
            assert (await client.call("reports.export", {"id": report["id"], "format": fmt}))["content"]
    assert (await client.call("analytics.current"))["summary"]["totalEvents"] == 100


async def test_an_import_with_a_bad_setting_is_refused_naming_it_and_imports_nothing(connect, db_path):
    client = await connect(1)
    overrides = base64.b64encode(pack({"analytics": {"retainDataDays": "forever"}})).decode()
    event = {"id": "I-1", "ts": FIXED_NOW, "kind": "ui", "name": "n", "receivedAt": FIXED_NOW}
    document = {
        "format": FORMAT,
        "version": VERSION,
        "stores": {"events": [event], "settings": {"overridesB64": overrides, "updatedAt": FIXED_NOW}},
    }
    with pytest.raises(LinkError) as refused:
        await client.call("data.import", {"data": document})
    assert refused.value.code == "invalid_body"
    assert refused.value.error["message"].startswith("data.stores.settings.overridesB64.analytics.retainDataDays:")
    assert rows(db_path, "SELECT COUNT(*) FROM events") == [(0,)]
    assert rows(db_path, "SELECT COUNT(*) FROM settings") == [(0,)]


async def test_a_user_id_past_64_bits_over_http_is_invalid_body(server):
    async with aiohttp.ClientSession() as session:
        base = server.http_url
        for url in (f"{base}/api/reports?user={2**64}", f"{base}/api/reports/r.json?user=-{2**70}"):
            async with session.get(url) as resp:
                assert resp.status == 400
                assert (await resp.json())["error"]["message"].startswith("user:")
