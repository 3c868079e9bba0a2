"""Builds the instance tree of a Rojo project: project nodes, then files and folders by Rojo's sync rules.

Folders become Folders unless a `default.project.json` or an `init` script (scripts.py) takes them
over; files are matched by suffix in Rojo's order (`.server.luau` before `.luau`, `.model.json` before
`.json`), others are skipped.
Children are sorted by file name, so a build does not depend on the order the OS lists a folder.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from dsm.plugin_build import values
from dsm.plugin_build.json_lua import json_to_lua
from dsm.plugin_build.model import BuildError, Instance
from dsm.plugin_build.project import IgnoreRule, Project, ProjectNode, ignore_rules, load_project
from dsm.plugin_build.rbxmx import parse_rbxmx
from dsm.plugin_build.scripts import FILE_SUFFIXES, INIT_SCRIPT_NAMES, INIT_SCRIPTS, ScriptKind, script_instance

log = logging.getLogger(__name__)

# A folder holding this is that project; Rojo looks for it before any init script.
DEFAULT_PROJECT = "default.project.json"

# Services a project node under a DataModel may name without `$className`.
SERVICES = frozenset(
    {
        "Workspace",
        "Lighting",
        "ReplicatedFirst",
        "ReplicatedStorage",
        "ServerScriptService",
        "ServerStorage",
        "StarterGui",
        "StarterPack",
        "StarterPlayer",
        "SoundService",
        "Chat",
        "Teams",
        "TextChatService",
        "HttpService",
        "LocalizationService",
        "TestService",
    }
)


@dataclass(frozen=True)
class Context:
    ignores: tuple[IgnoreRule, ...] = ()
    emit_legacy_scripts: bool = True
    projects: tuple[Path, ...] = ()  # the chain of project files being read, to catch cycles


@dataclass
class BuildResult:
    root: Instance
    project: Project
    # Every file and folder a `$path` pointed at: what a watcher must observe.
    watched: set[Path] = field(default_factory=set)


def build_tree(project_file: Path) -> BuildResult:
    """The instance tree `rojo build` would produce for `project_file`; raises BuildError."""
    project_file = project_file.resolve()
    watched: set[Path] = {project_file}
    root, project = _snapshot_project(project_file, None, Context(), watched)
    return BuildResult(root=root, project=project, watched=watched)


def tree_from_folder(folder: Path) -> Instance:
    """The instance a plain folder becomes by Rojo's file rules (as if a project's `$path` pointed at it)."""
    inst = snapshot_path(folder.resolve(), Context(), set())
    if inst is None:
        raise BuildError(f"{folder}: not a folder Rojo can turn into an instance")
    return inst


def _snapshot_project(
    file: Path, fallback_name: str | None, ctx: Context, watched: set[Path]
) -> tuple[Instance, Project]:
    if file in ctx.projects:
        raise BuildError(f"{file}: project includes itself through $path")
    project = load_project(file, fallback_name)
    ctx = replace(
        ctx,
        ignores=ctx.ignores + tuple(ignore_rules(project)),
        emit_legacy_scripts=project.emit_legacy_scripts,
        projects=(*ctx.projects, file),
    )
    root = _snapshot_node(project.name, project.tree, None, project, ctx, watched)
    if root is None:
        raise BuildError(f"{file}: the root's optional $path does not exist, so the project is empty")
    return root, project


def _snapshot_node(
    name: str, node: ProjectNode, parent_class: str | None, project: Project, ctx: Context, watched: set[Path]
) -> Instance | None:
    from_path: Instance | None = None
    if node.path is not None:
        full = Path(os.path.normpath(project.folder / node.path))
        watched.add(full)
        from_path = snapshot_path(full, ctx, watched)
        if from_path is None and not node.path_optional:
            raise BuildError(
                f"{project.file}: $path {node.path.as_posix()!r} of {name!r} does not exist or is not a file "
                "type the builder knows"
            )
        if from_path is None and node.class_name is None:
            return None
    inst = Instance(class_name=_node_class(name, node, from_path, parent_class, project), name=name)
    if from_path is not None:
        inst.properties = from_path.properties
        inst.children = from_path.children
        inst.ignore_unknown_instances = from_path.ignore_unknown_instances
    for child_name, child_node in node.children.items():
        child = _snapshot_node(child_name, child_node, inst.class_name, project, ctx, watched)
        if child is not None:
            inst.children.append(child)
    for prop, raw in node.properties.items():
        if prop in ("Name", "Parent"):
            log.warning("%s: property %s of %r cannot be set and is ignored", project.file, prop, name)
            continue
        inst.properties[prop] = values.resolve(inst.class_name, prop, raw, str(project.file))
    if node.ignore_unknown_instances is not None:
        inst.ignore_unknown_instances = node.ignore_unknown_instances
    elif node.path is None:
        inst.ignore_unknown_instances = True
    return inst


def _node_class(
    name: str, node: ProjectNode, from_path: Instance | None, parent_class: str | None, project: Project
) -> str:
    inferred = name if parent_class == "DataModel" and name in SERVICES else None
    if from_path is None:
        explicit = node.class_name or inferred
        if explicit:
            return explicit
        raise BuildError(
            f"{project.file}: instance {name!r} needs $className, a $path, or to be a known service under a DataModel"
        )
    if node.class_name is None:
        return inferred if inferred and from_path.class_name == "Folder" else from_path.class_name
    if from_path.class_name != "Folder":
        raise BuildError(
            f"{project.file}: {name!r} sets $className {node.class_name!r} but its $path gives a "
            f"{from_path.class_name}; with both set, $path must be a folder"
        )
    return node.class_name


# ---- filesystem --------------------------------------------------------------------------------


def snapshot_path(path: Path, ctx: Context, watched: set[Path]) -> Instance | None:
    """The instance for one file or folder, or None if Rojo's rules make nothing of it."""
    if path.is_dir():
        return _snapshot_dir(path, ctx, watched)
    if not path.is_file():
        return None
    if path.name in INIT_SCRIPT_NAMES:
        return None  # their folder takes them; on their own Rojo makes nothing of them
    for suffix, handler in _FILE_RULES:
        if path.name.endswith(suffix) and len(path.name) > len(suffix):
            return handler(path, path.name[: -len(suffix)], ctx, watched)
    return None


