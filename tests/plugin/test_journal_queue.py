"""The edits journal's records survive Studio closing: a write made while the companion is down is journaled from the
plugin's persistent queue (saved with plugin:SetSetting on unload) by the next Studio session, once the companion is
back; the saved queue is then cleared."""

from __future__ import annotations

import base64
import json
from typing import Any

from studio_bed import PLUGIN_SRC, StudioBed
from studio_bed.net import Companion

from support import rows

URL_SETTING = "DataStoreManagerPro_companionUrl"
JOURNAL_SETTING = "DataStoreManagerPro_journalQueue"
USER = 4343

EDIT_AND_SAVE = r"""
local widget = TestBed.widget("DataStoreManagerPro")
TestBed.click(TestBed.toolbarButton("DataStoreManagerPro"))
local function find(name) return widget:FindFirstChild(name, true) end
local function clickAndWait(name, until_)
    TestBed.click(find(name))
    TestBed.waitFor(until_)
end
TestBed.waitFor(function() return find("DataStore_PlayerData") ~= nil end)
TestBed.click(find("DataStore_PlayerData"))
TestBed.waitFor(function() return find("Key_p1") ~= nil end)
TestBed.click(find("Key_p1"))
TestBed.waitFor(function() return find("Edit") ~= nil end)
clickAndWait("Edit", function() return find("Editor") ~= nil end)
TestBed.typeText(find("Editor"), [[{"coins": 2, "note": "a \\ \"quoted\" line"}]])
clickAndWait("Review", function() return find("Save") ~= nil end)
clickAndWait("Save", function() return find("ConfirmSave") ~= nil end)
clickAndWait("ConfirmSave", function() return string.find(find("WriteNote").Text, "Saved", 1, true) ~= nil end)
return find("WriteNote").Text
"""


def setting_value(stored: Any) -> Any:
    return None if stored is None else json.loads(base64.b64decode(stored))


def test_a_record_made_offline_is_journaled_by_the_next_studio_session(companion: Companion) -> None:
    settings: dict[str, Any] = {URL_SETTING: base64.b64encode(json.dumps(companion.ws_url).encode()).decode()}
    companion.stop()  # the companion is down the whole first session
    with StudioBed(PLUGIN_SRC, user_id=USER, settings=settings, clock=companion.clock) as bed:
        bed.seed("PlayerData", "p1", {"coins": 1})
        bed.start_plugin()
        [note] = bed.eval(EDIT_AND_SAVE)
        assert "Queued for the edits journal" in note
        assert bed.datastore_value("PlayerData", "p1") == {"coins": 2, "note": 'a \\ "quoted" line'}
        bed.eval("TestBed.unloadPlugin()")  # Studio closes
        assert not bed.errors
    stored = settings.get(JOURNAL_SETTING)
    assert stored, "the journal's queue must be saved with plugin:SetSetting on unload"
    assert not set(stored) & {'"', "\\", "\n"}  # nothing Studio's settings file could be corrupted by
    [saved] = setting_value(stored)["events"]
    assert (saved["key"], saved["op"], saved["ok"]) == ("p1", "update", True)
    assert saved["after"] == {"coins": 2, "note": 'a \\ "quoted" line'}
    assert rows(companion.db_path, "SELECT COUNT(*) FROM edits") == [(0,)]

    companion.restart()
    with StudioBed(PLUGIN_SRC, user_id=USER, settings=settings, clock=companion.clock) as bed:  # Studio opens again
        bed.start_plugin()
        bed.advance(10)
        bed.eval("TestBed.unloadPlugin()")
        assert not bed.errors
    assert rows(companion.db_path, "SELECT user_id, key, op, ok FROM edits") == [(USER, "p1", "update", 1)]
    assert not settings.get(JOURNAL_SETTING)  # delivered: the saved queue is cleared
