"""Finds Roblox Studio's local Plugins folder and builds the plugin file straight into it."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from dsm.plugin_build.model import BuildError
from dsm.plugin_build.rbxmx import write_rbxmx
from dsm.plugin_build.tree import BuildResult, build_tree


class InstallError(BuildError):
    """No Plugins folder could be determined or written."""


def studio_plugins_dir(
    platform: str | None = None, env: Mapping[str, str] | None = None, home: Path | None = None
) -> Path:
    """Studio's local Plugins folder on this machine; raises InstallError where Studio does not run."""
    platform = sys.platform if platform is None else platform
    env = os.environ if env is None else env
    if platform == "win32":
        local = env.get("LOCALAPPDATA")
        if not local:
            raise InstallError("LOCALAPPDATA is not set, so Studio's Plugins folder is unknown; pass --dir DIR")
        return Path(local) / "Roblox" / "Plugins"
    if platform == "darwin":
        return (home or Path.home()) / "Documents" / "Roblox" / "Plugins"
    raise InstallError(
        f"Roblox Studio runs on Windows and macOS only, so there is no Plugins folder on {platform!r}; "
        "pass --dir DIR to choose where the plugin file goes"
    )


@dataclass
class Built:
    result: BuildResult
    output: Path
    size: int


def build(project_file: Path, output: Path | None = None) -> Built:
    """Builds the project into `output` (default `<project name>.rbxmx` in the current folder)."""
    result = build_tree(project_file)
    target = output or Path(f"{result.project.name}.rbxmx")
    return Built(result=result, output=target, size=write_rbxmx(result.root, target))


def install(project_file: Path, plugins_dir: Path) -> Built:
    """Builds the project straight into `plugins_dir` as `<project name>.rbxmx`, creating the folder.

    The file is replaced atomically, so Studio (which reloads changed plugin files) never reads half of it.
    """
    if plugins_dir.exists() and not plugins_dir.is_dir():
        raise InstallError(f"{plugins_dir} is not a folder")
    result = build_tree(project_file)
    target = plugins_dir / f"{result.project.name}.rbxmx"
    try:
        return Built(result=result, output=target, size=write_rbxmx(result.root, target))
    except OSError as exc:
        raise InstallError(f"cannot write the plugin into {plugins_dir}: {exc}") from None
