"""Everything the emulation offers, and every Roblox API the plugin source names, exists in Roblox's API dump.

Deprecated APIs fail the test (listed with file and line) rather than warn: a deprecated call works
today and breaks later, and the fix (the named replacement) is cheap. Members only Roblox's own
scripts may use (RobloxScriptSecurity and the like) fail too: a plugin cannot call them.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from studio_bed import PLUGIN_SRC, REPO_ROOT, surface

PLUGIN_SECURITY = {"None", "PluginSecurity"}
# Deprecated members the emulation offers on purpose, so the source check can name them.
# RemoveVersionAsync: Roblox deprecates it, yet games still call it; a plugin use is flagged by the source check.
DEPRECATED_ON_PURPOSE = {("Plugin", "CreateDockWidgetPluginGui"), ("DataStore", "RemoveVersionAsync")}
# The emulation's own hierarchy is shallower than Roblox's; a superclass only has to be an ancestor.
MEMBER_TYPES = {"properties": "Property", "methods": "Function", "events": "Event"}


def dump_path() -> Path:
    configured = os.environ.get("DSM_ROBLOX_API_DUMP")
    if configured:
        path = Path(configured)
        return path if path.is_absolute() else (REPO_ROOT / path).resolve()
    return (REPO_ROOT / ".." / "shared" / "roblox" / "api-dump.json").resolve()


@dataclass
class Api:
    classes: dict[str, dict[str, Any]]
    enums: dict[str, dict[str, dict[str, Any]]]

    def member(self, class_name: str, name: str) -> dict[str, Any] | None:
        cls = self.classes.get(class_name)
        while cls:
            for m in cls["Members"]:
                if m["Name"] == name:
                    return m
            cls = self.classes.get(cls["Superclass"])
        return None

    def ancestors(self, class_name: str) -> list[str]:
        out = []
        cls = self.classes.get(class_name)
        while cls and cls["Superclass"] in self.classes:
            out.append(cls["Superclass"])
            cls = self.classes[cls["Superclass"]]
        return out

    @property
    def member_names(self) -> dict[str, list[dict[str, Any]]]:
        names: dict[str, list[dict[str, Any]]] = {}
        for cls in self.classes.values():
            for m in cls["Members"]:
                names.setdefault(m["Name"], []).append(m)
        return names


def tags(item: dict[str, Any]) -> set[str]:
    return {t for t in item.get("Tags", []) if isinstance(t, str)}


@cache
def _load(path: Path) -> Api:
    data = json.loads(path.read_text(encoding="utf-8"))
    classes = {c["Name"]: c for c in data["Classes"]}
    enums = {e["Name"]: {i["Name"]: i for i in e["Items"]} for e in data["Enums"]}
    return Api(classes, enums)


@pytest.fixture(scope="module")
def api() -> Api:
    path = dump_path()
    if not path.is_file():
        pytest.skip(f"Roblox API dump not found at {path} (set DSM_ROBLOX_API_DUMP)")
    return _load(path)


def _security_ok(member: dict[str, Any]) -> bool:
    security = member["Security"]
    if isinstance(security, dict):
        return security["Read"] in PLUGIN_SECURITY
    return security in PLUGIN_SECURITY


def test_every_emulated_class_and_member_exists_undeprecated(api: Api) -> None:
    problems = []
    for name, spec in surface.CLASSES.items():
        cls = api.classes.get(name)
        if cls is None:
            problems.append(f"class {name} is not in the dump")
            continue
        if "Deprecated" in tags(cls):
            problems.append(f"class {name} is deprecated")
        if spec.superclass and spec.superclass not in api.ancestors(name):
            problems.append(f"{name}: {spec.superclass} is not one of its superclasses {api.ancestors(name)}")
        if spec.creatable and "NotCreatable" in tags(cls):
            problems.append(f"{name} is creatable in the emulation but NotCreatable in Roblox")
        if spec.service and "Service" not in tags(cls):
            problems.append(f"{name} is a service in the emulation but not in Roblox")
        for kind, member_type in MEMBER_TYPES.items():
            names = spec.properties if kind == "properties" else getattr(spec, kind)
            for member_name in names:
                m = api.member(name, member_name)
                if m is None:
                    problems.append(f"{name}.{member_name} is not in the dump")
                elif m["MemberType"] != member_type:
                    problems.append(f"{name}.{member_name} is a {m['MemberType']} in Roblox, not a {member_type}")
                elif "Deprecated" in tags(m) and (name, member_name) not in DEPRECATED_ON_PURPOSE:
                    problems.append(f"{name}.{member_name} is deprecated")
                elif not _security_ok(m):
                    problems.append(f"{name}.{member_name} is not usable by plugins ({m['Security']})")
        for prop in spec.properties:
            m = api.member(name, prop)
            if m is None or m["MemberType"] != "Property":
                continue
            writable = "ReadOnly" not in tags(m) and m["Security"]["Write"] in PLUGIN_SECURITY
            if writable == (prop in spec.read_only):
                state = "writable" if writable else "read-only"
                problems.append(f"{name}.{prop} is {state} for plugins in Roblox but not in the emulation")
    assert not problems, "\n".join(problems)


def test_every_emulated_enum_item_exists_with_its_value(api: Api) -> None:
    problems = []
    for enum_name, items in surface.ENUMS.items():
        enum = api.enums.get(enum_name)
        if enum is None:
            problems.append(f"Enum.{enum_name} is not in the dump")
            continue
        for item_name, value in items.items():
            item = enum.get(item_name)
            if item is None:
                problems.append(f"Enum.{enum_name}.{item_name} is not in the dump")
            elif item["Value"] != value:
                problems.append(f"Enum.{enum_name}.{item_name} is {item['Value']} in Roblox, not {value}")
            elif "Deprecated" in tags(item):
                problems.append(f"Enum.{enum_name}.{item_name} is deprecated")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------- the plugin source

COMMENT = re.compile(r"--\[(=*)\[.*?\]\1\]|--[^\n]*", re.S)
STRING = re.compile(r"\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*'|\[(=*)\[.*?\]\1\]|`(?:\\.|[^`\\])*`", re.S)
GET_SERVICE = re.compile(r"GetService\(\s*[\"']([A-Za-z]+)[\"']\s*\)")
INSTANCE_NEW = re.compile(r"Instance\.new\(\s*[\"']([A-Za-z0-9]+)[\"']")
ENUM_ITEM = re.compile(r"\bEnum\.([A-Za-z0-9]+)\.([A-Za-z0-9]+)")
METHOD_CALL = re.compile(r":([A-Za-z_][A-Za-z0-9_]*)\s*[(\"'{]")
FIELD = re.compile(r"(?<![.\w])[A-Za-z_][A-Za-z0-9_]*(?:\([^()]*\))?\.([A-Z][A-Za-z0-9]*)\b")
DEFINED = re.compile(
    r"function\s+[\w.]+[.:]([A-Za-z_]\w*)\s*\(|\b([A-Za-z_]\w*)\s*=|\b([A-Za-z_]\w*)\s*:\s*(?:\(|[A-Za-z{])"
)
GLOBAL_CALL = re.compile(r"(?<![.:\w])(wait|spawn|delay)\s*\(")


def _blank(match: re.Match[str]) -> str:
    return "".join("\n" if c == "\n" else " " for c in match.group(0))


@dataclass
class SourceUse:
    path: Path
    line: int
    what: str


def plugin_sources() -> list[Path]:
    return sorted(p for p in PLUGIN_SRC.rglob("*") if p.suffix in (".luau", ".lua"))


def scan(paths: list[Path]) -> tuple[dict[str, list[SourceUse]], set[str]]:
    """Uses by kind ('service', 'instance', 'enum', 'method', 'field', 'global') and names the plugin defines."""
    uses: dict[str, list[SourceUse]] = {k: [] for k in ("service", "instance", "enum", "method", "field", "global")}
    defined: set[str] = set()
    for path in paths:
        text = COMMENT.sub(_blank, path.read_text(encoding="utf-8"))
        code = STRING.sub(_blank, text)

        def line_of(source: str, pos: int) -> int:
            return source.count("\n", 0, pos) + 1

        for kind, pattern, source in (
            ("service", GET_SERVICE, text),
            ("instance", INSTANCE_NEW, text),
            ("method", METHOD_CALL, code),
            ("field", FIELD, code),
            ("global", GLOBAL_CALL, code),
        ):
            for m in pattern.finditer(source):
                uses[kind].append(SourceUse(path, line_of(source, m.start()), m.group(1)))
        for m in ENUM_ITEM.finditer(code):
            uses["enum"].append(SourceUse(path, line_of(code, m.start()), f"{m.group(1)}.{m.group(2)}"))
        for m in DEFINED.finditer(code):
            defined.update(g for g in m.groups() if g)
    return uses, defined


def _where(use: SourceUse) -> str:
    path = use.path.relative_to(REPO_ROOT) if use.path.is_relative_to(REPO_ROOT) else use.path.name
    return f"{path}:{use.line}"


def check_sources(api: Api, paths: list[Path]) -> list[str]:
    uses, defined = scan(paths)
    members = api.member_names
    problems = []
    for use in uses["service"]:
        cls = api.classes.get(use.what)
        if cls is None or "Service" not in tags(cls):
            problems.append(f"{_where(use)}: GetService({use.what!r}) is not a Roblox service")
        elif use.what not in surface.CLASSES:
            problems.append(f"{_where(use)}: service {use.what} is not emulated (add it to studio_bed/surface.py)")
    for use in uses["instance"]:
        cls = api.classes.get(use.what)
        if cls is None or "NotCreatable" in tags(cls):
            problems.append(f"{_where(use)}: Instance.new({use.what!r}) is not a creatable Roblox class")
        elif "Deprecated" in tags(cls):
            problems.append(f"{_where(use)}: class {use.what} is deprecated")
    for use in uses["enum"]:
        enum_name, item_name = use.what.split(".")
        enum = api.enums.get(enum_name)
        if enum is None or item_name not in enum:
            if not (enum is not None and item_name in ("GetEnumItems", "FromName", "FromValue")):
                problems.append(f"{_where(use)}: Enum.{use.what} is not in the dump")
        elif "Deprecated" in tags(enum[item_name]):
            problems.append(f"{_where(use)}: Enum.{use.what} is deprecated")
    for use in uses["method"]:
        found = [m for m in members.get(use.what, []) if m["MemberType"] in ("Function", "Callback")]
        if use.what in defined or use.what in SIGNAL_METHODS:
            continue
        if not found:
            problems.append(f"{_where(use)}: :{use.what}() is neither a Roblox method nor defined in the plugin")
        elif all("Deprecated" in tags(m) for m in found):
            problems.append(f"{_where(use)}: :{use.what}() is deprecated")
        elif not any(_security_ok(m) for m in found):
            problems.append(f"{_where(use)}: :{use.what}() is not usable by plugins ({found[0]['Security']})")
    for use in uses["field"]:
        found = members.get(use.what, [])
        if found and use.what not in defined and all("Deprecated" in tags(m) for m in found):
            problems.append(f"{_where(use)}: .{use.what} is deprecated")
    for use in uses["global"]:
        problems.append(f"{_where(use)}: global {use.what}() is deprecated (use task.{use.what})")
    return problems


# RBXScriptSignal / RBXScriptConnection / datatype methods are not classes in the dump.
SIGNAL_METHODS = {
    "Connect",
    "Once",
    "Wait",
    "Disconnect",
    "ConnectParallel",
    "Lerp",
    "ToHex",
    "ToHSV",
    "ToIsoDate",
    "ToUniversalTime",
    "ToLocalTime",
    "FormatUniversalTime",
    "GetEnumItems",
    "FromName",
    "FromValue",
}


def test_plugin_source_uses_only_existing_undeprecated_roblox_api(api: Api) -> None:
    paths = plugin_sources()
    if not paths:
        pytest.skip("plugin/src has no Luau sources yet")
    problems = check_sources(api, paths)
    assert not problems, "\n".join(problems)


def test_source_check_catches_unknown_and_deprecated_api(api: Api, tmp_path: Path) -> None:
    bad = tmp_path / "Bad.luau"
    bad.write_text(
        "\n".join(
            [
                "local Http = game:GetService('HttpService')",
                "local Nope = game:GetService('NoSuchService')",
                "local f = Instance.new('Frame')",
                "local g = Instance.new('DataStoreKeyInfo')",
                "local d = Enum.SortOrder.Custom",
                "local e = Enum.SortOrder.Nonexistent",
                "local w = plugin:CreateDockWidgetPluginGui('x', info)",
                "local v = Http:NoSuchMethodAnywhere()",
                "wait(1)",
                "local n = game:GetService('Players').NumPlayers",
                "local ua = Http:GetUserAgent()",
                "-- Http:AlsoNotAMethod() in a comment is fine",
                "local s = 'Http:NotAMethodInAString()'",
                "local function helper() end",
                "local obj = {}; function obj:ownMethod() end; obj:ownMethod()",
            ]
        ),
        encoding="utf-8",
    )
    problems = "\n".join(check_sources(api, [bad]))
    for expected in (
        "GetService('NoSuchService')",
        "Instance.new('DataStoreKeyInfo')",
        "Enum.SortOrder.Custom is deprecated",
        "Enum.SortOrder.Nonexistent is not in the dump",
        ":CreateDockWidgetPluginGui() is deprecated",
        ":NoSuchMethodAnywhere() is neither",
        "global wait() is deprecated",
        ".NumPlayers is deprecated",
        ":GetUserAgent() is not usable by plugins",
    ):
        assert expected in problems, f"missing {expected!r} in:\n{problems}"
    for unexpected in ("AlsoNotAMethod", "NotAMethodInAString", "ownMethod", "HttpService", "'Frame'"):
        assert unexpected not in problems
