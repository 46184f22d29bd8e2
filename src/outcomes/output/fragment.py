"""HTML fragments of a page read back as a small tree, for the PDF and the Word document.

A page's ``raw`` blocks (:meth:`outcomes.output.html.Page.raw_html`) hold HTML the package
generated: lists of claims with verdict badges, footnote marks, emphasis. :func:`parse` reads
such a fragment into :class:`Node` objects so that the PDF and the Word document can show its
structure (items, badges, superscripts) rather than one run of plain text. A fragment holding
anything else (an image, a table, a drawing: ``role="img"``) is not read; the renderers then
fall back to the block's plain text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

__all__ = ["Node", "parse", "BLOCK_TAGS", "INLINE_TAGS", "badge_code"]

#: Tags laid out as blocks (paragraphs, lists, list items).
BLOCK_TAGS = frozenset({"p", "div", "ol", "ul", "li", "section", "aside", "blockquote", "dl",
                        "dt", "dd", "h3", "h4", "h5", "h6"})
#: Tags laid out inline.
INLINE_TAGS = frozenset({"span", "strong", "b", "em", "i", "a", "sup", "sub", "small", "code",
                         "abbr", "br", "cite", "q", "mark"})
_VOID = frozenset({"br", "img", "hr", "wbr", "input", "meta", "link", "source"})
_BADGE = re.compile(r"\bbadge-([a-z_]+)\b")


@dataclass
class Node:
    """An element (``tag``, ``attrs``, ``children``) or a text (``tag`` "", ``text``)."""

    tag: str
    attrs: dict = field(default_factory=dict)
    children: list[Node] = field(default_factory=list)
    text: str = ""

    def plain(self) -> str:
        """All the text inside, whitespace collapsed."""
        if not self.tag:
            return self.text
        return re.sub(r"\s+", " ", "".join(c.plain() for c in self.children))


def badge_code(node: Node) -> str | None:
    """The verdict of a badge element (``class="badge badge-supported"``), else None.

    Examples
    --------
    >>> badge_code(parse('<span class="badge badge-supported">Supported</span>')[0])
    'supported'
    """
    if node.tag != "span":
        return None
    found = _BADGE.search(node.attrs.get("class") or "")
    return found.group(1) if found else None


class _Reader(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Node("root")
        self.stack = [self.root]
        self.readable = True

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag not in BLOCK_TAGS | INLINE_TAGS or attrs.get("role") == "img":
            self.readable = False
        node = Node(tag, attrs)
        self.stack[-1].children.append(node)
        if tag not in _VOID:
            self.stack.append(node)

    def handle_endtag(self, tag):
        for k in range(len(self.stack) - 1, 0, -1):
            if self.stack[k].tag == tag:
                del self.stack[k:]
                return

    def handle_data(self, data):
        self.stack[-1].children.append(Node("", text=data))


def parse(fragment: str) -> list[Node] | None:
    """The top-level nodes of ``fragment``, or None when it holds what the tree cannot show.

    Examples
    --------
    >>> [n.tag for n in parse("<ol><li>a <sup>1</sup></li></ol><p>b</p>")]
    ['ol', 'p']
    >>> parse('<div role="img" aria-label="x"><span>y</span></div>') is None
    True
    """
    reader = _Reader()
    reader.feed(str(fragment))
    reader.close()
    return reader.root.children if reader.readable else None
