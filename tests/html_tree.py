"""A page parsed into a tree, so tests read what a browser would show: elements, classes and their text."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = frozenset(("meta", "br", "img", "input", "link", "hr", "col", "area", "base", "source", "wbr"))


@dataclass
class Node:
    tag: str
    attrs: dict[str, str] = field(default_factory=dict)
    children: list[Node | str] = field(default_factory=list)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        """The node's visible text, whitespace collapsed (tooltips in <title> left out)."""
        parts = []
        for child in self.children:
            if isinstance(child, str):
                parts.append(child)
            elif child.tag not in ("title", "style", "script"):
                parts.append(child.text())
        return " ".join(" ".join(parts).split())

    def iter(self) -> Iterator[Node]:
        yield self
        for child in self.children:
            if isinstance(child, Node):
                yield from child.iter()

    def find_all(self, tag: str, cls: str | None = None) -> list[Node]:
        return [n for n in self.iter() if n.tag == tag and (cls is None or cls in n.classes)]

    def find(self, tag: str, cls: str | None = None) -> Node:
        found = self.find_all(tag, cls)
        if not found:
            raise LookupError(f"no <{tag} class={cls}>")
        return found[0]


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#document")
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        for i in range(len(self.stack) - 1, 0, -1):
            if self.stack[i].tag == tag:
                del self.stack[i:]
                return

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(page: str) -> Node:
    builder = _Builder()
    builder.feed(page)
    builder.close()
    return builder.root


def table_rows(table: Node) -> list[list[Node]]:
    """Each <tr> of a table as its cells (<th> and <td>)."""
    return [[c for c in row.children if isinstance(c, Node) and c.tag in ("td", "th")] for row in table.find_all("tr")]


def sections(page: Node) -> dict[str, tuple[Node, Node]]:
    """Report sections by id: (the <h2> heading, the <section> after it)."""
    body = page.find("body")
    nodes = [c for c in body.children if isinstance(c, Node)]
    out = {}
    for heading, content in itertools.pairwise(nodes):
        if heading.tag == "h2" and content.tag == "section" and "id" in heading.attrs:
            out[heading.attrs["id"]] = (heading, content)
    return out
