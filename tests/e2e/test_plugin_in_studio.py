"""End to end: the built plugin (.rbxmx from default.project.json, not the sources) runs in the emulated Studio
against a real companion; the companion's stores must hold exactly what happened, and nothing tracked is lost
when the companion goes away, comes back, or Studio closes in between."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from studio_bed import REPO_ROOT, StudioBed
from studio_bed.net import Companion
from studio_bed.process import StudioProcess

from dsm.plugin_build.install import build
from dsm.plugin_build.rbxmx import read_rbxmx
from support import rows

# Plugin settings as the plugin's SettingsFile keeps them: `DataStoreManagerPro_<name>`, base64 of the JSON.
URL_SETTING = "DataStoreManagerPro_companionUrl"
QUEUE_SETTING = "DataStoreManagerPro_offlineQueue"
LEGACY_URL_SETTING = "DataStoreManagerPro.companionUrl"  # where versions before the fix kept it
USER = 4242


def stored_setting(value: Any) -> str:
    return base64.b64encode(json.dumps(value).encode()).decode("ascii")


def setting_value(stored: Any) -> Any:
    return None if stored is None else json.loads(base64.b64decode(stored))


OPEN_AND_BROWSE = """
local widget = TestBed.widget("DataStoreManagerPro")
TestBed.click(TestBed.toolbarButton("DataStoreManagerPro"))
local function find(name) return widget:FindFirstChild(name, true) end
TestBed.waitFor(function() return find("DataStore_PlayerData") ~= nil end)
TestBed.click(find("DataStore_PlayerData"))
TestBed.waitFor(function() return find("Key_player_1") ~= nil end)
TestBed.click(find("Key_player_1"))
TestBed.waitFor(function() return find("Row_level") ~= nil end)
assert(find("Row_level"):FindFirstChild("Value").Text == "50", "the value row shows the stored level")
"""

GENERATE_REPORT = """
local widget = TestBed.widget("DataStoreManagerPro")
local function find(name) return widget:FindFirstChild(name, true) end
TestBed.click(find("Tab_Reports"))
TestBed.click(find("Choice_DAILY_SUMMARY"))
TestBed.click(find("Generate"))
TestBed.waitFor(function()
    local meta = find("Report"):FindFirstChild("Meta", true)
    return meta ~= nil and string.find(meta.Text, "DAILY_SUMMARY", 1, true) ~= nil
end, 30)
"""

READ_KEY_2 = """
local widget = TestBed.widget("DataStoreManagerPro")
local function find(name) return widget:FindFirstChild(name, true) end
TestBed.click(find("Tab_Explorer"))
TestBed.click(find("Key_player_2"))
TestBed.advance(2)
"""


def sent_event_ids(bed: StudioBed) -> set[str]:
    ids: set[str] = set()
    for socket in bed.sockets:
        for text in socket["sent"]:
            frame = json.loads(text)
            if frame.get("op") == "events.append":
                ids.update(e["id"] for e in frame["body"]["events"])
    return ids


def stored_events(db: Path) -> list[tuple[str, str, str, str | None]]:
    return rows(db, "SELECT event_id, kind, name, key FROM events WHERE user_id = ? ORDER BY seq", (USER,))


def assert_no_gaps(ids: set[str]) -> None:
    """Event ids are `<session>-<seq>` with seq counting 1, 2, 3... (hex): a gap is a lost event."""
    by_session: dict[str, set[int]] = {}
    for event_id in ids:
        session, _, seq = event_id.rpartition("-")
        by_session.setdefault(session, set()).add(int(seq, 16))  # the plugin writes seq in hex
    for session, seqs in by_session.items():
        assert seqs == set(range(1, max(seqs) + 1)), f"session {session} lost events {set(range(1, max(seqs))) - seqs}"


def built_plugin(tmp_path: Path) -> Any:
    built = build(REPO_ROOT / "default.project.json", tmp_path / "DataStoreManagerPro.rbxmx")
    return read_rbxmx(built.output)


def seed(bed: StudioBed) -> None:
    bed.seed("PlayerData", "player_1", {"level": 50}, user_ids=[USER])
    bed.seed("PlayerData", "player_2", {"level": 7})
    bed.seed("Inventory", "player_1", {"items": ["sword"]})


def test_a_session_lands_in_the_companion_exactly(tmp_path: Path, companion: Companion) -> None:
    tree = built_plugin(tmp_path)
    # The companion was chosen by a version that kept settings under keys with periods: it is found and moved.
    settings: dict[str, Any] = {LEGACY_URL_SETTING: companion.ws_url}
    with StudioBed(tree, user_id=USER, settings=settings, clock=companion.clock) as bed:
        seed(bed)
        bed.start_plugin()
        bed.eval(OPEN_AND_BROWSE)
        bed.eval(GENERATE_REPORT)
        bed.advance(5)  # let the event queue flush
        calls = bed.eval("return TestBed.dataStoreCalls()")[0]
        sent = sent_event_ids(bed)
        assert not bed.errors
    assert LEGACY_URL_SETTING not in settings
    assert setting_value(settings[URL_SETTING]) == companion.ws_url
    db = companion.db_path
    events = stored_events(db)
    # every event the plugin sent is stored once, and nothing else is
    assert {e[0] for e in events} == sent
    assert len(events) == len(sent)
    assert_no_gaps(sent)
    names = [(kind, name) for _, kind, name, _ in events]
    assert ("ui", "widget_open") in names
    # one datastore event per DataStore call the plugin made, named after the operation
    methods = [c["method"] for c in calls.values()] if isinstance(calls, dict) else [c["method"] for c in calls]
    op_of = {"ListDataStoresAsync": "listDataStores", "ListKeysAsync": "listKeys", "GetAsync": "getData"}
    expected_ops = sorted(op_of[m] for m in methods if m in op_of)
    stored_ops = sorted(name for _, kind, name, _ in events if kind == "datastore" and name in op_of.values())
    assert stored_ops == expected_ops
    assert ("datastore", "getData") in names
    assert any(key == "player_1" for _, kind, name, key in events if name == "getData")
    # the report generated from the UI is in the reports store, for this user only
    assert rows(db, "SELECT type, user_id FROM reports") == [("DAILY_SUMMARY", USER)]
    # the value read went through PluginDataStore to the companion's cache store
    cached = rows(db, "SELECT kind, datastore, key FROM cache_entries WHERE user_id = ?", (USER,))
    assert ("value", "PlayerData", "player_1") in cached


def test_nothing_tracked_is_lost_when_the_companion_stops_and_studio_closes(tmp_path: Path, companion: Companion):
    tree = built_plugin(tmp_path)
    settings: dict[str, Any] = {URL_SETTING: stored_setting(companion.ws_url)}
    with StudioBed(tree, user_id=USER, settings=settings, clock=companion.clock) as bed:
        seed(bed)
        bed.start_plugin()
        bed.eval(OPEN_AND_BROWSE)
        bed.advance(5)
        companion.stop()  # the companion goes away mid-session
        bed.eval(READ_KEY_2)  # keep working: these events wait in the offline queue
        bed.advance(3)
        companion.restart()  # same port, same database
        bed.advance(60)  # reconnect with backoff, resend the queue
        bed.eval(READ_KEY_2)  # and some more work once it is back
        bed.advance(3)
        companion.stop()
        bed.eval("TestBed.click(TestBed.toolbarButton('DataStoreManagerPro'))")  # close the widget: tracked
        bed.eval("TestBed.unloadPlugin()")  # Studio closes while the companion is down
        first_session = sent_event_ids(bed)
        assert not bed.errors
    stored = settings.get(QUEUE_SETTING)
    assert stored, "the offline queue must be saved with plugin:SetSetting on unload"
    assert not set(stored) & {'"', "\\", "\n"}  # nothing Studio's settings file could be corrupted by
    saved = setting_value(stored)
    saved_ids = {e["id"] for e in saved["events"]}
    assert saved_ids and not saved_ids & first_session  # never sent before Studio closed

    companion.restart()
    with StudioBed(tree, user_id=USER, settings=settings, clock=companion.clock) as bed:  # Studio opens again
        bed.start_plugin()
        bed.advance(10)
        second_session = sent_event_ids(bed)
        bed.eval("TestBed.unloadPlugin()")
        assert not bed.errors

    events = stored_events(companion.db_path)
    stored_ids = {e[0] for e in events}
    assert len(events) == len(stored_ids)  # resends were stored once
    assert (first_session | second_session) <= stored_ids
    assert saved_ids <= second_session  # resent by the next Studio session with the same ids
    assert not settings.get(QUEUE_SETTING)  # and the saved queue is cleared once delivered
    assert_no_gaps(stored_ids)
    keys_read = {key for _, kind, name, key in events if kind == "datastore" and name == "getData"}
    assert {"player_1", "player_2"} <= keys_read
    assert ("ui", "widget_close") in {(kind, name) for _, kind, name, _ in events}


def test_a_play_test_runs_the_plugin_once_in_one_studio(tmp_path: Path, companion: Companion) -> None:
    """Play Solo: Studio runs the plugin again in a Server and a Client DataModel, next to the Edit one."""
    tree = built_plugin(tmp_path)
    studio = StudioProcess(settings={URL_SETTING: stored_setting(companion.ws_url)})
    for other in range(4):  # other plugins hold 4 of Studio's 6 WebStreamClients
        assert studio.reserve(0, other)
    with StudioBed(tree, user_id=USER, studio=studio, clock=companion.clock) as edit:
        edit.start_plugin()
        edit.eval("TestBed.click(TestBed.toolbarButton('DataStoreManagerPro'))")
        edit.advance(5)
        for data_model in ("Server", "Client"):
            with StudioBed(tree, user_id=USER, studio=studio, data_model=data_model) as play:
                play.start_plugin()
                play.advance(30)
                assert play.sockets == []
                assert play.eval("return TestBed.toolbarButton('DataStoreManagerPro') == nil") == [True]
                assert play.eval("return #TestBed.dataStoreCalls()") == [0]
                assert not play.errors
        edit.advance(5)
        assert [s["state"] for s in edit.sockets] == ["open"]  # the Edit link was never pushed out
        assert studio.open_web_streams == 5
        assert not edit.errors
    sessions = rows(companion.db_path, "SELECT session_id FROM sessions WHERE user_id = ?", (USER,))
    assert len(sessions) == 1  # one Studio session said hello, not three
    assert len({e[0].rpartition("-")[0] for e in stored_events(companion.db_path)}) == 1
