"""Writes and reads Roblox XML models (.rbxmx) in the layout rbx_xml, Rojo's serializer, produces.

`<roblox version="4">`, one `<Item class referent>` per instance with `Name` first and the other
properties sorted by name, script `Source` as `ProtectedString` in CDATA. Referents count up in
document order, so the same tree always gives the same bytes.
"""

from __future__ import annotations

import itertools
import math
import os
import re
import tempfile
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

from dsm.plugin_build.model import (
    SCRIPT_CLASSES,
    BuildError,
    Color3,
    Enum,
    Float32,
    Instance,
    Int64,
    PropertyValue,
    RawXml,
    Vector2,
    Vector3,
)

_INDENT = "  "
# Characters XML 1.0 cannot carry at all, even in CDATA.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def to_rbxmx(roots: list[Instance]) -> bytes:
    """The .rbxmx document for these top-level instances, UTF-8 encoded."""
    lines = ['<roblox version="4">']
    counter = itertools.count()
    for root in roots:
        _item(root, 1, lines, counter)
    lines.append("</roblox>")
    return ("\n".join(lines) + "\n").encode("utf-8")


def write_rbxmx(root: Instance, path: Path) -> int:
    """Writes `root` to `path` atomically (a reader never sees half a file); returns the byte size."""
    data = to_rbxmx([root])
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; a model file is an ordinary readable file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(data)


def _item(inst: Instance, depth: int, lines: list[str], counter: Iterator[int]) -> None:
    pad = _INDENT * depth
    referent = f"RBX{next(counter):032X}"
    lines.append(f'{pad}<Item class="{_attr(inst.class_name)}" referent="{referent}">')
    lines.append(f"{pad}{_INDENT}<Properties>")
    lines.append(_property("Name", inst.name, pad + _INDENT * 2, inst))
    for name in sorted(inst.properties):
        lines.append(_property(name, inst.properties[name], pad + _INDENT * 2, inst))
    lines.append(f"{pad}{_INDENT}</Properties>")
    for child in inst.children:
        _item(child, depth + 1, lines, counter)
    lines.append(f"{pad}</Item>")


def _property(name: str, value: PropertyValue, pad: str, inst: Instance) -> str:
    attr = f'name="{_attr(name)}"'
    match value:
        case RawXml(xml=xml):
            return pad + xml
        case str() if name == "Source" and inst.class_name in SCRIPT_CLASSES:
            _check_text(value, inst, name)
            return f"{pad}<ProtectedString {attr}>{_cdata(value)}</ProtectedString>"
        case str():
            _check_text(value, inst, name)
            return f"{pad}<string {attr}>{_text(value)}</string>"
        case bool():
            return f"{pad}<bool {attr}>{'true' if value else 'false'}</bool>"
        case int():
            return f"{pad}<int {attr}>{value}</int>"
        case float():
            return f"{pad}<double {attr}>{_num(value)}</double>"
        case Int64(value=v):
            return f"{pad}<int64 {attr}>{v}</int64>"
        case Float32(value=v):
            return f"{pad}<float {attr}>{_num(v)}</float>"
        case Enum(value=v):
            return f"{pad}<token {attr}>{v}</token>"
        case Vector2(x=x, y=y):
            return f"{pad}<Vector2 {attr}><X>{_num(x)}</X><Y>{_num(y)}</Y></Vector2>"
        case Vector3(x=x, y=y, z=z):
            return f"{pad}<Vector3 {attr}><X>{_num(x)}</X><Y>{_num(y)}</Y><Z>{_num(z)}</Z></Vector3>"
        case Color3(r=r, g=g, b=b):
            return f"{pad}<Color3 {attr}><R>{_num(r)}</R><G>{_num(g)}</G><B>{_num(b)}</B></Color3>"
    raise BuildError(f"{inst.class_name} {inst.name!r}: property {name} has unsupported value {value!r}")


def _cdata(text: str) -> str:
    # `]]>` would end the section early, and XML parsers turn a raw `\r` into `\n`: split around both.
    out = ["<![CDATA["]
    for part in re.split(r"(\]\]>|\r)", text):
        if part == "]]>":
            out.append("]]]]><![CDATA[>")
        elif part == "\r":
            out.append("]]>&#13;<![CDATA[")
        else:
            out.append(part)
    out.append("]]>")
    return "".join(out)


def _text(text: str) -> str:
    return escape(text, {"\r": "&#13;"})


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;", "\r": "&#13;", "\n": "&#10;", "\t": "&#9;"})


def _num(value: float) -> str:
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    return str(int(value)) if value.is_integer() and abs(value) < 1e16 else repr(value)


def _check_text(text: str, inst: Instance, name: str) -> None:
    bad = _ILLEGAL_XML.search(text)
    if bad:
        raise BuildError(
            f"{inst.class_name} {inst.name!r}: {name} contains character U+{ord(bad.group()):04X}, "
            "which an XML model file cannot hold"
        )


# ---- reading -------------------------------------------------------------------------------------


def read_rbxmx(path: Path) -> Instance:
    """The single top-level instance of an .rbxmx file (a plugin file has exactly one)."""
    roots = parse_rbxmx(path.read_bytes(), str(path))
    if len(roots) != 1:
        raise BuildError(f"{path}: expected one top-level instance, found {len(roots)}")
    return roots[0]


def parse_rbxmx(data: bytes, where: str = "<rbxmx>") -> list[Instance]:
    """All top-level instances of an .rbxmx document."""
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise BuildError(f"{where}: not a valid XML model: {exc}") from None
    if root.tag != "roblox":
        raise BuildError(f"{where}: root element is <{root.tag}>, expected <roblox>")
    return [_read_item(item, where) for item in root.findall("Item")]


def _read_item(elem: ET.Element, where: str) -> Instance:
    class_name = elem.get("class")
    if not class_name:
        raise BuildError(f"{where}: an <Item> has no class attribute")
    inst = Instance(class_name=class_name, name=class_name)
    props = elem.find("Properties")
    for prop in props if props is not None else ():
        name = prop.get("name")
        if name is None:
            continue
        if name == "Name" and prop.tag == "string":
            inst.name = prop.text or ""
        else:
            inst.properties[name] = _read_value(prop)
    inst.children = [_read_item(child, where) for child in elem.findall("Item")]
    return inst


def _read_value(prop: ET.Element) -> PropertyValue:
    text = prop.text or ""
    match prop.tag:
        case "string" | "ProtectedString":
            return text
        case "bool":
            return text.strip() == "true"
        case "int":
            return int(text)
        case "int64":
            return Int64(int(text))
        case "double":
            return float(text)
        case "float":
            return Float32(float(text))
        case "token":
            return Enum(int(text))
        case "Vector2":
            return Vector2(*_floats(prop, "XY"))
        case "Vector3":
            return Vector3(*_floats(prop, "XYZ"))
        case "Color3" if prop.find("R") is not None:
            return Color3(*_floats(prop, "RGB"))
    return RawXml(ET.tostring(prop, encoding="unicode").strip())


def _floats(prop: ET.Element, axes: str) -> list[float]:
    return [float(prop.findtext(axis) or "0") for axis in axes]
