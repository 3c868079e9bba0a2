"""Rojo-compatible plugin builder: project reader, instance tree, .rbxmx writer/reader, Studio installer."""

from dsm.plugin_build.model import BuildError, Instance
from dsm.plugin_build.rbxmx import read_rbxmx, to_rbxmx, write_rbxmx
from dsm.plugin_build.tree import build_tree, tree_from_folder

__all__ = ["BuildError", "Instance", "build_tree", "read_rbxmx", "to_rbxmx", "tree_from_folder", "write_rbxmx"]
