"""The GUI tree read out of the VM (`guiTree` in luau/inspect.luau) as typed Python values."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from typing import Any

from .. import surface


@dataclass(frozen=True)
class Color:
    r: float  # 0..1, as Color3
    g: float
    b: float

    def css(self, transparency: float = 0.0) -> str:
        alpha = max(0.0, min(1.0, 1.0 - transparency))
        return f"rgba({round(self.r * 255)},{round(self.g * 255)},{round(self.b * 255)},{alpha:.3g})"

    @property
    def rgb(self) -> tuple[int, int, int]:
        return round(self.r * 255), round(self.g * 255), round(self.b * 255)


@dataclass(frozen=True)
class UDim:
    scale: float
    offset: float

    def resolve(self, length: float) -> float:
        return self.scale * length + self.offset


@dataclass(frozen=True)
class UDim2:
    x: UDim
    y: UDim


@dataclass(frozen=True)
class Vec2:
    x: float
    y: float


@dataclass(frozen=True)
class FontFace:
    family: str  # rbxasset://fonts/families/<Name>.json
    weight: int  # Enum.FontWeight value (400 Regular, 700 Bold, ...)
    italic: bool

    @property
    def family_name(self) -> str:
        return self.family.rsplit("/", 1)[-1].removesuffix(".json")


def _value(raw: Any) -> Any:
    if not isinstance(raw, dict) or "t" not in raw:
        return raw
    kind = raw["t"]
    if kind == "Color3":
        return Color(raw["r"], raw["g"], raw["b"])
    if kind == "UDim2":
        return UDim2(UDim(raw["xs"], raw["xo"]), UDim(raw["ys"], raw["yo"]))
    if kind == "UDim":
        return UDim(raw["s"], raw["o"])
    if kind == "Vector2":
        return Vec2(raw["x"], raw["y"])
    if kind == "Enum":
        return str(raw["name"])
    if kind == "Font":
        return FontFace(str(raw["family"]), int(raw["weight"]), raw["style"] == "Italic")
    raise ValueError(f"unknown value kind {kind!r}")


@cache
def _ancestry(class_name: str) -> frozenset[str]:
    names = []
    current: str | None = class_name
    while current is not None:
        names.append(current)
        current = surface.CLASSES[current].superclass
    return frozenset(names)


@dataclass
class GuiNode:
    """One instance: its class, name, properties (Roblox values as the types above; enums as item names)."""

    id: int
    class_name: str
    name: str
    props: dict[str, Any]
    children: list[GuiNode] = field(default_factory=list)
    index: int = 0  # position among its parent's children (tie-breaker for LayoutOrder and ZIndex)

    def is_a(self, class_name: str) -> bool:
        return class_name in _ancestry(self.class_name)

    def __getitem__(self, prop: str) -> Any:
        return self.props[prop]

    def get(self, prop: str, default: Any = None) -> Any:
        return self.props.get(prop, default)

    def child_of_class(self, class_name: str) -> GuiNode | None:
        """The first child of that class (Roblox uses the first UIListLayout, UIPadding, ... it finds)."""
        return next((c for c in self.children if c.class_name == class_name), None)

    def gui_children(self) -> list[GuiNode]:
        return [c for c in self.children if c.is_a("GuiObject")]

    def find(self, name: str) -> GuiNode | None:
        """The first descendant (or self) with that Name, depth first."""
        if self.name == name:
            return self
        for child in self.children:
            found = child.find(name)
            if found is not None:
                return found
        return None


def from_lua(raw: dict[str, Any], index: int = 0) -> GuiNode:
    """A GuiNode from `guiTree`'s table (as `lua_to_py` converted it)."""
    children_raw = raw.get("children") or []  # an empty Luau table converts to {}
    props = {str(k): _value(v) for k, v in (raw.get("props") or {}).items()}
    node = GuiNode(int(raw["id"]), str(raw["class"]), str(raw["name"]), props, index=index)
    node.children = [from_lua(c, i) for i, c in enumerate(children_raw)]
    return node
