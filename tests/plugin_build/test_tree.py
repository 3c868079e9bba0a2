"""The builder turns a project on disk into exactly the instance tree Rojo's rules describe."""

from __future__ import annotations

import json
from pathlib import Path

from dsm.plugin_build.json_lua import json_to_lua
from dsm.plugin_build.model import Color3, Enum, Float32, Instance, Int64, RawXml, Vector3
from dsm.plugin_build.tree import build_tree


def _script(cls: str, name: str, source: str, *children: Instance, **props: object) -> Instance:
    properties: dict = {"Source": source, **props}
    if cls == "Script":
        properties.setdefault("RunContext", Enum(0))
    return Instance(cls, name, properties, list(children))


def _expected_tree(folder: Path) -> Instance:
    cframe = (
        '<CoordinateFrame name="CFrame"><X>1</X><Y>2</Y><Z>3</Z><R00>1</R00><R01>0</R01><R02>0</R02><R10>0</R10>'
        "<R11>1</R11><R12>0</R12><R20>0</R20><R21>0</R21><R22>1</R22></CoordinateFrame>"
    )
    values = Instance(
        "Folder",
        "Values",
        {},
        [
            Instance("IntValue", "Count", {"Value": Int64(7)}),
            Instance("NumberValue", "Fade", {"Value": Float32(0.25)}),
            Instance("BoolValue", "Flag", {"Value": True}),
            Instance("StringValue", "Label", {"Value": "hello"}),
            Instance("NumberValue", "Num", {"Value": 2.5}),
            Instance("Vector3Value", "Pos", {"Value": Vector3(1, 2, 3)}),
            _script("Script", "Runner", "print('runner')\n", RunContext=Enum(2)),
            Instance("Color3Value", "Tint", {"Value": Color3(1, 0, 0.5)}),
        ],
    )
    return _script(
        "Script",
        "Fixture",
        "-- entry\nprint('hi')\n",  # CRLF normalised, as Rojo does for scripts
        _script("LocalScript", "Client", "print('client')\n"),
        _script("ModuleScript", "Legacy", "return 'legacy'\n"),
        _script("Script", "Main", "print('main')\n", Disabled=True),
        _script("ModuleScript", "Util", "return {}\n"),
        Instance(
            "Configuration",
            "assets",
            {"Note": "assets"},
            [
                Instance("Part", "Embedded", {"Anchored": True, "CFrame": RawXml(cframe)}),
                Instance(
                    "Model",
                    "Part",
                    {},
                    [Instance("Part", "Handle", {"Size": Vector3(1, 2, 3), "Color": Color3(1, 0, 0)})],
                ),
            ],
        ),
        _script("LocalScript", "clientdir", "print('client dir')\n", _script("ModuleScript", "part", "return 1\n")),
        _script("ModuleScript", "config", json_to_lua(json.loads((folder / "src" / "config.json").read_text()))),
        Instance("Folder", "empty"),
        Instance("Folder", "ignored"),  # globIgnorePaths `src/ignored/**` drops its contents, not the folder
        _script(
            "ModuleScript",
            "lib",
            "return require(script.helper)\n",
            _script("ModuleScript", "helper", "local s = 'a]]>b'\nreturn s\n"),
        ),
        Instance("StringValue", "readme", {"Value": "Read me\nsecond line"}),
        Instance("Configuration", "Extra"),
        Instance(
            "Folder", "Nested", {}, [Instance("Folder", "Inner", {}, [_script("ModuleScript", "A", "return 'a'\n")])]
        ),
        Instance("Configuration", "Settings", {}, [Instance("StringValue", "s", {"Value": "setting text"})]),
        values,
    )


def test_fixture_project_builds_the_exact_tree_rojo_rules_give(fixture_project: Path) -> None:
    result = build_tree(fixture_project)
    assert result.project.name == "Fixture"
    assert result.root == _expected_tree(fixture_project.parent)


