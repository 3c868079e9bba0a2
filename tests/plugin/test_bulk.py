"""Backup and restore through the Backup/Restore panel (ui/BulkView over features/bulk), the real plugin against a
real companion: 300 keys under a prefix backed up, Studio closed mid-way and the backup resumed in the next session
from where it stopped, then some values changed by a game, a dry run listing exactly those keys, the restore writing
them back with their UserIds and metadata, journaled as restores on the companion."""

from __future__ import annotations

import base64
import json
from typing import Any

from studio_bed import PLUGIN_SRC, StudioBed
from studio_bed.net import Companion
from studio_bed.render.problems import find_problems

from dsm.backups.files import BackupFiles

USER = 4242
URL_SETTING = "DataStoreManagerPro_companionUrl"
BACKUP_SETTING = "DataStoreManagerPro_bulkBackup"
RESTORE_SETTING = "DataStoreManagerPro_bulkRestore"
KEYS = [f"Player_{n:03d}" for n in range(300)]
CHANGED = ["Player_007", "Player_150", "Player_299"]


def stored_setting(value: Any) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode("ascii")


def setting_value(stored: Any) -> Any:
    return None if stored is None else json.loads(base64.b64decode(stored))


def original(key: str) -> dict[str, Any]:
    return {"coins": int(key[-3:]) * 10, "name": key}


def seed_cloud(bed: StudioBed) -> None:
    """The place's DataStores as Roblox keeps them between Studio sessions (the bed forgets them: seed them again)."""
    bed.eval(
        """
        for n = 0, 299 do
            local key = string.format("Player_%03d", n)
            TestBed.seedDataStore("PlayerData", key, { coins = n * 10, name = key }, {
                userIds = { 1000 + n }, metadata = { slot = n % 3 }, at = 1764547200,
            })
        end
        for n = 1, 20 do
            TestBed.seedDataStore("PlayerData", "Guild_" .. n, { members = n })
        end
        """
    )


FIND = """
local widget = TestBed.widget("DataStoreManagerPro")
local function find(name) return widget:FindFirstChild(name, true) end
local function texts(name)
    local out = {}
    for _, item in widget:GetDescendants() do
        if item.Name == name and item:IsA("TextLabel") then table.insert(out, item.Text) end
    end
    return out
end
local function panelText(name)
    local item = find("BulkPanel"):FindFirstChild(name, true)
    return if item then item.Text else nil
end
"""

OPEN_PANEL = (
    FIND
    + """
TestBed.click(TestBed.toolbarButton("DataStoreManagerPro"))
TestBed.waitFor(function() return find("DataStore_PlayerData") ~= nil end)
TestBed.click(find("DataStore_PlayerData"))
TestBed.waitFor(function() return find("OpenBulk") ~= nil and find("OpenBulk").Visible end)
TestBed.click(find("OpenBulk"))
TestBed.waitFor(function()
    return find("BulkPanel").Visible and panelText("BackupsNotice") ~= "Listing this DataStore's backups…"
end)
"""
)


