"""The emulated Studio theme answers with Studio's own Dark and Light colors (studio-theme.json, read at run time),
and the plugin's widget re-themes itself when the user switches Studio's theme."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from studio_bed import PLUGIN_SRC, StudioBed
from studio_bed.theme import THEME_ENV, StudioThemes

ALL_COLORS = """
local theme = settings().Studio.Theme
local out = {}
for _, item in Enum.StudioStyleGuideColor:GetEnumItems() do
	for _, modifier in Enum.StudioStyleGuideModifier:GetEnumItems() do
		local c = theme:GetColor(item, modifier)
		local rgb = { math.round(c.R * 255), math.round(c.G * 255), math.round(c.B * 255) }
		table.insert(out, { item.Name, modifier.Name, rgb[1], rgb[2], rgb[3] })
	end
end
return out
"""


def themes_of(bed: StudioBed) -> StudioThemes:
    if bed.themes is None:
        pytest.skip(f"studio-theme.json not found: set {THEME_ENV} (see tests/plugin/README.md)")
    return bed.themes


def test_get_color_returns_studios_colors_for_every_item_and_modifier_in_both_themes(bed: StudioBed) -> None:
    themes = themes_of(bed)
    for theme in ("Dark", "Light"):
        bed.set_theme(theme)
        answers = bed.eval(ALL_COLORS)[0]
        assert len(answers) == 130 * 5
        for item, modifier, r, g, b in answers:
            assert (r, g, b) == themes.color(theme, item, modifier), f"{theme} {item}/{modifier}"
    assert themes.color("Dark", "MainBackground") == (25, 26, 31)  # the file is the one Studio 2025-2026 uses
    assert themes.color("Light", "MainBackground") == (255, 255, 255)


def test_the_plugin_widget_takes_the_new_theme_when_studio_switches(bed: StudioBed) -> None:
    themes = themes_of(bed)
    bed.start_plugin()
    bed.flush()
    background = """
local widget = TestBed.widget("DataStoreManagerPro")
local root = widget:FindFirstChildWhichIsA("GuiObject")
local c = root.BackgroundColor3
return math.round(c.R * 255), math.round(c.G * 255), math.round(c.B * 255)
"""
    assert tuple(bed.eval(background)) == themes.color("Dark", "MainBackground")
    bed.set_theme("Light")
    assert bed.theme_name == "Light"
    assert tuple(bed.eval(background)) == themes.color("Light", "MainBackground")
    layout = bed.layout("DataStoreManagerPro", 900, 480)
    text_colors = {b.text.color.rgb for b in layout.boxes if b.text is not None and "".join(b.text.lines)}
    assert text_colors, "the widget shows no text"
    light_texts = {themes.color("Light", item) for item in themes.colors["Light"]}
    assert text_colors <= light_texts, f"text colors not from the Light theme: {text_colors - light_texts}"


def test_without_the_theme_file_the_bed_keeps_a_stable_made_up_palette(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(THEME_ENV, str(tmp_path / "missing.json"))
    with StudioBed(PLUGIN_SRC) as bed:
        assert bed.themes is None
        first = bed.eval(ALL_COLORS)[0]
        assert len(first) == 130 * 5 and first == bed.eval(ALL_COLORS)[0]


def test_the_theme_file_is_found_through_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    colors = {"MainBackground": {"Default": [1, 2, 3]}}
    path = tmp_path / "theme.json"
    path.write_text(json.dumps({"themes": {"Dark": colors, "Light": colors}}), encoding="utf-8")
    monkeypatch.setenv(THEME_ENV, str(path))
    with StudioBed(PLUGIN_SRC) as bed:
        assert bed.eval(
            "return settings().Studio.Theme:GetColor(Enum.StudioStyleGuideColor.MainBackground):ToHex()"
        ) == ["010203"]
        with pytest.raises(Exception, match="has no Dark color MainText/Default"):
            bed.eval("return settings().Studio.Theme:GetColor(Enum.StudioStyleGuideColor.MainText)")