def _snapshot_dir(folder: Path, ctx: Context, watched: set[Path]) -> Instance | None:
    if (folder / DEFAULT_PROJECT).is_file():
        root, _ = _snapshot_project((folder / DEFAULT_PROJECT).resolve(), folder.name, ctx, watched)
        return root
    init = next(((folder / n, kind) for n, kind in INIT_SCRIPTS if (folder / n).is_file()), None)
    children = []
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if any(rule.ignores(entry) for rule in ctx.ignores):
            continue
        child = snapshot_path(entry, ctx, watched)
        if child is not None:
            children.append(child)
    if init is None:
        inst = Instance(class_name="Folder", name=folder.name, children=children)
    else:
        init_file, kind = init
        inst = _script(init_file, folder.name, kind, ctx)
        inst.children = children
    _apply_meta(inst, folder / "init.meta.json", allow_class_name=True)
    return inst


def _script(file: Path, name: str, kind: ScriptKind, ctx: Context) -> Instance:
    source = _read_text(file).replace("\r\n", "\n")
    return script_instance(name, kind, source, ctx.emit_legacy_scripts)


def _lua_file(kind: ScriptKind) -> Callable[[Path, str, Context, set[Path]], Instance]:
    def handler(path: Path, name: str, ctx: Context, watched: set[Path]) -> Instance:
        inst = _script(path, name, kind, ctx)
        _apply_meta(inst, path.with_name(f"{name}.meta.json"))
        return inst

    return handler


def _json_module(path: Path, name: str, ctx: Context, watched: set[Path]) -> Instance | None:
    if name.endswith(".meta"):
        return None
    data = _read_json(path)
    inst = Instance(class_name="ModuleScript", name=name, properties={"Source": json_to_lua(data)})
    _apply_meta(inst, path.with_name(f"{name}.meta.json"))
    return inst


def _text_value(path: Path, name: str, ctx: Context, watched: set[Path]) -> Instance:
    inst = Instance(class_name="StringValue", name=name, properties={"Value": _read_text(path)})
    _apply_meta(inst, path.with_name(f"{name}.meta.json"))
    return inst


def _nested_project(path: Path, name: str, ctx: Context, watched: set[Path]) -> Instance:
    root, _ = _snapshot_project(path.resolve(), name, ctx, watched)
    return root


def _json_model(path: Path, name: str, ctx: Context, watched: set[Path]) -> Instance:
    data = _read_json(path)
    if not isinstance(data, dict):
        raise BuildError(f"{path}: a JSON model must be an object with className")
    inst = _model_instance(data, path, "model")
    inst.name = name
    return inst


_MODEL_KEYS = frozenset(
    {"$schema", "id", "className", "ClassName", "name", "Name", "properties", "Properties", "children", "Children"}
)


