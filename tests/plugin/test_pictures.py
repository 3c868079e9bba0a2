"""Pictures of every view the plugin has, driven as a user would (toolbar button, tabs by their text, Connect),
against a real companion, in Studio's Dark and Light themes at 320 and 900 px wide: artifacts/pictures/*.png.

Views are found by what they show (button texts), not by the plugin's internals, so the test keeps working while
the views change; the layout's findings (text that overflows, is cut off or overlaps) go to problems.txt.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from studio_bed import PLUGIN_SRC, StudioBed
from studio_bed.bed import PICTURES
from studio_bed.render import Picture, chromium_path, write_pngs
from studio_bed.render.problems import find_problems

from dsm.catalog import catalog

WIDGET = "DataStoreManagerPro"  # the plugin's toolbar button and dock widget id
THEMES = ("Dark", "Light")
WIDTHS = (320, 900)
KNOWN_TABS = ("Explorer", "Reports", "Analytics", "Live", "Settings", "Connection")
# The report types as the companion's catalog has them: the Reports tab has a button per title.
REPORT_TYPES = [(entry["type"], entry["title"]) for entry in catalog()["reportTypes"]]

# Luau run in the bed: find what the user sees in the widget by its text.
HELPERS = """
local widget = TestBed.widget("DataStoreManagerPro")
local function shown(inst)
	local cur = inst
	while cur and cur ~= widget do
		if cur:IsA("GuiObject") and not cur.Visible then
			return false
		end
		cur = cur.Parent
	end
	return cur == widget
end
local function hasText(d)
	return d:IsA("TextLabel") or d:IsA("TextButton") or d:IsA("TextBox")
end
local function findText(pattern, className, exact)
	local wanted = string.lower(pattern)
	for _, d in widget:GetDescendants() do
		if d:IsA(className or "GuiObject") and hasText(d) and shown(d) then
			local text = string.lower((d :: any).Text)
			if (exact and text == wanted) or (not exact and string.find(text, wanted, 1, true)) then
				return d
			end
		end
	end
	return nil
