"""Turn plugin sources into a plain node tree the bed instantiates in the emulated Studio.

Two inputs: a folder in Rojo's layout (`init.server.luau` = the folder is a Script, `init.luau` = the
folder is a ModuleScript, `X.luau` = ModuleScript, `X.server.luau` = Script, other folders = Folder),
or any instance tree whose nodes have `class_name`, `name`, `properties` and `children` (for example
what `dsm.plugin_build.read_rbxmx(path)` returns).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LUAU_SUFFIXES = (".luau", ".lua")
SCRIPT_CLASSES = ("Script", "ModuleScript", "LocalScript")


@dataclass
class Node:
    class_name: str
    name: str
    properties: dict[str, Any] = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)


def _script_kind(file_name: str) -> tuple[str, str] | None:
    """(class name, instance name) for a Luau file name, or None if it is not a script."""
    for suffix in LUAU_SUFFIXES:
        if file_name.endswith(suffix):
            stem = file_name[: -len(suffix)]
            if stem.endswith(".server"):
                return "Script", stem[: -len(".server")]
            if stem.endswith(".client"):
                return "LocalScript", stem[: -len(".client")]
            return "ModuleScript", stem
    return None


def load_folder(path: Path, name: str | None = None) -> Node:
    """Read a folder in Rojo's layout."""
    path = Path(path)
    node = Node("Folder", name or path.name)
    for init_name in ("init.server.luau", "init.server.lua", "init.luau", "init.lua"):
        init = path / init_name
        if init.is_file():
            node.class_name = "Script" if ".server." in init_name else "ModuleScript"
            node.properties["Source"] = init.read_text(encoding="utf-8")
            break
    for entry in sorted(path.iterdir(), key=lambda p: p.name):
        if entry.name.startswith("init.") or entry.name.startswith("."):
            continue
        if entry.is_dir():
            node.children.append(load_folder(entry))
            continue
        kind = _script_kind(entry.name)
        if kind:
            node.children.append(Node(kind[0], kind[1], {"Source": entry.read_text(encoding="utf-8")}))
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