def _model_instance(data: dict[str, Any], path: Path, where: str) -> Instance:
    unknown = sorted(set(data) - _MODEL_KEYS)
    if unknown:
        raise BuildError(f"{path}: {where} has unsupported key(s) {', '.join(unknown)}")
    class_name = data.get("className", data.get("ClassName"))
    if not isinstance(class_name, str) or not class_name:
        raise BuildError(f"{path}: {where} needs a className string")
    name = data.get("name", data.get("Name", class_name))
    if not isinstance(name, str):
        raise BuildError(f"{path}: {where}.name must be a string")
    inst = Instance(class_name=class_name, name=name)
    props = data.get("properties", data.get("Properties", {}))
    if not isinstance(props, dict):
        raise BuildError(f"{path}: {where}.properties must be an object")
    for prop, raw in props.items():
        inst.properties[prop] = values.resolve(class_name, prop, raw, str(path))
    children = data.get("children", data.get("Children", []))
    if not isinstance(children, list) or not all(isinstance(c, dict) for c in children):
        raise BuildError(f"{path}: {where}.children must be a list of objects")
    inst.children = [_model_instance(c, path, f"{where}.children[{i}]") for i, c in enumerate(children)]
    return inst


def _embedded_model(path: Path, name: str, ctx: Context, watched: set[Path]) -> Instance:
    roots = parse_rbxmx(path.read_bytes(), str(path))
    if len(roots) != 1:
        raise BuildError(f"{path}: an embedded .rbxmx must hold exactly one top-level instance, found {len(roots)}")
    roots[0].name = name
    return roots[0]


def _unsupported(kind: str) -> Callable[[Path, str, Context, set[Path]], Instance]:
    def handler(path: Path, name: str, ctx: Context, watched: set[Path]) -> Instance:
        raise BuildError(f"{path}: {kind} files are not supported by dsm's builder; ignore them with globIgnorePaths")

    return handler


_FILE_RULES: list[tuple[str, Callable[[Path, str, Context, set[Path]], Instance | None]]] = [
    *((suffix, _lua_file(kind)) for suffix, kind in FILE_SUFFIXES),
    (".project.json", _nested_project),
    (".model.json", _json_model),
    (".json", _json_module),
    (".txt", _text_value),
    (".rbxmx", _embedded_model),
    (".rbxm", _unsupported("binary .rbxm")),
    (".toml", _unsupported(".toml")),
    (".csv", _unsupported(".csv (LocalizationTable)")),
    (".yaml", _unsupported(".yaml")),
    (".yml", _unsupported(".yml")),
]


# ---- meta files and reading --------------------------------------------------------------------


def _apply_meta(inst: Instance, meta: Path, allow_class_name: bool = False) -> None:
    if not meta.is_file():
        return
    data = _read_json(meta)
    allowed = {"properties", "ignoreUnknownInstances", "$schema"} | ({"className"} if allow_class_name else set())
    if not isinstance(data, dict):
        raise BuildError(f"{meta}: a meta file must be a JSON object")
    unknown = sorted(set(data) - allowed)
    if unknown:
        hint = " (className is only allowed in init.meta.json)" if "className" in unknown else ""
        raise BuildError(f"{meta}: unsupported key(s) {', '.join(unknown)}{hint}")
    if "ignoreUnknownInstances" in data:
        if not isinstance(data["ignoreUnknownInstances"], bool):
            raise BuildError(f"{meta}: ignoreUnknownInstances must be true or false")
        inst.ignore_unknown_instances = data["ignoreUnknownInstances"]
    if "className" in data:
        if inst.class_name != "Folder":
            raise BuildError(
                f"{meta}: className can only be set on a folder that would be a Folder, not a {inst.class_name} "
                "(an init script already decides its class)"
            )
        if not isinstance(data["className"], str) or not data["className"]:
            raise BuildError(f"{meta}: className must be a class name string")
        inst.class_name = data["className"]
    props = data.get("properties", {})
    if not isinstance(props, dict):
        raise BuildError(f"{meta}: properties must be an object")
    for prop, raw in props.items():
        inst.properties[prop] = values.resolve(inst.class_name, prop, raw, str(meta))


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        raise BuildError(f"{path}: file is not valid UTF-8") from None


def _read_json(path: Path) -> Any:
    try:
        return json.loads(_read_text(path))
    except json.JSONDecodeError as exc:
        raise BuildError(f"{path}: malformed JSON: {exc}") from None
