"""The layering of docs/architecture.md holds: the core imports no face and no command except
through the lazy hooks listed there, and no module imports itself back through others.

The import graph comes from ``benchmarks/importgraph.py`` (every import statement of every module,
those inside functions too, read with :mod:`ast`; ``if TYPE_CHECKING:`` blocks left out)."""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
ARCHITECTURE = ROOT / "docs" / "architecture.md"

_spec = importlib.util.spec_from_file_location("importgraph", ROOT / "benchmarks" / "importgraph.py")
importgraph = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(importgraph)


def documented_hooks() -> dict[tuple[str, str], str]:
    """(importer, imported) → what it is for, from the table under "## Allowed hooks"."""
    text = ARCHITECTURE.read_text(encoding="utf-8")
    section = text.split("## Allowed hooks", 1)[1].split("\n## ", 1)[0]
    hooks = {}
    for line in section.splitlines():
        match = re.fullmatch(r"\|\s*`([\w.]+)`\s*\|\s*`([\w.]+)`\s*\|(.*)\|\s*", line)
        if match:
            hooks[(match[1], match[2])] = match[3].strip()
    return hooks


@pytest.fixture(scope="module")
def edges():
    return importgraph.graph()


def test_the_hook_table_is_read():
    hooks = documented_hooks()
    assert ("fleetsim.result", "fleetsim.faces.plots") in hooks and len(hooks) >= 5
    assert all(why for why in hooks.values())


def test_no_upward_import_but_the_documented_hooks(edges):
    hooks = documented_hooks()
    undocumented = [edge for edge in importgraph.upward(edges) if edge not in hooks]
    assert not undocumented, ("imports from a lower layer to a higher one that docs/architecture.md does not "
                              f"list as hooks: {undocumented}")


def test_every_documented_hook_exists_and_is_lazy(edges):
    for edge in documented_hooks():
        assert edge in edges, f"docs/architecture.md lists a hook the code no longer has: {edge}"
        assert edges[edge], f"hook {edge} must be imported inside the function that needs it, not at module level"


def test_no_import_cycles(edges):
    assert importgraph.cycles(edges) == []


def test_layers_are_what_the_document_says():
    assert importgraph.layer("fleetsim.faces.plots.money") == "faces"
    assert importgraph.layer("fleetsim.cli.main") == "commands"
    assert importgraph.layer("fleetsim.docgen") == "commands"  # the `python -m fleetsim.docgen` entry point
    for core in ("fleetsim.result", "fleetsim.figures", "fleetsim.formats", "fleetsim.comparison",
                 "fleetsim.scoring", "fleetsim.uncertainty.montecarlo", "fleetsim.output"):
        assert importgraph.layer(core) == "core"
    for module in importgraph.modules():
        assert importgraph.layer(module) in importgraph.LAYERS
        assert not module.startswith(importgraph.LEGACY_FACES), f"{module}: faces live in fleetsim.faces"


def test_the_checker_sees_lazy_relative_and_submodule_imports_and_skips_type_checking(tmp_path):
    """A made-up package: every kind of import statement, an upward edge and a cycle."""
    package = tmp_path / "fleetsim"
    (package / "faces").mkdir(parents=True)
    files = {
        "__init__.py": "",
        "core.py": """
            from typing import TYPE_CHECKING
            if TYPE_CHECKING:
                from fleetsim.faces import view      # never runs: no edge
            def show():
                from fleetsim.faces import view      # lazy: an upward edge to the submodule
                return view
            """,
        "other.py": "from . import core\nimport fleetsim.third\n",
        "third.py": "def f():\n    import fleetsim.other\n",
        "faces/__init__.py": "",
        "faces/view.py": "from ..core import show\n",
    }
    for name, text in files.items():
        (package / name).write_text(textwrap.dedent(text))
    edges = importgraph.graph(package)
    assert edges == {("fleetsim.core", "fleetsim.faces.view"): True, ("fleetsim.other", "fleetsim.core"): False,
                     ("fleetsim.other", "fleetsim.third"): False, ("fleetsim.third", "fleetsim.other"): True,
                     ("fleetsim.faces.view", "fleetsim.core"): False}
    assert importgraph.upward(edges) == [("fleetsim.core", "fleetsim.faces.view")]
    assert importgraph.cycles(edges) == [["fleetsim.core", "fleetsim.faces.view"], ["fleetsim.other", "fleetsim.third"]]


def test_simulating_and_writing_imports_no_face_and_no_command(tmp_path):
    code = ("import sys, warnings, fleetsim; warnings.simplefilter('ignore'); "
            f"r = fleetsim.simulate({str(ROOT / 'scenarios' / 'colossus.yaml')!r}); r.summary(); "
            f"r.to_csv({str(tmp_path / 'out')!r}); r.rollup('Y'); "
            "print(sorted(m for m in sys.modules if m.startswith(('fleetsim.faces', 'fleetsim.cli'))))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_docgen_command_still_runs():
    done = subprocess.run([sys.executable, "-m", "fleetsim.docgen", "cli"], capture_output=True, text=True,
                          check=True, cwd=ROOT)
    assert done.stdout == (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
