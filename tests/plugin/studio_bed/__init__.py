"""The plugin test bed: a real Luau VM (pluau) running the plugin against an emulated Roblox Studio."""

from .bed import PLUGIN_SRC, REPO_ROOT, BedTimeout, LuauError, StudioBed
from .loader import Node, load

__all__ = ["PLUGIN_SRC", "REPO_ROOT", "BedTimeout", "LuauError", "Node", "StudioBed", "load"]
