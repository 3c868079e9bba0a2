"""The explorer and its value viewer laid out as Studio would, from 320 to 1200 px wide: no text drawn over another
and no text squeezed out of its box, with a value open (a table and a long string opened, key info shown), with the
JSON panel open, and with the status bar's long advice while the companion is away; the Live tab too, with the
companion (today's totals shown) and without it (the offline sentence shown).

Texts cut off by a scrolling list are fine (they scroll into view); overlaps and squeezed texts are not.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from studio_bed import PLUGIN_SRC, StudioBed
from studio_bed.render.problems import find_problems

WIDGET = "DataStoreManagerPro"
WIDTHS = (320, 480, 600, 900, 1200)

OPEN_VALUE = """
local widget = TestBed.widget("DataStoreManagerPro")
local function find(name) return widget:FindFirstChild(name, true) end
TestBed.click(TestBed.toolbarButton("DataStoreManagerPro"))
TestBed.waitFor(function() return find("DataStore_PlayerData") ~= nil end)
TestBed.click(find("DataStore_PlayerData"))
TestBed.waitFor(function() return find("Key_player_1") ~= nil end)
TestBed.click(find("Key_player_1"))
TestBed.waitFor(function() return find("Row_inventory") ~= nil end)
TestBed.click(find("Row_inventory"):FindFirstChild("Key"))
TestBed.click(find("Row_bio"):FindFirstChild("Key"))
TestBed.click(find("InfoToggle"))
"""

OPEN_JSON = """
local widget = TestBed.widget("DataStoreManagerPro")
local function find(name) return widget:FindFirstChild(name, true) end
TestBed.click(find("CopyJson"))
TestBed.waitFor(function() return find("Json").Text ~= "" end)
"""


def layout_faults(bed: StudioBed, width: int) -> list[str]:
    layout = bed.layout(WIDGET, width, 600)
    assert layout.visible_texts(), f"nothing shown at {width} px"
    return [f"{width} px: {p}" for p in find_problems(layout, clipped=False)]


@pytest.fixture
def explorer() -> Iterator[StudioBed]:
    with StudioBed(PLUGIN_SRC) as bed:
        bed.seed(
            "PlayerData",
            "player_1",
            {
                "name": "Builderman",
                "level": 12,
                "inventory": ["sword", "shield", {"kind": "potion", "count": 3}],
                "bio": "Builds things all day long. " * 12,
                "stats": {"hp": 100, "mp": 20},
            },
            user_ids=[111, 222],
            metadata={"reason": "purchase"},
        )
        bed.seed("Leaderboard", "season_1", {"top": [1, 2, 3]})
        bed.start_plugin()
        yield bed


def test_value_view_has_no_overlapping_or_squeezed_text_from_320_to_1200_px(explorer: StudioBed) -> None:
    explorer.eval(OPEN_VALUE)
    faults = [fault for width in WIDTHS for fault in layout_faults(explorer, width)]
    assert faults == []


def test_json_panel_has_no_overlapping_or_squeezed_text_from_320_to_1200_px(explorer: StudioBed) -> None:
    explorer.eval(OPEN_VALUE)
    explorer.eval(OPEN_JSON)
    faults = [fault for width in WIDTHS for fault in layout_faults(explorer, width)]
    assert faults == []


def test_offline_advice_has_no_overlapping_or_squeezed_text_from_320_to_1200_px(explorer: StudioBed) -> None:
    # Nothing listens at the plugin's default companion address in the bed: the bar explains how to start it.
    explorer.eval(
        'TestBed.click(TestBed.toolbarButton("DataStoreManagerPro")) '
        "TestBed.waitFor(function() return string.find(TestBed.widget('DataStoreManagerPro')"
        ":FindFirstChild('StatusBar', true).Text, 'offline', 1, true) ~= nil end, 30)"
    )
    faults = [fault for width in WIDTHS for fault in layout_faults(explorer, width)]
    assert faults == []


OPEN_LIVE = """
local widget = TestBed.widget("DataStoreManagerPro")
local function find(name) return widget:FindFirstChild(name, true) end
TestBed.click(TestBed.toolbarButton("DataStoreManagerPro"))
TestBed.waitFor(function() return find("DataStore_PlayerData") ~= nil end)
TestBed.click(find("DataStore_PlayerData"))
TestBed.waitFor(function() return find("Key_player_1") ~= nil end)
TestBed.failNext("GetAsync", 503, "Service unavailable")
TestBed.click(find("Key_player_1"))
TestBed.advance(2)
TestBed.click(find("Key_player_1"))
TestBed.waitFor(function() return find("Row_level") ~= nil end)
TestBed.click(find("Tab_Live"))
TestBed.waitFor(function() return find("Figure_calls").Value.Text == "4" end)
"""


def live_bed(url: str | None) -> StudioBed:
    bed = StudioBed(PLUGIN_SRC)
    bed.seed("PlayerData", "player_1", {"level": 12})
    bed.eval(
        "require(Plugin.core.data.SettingsFile).write(plugin, 'companionUrl', "
        f"{'TestBed.serverUrl()' if url is None else repr(url)})"
    )
    bed.start_plugin()
    return bed


def test_live_view_has_no_overlapping_or_squeezed_text_from_320_to_1200_px() -> None:
    with live_bed(None) as bed:
        bed.eval(OPEN_LIVE)
        bed.eval(
            "TestBed.waitFor(function() return TestBed.widget('DataStoreManagerPro')"
            ":FindFirstChild('TodayOperations', true).Visible end)"
        )
        faults = [fault for width in WIDTHS for fault in layout_faults(bed, width)]
    assert faults == []


def test_offline_live_view_has_no_overlapping_or_squeezed_text_from_320_to_1200_px() -> None:
    with live_bed("ws://127.0.0.1:9/ws") as bed:
        bed.eval(OPEN_LIVE)
        assert "Companion offline" in " ".join(bed.layout(WIDGET, 900, 600).visible_texts())
        faults = [fault for width in WIDTHS for fault in layout_faults(bed, width)]
    assert faults == []


OPEN_FIND = """
local widget = TestBed.widget("DataStoreManagerPro")
local function find(name) return widget:FindFirstChild(name, true) end
TestBed.click(TestBed.toolbarButton("DataStoreManagerPro"))
TestBed.click(find("Tab_Find"))
TestBed.typeText(find("UserId"), "111")
TestBed.typeText(find("PlayerStores"), "PlayerData, Leaderboard, Inventory, Stats")
TestBed.typeText(find("Pattern"), "player_{id}_with_a_rather_long_suffix")
TestBed.click(find("FindPlayer"))
TestBed.waitFor(function() return not find("CancelFind").Visible end, 60)
TestBed.typeText(find("SearchStore"), "PlayerData")
TestBed.typeText(find("Query"), "inventory.3.kind")
TestBed.click(find("SearchMode"))
TestBed.setBudget("StandardRead", 1)
TestBed.click(find("SearchValues"))
TestBed.waitFor(function() return string.find(find("FindStatus").Text, "Waiting", 1, true) ~= nil end)
"""

OPEN_ORDERED = """
local widget = TestBed.widget("DataStoreManagerPro")
local function find(name) return widget:FindFirstChild(name, true) end
TestBed.click(TestBed.toolbarButton("DataStoreManagerPro"))
TestBed.typeText(find("OrderedName"), "Coins", true)
TestBed.waitFor(function() return find("Entry_a_player_with_a_long_name") ~= nil end)
TestBed.click(find("Entry_a_player_with_a_long_name"))
TestBed.typeText(find("OrderedValue"), "123456789")
TestBed.click(find("SaveOrdered"))
TestBed.flush()
"""


def test_find_view_has_no_overlapping_or_squeezed_text_from_320_to_1200_px(explorer: StudioBed) -> None:
    # A value search that found a key, waiting for read budget for the next (progress, Cancel and the result shown).
    explorer.seed("PlayerData", "player_111_with_a_rather_long_suffix", {"coins": 5, "note": "x" * 200})
    explorer.seed("PlayerData", "player_2", {"coins": 1})
    explorer.eval(OPEN_FIND)
    texts = " ".join(explorer.layout(WIDGET, 900, 600).visible_texts())
    assert "Waiting for DataStore read budget" in texts
    assert "inventory.3.kind" in texts
    faults = [fault for width in WIDTHS for fault in layout_faults(explorer, width)]
    assert faults == []


def test_ordered_panel_has_no_overlapping_or_squeezed_text_from_320_to_1200_px(explorer: StudioBed) -> None:
    # An entry picked and its edit awaiting confirmation.
    for index, name in enumerate(("a_player_with_a_long_name", "b", "c")):
        explorer.seed_ordered("Coins", name, 1000 * (index + 1))
    explorer.eval(OPEN_ORDERED)
    assert "Confirm writes it" in " ".join(explorer.layout(WIDGET, 900, 600).visible_texts())
    faults = [fault for width in WIDTHS for fault in layout_faults(explorer, width)]
    assert faults == []
