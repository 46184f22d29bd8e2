"""The house rules of layout.md, checked on the source: imports only downhill, small rooms,
every folder says what it is for.

The order below is the one of ``layout.md``: a module may import modules of its own room and of
rooms further down the list, never one further up, and never the package's face
(``outcomes/__init__.py``). A result's ``plot()`` may import :mod:`outcomes.plots` inside the
method; no other import may run uphill, not even inside a function.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "src" / "outcomes"

#: Rooms from the bottom of the house to the top.
ORDER = [
    ("errors", "_version", "_docs"),
    ("validators",),
    ("bundle",),
    ("datasets",),
    ("courses",),
    ("simulate",),
    ("stats",),
    ("claims",),
    ("audit",),
    ("analysis",),
    ("engine",),
    ("output",),
    ("plots",),
    ("report",),
    ("app", "cli"),
]
LEVEL = {room: i for i, rooms in enumerate(ORDER) for room in rooms}
MAX_CODE_LINES = 600


def _modules():
    for path in sorted(PKG.rglob("*.py")):
        parts = path.relative_to(PKG).with_suffix("").parts
        if parts == ("__init__",):
            continue
        yield path, parts


def _room(parts: tuple[str, ...]) -> str:
    return parts[0]


def _imports(path: Path, parts: tuple[str, ...]):
    """(target dotted name relative to outcomes, line, inside a function) for every import."""
    tree = ast.parse(path.read_text("utf-8"))
    package = list(parts[:-1]) if parts[-1] != "__init__" else list(parts[:-1])
    if parts[-1] == "__init__":
        package = list(parts[:-1])
    functions = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef | ast.AsyncFunctionDef)]
    inner = {id(c) for f in functions for c in ast.walk(f)}
    for node in ast.walk(tree):
        nested = id(node) in inner
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - (node.level - 1)] if node.level > 1 else package
                mod = [*base, *(node.module.split(".") if node.module else [])]
                targets = [mod] if node.module else [[*mod, a.name] for a in node.names]
            elif node.module and node.module.split(".")[0] == "outcomes":
                targets = [node.module.split(".")[1:]]
            else:
                continue
            for t in targets:
                yield t, node.lineno, nested
        elif isinstance(node, ast.Import):
            for a in node.names:
                if a.name.split(".")[0] == "outcomes":
                    yield a.name.split(".")[1:], node.lineno, nested


def test_every_room_is_in_the_order():
    rooms = {_room(parts) for _, parts in _modules()}
    assert rooms <= set(LEVEL), sorted(rooms - set(LEVEL))


def test_imports_run_only_downhill():
    uphill = []
    for path, parts in _modules():
        here = _room(parts)
        for target, line, nested in _imports(path, parts):
            where = f"{path.relative_to(PKG)}:{line} imports outcomes.{'.'.join(target)}"
            if not target:
                uphill.append(f"{where} (the package's face)")
                continue
            there = target[0]
            if there == here:
                continue
            if nested and there == "plots":
                continue
            if there not in LEVEL:
                uphill.append(f"{where} (a room not in layout.md)")
            elif LEVEL[there] >= LEVEL[here]:
                uphill.append(where)
    assert not uphill, "\n".join(uphill)


def test_no_import_circles_inside_a_room():
    graph: dict[str, set[str]] = {}
    for path, parts in _modules():
        name = ".".join(parts)
        graph.setdefault(name, set())
        for target, _, nested in _imports(path, parts):
            if not nested and target and target[0] == parts[0]:
                graph[name].add(".".join(target))
    state: dict[str, int] = {}

    def visit(node, stack):
        if state.get(node) == 1:
            raise AssertionError("import circle: " + " -> ".join([*stack, node]))
        if state.get(node) == 2:
            return
        state[node] = 1
        for nxt in graph.get(node, ()):
            if nxt in graph:
                visit(nxt, [*stack, node])
        state[node] = 2

    for node in graph:
        visit(node, [])


def code_lines(path: Path) -> int:
    """Lines of code: not blank, not a comment, not inside a docstring."""
    text = path.read_text("utf-8")
    tree = ast.parse(text)
    doc = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                doc.update(range(body[0].lineno, body[0].end_lineno + 1))
    return sum(1 for i, line in enumerate(text.splitlines(), 1)
               if i not in doc and line.strip() and not line.strip().startswith("#"))


@pytest.mark.parametrize("path", [p for p, _ in _modules()], ids=lambda p: str(p.relative_to(PKG)))
def test_rooms_are_small(path):
    assert code_lines(path) <= MAX_CODE_LINES


def test_every_folder_says_what_it_is_for():
    for folder in sorted(p for p in PKG.iterdir() if p.is_dir() and (p / "__init__.py").exists()):
        tree = ast.parse((folder / "__init__.py").read_text("utf-8"))
        doc = ast.get_docstring(tree)
        assert doc and len(doc.split()) >= 8, f"{folder.name}/__init__.py has no docstring"
