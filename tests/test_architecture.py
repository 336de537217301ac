"""The layer order of docs/architecture.md, checked on the imports themselves.

Every ``import`` in ``server/``, ``client/`` and ``shared/`` is read with ``ast`` (those
inside functions too: a lazy import is still a dependency), so a new module that reaches
the wrong way fails here with the line to fix, not in a code review.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SIDES = ("server", "client", "shared")
QT = ("PySide6", "shiboken6", "PyQt5", "PyQt6")

# The server's layers, bottom to top (docs/architecture.md draws them): a module may import
# its own layer and the ones below, never one above. A module belongs to the longest prefix
# that names it; a new package has to be placed here before its first import is allowed.
SERVER_LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "foundation",
        (
            "server",  # the package's own __init__
            "server.config",
            "server.db",
            "server.errors",
            "server.integrity",
            "server.sqlutil",
            "server.money",
            "server.edge",
            "server.patch",
            "server.paging",
            "server.openapi",
            "server.ops",
            "server.migrations",  # upgrade / revision helpers; the scripts are on top
        ),
    ),
    ("audit", ("server.audit",)),
    # deps.py is the request layer: it authenticates the caller against identity, and every
    # router (identity's own included) depends on it.
    ("identity", ("server.identity", "server.deps")),
    ("warehouse", ("server.warehouse",)),
    ("invoicing", ("server.invoicing",)),
    ("payments", ("server.payments",)),
    ("exports", ("server.exports",)),
    ("console", ("server.console",)),  # the browser console: pages over every domain
    (
        "composition",
        (
            "server.app",
            "server.cli",
            "server.demo",
            "server.models",
            # Loaded by Alembic from their files, never imported by the app.
            "server.migrations.env",
            "server.migrations.versions",
        ),
    ),
]
RANK = {prefix: rank for rank, (_, prefixes) in enumerate(SERVER_LAYERS) for prefix in prefixes}
LAYER_NAME = {rank: name for rank, (name, _) in enumerate(SERVER_LAYERS)}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path, module: str) -> list[tuple[str, int]]:
    """(imported module, line) for every import in the file, relative ones resolved."""
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: list[tuple[str, int]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found += [(alias.name, node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package[: len(package) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((base, node.lineno))
            # ``from server.exports import service`` imports server.exports.service.
            found += [(f"{base}.{alias.name}", node.lineno) for alias in node.names]
    return found


def _collect() -> dict[str, tuple[Path, list[tuple[str, int]]]]:
    modules = {}
    for side in SIDES:
        for path in sorted((ROOT / side).rglob("*.py")):
            module = _module_name(path)
            modules[module] = (path, _imports(path, module))
    return modules


MODULES = _collect()


def _resolve(name: str) -> str | None:
    """The module of ours an imported name refers to (``from a import b``: b may be a name)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _edges() -> list[tuple[str, str, int]]:
    """(importer, imported, line), each once, between modules of this repository."""
    return sorted(
        {
            (module, target, line)
            for module, (_, imports) in MODULES.items()
            for name, line in imports
            if (target := _resolve(name)) is not None and target != module
        }
    )


EDGES = _edges()


def _where(module: str, line: int) -> str:
    return f"{MODULES[module][0].relative_to(ROOT)}:{line}"


def _prefix(module: str, prefixes) -> str | None:
    matches = [p for p in prefixes if module == p or module.startswith(p + ".")]
    return max(matches, key=len) if matches else None


def _rank(module: str) -> int:
    prefix = _prefix(module, RANK)
    if prefix is None:
        raise AssertionError(
            f"{module} is in no layer: place it in SERVER_LAYERS and docs/architecture.md"
        )
    return RANK[prefix]


def test_the_modules_are_found():
    # The checks below pass vacuously on an empty walk: make sure they see the code.
    assert {"server.app", "client.app", "shared.protocol", "server.exports.ubl.rules"} <= set(
        MODULES
    )
    pairs = {(a, b) for a, b, _ in EDGES}
    assert ("server.app", "server.warehouse.crew_routes") in pairs
    assert ("server.cli", "server.payments.recheck") in pairs  # imported inside a function


@pytest.mark.parametrize(
    ("side", "forbidden"),
    [
        ("shared", ("server", "client", *QT)),  # both sides import shared; it imports neither
        ("client", ("server",)),  # the kiosk talks to the server over HTTP only
        ("server", ("client", *QT)),  # the server runs headless
    ],
)
def test_each_side_imports_only_what_it_may(side, forbidden):
    wrong = [
        f"{_where(module, line)} imports {name}"
        for module, (_, imports) in MODULES.items()
        if module.split(".")[0] == side
        for name, line in imports
        if name.split(".")[0] in forbidden
    ]
    assert not wrong, "\n".join(wrong)


def test_every_server_module_has_a_layer():
    for module in MODULES:
        if module.split(".")[0] == "server":
            _rank(module)


def test_server_imports_go_down_the_layers():
    upward = [
        f"{_where(a, line)}: {a} ({LAYER_NAME[_rank(a)]}) imports {b} ({LAYER_NAME[_rank(b)]})"
        for a, b, line in EDGES
        if a.startswith("server") and b.startswith("server") and _rank(b) > _rank(a)
    ]
    assert not upward, "imports against the layer order:\n" + "\n".join(upward)


def _package(module: str) -> str | None:
    """The server package a module is part of (migration scripts apart: see SERVER_LAYERS)."""
    parts = module.split(".")
    if parts[0] != "server" or len(parts) < 2 or not (ROOT / "server" / parts[1]).is_dir():
        return None
    if _prefix(module, ("server.migrations.env", "server.migrations.versions")):
        return "server.migrations (scripts)"
    return f"server.{parts[1]}"


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one node (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


def test_find_cycles_finds_them():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": {"e"}}
    assert find_cycles(graph) == [["a", "b", "c"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycle_between_server_packages():
    graph: dict[str, set[str]] = defaultdict(set)
    why: dict[tuple[str, str], str] = {}
    for a, b, line in EDGES:
        pa, pb = _package(a), _package(b)
        if pa and pb and pa != pb:
            graph[pa].add(pb)
            why.setdefault((pa, pb), f"{_where(a, line)} imports {b}")
    cycles = find_cycles(graph)
    report = [
        " / ".join(cycle)
        + "".join(f"\n    {why[(x, y)]}" for x in cycle for y in cycle if (x, y) in why)
        for cycle in cycles
    ]
    assert not cycles, "import cycles between server packages:\n" + "\n".join(report)