def test_a_backup_resumed_after_studio_closes_then_a_dry_run_and_a_restore(companion: Companion) -> None:
    settings: dict[str, Any] = {URL_SETTING: stored_setting(companion.ws_url)}
    with StudioBed(PLUGIN_SRC, user_id=USER, settings=settings, clock=companion.clock) as bed:
        seed_cloud(bed)
        bed.start_plugin()
        bed.eval(OPEN_PANEL)
        assert bed.eval(FIND + 'return panelText("BackupsNotice")') == ["No backups of this DataStore yet."]
        progress = bed.eval(
            FIND
            + """
            TestBed.typeText(find("BackupPrefix"), "Player_", false)
            TestBed.click(find("StartBackup"))
            local seen = {}
            TestBed.waitFor(function()
                local line = panelText("Progress")
                if line and string.find(line, "waiting for DataStore read budget", 1, true) then seen.wait = line end
                if line then seen.last = line end
                return line ~= nil and string.find(line, "^Backing up… 1[2-9]%d keys") ~= nil
            end, 600)
            return seen
            """,
            real_limit=120,
        )[0]
        assert "keys so far (more pages to list)" in progress["last"]
        assert "waiting for DataStore read budget" in progress["wait"]  # 60 reads a minute: the wait is shown
        bed.eval("TestBed.unloadPlugin()")  # Studio closes in the middle of the backup
        first_reads = [c for c in bed.eval("return TestBed.dataStoreCalls()")[0] if c["method"] == "GetAsync"]
        assert not bed.errors
    saved = setting_value(settings[BACKUP_SETTING])
    assert saved["datastore"] == "PlayerData" and saved["prefix"] == "Player_" and 100 <= saved["done"] < 300

    files = BackupFiles.beside(companion.db_path, companion.clock)
    [open_backup] = files.list(USER)
    assert open_backup.state == "open" and open_backup.entries == saved["done"]

    with StudioBed(PLUGIN_SRC, user_id=USER, settings=settings, clock=companion.clock) as bed:  # Studio opens again
        seed_cloud(bed)
        bed.start_plugin()
        bed.eval(OPEN_PANEL)
        pending = bed.eval(FIND + 'return panelText("PendingBackup")')[0]
        assert (
            pending
            == f'An earlier backup of PlayerData/global (keys starting "Player_") stopped after {saved["done"]} keys.'
        )
        notice = bed.eval(
            FIND
            + """
            TestBed.click(find("ResumeBackup"))
            TestBed.waitFor(function() return panelText("Notice") ~= nil end, 600)
            return panelText("Notice")
            """,
            real_limit=120,
        )[0]
        assert notice == "Backed up 300 keys of PlayerData."
        second_reads = [c for c in bed.eval("return TestBed.dataStoreCalls()")[0] if c["method"] == "GetAsync"]
        # The resumed walk read only what the first session had not stored (plus the chunk in hand when it closed).
        assert len(second_reads) == 300 - saved["done"]
        assert {c["key"] for c in second_reads} == set(KEYS[saved["done"] :])
        assert len(first_reads) >= saved["done"]
        assert BACKUP_SETTING not in settings  # nothing left to resume

        [backup] = files.list(USER)
        assert backup.state == "finished" and backup.entries == 300
        _, entries, _ = files.read(USER, backup.id, 0, 1000)
        assert [e.key for e in entries] == KEYS  # every key under the prefix, once, none of the Guild_ keys
        assert all(e.value == original(e.key) for e in entries)
        assert entries[5].user_ids == [1005] and entries[5].metadata == {"slot": 2}

        # A game changes three values (and their key info), and writes a key the backup does not have.
        for key in CHANGED:
            bed.seed("PlayerData", key, {"coins": 0, "name": key, "banned": True}, user_ids=[1], metadata={"x": 1})
        bed.seed("PlayerData", "Player_new", {"coins": 1})
        plan = bed.eval(
            FIND
            + """
            TestBed.click(find("DryRun"))
            TestBed.waitFor(function() return panelText("PlanSummary") ~= nil end, 600)
            return { summary = panelText("PlanSummary"), items = texts("PlanItem"), button = panelText("RunRestore") }
            """,
            real_limit=120,
        )[0]
        assert plan["summary"].endswith(
            ": 0 new keys, 3 changed keys, 297 unchanged. Keys the DataStore holds that are not in the backup are "
            "left alone."
        )
        assert plan["items"] == [
            # what the restore would do to the value now: take `banned` away, put the coins back
            f"changed {key}: removed banned, changed coins, UserIds differ, metadata differs"
            for key in CHANGED
        ]
        assert plan["button"] == "Restore 3 keys"
        writes_before = [c for c in bed.eval("return TestBed.dataStoreCalls()")[0] if c["method"] == "UpdateAsync"]
        assert writes_before == []  # the dry run wrote nothing

        restored = bed.eval(
            FIND
            + """
            TestBed.click(find("RunRestore"))
            TestBed.waitFor(function() return panelText("Notice") ~= nil end, 600)
            local out = { notice = panelText("Notice") }
            local store = game:GetService("DataStoreService"):GetDataStore("PlayerData")
            for _, key in { "Player_007", "Player_150", "Player_299" } do
                local value, info = store:GetAsync(key)
                out[key] = { value = value, userIds = info:GetUserIds(), metadata = info:GetMetadata() }
            end
            out.new = store:GetAsync("Player_new")
            return out
            """,
            real_limit=120,
        )[0]
        assert restored["notice"] == "Restored 3 keys."
        for key in CHANGED:
            n = int(key[-3:])
            assert restored[key] == {"value": original(key), "userIds": [1000 + n], "metadata": {"slot": n % 3}}
        assert restored["new"] == {"coins": 1}  # not in the backup: left alone
        assert RESTORE_SETTING not in settings

        assert not bed.errors
    edits = companion_edits(companion)
    assert sorted((e["key"], e["op"], e["ok"]) for e in edits) == [(key, "restore", True) for key in CHANGED]