end
"""


def run(bed: StudioBed, code: str) -> list[object]:
    return bed.eval(HELPERS + code)


def click_text(bed: StudioBed, text: str, *, exact: bool = True) -> bool:
    """Clicks the shown button with that text (case-insensitive); False if there is none."""
    found = run(
        bed,
        f"local b = findText({json.dumps(text, ensure_ascii=False)}, 'GuiButton', {str(exact).lower()}) "
        "if b then TestBed.click(b) end return b ~= nil",
    )
    return bool(found[0])


def wait_text(bed: StudioBed, text: str, seconds: float = 20) -> None:
    pattern = json.dumps(text, ensure_ascii=False)  # Luau reads "▸" as is, not Python's \u escapes
    run(bed, f"TestBed.waitFor(function() return findText({pattern}) ~= nil end, {seconds})")


def in_row(label: str, class_name: str) -> str:
    """Luau that finds the shown label `label` (a setting's row) and the first `class_name` beside it as `found`."""
    text = json.dumps(label)
    return (
        f"local label = findText({text}, 'TextLabel', true) assert(label, 'no label ' .. {text}) "
        f"local found = label.Parent:FindFirstChildWhichIsA('{class_name}', true) assert(found, 'nothing beside it') "
    )


def type_into_row(bed: StudioBed, label: str, text: str) -> None:
    """Types `text` into the box beside the shown label `label` (a setting's row) and presses Enter."""
    run(bed, in_row(label, "TextBox") + f"TestBed.typeText(found, {json.dumps(text)}, true)")


def click_in_row(bed: StudioBed, label: str) -> None:
    """Clicks the button beside the shown label `label` (a setting's toggle)."""
    run(bed, in_row(label, "TextButton") + "TestBed.click(found)")


# Another Studio window of the same user stores DataStore reads of three keys within seconds, a minute ago (inside
# every period preset of the Reports tab): a key sweep once the threshold is 2.
SWEEP_EVENTS = """
local Link = require(Plugin.core.net.Link)
local other = Link.new({ url = %s, hello = function()
	return { protocol = 1, plugin = { version = "other" }, user = { id = game:GetService("StudioService"):GetUserId() },
		studio = { sessionId = "other-window" } }
end })
other:connect()
assert(other:awaitReadyAsync(10), "the other window could not connect")
local events = {}
for index, key in { "player_1", "player_2", "player_3" } do
	table.insert(events, { id = "sweep-" .. index, ts = os.time() - 60 + index, kind = "datastore", name = "getData",
		datastore = "PlayerData", key = key, ok = true, latencyMs = 12 })
end
local reply = other:requestAsync("events.append", { events = events })
assert(reply and reply.accepted == 3, "events not stored")
other:stop()
"""


def connect(bed: StudioBed, url: str) -> None:
    """Points the plugin at `url` through its Connection tab, as a user would."""
    assert click_text(bed, "Connection"), "no Connection tab"
    run(
        bed,
        "local box = nil for _, d in widget:GetDescendants() do "
        "if d:IsA('TextBox') and shown(d) and (string.find(d.Text, 'ws://', 1, true) or "
        "string.find(d.PlaceholderText, 'ws://', 1, true)) then box = d break end end "
        f"assert(box, 'no URL box on the Connection tab') TestBed.typeText(box, {json.dumps(url)}, true)",
    )
    assert click_text(bed, "Connect"), "no Connect button"


@pytest.fixture
def studio(tmp_path: Path) -> Iterator[StudioBed]:
    with StudioBed(PLUGIN_SRC) as bed:
        if bed.themes is None:
            pytest.skip("studio-theme.json not found: set DSM_STUDIO_THEME (pictures need Studio's real colors)")
        if chromium_path() is None:
            pytest.skip("headless Chromium is not installed (.ci/run installs Debian's chromium)")
        yield bed


def test_pictures_of_every_view_in_both_themes_at_both_widths(studio: StudioBed) -> None:
    bed = studio
    bed.seed("PlayerData", "player_1", {"name": "Builderman", "level": 12, "coins": 1500, "inventory": ["sword"]})
    bed.seed("PlayerData", "player_2", {"name": "Guest", "level": 1})
    bed.seed("Leaderboard", "season_1", {"top": [1, 2, 3]})
    bed.eval("TestBed.setLatency(0.03)")  # DataStore calls take time, as in Studio: the Live tab's latencies
    bed.start_plugin()
    bed.eval(f'TestBed.click(TestBed.toolbarButton("{WIDGET}"))')
    pictures: list[Picture] = []

    def shoot(view: str, must_show: str, height: int = 480) -> None:
        for theme in THEMES:
            for width in WIDTHS:
                name = f"{view}-{theme.lower()}-{width}"
                picture = bed.capture(WIDGET, name, width=width, height=height, theme=theme)
                texts = picture.layout.visible_texts()
                assert texts, f"{picture.name}: the widget shows no text"
                wanted = must_show.lower().replace(" ", "")  # a narrow box may break a word over two lines
                assert any(wanted in t.lower().replace(" ", "") for t in texts), (
                    f"{picture.name}: {must_show!r} not shown"
                )
                pictures.append(picture)
        bed.set_theme("Dark")

    # Offline: a companion address where nothing listens.
    connect(bed, "ws://127.0.0.1:9/ws")
    wait_text(bed, "offline")
    assert click_text(bed, "Explorer")
    shoot("offline", "offline")

    connect(bed, bed.server_url())
    wait_text(bed, "connected")
    shoot("connection", "connected")

    assert click_text(bed, "Explorer")
    wait_text(bed, "PlayerData")
    assert click_text(bed, "PlayerData")
    wait_text(bed, "player_1")
    assert click_text(bed, "player_1")
    wait_text(bed, "Builderman")
    shoot("explorer", "Builderman")

    # The value viewer: a table opened in the tree, then its JSON ready to copy.
    assert click_text(bed, "▸ inventory"), "no inventory row to open"
    wait_text(bed, "▾ inventory")
    shoot("value-tree", "sword")
    assert click_text(bed, "Copy as JSON")
    wait_text(bed, "Ctrl+A")
    shoot("value-json", "Ctrl+A")
    assert click_text(bed, "Back to the value")

    # The editor: a typing mistake named by line and column; then the changed paths before saving, a confirmed
    # save, and the key's versions.
    assert click_text(bed, "Edit")
    wait_text(bed, "Valid JSON")
    draft = '{\n  "name": "Builderman",\n  "level" 13,\n  "coins": 2000,\n  "inventory": ["sword"]\n}'
    run(bed, f"TestBed.typeText(widget:FindFirstChild('Editor', true), {json.dumps(draft)})")
    wait_text(bed, "Line 3, column 11")
    shoot("value-editor", "Line 3, column 11")
    fixed = draft.replace('"level" 13', '"level": 13')
    run(bed, f"TestBed.typeText(widget:FindFirstChild('Editor', true), {json.dumps(fixed)})")
    assert click_text(bed, "Review changes")
    wait_text(bed, "changed coins")
    assert click_text(bed, "Save")
    wait_text(bed, "Write this value as a new version?")
    shoot("value-review", "changed coins")
    assert click_text(bed, "Confirm save")
    wait_text(bed, "Saved")
    assert bed.datastore_value("PlayerData", "player_1")["coins"] == 2000
    assert click_text(bed, "Versions")
    wait_text(bed, "Versions of player_1")
    shoot("versions", "Versions of player_1")
    run(bed, "TestBed.click(widget:FindFirstChild('Version_2', true):FindFirstChild('View'))")  # the older one
    wait_text(bed, "changed coins")
    shoot("version-view", "Compared with the current value")
    assert click_text(bed, "Back to versions")
    assert click_text(bed, "Close")
    # The key's journal: the save above, opened with its values before and after, undone after a confirmation and
    # linked to its undo; then a new key's form.
    run(bed, "TestBed.click(widget:FindFirstChild('WriteBar', true):FindFirstChild('Journal', true))")
    wait_text(bed, "Journal of PlayerData / player_1")
    shoot("journal", "update · player_1 · ok")
    assert click_text(bed, "Open")
    wait_text(bed, "What it changed")
    assert click_text(bed, "Undo")
    wait_text(bed, "Write the value from before this edit back")
    shoot("journal-edit", "update of player_1", height=820)
    assert click_text(bed, "Confirm undo")
    wait_text(bed, "Undone: player_1")
    assert bed.datastore_value("PlayerData", "player_1")["coins"] == 1500
    shoot("journal-undone", "undoes the update")
    assert click_text(bed, "Close")
    assert click_text(bed, "New key")
    wait_text(bed, "New key in PlayerData")
    run(bed, "TestBed.typeText(widget:FindFirstChild('NewKeyName', true), 'player_3')")
    shoot("new-key", "New key in PlayerData")
    assert click_text(bed, "Cancel")
    # The Backup/Restore panel of PlayerData: a backup made, a value a game changed since, and the dry run's list.
    assert click_text(bed, "Backup…")
    wait_text(bed, "No backups of this DataStore yet.")
    assert click_text(bed, "Back up")
    wait_text(bed, "Backed up 2 keys of PlayerData.")
    bed.seed("PlayerData", "player_2", {"name": "Guest", "level": 5})
    assert click_text(bed, "Dry run")
    wait_text(bed, "changed player_2: changed level")
    shoot("bulk", "changed player_2", height=560)
    assert click_text(bed, "Close")
    # One read that fails (Roblox's 503), so the reports have an error to show.
    bed.eval('TestBed.failNext("GetAsync", 503, "InternalServerError")')
    assert click_text(bed, "player_2")
    bed.advance(2)

    # The Reports tab: each report type generated from its button, over the activity above (reads of two keys).
    assert click_text(bed, "Reports")
    assert len(REPORT_TYPES) >= 7
    for report_type, title in REPORT_TYPES:
        assert click_text(bed, title), f"no button for the {title} report type"
        if report_type == "HISTORICAL_COMPARISON":
            # Compare the daily summary made first with a snapshot of today taken now.
            assert click_text(bed, "Take a snapshot of today now")
            wait_text(bed, "Snapshot 2026")
            assert click_text(bed, "Snapshot 2026", exact=False)
            assert click_text(bed, "Daily summary — ", exact=False)
        assert click_text(bed, f"Generate {title}"), f"no Generate button for {title}"
        wait_text(bed, "Insights")
        wait_text(bed, f"{title} —" if report_type != "CUSTOM_ANALYSIS" else f"{title}:")
        # Tall enough to show the charts and tables under the metrics.
        shoot(f"report-{report_type.lower().replace('_', '-')}", "Insights", height=1400)
    # The form of a custom analysis: its own parameters and filters.
    assert click_text(bed, "New report")
    assert click_text(bed, "Custom analysis")
    assert click_text(bed, "Operation breakdown")
    shoot("reports-form-custom", "Operation")

    # The Live tab after a read that failed and reads in a later 5-minute bar: the chart has bars of both kinds.
    # Taller pictures, so the whole tab (figures, chart, budget, today's totals) is in view.
    assert click_text(bed, "Explorer")
    bed.eval('TestBed.failNext("GetAsync", 503, "Service unavailable")')
    assert click_text(bed, "player_2")
    wait_text(bed, "503")
    bed.advance(300)
    bed.eval('TestBed.setLatency(0.12, "StandardRead")')
    assert click_text(bed, "player_2")
    wait_text(bed, "Guest")
    assert click_text(bed, "Live")
    wait_text(bed, "Every session of yours")
    wait_text(bed, "DataStore operations")
    shoot("live", "DataStore calls", height=820)

    # Settings: a toggle turned off and a number the companion refused, as the user sees them.
    assert click_text(bed, "Settings")
    wait_text(bed, "Anomaly detection")
    click_in_row(bed, "Generate daily summary reports")
    run(bed, "TestBed.waitFor(function() return findText('off', 'TextButton', true) ~= nil end)")
    type_into_row(bed, "Keep data for (days)", "0")
    wait_text(bed, "must be at least 1")
    shoot("settings", "0 was not saved: must be at least 1")

    # A notification: an anomaly report generated from the Reports tab finds the key sweep.
    type_into_row(bed, "Distinct keys that make a key sweep", "2")
    bed.eval(SWEEP_EVENTS % json.dumps(bed.server_url()))
    assert click_text(bed, "Reports")
    assert click_text(bed, "New report")
    assert click_text(bed, "Anomaly detection"), "no button for the anomaly report type"
    assert click_text(bed, "Generate Anomaly detection"), "no button to generate an anomaly report"
    wait_text(bed, "Anomaly found in the last report")
    assert click_text(bed, "Settings")
    shoot("notification", "Anomaly found")
    assert click_text(bed, "✕"), "no button to close the notification"

    for tab in KNOWN_TABS:
        if tab in ("Explorer", "Reports", "Live", "Connection", "Settings") or not click_text(bed, tab):
            continue
        bed.advance(2)
        shoot(tab.lower(), tab)

    # Live without the companion: this session's figures, and a sentence on what is missing.
    connect(bed, "ws://127.0.0.1:9/ws")
    wait_text(bed, "offline")
    assert click_text(bed, "Live")
    wait_text(bed, "Companion offline:")
    shoot("live-offline", "Companion offline", height=820)

    pngs = write_pngs(pictures, PICTURES, bed.fonts)
    assert len(pngs) == len(pictures) >= 60
    from PIL import Image

    for picture, png in zip(pictures, pngs, strict=True):
        theme = "Light" if "-light-" in picture.name else "Dark"
        palette = {bed.themes.color(theme, item) for item in bed.themes.colors[theme]}
        with Image.open(png) as image:
            assert image.size == (picture.layout.width, picture.layout.height)
            _, common = max(image.convert("RGB").getcolors(maxcolors=1 << 24) or [])
        assert common in palette, f"{png.name}: its main color {common} is not a {theme} theme color"
    report = [f"{p.name}: {problem}" for p in pictures for problem in find_problems(p.layout)]
    (PICTURES / "problems.txt").write_text("\n".join(report) + "\n", encoding="utf-8")
