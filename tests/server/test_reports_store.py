"""The reports store over the link: list by type and date range, get, delete, export; scoped per user."""

from __future__ import annotations

import json

import pytest

from dsm.app import SERVICES
from dsm.link.client import LinkError
from dsm.store import reports
from dsm.store.codec import unpack
from support import rows

TOTAL = {"section": "totals", "name": "events.total", "label": "Total events", "value": 3, "unit": "count"}
MODEL_BODY = {
    "period": {"from": 0.0, "to": 86400.0},
    "insights": ["3 events."],
    "metrics": [TOTAL | {"previous": None, "change": None, "changePct": None, "better": None}],
    "sections": [],
}

T = 1_700_000_000.0  # report times inside the store's timestamp window (2000..2100)


async def save(
    server, user_id: int, report_type: str, created_at: float, title: str, body: dict | None = None
) -> reports.Report:
    report = reports.new_report(report_type, created_at, title, body or MODEL_BODY)
    return await server.app[SERVICES].db.write(reports.save_job(user_id, report))


async def test_list_filters_by_type_and_date_range_newest_first(server, connect):
    client = await connect(1)
    a = await save(server, 1, "DAILY_SUMMARY", T + 1000.0, "a")
    b = await save(server, 1, "PERFORMANCE_ANALYSIS", T + 2000.0, "b")
    c = await save(server, 1, "DAILY_SUMMARY", T + 3000.0, "c")
    await save(server, 2, "DAILY_SUMMARY", T + 2500.0, "someone else's")
    listed = (await client.call("reports.list"))["reports"]
    assert [r["id"] for r in listed] == [c.id, b.id, a.id]
    assert listed[0] == {"id": c.id, "type": "DAILY_SUMMARY", "createdAt": T + 3000.0, "title": "c"}
    daily = (await client.call("reports.list", {"type": "DAILY_SUMMARY"}))["reports"]
    assert [r["id"] for r in daily] == [c.id, a.id]
    ranged = (await client.call("reports.list", {"from": T + 1500, "to": T + 3000}))["reports"]
    assert [r["id"] for r in ranged] == [c.id, b.id]
    assert len((await client.call("reports.list", {"limit": 1}))["reports"]) == 1


async def test_get_export_and_delete(server, connect):
    client = await connect(1)
    saved = await save(server, 1, "DAILY_SUMMARY", 1000.0, "Daily")
    got = (await client.call("reports.get", {"id": saved.id}))["report"]
    assert got == saved.to_wire()
    exported = await client.call("reports.export", {"id": saved.id, "format": "json"})
    assert exported["mime"] == "application/json" and exported["filename"].endswith(".json")
    assert json.loads(exported["content"])["body"] == saved.body
    assert await client.call("reports.delete", {"id": saved.id}) == {"deleted": saved.id}
    with pytest.raises(LinkError) as err:
        await client.call("reports.get", {"id": saved.id})
    assert err.value.code == "not_found"


async def test_a_body_saved_before_the_report_model_is_served_in_it_and_kept_as_stored(server, connect, db_path):
    old = {
        "period": {"from": 0, "to": 86400},
        "metrics": [{"name": "events.total", "label": "Total events", "value": 3, "unit": "count", "previous": 1}],
        "topKeys": [{"key": "player_1", "reads": 2, "lastRead": 1_781_524_800.0}],
        "method": {"zThreshold": 3.5},
    }
    saved = await save(server, 1, "DAILY_SUMMARY", 1000.0, "old", old)
    client = await connect(1)
    body = (await client.call("reports.get", {"id": saved.id}))["report"]["body"]
    assert body["metrics"] == [
        {
            "section": "",
            "name": "events.total",
            "label": "Total events",
            "value": 3,
            "unit": "count",
            "previous": 1,
            "change": 2,
            "changePct": 2.0,
            "better": None,
        }
    ]
    top_keys, method = body["sections"]
    assert (top_keys["kind"], top_keys["rows"]) == ("table", old["topKeys"])
    assert [c["unit"] for c in top_keys["columns"]] == ["text", "number", "time"]
    assert (method["kind"], method["items"][0]["value"]) == ("facts", 3.5)
    stored = rows(db_path, "SELECT body FROM reports WHERE id = ?", (saved.id,))[0][0]
    assert unpack(stored) == old  # the stored bytes were not rewritten


async def test_another_users_report_is_not_found(server, connect):
    theirs = await save(server, 2, "DAILY_SUMMARY", 1000.0, "theirs")
    client = await connect(1)
    for op in ("reports.get", "reports.delete"):
        with pytest.raises(LinkError) as err:
            await client.call(op, {"id": theirs.id})
        assert err.value.code == "not_found"
    owner = await connect(2)
    assert (await owner.call("reports.get", {"id": theirs.id}))["report"]["title"] == "theirs"


@pytest.mark.parametrize(
    ("op", "body", "path"),
    [
        ("reports.list", {"type": "WEEKLY_THING"}, "type"),
        ("reports.list", {"limit": 0}, "limit"),
        ("reports.list", {"from": "monday"}, "from"),
        ("reports.get", {}, "id"),
        ("reports.export", {"id": "x", "format": "pdf"}, "format"),
    ],
)
async def test_bad_report_requests_name_the_field(connect, op, body, path):
    client = await connect(1)
    with pytest.raises(LinkError) as err:
        await client.call(op, body)
    assert err.value.code == "invalid_body"
    assert err.value.error["message"].startswith(path)