def companion_edits(companion: Companion) -> list[dict[str, Any]]:
    """The journal as the companion lists it to this Studio user (`edits.list` over a real WebSocket)."""
    import asyncio

    from dsm.link.client import LinkClient

    async def fetch() -> list[dict[str, Any]]:
        client = await LinkClient.connect(companion.ws_url)
        try:
            await client.hello(USER, session_id="reader")
            return (await client.call("edits.list", {"datastore": "PlayerData"}))["edits"]
        finally:
            await client.close()

    return asyncio.run(fetch())


LAYOUT_WIDTHS = (320, 480, 600, 900, 1200)


def layout_faults(bed: StudioBed, state: str) -> list[str]:
    faults = []
    for width in LAYOUT_WIDTHS:
        layout = bed.layout("DataStoreManagerPro", width, 600)
        texts = layout.visible_texts()
        assert any("Backup and restore" in t for t in texts), f"{state}: the panel is not shown at {width} px"
        faults += [f"{state}, {width} px: {p}" for p in find_problems(layout, clipped=False)]
    return faults


def test_the_panel_has_no_overlapping_or_squeezed_text_from_320_to_1200_px(companion: Companion) -> None:
    settings: dict[str, Any] = {URL_SETTING: stored_setting(companion.ws_url)}
    with StudioBed(PLUGIN_SRC, user_id=USER, settings=settings, clock=companion.clock) as bed:
        long_keys = [f"Player_with_a_rather_long_key_name_{n:06d}" for n in range(6)]
        for key in long_keys:
            bed.seed("PlayerData", key, {"coins": 1, "inventory": ["sword"], "stats": {"hp": 1, "mp": 2}})
        bed.start_plugin()
        bed.eval(OPEN_PANEL)
        bed.eval(
            FIND + 'TestBed.click(find("StartBackup")) TestBed.waitFor(function() return panelText("Notice") end, 60)'
        )
        for key in long_keys[:3]:
            bed.seed("PlayerData", key, {"coins": 2, "inventory": [], "stats": {"hp": 5}, "badge": True})
        bed.eval(
            FIND + 'TestBed.click(find("DryRun")) TestBed.waitFor(function() return panelText("PlanSummary") end, 60)'
        )
        assert bed.eval(FIND + 'return #texts("PlanItem")') == [3]
        faults = layout_faults(bed, "dry run")
        # A backup waiting for budget (the progress line, Cancel), then paused (the resume offer).
        bed.eval(
            FIND
            + """
            TestBed.setBudget("StandardRead", 0)
            TestBed.typeText(find("BackupPrefix"), "Player_with", false)
            TestBed.click(find("StartBackup"))
            TestBed.waitFor(function()
                local line = panelText("Progress")
                return line ~= nil and string.find(line, "waiting", 1, true) ~= nil
            end, 60)
            """
        )
        faults += layout_faults(bed, "waiting")
        bed.eval(
            FIND + 'TestBed.click(find("CancelJob")) TestBed.waitFor(function() return panelText("PendingBackup") end)'
        )
        faults += layout_faults(bed, "paused")
        assert not bed.errors
    assert not faults, "\n".join(faults)


