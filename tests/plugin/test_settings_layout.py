"""The Settings tab laid out as Studio would, from 320 to 1200 px wide: no text drawn over another and no text
squeezed out of its box, with a refused value's message, the offline note, a notification above the status bar and
the status bar's long advice all shown at once.

Texts cut off by the scrolling list are fine (they scroll into view); overlaps and squeezed texts are not.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from studio_bed import PLUGIN_SRC, StudioBed
from studio_bed.render.problems import find_problems

WIDGET = "DataStoreManagerPro"
WIDTHS = (320, 400, 479, 480, 600, 900, 1200)

FIND = """
local widget = TestBed.widget("DataStoreManagerPro")
local function find(name) local found = widget:FindFirstChild(name, true) assert(found, "no " .. name) return found end
"""


def layout_faults(bed: StudioBed, width: int) -> list[str]:
    layout = bed.layout(WIDGET, width, 600)
    texts = layout.visible_texts()
    assert texts, f"nothing shown at {width} px"
    assert any("was not saved" in t for t in texts), f"{width} px: the refused value's message is not shown"
    assert any("Companion lost" in t for t in texts), f"{width} px: the notification is not shown"
    return [f"{width} px: {p}" for p in find_problems(layout, clipped=False)]


@pytest.fixture
def settings_tab() -> Iterator[StudioBed]:
    with StudioBed(PLUGIN_SRC) as bed:
        bed.start_plugin()
        url = json.dumps(bed.server_url())
        # Connected, then pointed at an address where nothing listens: the companion is lost (a notification) and
        # the status bar explains how to start it; a value out of range is refused by the catalog's check.
        bed.eval(
            FIND
            + f"""
TestBed.click(TestBed.toolbarButton("DataStoreManagerPro"))
TestBed.click(find("Tab_Connection"))
TestBed.typeText(find("Url"), {url}, true)
TestBed.click(find("Apply"))
TestBed.waitFor(function() return string.find(find("StatusBar").Text, "connected", 1, true) ~= nil end)
TestBed.typeText(find("Url"), "ws://127.0.0.1:9/ws", true)
TestBed.click(find("Apply"))
TestBed.click(find("Tab_Settings"))
TestBed.waitFor(function() return string.find(find("StatusBar").Text, "offline", 1, true) ~= nil end, 30)
"""
        )
        yield bed


def refuse(bed: StudioBed, row: str, text: str) -> None:
    """Types a value the catalog refuses into a setting's box (offline: the catalog's check answers)."""
    bed.eval(
        FIND
        + f"""
local row = find({json.dumps(row)})
TestBed.typeText(row:FindFirstChild("Value", true), {json.dumps(text)}, true)
TestBed.waitFor(function() return row:FindFirstChild("Problem", true).Visible end)
"""
    )


def test_settings_tab_has_no_overlapping_or_squeezed_text_from_320_to_1200_px(settings_tab: StudioBed) -> None:
    refuse(settings_tab, "Setting_analytics_retainDataDays", "0")
    faults = [fault for width in WIDTHS for fault in layout_faults(settings_tab, width)]
    assert faults == []


def test_settings_tab_scrolled_to_its_end_has_no_overlapping_or_squeezed_text(settings_tab: StudioBed) -> None:
    # The last sections (anomaly detection, the widget's own settings) under the notification.
    refuse(settings_tab, "Setting_anomalyDetection_latencyRegressionRatio", "5000")
    settings_tab.eval(
        FIND + 'local list = find("Settings"):FindFirstChild("List") list.CanvasPosition = Vector2.new(0, 5000)'
    )
    faults = [fault for width in WIDTHS for fault in layout_faults(settings_tab, width)]
    assert faults == []
