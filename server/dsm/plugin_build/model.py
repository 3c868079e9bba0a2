"""The instance tree the builder produces and the reader returns, with the property value kinds we support."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


class BuildError(Exception):
    """A project, file or property the builder cannot turn into instances; the message names the file."""


@dataclass(frozen=True)
class Enum:
    """An enum item by number, written as `<token>` (e.g. RunContext.Legacy is `Enum(0)`)."""

    value: int


@dataclass(frozen=True)
class Vector2:
    x: float
    y: float


@dataclass(frozen=True)
class Vector3:
    x: float
    y: float
    z: float


@dataclass(frozen=True)
class Color3:
    r: float
    g: float
    b: float


@dataclass(frozen=True)
class Float32:
    """A single-precision number (`<float>`); a plain Python float is a double."""

    value: float


@dataclass(frozen=True)
class Int64:
    """A 64-bit integer (`<int64>`); a plain Python int is a 32-bit `<int>`."""

    value: int


@dataclass(frozen=True)
class RawXml:
    """A property kind we do not model, kept verbatim from an .rbxmx file so it survives a rebuild."""

    xml: str


# str -> string (ProtectedString for script Source), bool -> bool, int -> int, float -> double.
PropertyValue = str | bool | int | float | Enum | Vector2 | Vector3 | Color3 | Float32 | Int64 | RawXml

SCRIPT_CLASSES = frozenset({"Script", "LocalScript", "ModuleScript"})


@dataclass
class Instance:
    """One Roblox instance: class, name, properties (without Name) and ordered children."""

    class_name: str
    name: str
    properties: dict[str, PropertyValue] = field(default_factory=dict)
    children: list[Instance] = field(default_factory=list)
    # Rojo metadata: affects live sync only, never written to the model file.
    ignore_unknown_instances: bool = field(default=False, compare=False)

    def descendants(self) -> Iterator[Instance]:
        """Every instance below this one, depth first in child order."""
        for child in self.children:
            yield child
            yield from child.descendants()

    def find_first_child(self, name: str) -> Instance | None:
        return next((c for c in self.children if c.name == name), None)

    def count(self) -> int:
        """This instance plus all its descendants."""
        return 1 + sum(1 for _ in self.descendants())
