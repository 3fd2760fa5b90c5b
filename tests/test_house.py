"""The house stays as drawn (CONTRIBUTING.md, "The house"): imports run one way.

The package's own imports are read with :mod:`ast` (lazy imports inside functions
included, ``TYPE_CHECKING`` imports included): every module sits on one floor of
:data:`FLOORS`, and may import only modules of its own floor or a lower one. On top
of that: no import circle between modules, no private name (``_x``) imported from
another module, and no module over :data:`MAX_LINES` lines unless its docstring says
why it is kept as one (a paragraph starting "Kept as one module:").
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "pipeline"

#: Floors from the ground up; a module is on the floor of the longest prefix that
#: names it. Keep in step with the diagram in CONTRIBUTING.md.
FLOORS: list[tuple[str, tuple[str, ...]]] = [
    (
        "ground",
        (
            "pipeline",  # the package's own __init__
            "pipeline.schema",
            "pipeline.store",
            "pipeline.frames",
            "pipeline.config",
            "pipeline.textnorm",
            "pipeline.textsim",
            "pipeline.nlp",
            "pipeline.recnumbers",
            "pipeline.counting",
            "pipeline.status",
            "pipeline.rag",
            "pipeline.lock",
            "pipeline.runrecord",
            "pipeline.gold",
            "pipeline.metrics",
        ),
    ),
    ("readers", ("pipeline.extract",)),
    ("structure", ("pipeline.structure", "pipeline.speakers", "pipeline.documents")),
    ("stage: extract", ("pipeline.passages",)),
    ("stage: themes", ("pipeline.themes",)),
    ("stage: tracing", ("pipeline.tracing",)),
    ("stage: tables", ("pipeline.tables",)),
    ("stage: changes", ("pipeline.changes",)),
    ("report", ("pipeline.report", "pipeline.explore")),
    ("evaluate", ("pipeline.evaluate",)),
    ("runner", ("pipeline.run",)),
    ("cli", ("pipeline.cli",)),
]
MAX_LINES = 600


def module_name(path: Path) -> str:
    """``pipeline/tracing/link.py`` -> ``pipeline.tracing.link``; packages by their folder."""
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def floor_of(module: str) -> int:
    """Index in :data:`FLOORS` of the floor ``module`` sits on (``-1``: on none)."""
    best, found = -1, -1
    for i, (_, prefixes) in enumerate(FLOORS):
        for prefix in prefixes:
            named = module == prefix or (prefix != "pipeline" and module.startswith(prefix + "."))
            if named and len(prefix) > best:
                best, found = len(prefix), i
    return found


def _floor_name(module: str) -> str:
    return FLOORS[floor_of(module)][0]


def package_modules() -> dict[str, Path]:
    """Every module of the package by name."""
    return {module_name(p): p for p in sorted(PACKAGE.rglob("*.py"))}


def imports_of(path: Path, modules: dict[str, Path]) -> list[tuple[str, str, int]]:
    """``(imported module, imported name or "", line)`` for each import of a package module."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    out: list[tuple[str, str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out += [(a.name, "", node.lineno) for a in node.names if a.name in modules]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            if base not in modules:
                continue
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.append(
                    (sub, "", node.lineno) if sub in modules else (base, alias.name, node.lineno)
                )
    return out


def import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Module -> the package modules it imports (itself left out)."""
    return {
        name: {m for m, _, _ in imports_of(path, modules) if m != name}
        for name, path in modules.items()
    }


def test_every_module_is_on_a_floor() -> None:
    assert [m for m in package_modules() if floor_of(m) < 0] == []


def test_imports_only_go_down() -> None:
    modules = package_modules()
    upward = [
        f"{name}:{line} ({_floor_name(name)}) imports {target} ({_floor_name(target)})"
        for name, path in modules.items()
        for target, _, line in imports_of(path, modules)
        if floor_of(target) > floor_of(name)
    ]
    assert upward == []


def find_cycle(graph: dict[str, set[str]]) -> list[str]:
    """One import circle of ``graph`` as a path ``[a, b, ..., a]``, else ``[]``."""
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done
    path: list[str] = []

    def visit(node: str) -> list[str]:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (cycle := visit(nxt)):
                return cycle
        path.pop()
        state[node] = 2
        return []

    for start in sorted(graph):
        if start not in state and (cycle := visit(start)):
            return cycle
    return []


def test_no_import_circles() -> None:
    graph = import_graph(package_modules())
    # a package's __init__ importing its own modules is how a package exports its API
    for name in graph:
        graph[name] = {m for m in graph[name] if not m.startswith(name + ".")}
    assert find_cycle(graph) == []


@pytest.mark.parametrize(
    ("graph", "cycle"),
    [
        ({"a": {"b"}, "b": {"c"}, "c": set()}, []),
        ({"a": {"b"}, "b": {"c"}, "c": {"a"}}, ["a", "b", "c", "a"]),
        ({"a": {"a"}}, ["a", "a"]),
    ],
)
def test_find_cycle(graph: dict[str, set[str]], cycle: list[str]) -> None:
    assert find_cycle(graph) == cycle


def test_floor_of_takes_the_longest_prefix() -> None:
    assert FLOORS[floor_of("pipeline.tracing.link")][0] == "stage: tracing"
    assert FLOORS[floor_of("pipeline.extract.pdfium")][0] == "readers"
    assert FLOORS[floor_of("pipeline")][0] == "ground"
    assert floor_of("pipeline.nowhere") == -1


def test_no_private_name_is_imported_from_another_module() -> None:
    modules = package_modules()
    private = [
        f"{name}:{line} imports {target}.{imported}"
        for name, path in modules.items()
        for target, imported, line in imports_of(path, modules)
        if imported.startswith("_") and target != name
    ]
    assert private == []


def test_long_modules_say_why_they_are_one() -> None:
    long = []
    for name, path in package_modules().items():
        text = path.read_text(encoding="utf-8")
        if text.count("\n") > MAX_LINES:
            doc = ast.get_docstring(ast.parse(text)) or ""
            if "Kept as one module:" not in doc:
                long.append(f"{name}: {text.count(chr(10))} lines")
    assert long == []


def test_the_briefings_read_only_the_tables_public_api() -> None:
    """``report/`` and ``explore.py`` import ``pipeline.tables`` itself, never its modules."""
    modules = package_modules()
    inside = [
        f"{name}:{line} imports {target}"
        for name, path in modules.items()
        if name.startswith("pipeline.report") or name == "pipeline.explore"
        for target, _, line in imports_of(path, modules)
        if target.startswith("pipeline.tables.")
    ]
    assert inside == []