def test_ignore_unknown_instances_follows_project_and_meta_files(fixture_project: Path) -> None:
    root = build_tree(fixture_project).root
    flags = {child.name: child.ignore_unknown_instances for child in root.children}
    assert root.ignore_unknown_instances is False  # has $path
    assert flags["lib"] is True  # init.meta.json
    assert flags["Extra"] is False  # explicit $ignoreUnknownInstances
    assert flags["Values"] is True  # no $path: Rojo defaults to true
    assert flags["Util"] is False


def test_spec_files_and_unknown_file_types_are_not_instances(fixture_project: Path) -> None:
    names = {d.name for d in build_tree(fixture_project).root.descendants()}
    assert "Util.spec" not in names and "notes" not in names and "x" not in names
    assert "Main.meta" not in names and "init.meta" not in names


def test_json_module_source_is_the_json_as_a_lua_table(fixture_project: Path) -> None:
    config = build_tree(fixture_project).root.find_first_child("config")
    assert config is not None
    assert config.properties["Source"] == (
        "return {\n"
        '\t["end"] = true,\n'
        "\tlimits = {\n"
        "\t\tmax = 10,\n"
        "\t\tratio = 0.5,\n"
        "\t},\n"
        '\tname = "fixture",\n'
        '\ttags = {"a", "b"},\n'
        "}"
    )


def test_emit_legacy_scripts_false_gives_run_context_scripts(tmp_path: Path) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "a.server.luau").write_text("print(1)")
    (tmp_path / "src" / "b.client.luau").write_text("print(2)")
    (tmp_path / "src" / "c.plugin.luau").write_text("print(3)")
    project = tmp_path / "p.project.json"
    project.write_text(json.dumps({"name": "P", "emitLegacyScripts": False, "tree": {"$path": "src"}}))
    root = build_tree(project).root
    got = [(c.name, c.class_name, c.properties["RunContext"]) for c in root.children]
    assert got == [("a", "Script", Enum(1)), ("b", "Script", Enum(2)), ("c", "Script", Enum(3))]


def test_folder_with_default_project_json_uses_that_project(tmp_path: Path) -> None:
    (tmp_path / "pkg" / "lib").mkdir(parents=True)
    (tmp_path / "pkg" / "lib" / "M.luau").write_text("return 1")
    (tmp_path / "pkg" / "default.project.json").write_text(json.dumps({"name": "Pkg", "tree": {"$path": "lib"}}))
    project = tmp_path / "top.project.json"
    project.write_text(json.dumps({"name": "Top", "tree": {"$className": "Folder", "Dep": {"$path": "pkg"}}}))
    dep = build_tree(project).root.children[0]
    assert (dep.name, dep.class_name, [c.name for c in dep.children]) == ("Dep", "Folder", ["M"])


def test_optional_path_that_is_missing_is_left_out(tmp_path: Path) -> None:
    project = tmp_path / "p.project.json"
    project.write_text(
        json.dumps({"name": "P", "tree": {"$className": "Folder", "Maybe": {"$path": {"optional": "nope"}}}})
    )
    assert build_tree(project).root.children == []


def test_services_under_a_data_model_need_no_class_name(tmp_path: Path) -> None:
    project = tmp_path / "p.project.json"
    project.write_text(json.dumps({"name": "Game", "tree": {"$className": "DataModel", "ReplicatedStorage": {}}}))
    assert build_tree(project).root.children == [Instance("ReplicatedStorage", "ReplicatedStorage")]


def test_watched_paths_cover_project_files_and_path_targets(fixture_project: Path) -> None:
    folder = fixture_project.parent.resolve()
    watched = build_tree(fixture_project).watched
    assert {folder / "fixture.project.json", folder / "src", folder / "nested.project.json"} <= watched
    assert {folder / "nested_src", folder / "settings_dir", folder / "runner.server.luau"} <= watched
