"""The import graph of the fleetsim package: modules, edges, edges pointing up, cycles.

Run: ``python benchmarks/importgraph.py`` (``--edges`` lists every edge). ``tests/test_architecture.py``
uses the same functions to hold the layering (see docs/architecture.md).

Every ``import`` and ``from ... import`` statement of every module under ``fleetsim/`` is read with
:mod:`ast`, those inside functions too (a lazy import is still a dependency); imports under
``if TYPE_CHECKING:`` are left out (they never run). ``from fleetsim.a import b`` is an edge to
``fleetsim.a.b`` when that is a module, else to ``fleetsim.a``.

Layers, from the bottom: ``core`` (everything not below), ``faces`` (``fleetsim.faces``: what
shows a result to a person) and ``commands`` (``fleetsim.cli``, ``fleetsim.__main__`` and the
``python -m fleetsim.docgen`` entry point). An edge from a lower layer to a higher one points up.
"""

from __future__ import annotations

import argparse
import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "fleetsim"

FACES = ("fleetsim.faces",)
LEGACY_FACES = ("fleetsim.display", "fleetsim.report", "fleetsim.plots", "fleetsim.scoring.charts",
                "fleetsim.calibration_charts")
"""Where the faces lived before issue 14 (so that the script also measures older commits)."""
COMMANDS = ("fleetsim.cli", "fleetsim.__main__", "fleetsim.docgen")
LAYERS = {"core": 0, "faces": 1, "commands": 2}


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    """Dotted module name → file, for every module of the package."""
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree: ast.AST):
    """Every import node of ``tree`` outside ``if TYPE_CHECKING:`` blocks, with whether it is
    lazy (inside a function)."""
    def visit(node: ast.AST, lazy: bool):
        if isinstance(node, ast.If) and _is_type_checking(node):
            for statement in node.orelse:
                yield from visit(statement, lazy)
            return
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node, lazy
        inner = lazy or isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        for child in ast.iter_child_nodes(node):
            yield from visit(child, inner)

    yield from visit(tree, False)


def _targets(node: ast.Import | ast.ImportFrom, name: str, known: dict[str, Path]) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        package = name if known[name].name == "__init__.py" else name.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}".rstrip(".")
    return [f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base for alias in node.names]


def graph(package: Path = PACKAGE) -> dict[tuple[str, str], bool]:
    """(importer, imported) → True when every such import is lazy (inside functions)."""
    known = modules(package)
    edges: dict[tuple[str, str], bool] = {}
    for name, path in known.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node, lazy in _imports(tree):
            for target in _targets(node, name, known):
                while target and target not in known and "." in target:
                    target = target.rpartition(".")[0]
                if target in known and target != name and target.split(".")[0] == "fleetsim":
                    edges[(name, target)] = edges.get((name, target), True) and lazy
    return edges


def layer(module: str) -> str:
    def under(prefixes):
        return any(module == p or module.startswith(p + ".") for p in prefixes)

    if under(COMMANDS):
        return "commands"
    if under(FACES) or under(LEGACY_FACES):
        return "faces"
    return "core"


def upward(edges) -> list[tuple[str, str]]:
    """Edges from a lower layer to a higher one."""
    return sorted(e for e in edges if LAYERS[layer(e[0])] < LAYERS[layer(e[1])])


def cycles(edges) -> list[list[str]]:
    """The import cycles: strongly connected groups of more than one module (Tarjan), sorted."""
    successors: dict[str, list[str]] = {}
    for a, b in edges:
        successors.setdefault(a, []).append(b)
        successors.setdefault(b, [])
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in successors[v]:
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(successors):
        if v not in index:
            connect(v)
    return sorted(found)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--edges", action="store_true", help="list every edge")
    parser.add_argument("--package", type=Path, default=PACKAGE, help="the package folder (default: this checkout's)")
    args = parser.parse_args(argv)
    edges = graph(args.package)
    lazy = sum(edges.values())
    count = {name: 0 for name in LAYERS}
    for module in modules(args.package):
        count[layer(module)] += 1
    print(f"modules: {len(modules(args.package))} ({', '.join(f'{n} {name}' for name, n in count.items())})")
    print(f"edges: {len(edges)} ({len(edges) - lazy} at module level, {lazy} only inside functions)")
    up = upward(edges)
    print(f"upward edges: {len(up)}")
    for a, b in up:
        print(f"  {a} ({layer(a)}) -> {b} ({layer(b)}){' [lazy]' if edges[(a, b)] else ''}")
    found = cycles(edges)
    print(f"cycles: {len(found)}")
    for group in found:
        print("  " + " <-> ".join(group))
    if args.edges:
        for (a, b), is_lazy in sorted(edges.items()):
            print(f"{a} -> {b}{' [lazy]' if is_lazy else ''}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