def test_a_restore_cut_short_by_studio_closing_is_finished_in_the_next_session(companion: Companion) -> None:
    settings: dict[str, Any] = {URL_SETTING: stored_setting(companion.ws_url)}
    keys = [f"K{n:02d}" for n in range(12)]

    def seed_backed_up(bed: StudioBed) -> None:
        for n, key in enumerate(keys):
            bed.seed("PlayerData", key, {"coins": n}, user_ids=[n + 1], metadata={"n": n}, at=1764547200)

    def seed_changes(bed: StudioBed) -> None:
        # At a fixed time and in the same order in both sessions, so the versions the bed makes (time and sequence)
        # are the ones Roblox would still hold when Studio opens again.
        for key in keys[:8]:
            bed.seed("PlayerData", key, {"coins": -1}, at=1764550800)

    with StudioBed(PLUGIN_SRC, user_id=USER, settings=settings, clock=companion.clock) as bed:
        seed_backed_up(bed)
        bed.start_plugin()
        bed.eval(OPEN_PANEL)
        bed.eval(
            FIND + 'TestBed.click(find("StartBackup")) TestBed.waitFor(function() return panelText("Notice") end, 60)'
        )
        seed_changes(bed)
        bed.eval(
            FIND + 'TestBed.click(find("DryRun")) TestBed.waitFor(function() return panelText("PlanSummary") end, 60)'
        )
        assert bed.eval(FIND + 'return panelText("RunRestore")') == ["Restore 8 keys"]
        bed.eval(
            FIND
            + """
            TestBed.setBudget("StandardWrite", 3)
            TestBed.click(find("RunRestore"))
            TestBed.waitFor(function()
                local line = panelText("Progress")
                return line ~= nil and string.find(line, "Restoring… 3 / 8 keys", 1, true) ~= nil
            end, 60)
            """
        )
        bed.eval("TestBed.unloadPlugin()")  # Studio closes in the middle of the restore
        assert not bed.errors
    saved = setting_value(settings[RESTORE_SETTING])
    assert (saved["next"], len(saved["items"])) == (4, 8)

    with StudioBed(PLUGIN_SRC, user_id=USER, settings=settings, clock=companion.clock) as bed:
        # The DataStore as the first session left it: three keys restored, five still changed.
        seed_backed_up(bed)
        seed_changes(bed)
        for n, key in enumerate(keys[:3]):
            bed.seed("PlayerData", key, {"coins": n}, user_ids=[n + 1], metadata={"n": n})
        bed.start_plugin()
        bed.eval(OPEN_PANEL)
        offer = bed.eval(FIND + 'return panelText("PendingRestore")')[0]
        assert offer == "A restore of PlayerData/global stopped with 5 keys left to write."
        notice = bed.eval(
            FIND
            + """
            TestBed.click(find("ResumeRestore"))
            TestBed.waitFor(function() return panelText("Notice") end, 120)
            return panelText("Notice")
            """
        )[0]
        assert notice == "Restored 8 keys."
        for n, key in enumerate(keys):
            assert bed.datastore_value("PlayerData", key) == {"coins": n}
        writes = [c["key"] for c in bed.eval("return TestBed.dataStoreCalls()")[0] if c["method"] == "UpdateAsync"]
        assert writes == keys[3:8]  # only what the first session had not written
        assert RESTORE_SETTING not in settings
        assert not bed.errors
    edits = companion_edits(companion)
    assert sorted((e["key"], e["op"]) for e in edits) == [(key, "restore") for key in keys[:8]]
