"""The .rbxmx writer: Rojo's layout, byte-identical rebuilds, and a reader that gives the same tree back."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from dsm.plugin_build import BuildError, read_rbxmx, to_rbxmx, write_rbxmx
from dsm.plugin_build.model import Color3, Enum, Float32, Instance, Int64, Vector2, Vector3
from dsm.plugin_build.tree import build_tree


def test_small_tree_is_written_in_rbx_xml_layout() -> None:
    tree = Instance(
        "Script",
        "Root",
        {"Source": "print(1)\n", "RunContext": Enum(0)},
        [Instance("StringValue", "Text", {"Value": "a < b & c"})],
    )
    assert to_rbxmx([tree]).decode() == (
        '<roblox version="4">\n'
        '  <Item class="Script" referent="RBX00000000000000000000000000000000">\n'
        "    <Properties>\n"
        '      <string name="Name">Root</string>\n'
        '      <token name="RunContext">0</token>\n'
        '      <ProtectedString name="Source"><![CDATA[print(1)\n]]></ProtectedString>\n'
        "    </Properties>\n"
        '    <Item class="StringValue" referent="RBX00000000000000000000000000000001">\n'
        "      <Properties>\n"
        '        <string name="Name">Text</string>\n'
        '        <string name="Value">a &lt; b &amp; c</string>\n'
        "      </Properties>\n"
        "    </Item>\n"
        "  </Item>\n"
        "</roblox>\n"
    )


def test_fixture_build_parses_with_elementtree_and_reads_back_equal(fixture_project: Path, tmp_path: Path) -> None:
    result = build_tree(fixture_project)
    out = tmp_path / "out.rbxmx"
    write_rbxmx(result.root, out)
    doc = ET.parse(out).getroot()
    assert doc.tag == "roblox" and doc.get("version") == "4"
    items = doc.iter("Item")
    referents = [item.get("referent") for item in items]
    assert len(referents) == result.root.count() == len(set(referents))
    assert all(r and r.startswith("RBX") for r in referents)
    assert read_rbxmx(out) == result.root


def test_rebuilding_gives_byte_identical_files(fixture_project: Path, tmp_path: Path) -> None:
    first, second = tmp_path / "a.rbxmx", tmp_path / "b.rbxmx"
    write_rbxmx(build_tree(fixture_project).root, first)
    write_rbxmx(build_tree(fixture_project).root, second)
    assert first.read_bytes() == second.read_bytes()


def test_output_does_not_depend_on_file_creation_order(
    fixture_project: Path, fixture_copy: Callable[[Path, int], Path], tmp_path: Path
) -> None:
    other = fixture_copy(tmp_path / "again" / "proj", 7)
    a = to_rbxmx([build_tree(fixture_project).root])
    b = to_rbxmx([build_tree(other).root])
    assert a == b


@pytest.mark.parametrize(
    "source",
    ["a]]>b", "]]>", "x]]]]>y", "ends with ]]", "]]>]]>\n", "carriage\rreturn", "crlf kept\r\nif set by hand"],
)
def test_script_source_survives_a_round_trip(source: str, tmp_path: Path) -> None:
    tree = Instance("ModuleScript", "M", {"Source": source})
    path = tmp_path / "m.rbxmx"
    write_rbxmx(tree, path)
    ET.parse(path)
    assert read_rbxmx(path).properties["Source"] == source


def test_cdata_is_split_around_the_terminator() -> None:
    text = to_rbxmx([Instance("ModuleScript", "M", {"Source": "a]]>b"})]).decode()
    assert "<![CDATA[a]]]]><![CDATA[>b]]>" in text


def test_every_supported_value_kind_round_trips(tmp_path: Path) -> None:
    props = {
        "S": "text\r\nwith <tags> & \"quotes\"\tand 'ticks'",
        "B": False,
        "I": -42,
        "D": 0.1,
        "F": Float32(1.5),
        "L": Int64(2**40),
        "E": Enum(3),
        "V2": Vector2(1.5, -2),
        "V3": Vector3(0, 1e-7, 123456.789),
        "C": Color3(1, 0.5, 0),
    }
    path = tmp_path / "v.rbxmx"
    write_rbxmx(Instance("Folder", 'Odd "name" <&>', props), path)
    back = read_rbxmx(path)
    assert back == Instance("Folder", 'Odd "name" <&>', props)


def test_unknown_property_kinds_from_an_rbxmx_are_kept_verbatim(fixture_project: Path, tmp_path: Path) -> None:
    path = tmp_path / "out.rbxmx"
    write_rbxmx(build_tree(fixture_project).root, path)
    text = path.read_text(encoding="utf-8")
    assert '<CoordinateFrame name="CFrame"><X>1</X><Y>2</Y><Z>3</Z>' in text


def test_characters_xml_cannot_hold_are_a_clear_error() -> None:
    with pytest.raises(BuildError, match=r"ModuleScript 'Bad': Source contains character U\+0001"):
        to_rbxmx([Instance("ModuleScript", "Bad", {"Source": "a\x01b"})])


def test_reader_rejects_files_that_are_not_models(tmp_path: Path) -> None:
    bad = tmp_path / "bad.rbxmx"
    bad.write_text("<notroblox/>")
    with pytest.raises(BuildError, match="expected <roblox>"):
        read_rbxmx(bad)
    bad.write_text("<roblox><Item")
    with pytest.raises(BuildError, match="not a valid XML model"):
        read_rbxmx(bad)
    bad.write_text('<roblox version="4"></roblox>')
    with pytest.raises(BuildError, match="expected one top-level instance, found 0"):
        read_rbxmx(bad)
