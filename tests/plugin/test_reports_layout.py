"""The Reports tab laid out as Studio would, from 320 to 1200 px wide: no text drawn over another and no text
squeezed out of its box, with a daily summary and a performance analysis on show (metrics as a table or, where it
does not fit, as cards; charts; tables), with the form of a custom analysis, and with the saved reports list.

Texts cut off by a scrolling frame are fine (they scroll into view, tables sideways); overlaps and squeezed texts
are not.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from studio_bed import PLUGIN_SRC, StudioBed
from studio_bed.render.problems import find_problems

WIDGET = "DataStoreManagerPro"
WIDTHS = (320, 480, 600, 900, 1200)

# Luau run in the bed: the plugin on a companion, DataStore reads at a latency (one failing), the Reports tab open.
START = """
local AnalyticsIntegration = require(Plugin.features.analytics.AnalyticsIntegration)
local SettingsFile = require(Plugin.core.data.SettingsFile)
SettingsFile.write(plugin, AnalyticsIntegration.URL_SETTING, TestBed.serverUrl())
TestBed.startPlugin()
TestBed.waitFor(function() return TestBed.widget("DataStoreManagerPro") ~= nil end)
local widget = TestBed.widget("DataStoreManagerPro")
local function find(name) return widget:FindFirstChild(name, true) end
TestBed.click(TestBed.toolbarButton("DataStoreManagerPro"))
TestBed.waitFor(function() return find("DataStore_PlayerData") ~= nil end, 20)
TestBed.setLatency(0.06)
TestBed.click(find("DataStore_PlayerData"))
TestBed.waitFor(function() return find("Key_player_2") ~= nil end)
TestBed.click(find("Key_player_1"))
TestBed.advance(1)
TestBed.failNext("GetAsync", 503, "InternalServerError")
TestBed.click(find("Key_player_2"))
TestBed.advance(1)
TestBed.click(find("Tab_Reports"))
"""

GENERATE = """
local widget = TestBed.widget("DataStoreManagerPro")
local function find(name) return widget:FindFirstChild(name, true) end
TestBed.click(find("Pane_new"))
TestBed.click(find("Choice_{kind}"))
local before = find("Meta") and find("Meta").Text
TestBed.click(find("Generate"))
TestBed.waitFor(function() return find("Meta") ~= nil and find("Meta").Text ~= before end, 30)
"""


def layout_faults(bed: StudioBed, width: int, height: int = 1400) -> list[str]:
    layout = bed.layout(WIDGET, width, height)
    assert layout.visible_texts(), f"nothing shown at {width} px"
    return [f"{width} px: {p}" for p in find_problems(layout, clipped=False)]


@pytest.fixture
def reports() -> Iterator[StudioBed]:
    with StudioBed(PLUGIN_SRC) as bed:
        bed.seed("PlayerData", "player_1", {"name": "Builderman", "level": 12})
        bed.seed("PlayerData", "player_2", {"name": "Guest", "level": 1})
        bed.eval(START)
        yield bed


@pytest.mark.parametrize("kind", ["DAILY_SUMMARY", "PERFORMANCE_ANALYSIS"])
def test_a_report_has_no_overlapping_or_squeezed_text_from_320_to_1200_px(reports: StudioBed, kind: str) -> None:
    reports.eval(GENERATE.replace("{kind}", kind))
    faults = [fault for width in WIDTHS for fault in layout_faults(reports, width)]
    assert faults == []


def test_the_custom_analysis_form_has_no_overlapping_or_squeezed_text_from_320_to_1200_px(reports: StudioBed) -> None:
    reports.eval(
        'local widget = TestBed.widget("DataStoreManagerPro") '
        "TestBed.click(widget:FindFirstChild('Choice_CUSTOM_ANALYSIS', true)) "
        "TestBed.click(widget:FindFirstChild('Choice_operation_breakdown', true))"
    )
    faults = [fault for width in WIDTHS for fault in layout_faults(reports, width, 900)]
    assert faults == []


def test_the_saved_list_has_no_overlapping_or_squeezed_text_from_320_to_1200_px(reports: StudioBed) -> None:
    reports.eval(GENERATE.replace("{kind}", "USAGE_ANALYTICS"))
    reports.eval(
        'local widget = TestBed.widget("DataStoreManagerPro") '
        "TestBed.click(widget:FindFirstChild('Pane_saved', true)) "
        "TestBed.waitFor(function() for _, d in widget:GetDescendants() do "
        "if string.sub(d.Name, 1, 7) == 'Report_' then return true end end return false end)"
    )
    faults = [fault for width in WIDTHS for fault in layout_faults(reports, width, 700)]
    assert faults == []
