"""A fixture Rojo project on disk that exercises every sync rule the builder implements."""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest

CFRAME_XML = (
    '<CoordinateFrame name="CFrame"><X>1</X><Y>2</Y><Z>3</Z><R00>1</R00><R01>0</R01><R02>0</R02><R10>0</R10>'
    "<R11>1</R11><R12>0</R12><R20>0</R20><R21>0</R21><R22>1</R22></CoordinateFrame>"
)
EMBEDDED_RBXMX = f"""<roblox version="4">
  <Item class="Part" referent="RBXA">
    <Properties>
      <string name="Name">Block</string>
      <bool name="Anchored">true</bool>
      {CFRAME_XML}
    </Properties>
  </Item>
</roblox>
"""

CONFIG_JSON = {"name": "fixture", "limits": {"max": 10, "ratio": 0.5}, "tags": ["a", "b"], "end": True}

PROJECT = {
    "name": "Fixture",
    "globIgnorePaths": ["**/*.spec.luau", "src/ignored/**"],
    "tree": {
        "$path": "src",
        "Extra": {"$className": "Configuration", "$ignoreUnknownInstances": False},
        "Nested": {"$path": "nested.project.json"},
        "Settings": {"$className": "Configuration", "$path": "settings_dir"},
        "Values": {
            "$className": "Folder",
            "Count": {"$className": "IntValue", "$properties": {"Value": 7}},
            "Fade": {"$className": "NumberValue", "$properties": {"Value": {"Float32": 0.25}}},
            "Flag": {"$className": "BoolValue", "$properties": {"Value": True}},
            "Label": {"$className": "StringValue", "$properties": {"Value": "hello"}},
            "Num": {"$className": "NumberValue", "$properties": {"Value": 2.5}},
            "Pos": {"$className": "Vector3Value", "$properties": {"Value": [1, 2, 3]}},
            "Runner": {"$path": "runner.server.luau", "$properties": {"RunContext": "Client"}},
            "Tint": {"$className": "Color3Value", "$properties": {"Value": {"Color3": [1, 0, 0.5]}}},
        },
    },
}

FILES: dict[str, str] = {
    "fixture.project.json": json.dumps(PROJECT, indent=2),
    "nested.project.json": json.dumps(
        {"name": "NestedName", "tree": {"$className": "Folder", "Inner": {"$path": "nested_src"}}}
    ),
    "nested_src/A.luau": "return 'a'\n",
    "settings_dir/s.txt": "setting text",
    "runner.server.luau": "print('runner')\n",
    "src/init.server.luau": "-- entry\r\nprint('hi')\r\n",
    "src/Client.client.luau": "print('client')\n",
    "src/Legacy.lua": "return 'legacy'\n",
    "src/Main.server.luau": "print('main')\n",
    "src/Main.meta.json": json.dumps({"properties": {"Disabled": True}}),
    "src/Util.luau": "return {}\n",
    "src/Util.spec.luau": "error('specs are ignored')\n",
    "src/assets/init.meta.json": json.dumps({"className": "Configuration", "properties": {"Note": "assets"}}),
    "src/assets/Embedded.rbxmx": EMBEDDED_RBXMX,
    "src/assets/Part.model.json": json.dumps(
        {
            "className": "Model",
            "children": [
                {"name": "Handle", "className": "Part", "properties": {"Size": [1, 2, 3], "Color": [1, 0, 0]}}
            ],
        }
    ),
    "src/clientdir/init.client.luau": "print('client dir')\n",
    "src/clientdir/part.luau": "return 1\n",
    "src/config.json": json.dumps(CONFIG_JSON),
    "src/ignored/x.luau": "return 'ignored'\n",
    "src/lib/init.luau": "return require(script.helper)\n",
    "src/lib/init.meta.json": json.dumps({"ignoreUnknownInstances": True}),
    "src/lib/helper.luau": "local s = 'a]]>b'\nreturn s\n",
    "src/notes.md": "# not an instance\n",
    "src/readme.txt": "Read me\nsecond line",
}


def write_files(root: Path, files: dict[str, str], order: list[str] | None = None) -> None:
    """Writes `files` under `root` (bytes as given, no newline translation), in `order` if given."""
    for rel in order or list(files):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(files[rel].encode("utf-8"))


@pytest.fixture
def fixture_project(tmp_path: Path) -> Path:
    """The fixture project's folder (with an empty `src/empty` folder too); the project file is inside."""
    root = tmp_path / "proj"
    write_files(root, FILES)
    (root / "src" / "empty").mkdir()
    return root / "fixture.project.json"


@pytest.fixture
def fixture_copy() -> Callable[[Path, int], Path]:
    """Writes the fixture project again under a folder, files created in a shuffled order; returns its file."""

    def write(root: Path, seed: int) -> Path:
        order = list(FILES)
        random.Random(seed).shuffle(order)
        write_files(root, FILES, order)
        (root / "src" / "empty").mkdir()
        return root / "fixture.project.json"

    return write
