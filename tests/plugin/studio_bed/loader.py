"""Turn plugin sources into a plain node tree the bed instantiates in the emulated Studio.

Two inputs: a folder in Rojo's layout, read by the project's builder (`init.server.luau` or
`init.plugin.luau` = the folder is a Script, `init.luau` = a ModuleScript, `X.luau` = ModuleScript,
`X.server.luau` = Script, other folders = Folder; docs/plugin-build.md has every rule), or any
instance tree whose nodes have `class_name`, `name`, `properties` and `children` (for example what
`dsm.plugin_build.read_rbxmx(path)` returns).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dsm.plugin_build import tree_from_folder


@dataclass
class Node:
    class_name: str
    name: str
    properties: dict[str, Any] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)


def load_folder(path: Path, name: str | None = None) -> Node:
    """Read a folder by Rojo's rules, with the project's own builder (one implementation of those rules)."""
    node = from_tree(tree_from_folder(Path(path)))
    if name:
        node.name = name
    return node


def from_tree(obj: Any) -> Node:
    """Copy any instance-tree object (class_name, name, properties, children) into Nodes."""
    props = dict(getattr(obj, "properties", None) or {})
    children = [from_tree(c) for c in (getattr(obj, "children", None) or [])]
    return Node(str(obj.class_name), str(obj.name), props, children)


def load(source: Path | str | Any, name: str | None = None) -> Node:
    if isinstance(source, (str, Path)):
        node = load_folder(Path(source), name)
    else:
        node = from_tree(source)
    if name:
        node.name = name
    return node
