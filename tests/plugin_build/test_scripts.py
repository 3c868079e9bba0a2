"""Every script file form Rojo 7.7 knows is written as the class and RunContext Rojo gives it.

Expected values come from Rojo's snapshot middleware (mod.rs, lua.rs) and its build-test snapshots
(`plugin_init`, `nested_runcontext`, `client_init`), not from the builder's own tables.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from dsm.plugin_build import Instance, build_tree, read_rbxmx, write_rbxmx
from dsm.plugin_build.model import Enum

# (suffix, emitLegacyScripts) -> (class, RunContext value or None for no RunContext property at all)
SCRIPT_FORMS = [
    (".luau", True, "ModuleScript", None),
    (".lua", True, "ModuleScript", None),
    (".server.luau", True, "Script", 0),
    (".server.lua", True, "Script", 0),
    (".client.luau", True, "LocalScript", None),
    (".client.lua", True, "LocalScript", None),
    (".plugin.luau", True, "Script", 3),
    (".plugin.lua", True, "Script", 3),
    (".luau", False, "ModuleScript", None),
    (".lua", False, "ModuleScript", None),
    (".server.luau", False, "Script", 1),
    (".server.lua", False, "Script", 1),
    (".client.luau", False, "Script", 2),
    (".client.lua", False, "Script", 2),
    (".plugin.luau", False, "Script", 3),
    (".plugin.lua", False, "Script", 3),
]
FORM_IDS = [f"{suffix}-{'legacy' if legacy else 'runcontext'}" for suffix, legacy, _, _ in SCRIPT_FORMS]


def _built(tmp_path: Path, files: dict[str, str], emit_legacy_scripts: bool | None = None) -> Instance:
    """Builds `files` (under src/) as a project, writes the .rbxmx, and returns what reading it back gives."""
    project: dict[str, object] = {"name": "P", "tree": {"$path": "src"}}
    if emit_legacy_scripts is not None:
        project["emitLegacyScripts"] = emit_legacy_scripts
    (tmp_path / "p.project.json").write_text(json.dumps(project))
    for rel, text in files.items():
        (tmp_path / "src" / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / "src" / rel).write_bytes(text.encode("utf-8"))  # bytes as given: CRLF stays CRLF
    out = tmp_path / "P.rbxmx"
    write_rbxmx(build_tree(tmp_path / "p.project.json").root, out)
    return read_rbxmx(out)


def _only_child(root: Instance) -> Instance:
    assert len(root.children) == 1, [c.name for c in root.children]
    return root.children[0]


@pytest.mark.parametrize(("suffix", "legacy", "class_name", "run_context"), SCRIPT_FORMS, ids=FORM_IDS)
def test_an_init_file_turns_its_folder_into_that_script(
    tmp_path: Path, suffix: str, legacy: bool, class_name: str, run_context: int | None
) -> None:
    files = {f"Widget/init{suffix}": "-- entry\r\nreturn 1\n", "Widget/Part.luau": "return 2\n"}
    widget = _only_child(_built(tmp_path, files, legacy))
    expected = {"Source": "-- entry\nreturn 1\n"} | ({} if run_context is None else {"RunContext": Enum(run_context)})
    assert (widget.class_name, widget.name, widget.properties) == (class_name, "Widget", expected)
    # The init file is the folder itself, never also a child named "init".
    assert widget.children == [Instance("ModuleScript", "Part", {"Source": "return 2\n"})]


@pytest.mark.parametrize(("suffix", "legacy", "class_name", "run_context"), SCRIPT_FORMS, ids=FORM_IDS)
def test_a_script_file_becomes_that_script_named_without_its_suffix(
    tmp_path: Path, suffix: str, legacy: bool, class_name: str, run_context: int | None
) -> None:
    tool = _only_child(_built(tmp_path, {f"Tool{suffix}": "print('tool')\n"}, legacy))
    expected = {"Source": "print('tool')\n"} | ({} if run_context is None else {"RunContext": Enum(run_context)})
    assert (tool.class_name, tool.name, tool.properties, tool.children) == (class_name, "Tool", expected, [])


def test_emit_legacy_scripts_defaults_to_true_as_in_rojo_7(tmp_path: Path) -> None:
    files = {"a.server.luau": "", "b.client.luau": "", "c.plugin.luau": ""}
    got = [(c.name, c.class_name, c.properties.get("RunContext")) for c in _built(tmp_path, files).children]
    assert got == [("a", "Script", Enum(0)), ("b", "LocalScript", None), ("c", "Script", Enum(3))]


@pytest.mark.parametrize(
    ("present", "winner"),
    [
        (["init.luau", "init.lua", "init.server.luau", "init.plugin.luau"], "init.luau"),
        (["init.lua", "init.server.luau"], "init.lua"),
        (["init.server.lua", "init.client.luau"], "init.server.lua"),
        (["init.client.lua", "init.plugin.lua", "init.plugin.luau"], "init.client.lua"),
        # Rojo 7.7 looks for init.plugin.lua first, unlike every other .lua/.luau pair.
        (["init.plugin.luau", "init.plugin.lua"], "init.plugin.lua"),
    ],
)
def test_with_several_init_files_the_first_in_rojos_order_wins_and_none_is_a_child(
    tmp_path: Path, present: list[str], winner: str
) -> None:
    widget = _only_child(_built(tmp_path, {f"Widget/{name}": f"-- {name}\n" for name in present}))
    assert widget.properties["Source"] == f"-- {winner}\n"
    assert widget.children == []


def test_default_project_json_takes_a_folder_before_any_init_script(tmp_path: Path) -> None:
    files = {
        "Pkg/default.project.json": json.dumps({"tree": {"$path": "lib"}}),  # no name: the folder names it
        "Pkg/init.plugin.luau": "-- not used\n",
        "Pkg/lib/M.luau": "return 1\n",
    }
    pkg = _only_child(_built(tmp_path, files))
    assert (pkg.class_name, pkg.name, [c.name for c in pkg.children]) == ("Folder", "Pkg", ["M"])


def test_init_meta_json_sets_properties_of_a_plugin_init_script(tmp_path: Path) -> None:
    files = {"Widget/init.plugin.luau": "return 1\n", "Widget/init.meta.json": '{"properties": {"Disabled": true}}'}
    widget = _only_child(_built(tmp_path, files))
    assert widget.properties == {"Source": "return 1\n", "RunContext": Enum(3), "Disabled": True}


def test_rojos_plugin_init_build_test_gives_the_same_instances(tmp_path: Path) -> None:
    # rojo-test/build-tests/plugin_init and its snapshot: a Folder holding two Scripts with RunContext 3.
    # Rojo writes Source as <string>; we write Studio's own <ProtectedString>, which both read alike.
    files = {"lua/init.plugin.lua": 'return "From folder/lua/init.plugin.lua"\n'}
    files["luau/init.plugin.luau"] = 'return "From folder/luau/init.plugin.luau"\n'
    _built(tmp_path, files)
    doc = ET.parse(tmp_path / "P.rbxmx").getroot()
    items = [
        (item.get("class"), {prop.get("name"): (prop.tag, prop.text) for prop in item.iterfind("Properties/*")})
        for item in doc.iter("Item")
    ]
    assert items == [
        ("Folder", {"Name": ("string", "P")}),
        (
            "Script",
            {
                "Name": ("string", "lua"),
                "RunContext": ("token", "3"),
                "Source": ("ProtectedString", 'return "From folder/lua/init.plugin.lua"\n'),
            },
        ),
        (
            "Script",
            {
                "Name": ("string", "luau"),
                "RunContext": ("token", "3"),
                "Source": ("ProtectedString", 'return "From folder/luau/init.plugin.luau"\n'),
            },
        ),
    ]
