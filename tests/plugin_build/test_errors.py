"""Bad projects, meta files and values fail with a message that names the file and the problem."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dsm.plugin_build import BuildError, build_tree


def _project(tmp_path: Path, data: object, files: dict[str, str] | None = None) -> Path:
    for rel, text in (files or {}).items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    path = tmp_path / "bad.project.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def _tree(node: dict) -> dict:
    return {"name": "Bad", "tree": node}


CASES = [
    ("not json", "{name: nope", {}, "not a readable JSON project file"),
    ("not an object", "[1, 2]", {}, "must be a JSON object"),
    ("no name", {"tree": {"$className": "Folder"}}, {}, '"name" must be a non-empty string'),
    ("no tree", {"name": "X"}, {}, '"tree" must be an object'),
    ("unknown key", {"name": "X", "tree": {"$className": "Folder"}, "tre": 1}, {}, "unknown project key(s) tre"),
    (
        "sync rules",
        {"name": "X", "tree": {"$className": "Folder"}, "syncRules": [{"pattern": "*.s.luau", "use": "pluginScript"}]},
        {},
        "unknown project key(s) syncRules (syncRules is not supported: name files by Rojo's default rules",
    ),
    ("bad ignore list", {"name": "X", "tree": {}, "globIgnorePaths": "*.lua"}, {}, '"globIgnorePaths" must be'),
    ("unknown $ key", _tree({"$className": "Folder", "$attributes": {}}), {}, "unsupported key '$attributes'"),
    ("child not object", _tree({"$className": "Folder", "Kid": 3}), {}, "tree.Kid must be an object"),
    ("missing path", _tree({"$path": "nowhere"}), {}, "$path 'nowhere' of 'Bad' does not exist"),
    ("unknown file type", _tree({"$path": "a.md"}), {"a.md": "#"}, "is not a file type the builder knows"),
    ("no class", _tree({"$className": "Folder", "Thing": {}}), {}, "'Thing' needs $className, a $path"),
    (
        "class with script path",
        _tree({"$className": "Folder", "S": {"$className": "Model", "$path": "s.luau"}}),
        {"s.luau": "return 1"},
        "$path gives a ModuleScript; with both set, $path must be a folder",
    ),
    (
        "unsupported value type",
        _tree({"$className": "Part", "$properties": {"CFrame": {"CFrame": [0, 0, 0]}}}),
        {},
        "property Part.CFrame: unsupported value type 'CFrame'",
    ),
    (
        "ambiguous value",
        _tree({"$className": "Part", "$properties": {"Stuff": [1, 2, 3, 4]}}),
        {},
        "property Part.Stuff: cannot infer the type",
    ),
    (
        "wrong explicit value",
        _tree({"$className": "IntValue", "$properties": {"Value": {"Int32": 1.5}}}),
        {},
        "1.5 is not a whole number for Int32",
    ),
    (
        "unknown enum item",
        _tree({"$className": "Script", "$properties": {"RunContext": "Sideways"}}),
        {},
        "unknown enum item 'Sideways'",
    ),
    (
        "className in adjacent meta",
        _tree({"$path": "src"}),
        {"src/a.luau": "return 1", "src/a.meta.json": '{"className": "Model"}'},
        "className is only allowed in init.meta.json",
    ),
    (
        "className with init script",
        _tree({"$path": "src"}),
        {"src/init.luau": "return 1", "src/init.meta.json": '{"className": "Model"}'},
        "className can only be set on a folder that would be a Folder, not a ModuleScript",
    ),
    ("malformed json module", _tree({"$path": "src"}), {"src/c.json": "{oops"}, "c.json: malformed JSON"),
    ("binary model", _tree({"$path": "src"}), {"src/m.rbxm": "\x00"}, "binary .rbxm files are not supported"),
    ("self include", _tree({"$className": "Folder", "Me": {"$path": "bad.project.json"}}), {}, "includes itself"),
]


@pytest.mark.parametrize(("data", "files", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_gives_a_clear_error(tmp_path: Path, data: object, files: dict[str, str], message: str) -> None:
    path = _project(tmp_path, data, files)
    with pytest.raises(BuildError) as err:
        build_tree(path)
    assert message in str(err.value)
    assert str(tmp_path) in str(err.value)  # the message points at the file


def test_missing_project_file_is_reported(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="project file not found"):
        build_tree(tmp_path / "nope.project.json")


def test_name_and_parent_properties_are_ignored_with_a_warning(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = _project(tmp_path, _tree({"$className": "Folder", "$properties": {"Name": "X", "Parent": "Y"}}))
    root = build_tree(path).root
    assert (root.name, root.properties) == ("Bad", {})
    assert "property Name of 'Bad' cannot be set" in caplog.text
