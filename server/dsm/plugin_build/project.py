"""Reads a Rojo project file (`*.project.json`) into typed nodes, rejecting what we cannot build."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dsm.plugin_build.model import BuildError

# Top-level keys Rojo accepts; the serve-only ones do not change a build.
_PROJECT_KEYS = frozenset(
    {
        "$schema",
        "name",
        "tree",
        "globIgnorePaths",
        "emitLegacyScripts",
        "servePort",
        "servePlaceIds",
        "blockedPlaceIds",
        "placeId",
        "gameId",
        "serveAddress",
    }
)
_NODE_KEYS = frozenset({"$className", "$path", "$properties", "$ignoreUnknownInstances", "$id"})


@dataclass
class ProjectNode:
    """One node of a project tree: its own settings plus named child nodes (sorted, as Rojo does)."""

    class_name: str | None = None
    path: Path | None = None
    path_optional: bool = False
    properties: dict[str, Any] = field(default_factory=dict)
    ignore_unknown_instances: bool | None = None
    children: dict[str, ProjectNode] = field(default_factory=dict)


@dataclass
class Project:
    name: str
    tree: ProjectNode
    file: Path
    glob_ignore_paths: list[str] = field(default_factory=list)
    emit_legacy_scripts: bool = True

    @property
    def folder(self) -> Path:
        return self.file.parent


def load_project(file: Path, fallback_name: str | None = None) -> Project:
    """Parses `file`; `fallback_name` names a nested project that has no `name` of its own."""
    try:
        data = json.loads(file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BuildError(f"{file}: project file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise BuildError(f"{file}: not a readable JSON project file: {exc}") from None
    if not isinstance(data, dict):
        raise BuildError(f"{file}: a project file must be a JSON object")
    unknown = sorted(set(data) - _PROJECT_KEYS)
    if unknown:
        hint = (
            " (syncRules is not supported: name files by Rojo's default rules, e.g. X.server.luau, "
            "X.client.luau, X.plugin.luau)"
            if "syncRules" in unknown
            else ""
        )
        raise BuildError(f"{file}: unknown project key(s) {', '.join(unknown)}{hint}")
    name = data.get("name", fallback_name)
    if not isinstance(name, str) or not name:
        raise BuildError(f'{file}: "name" must be a non-empty string')
    if not isinstance(data.get("tree"), dict):
        raise BuildError(f'{file}: "tree" must be an object describing the root instance')
    ignores = data.get("globIgnorePaths", [])
    if not isinstance(ignores, list) or not all(isinstance(g, str) for g in ignores):
        raise BuildError(f'{file}: "globIgnorePaths" must be a list of glob strings')
    legacy = data.get("emitLegacyScripts", True)
    if not isinstance(legacy, bool):
        raise BuildError(f'{file}: "emitLegacyScripts" must be true or false')
    tree = _node(data["tree"], "tree", file)
    return Project(name=name, tree=tree, file=file, glob_ignore_paths=ignores, emit_legacy_scripts=legacy)


def _node(data: dict[str, Any], where: str, file: Path) -> ProjectNode:
    node = ProjectNode()
    for key, value in data.items():
        if not key.startswith("$"):
            if not isinstance(value, dict):
                raise BuildError(f"{file}: {where}.{key} must be an object (a child instance)")
            node.children[key] = _node(value, f"{where}.{key}", file)
        elif key not in _NODE_KEYS:
            raise BuildError(f"{file}: {where} has unsupported key {key!r}; supported: {', '.join(sorted(_NODE_KEYS))}")
    class_name = data.get("$className")
    if class_name is not None and (not isinstance(class_name, str) or not class_name):
        raise BuildError(f"{file}: {where}.$className must be a class name string")
    node.class_name = class_name
    _node_path(node, data.get("$path"), where, file)
    props = data.get("$properties", {})
    if not isinstance(props, dict):
        raise BuildError(f"{file}: {where}.$properties must be an object")
    node.properties = props
    ignore = data.get("$ignoreUnknownInstances")
    if ignore is not None and not isinstance(ignore, bool):
        raise BuildError(f"{file}: {where}.$ignoreUnknownInstances must be true or false")
    node.ignore_unknown_instances = ignore
    node.children = dict(sorted(node.children.items()))
    return node


def _node_path(node: ProjectNode, raw: Any, where: str, file: Path) -> None:
    if raw is None:
        return
    if isinstance(raw, dict) and set(raw) == {"optional"} and isinstance(raw["optional"], str):
        node.path, node.path_optional = Path(raw["optional"]), True
    elif isinstance(raw, str) and raw:
        node.path = Path(raw)
    else:
        raise BuildError(f'{file}: {where}.$path must be a path string or {{"optional": "path"}}')


@dataclass(frozen=True)
class IgnoreRule:
    """A `globIgnorePaths` entry: matched against paths relative to the project's folder."""

    pattern: re.Pattern[str]
    base: Path

    def ignores(self, path: Path) -> bool:
        try:
            rel = path.relative_to(self.base)
        except ValueError:
            return False
        return self.pattern.fullmatch(rel.as_posix()) is not None


def ignore_rules(project: Project) -> list[IgnoreRule]:
    return [IgnoreRule(glob_to_regex(g), project.folder) for g in project.glob_ignore_paths]


def glob_to_regex(glob: str) -> re.Pattern[str]:
    """Compiles a glob the way Rojo's globset does by default: `*` may cross `/`, `**/` any depth."""
    out, i = [], 0
    while i < len(glob):
        if glob.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif glob.startswith("/**", i) and i + 3 == len(glob):
            out.append("/.*")
            i += 3
        elif glob[i] == "*":
            out.append(".*")
            i += 2 if glob.startswith("**", i) else 1
        elif glob[i] == "?":
            out.append(".")
            i += 1
        elif glob[i] == "{":
            end = glob.find("}", i)
            if end < 0:
                raise BuildError(f"glob {glob!r}: unclosed '{{'")
            out.append("(?:" + "|".join(re.escape(a) for a in glob[i + 1 : end].split(",")) + ")")
            i = end + 1
        elif glob[i] == "[":
            end = glob.find("]", i + 2)
            if end < 0:
                raise BuildError(f"glob {glob!r}: unclosed '['")
            body = glob[i + 1 : end]
            out.append("[" + ("^" + body[1:] if body.startswith("!") else body) + "]")
            i = end + 1
        else:
            out.append(re.escape(glob[i]))
            i += 1
    return re.compile("".join(out))
