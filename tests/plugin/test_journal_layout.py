"""The Journal view and the new-key form laid out as Studio would, from 320 to 1200 px wide: no text drawn over another
and no text squeezed out of its box, with the key's journal listed (an edit and its undo, linked), an edit opened
with its values before and after and the undo's confirmation, and a new key's form with a refused name.

Texts cut off by a scrolling list are fine (they scroll into view); overlaps and squeezed texts are not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from studio_bed import PLUGIN_SRC, StudioBed
from studio_bed.render.problems import find_problems

WIDGET = "DataStoreManagerPro"
WIDTHS = (320, 480, 600, 900, 1200)

HELPERS = """
local widget = TestBed.widget("DataStoreManagerPro")
local function find(name) return widget:FindFirstChild(name, true) end
local function clickAndWait(name, until_)
    TestBed.click(find(name))
    TestBed.waitFor(until_)
end
"""

EDIT_AND_UNDO = """
TestBed.click(TestBed.toolbarButton("DataStoreManagerPro"))
TestBed.waitFor(function() return find("DataStore_PlayerData") ~= nil end)
TestBed.click(find("DataStore_PlayerData"))
TestBed.waitFor(function() return find("Key_player_1") ~= nil end)
TestBed.click(find("Key_player_1"))
TestBed.waitFor(function() return find("Edit") ~= nil end)
clickAndWait("Edit", function() return find("Editor") ~= nil end)
TestBed.typeText(find("Editor"), '{"name": "Builderman", "level": 13, "inventory": ["sword", "shield"]}')
clickAndWait("Review", function() return find("Save") ~= nil end)
clickAndWait("Save", function() return find("ConfirmSave") ~= nil end)
clickAndWait("ConfirmSave", function() return string.find(find("WriteNote").Text, "Saved", 1, true) ~= nil end)
clickAndWait("Journal", function() return find("Edit_1") ~= nil end)
TestBed.click(find("Edit_1"):FindFirstChild("Open"))
TestBed.waitFor(function() return find("EntryTitle") ~= nil end)
clickAndWait("Undo", function() return find("ConfirmUndo") ~= nil end)
"""

CONFIRM_UNDO = """
clickAndWait("ConfirmUndo", function() return find("Edit_2") ~= nil end)
"""

NEW_KEY = """
TestBed.click(find("CloseJournal"))
clickAndWait("NewKey", function() return find("NewKeyName") ~= nil end)
TestBed.typeText(find("NewKeyName"), string.rep("k", 51))
TestBed.click(find("Create"))
TestBed.waitFor(function() return find("NewKeyProblem").Text ~= "" end)
"""


def layout_faults(bed: StudioBed, width: int, must_show: str) -> list[str]:
    layout = bed.layout(WIDGET, width, 600)
    texts = layout.visible_texts()
    assert any(must_show in text for text in texts), f"{must_show!r} not shown at {width} px"
    return [f"{width} px: {p}" for p in find_problems(layout, clipped=False)]


@pytest.fixture
def journal() -> Iterator[StudioBed]:
    with StudioBed(PLUGIN_SRC) as bed:
        bed.seed("PlayerData", "player_1", {"name": "Builderman", "level": 12, "inventory": ["sword"]})
        url = json.dumps(bed.server_url())
        bed.eval(f"require(Plugin.core.data.SettingsFile).write(plugin, 'companionUrl', {url})")
        bed.start_plugin()
        bed.eval(HELPERS + EDIT_AND_UNDO)
        yield bed


def test_an_opened_edit_and_its_undo_confirmation_lay_out_from_320_to_1200_px(journal: StudioBed) -> None:
    faults = [fault for width in WIDTHS for fault in layout_faults(journal, width, "update of player_1")]
    assert faults == []


def test_the_journal_list_and_the_new_key_form_lay_out_from_320_to_1200_px(journal: StudioBed) -> None:
    journal.eval(HELPERS + CONFIRM_UNDO)
    faults = [fault for width in WIDTHS for fault in layout_faults(journal, width, "Journal of PlayerData")]
    journal.eval(HELPERS + NEW_KEY)
    faults += [fault for width in WIDTHS for fault in layout_faults(journal, width, "Roblox allows at most 50")]
    assert faults == []
