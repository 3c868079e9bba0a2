"""Studio's theme colors (`studio-theme.json` beside the repo): what `Theme:GetColor` returns in Dark and Light.

The file is reference data kept outside the project (like the API dump) and read at run time, never copied in.
It is found through `DSM_STUDIO_THEME` (absolute, or relative to the repo root), else
`../shared/roblox/studio-theme.json` next to the repo. Without it the bed keeps a made-up palette.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

THEME_ENV = "DSM_STUDIO_THEME"
RGB = tuple[int, int, int]


def theme_path(repo_root: Path) -> Path:
    configured = os.environ.get(THEME_ENV)
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else (repo_root / path).resolve()
    return (repo_root / ".." / "shared" / "roblox" / "studio-theme.json").resolve()


@dataclass(frozen=True)
class StudioThemes:
    """Colors per theme name ("Dark", "Light"), StudioStyleGuideColor name and modifier name."""

    colors: dict[str, dict[str, dict[str, RGB]]]

    def color(self, theme: str, item: str, modifier: str = "Default") -> RGB:
        try:
            return self.colors[theme][item][modifier]
        except KeyError:
            raise KeyError(f"studio-theme.json has no {theme} color {item}/{modifier}") from None


@cache
def _read(path: Path) -> StudioThemes:
    data = json.loads(path.read_text(encoding="utf-8"))
    colors = {
        theme: {
            item: {mod: (int(c[0]), int(c[1]), int(c[2])) for mod, c in mods.items()} for item, mods in items.items()
        }
        for theme, items in data["themes"].items()
    }
    return StudioThemes(colors)


def load_studio_themes(repo_root: Path) -> StudioThemes | None:
    """The themes from the file, or None when it is not there."""
    path = theme_path(repo_root)
    return _read(path) if path.is_file() else None
