"""Colors and fonts of the plugin's UI come from ui/Theme.luau only: no color or font literals elsewhere, and no
color assigned from `Theme.color(...)` directly (such a color would keep the old theme after a theme switch; paint
it by role with `Theme.paint` or a role in `Widgets` props instead)."""

from __future__ import annotations

import re
from pathlib import Path

from studio_bed import PLUGIN_SRC

THEME = Path("ui") / "Theme.luau"
RULES = {
    "a color literal": re.compile(r"\bColor3\.(new|fromRGB|fromHex|fromHSV)\s*\("),
    "a font literal": re.compile(r"\bEnum\.Font\.|\bFont\.(new|fromEnum|fromName|fromId)\s*\("),
    "a text size literal": re.compile(r"\bTextSize\s*=\s*\d"),
    "a color that will not follow the theme": re.compile(r"(Color3|\.Color)\s*=\s*Theme\.color\s*\("),
}
SELF_TEST = """
label.TextColor3 = Color3.fromRGB(1, 2, 3)
label.FontFace = Font.fromEnum(Enum.Font.Arial)
Widgets.label("x", { TextSize = 18 })
stroke.Color = Theme.color(Colors.Border)
Widgets.label("y", { TextColor3 = Theme.color(Colors.MainText) }) -- a comment: Color3.new(0, 0, 0)
"""


def code_lines(text: str) -> list[tuple[int, str]]:
    """The lines of Luau source with `--` comments removed (comments may name what they warn against)."""
    return [(number, line.split("--", 1)[0]) for number, line in enumerate(text.splitlines(), start=1)]


def findings(text: str, where: str) -> list[str]:
    found = []
    for number, line in code_lines(text):
        for what, pattern in RULES.items():
            if pattern.search(line):
                found.append(f"{where}:{number}: {what}: {line.strip()}")
    return found


def test_the_check_finds_each_kind_of_literal() -> None:
    found = findings(SELF_TEST, "self-test")
    assert [f.split(": ")[1] for f in found] == [
        "a color literal",
        "a font literal",
        "a text size literal",
        "a color that will not follow the theme",
        "a color that will not follow the theme",
    ]


def test_colors_and_fonts_come_from_the_theme_module_only() -> None:
    sources = sorted(PLUGIN_SRC.rglob("*.luau"))
    assert sources, f"no Luau sources under {PLUGIN_SRC}"
    found = []
    for path in sources:
        relative = path.relative_to(PLUGIN_SRC)
        if relative != THEME:
            found += findings(path.read_text(encoding="utf-8"), str(relative))
    assert found == []
