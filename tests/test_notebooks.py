"""Every notebook in notebooks/ runs top to bottom in a fresh kernel (any cell error fails), and
the outputs of its cells tagged ``headline`` (the figures its text quotes: printed lines and the
tables a cell shows) are compared with tests/golden/notebooks/<notebook>.json: the same words,
each number within a tolerance of 1e-9. Regenerate on purpose with ``python tests/golden/regen.py``
(tests/golden/README.md)."""

from pathlib import Path

import pytest
from goldens import GOLDEN, REGENERATE, read, text_differences, write

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
TAG = "headline"


def execute(path: Path):
    """The notebook run in a fresh kernel from its own folder, as Jupyter would run it."""
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.read(path, as_version=4)
    # the outputs are in hand when the last cell is done: the kernel is stopped at once, not asked to
    # shut down and waited for (about a second per notebook)
    NotebookClient(notebook, timeout=900, kernel_name="python3", shutdown_kernel="immediate",
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    return notebook


def key_outputs(notebook) -> dict[str, str]:
    """For each cell tagged ``headline``: what it printed and the text of what it shows (a table,
    a value); pictures are left to the plot tests."""
    found = {}
    for cell in notebook.cells:
        if cell.cell_type != "code" or TAG not in cell.metadata.get("tags", []):
            continue
        parts = []
        for output in cell.outputs:
            if output.output_type == "stream" and output.name == "stdout":
                parts.append(output.text)
            elif output.output_type in ("execute_result", "display_data") and "image/png" not in output.data:
                parts.append(output.data.get("text/plain", ""))
        found[cell.id] = "\n".join(parts)
    return found


def test_there_are_notebooks():
    assert ROOT / "notebooks" / "quickstart.ipynb" in NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_prints_its_pinned_figures(path, regen_golden):
    outputs = key_outputs(execute(path))
    assert outputs, (f"notebooks/{path.name} has no cell tagged '{TAG}': tag the cells that print the figures its "
                     f"text quotes (cell metadata \"tags\": [\"{TAG}\"]), then run `{REGENERATE}`")
    assert all(outputs.values()), f"cells tagged '{TAG}' that show nothing: {[k for k, v in outputs.items() if not v]}"
    golden = GOLDEN / "notebooks" / f"{path.stem}.json"
    if regen_golden:
        write(golden, {"notebook": f"notebooks/{path.name}", "regenerate": REGENERATE, "cells": outputs})
    if not golden.is_file():
        pytest.fail(f"notebooks/{path.name} has no golden file tests/golden/notebooks/{golden.name}: run "
                    f"`{REGENERATE}`, check the outputs it writes and commit the file", pytrace=False)
    pinned = read(golden)["cells"]
    assert list(outputs) == list(pinned), (f"notebooks/{path.name}: the cells tagged '{TAG}' are {list(outputs)}, "
                                           f"pinned {list(pinned)}; run `{REGENERATE}` if that is intended")
    found = [f"cell {cell}: {problem}" for cell in outputs for problem in text_differences(outputs[cell], pinned[cell])]
    assert not found, (f"notebooks/{path.name} no longer shows the figures pinned in tests/golden/notebooks/"
                       f"{golden.name}:\n  " + "\n  ".join(found)
                       + f"\nIf the change is intended, run `{REGENERATE}` and commit the diff.")


def test_every_notebook_golden_file_has_its_notebook(regen_golden):
    stale = sorted(p for p in (GOLDEN / "notebooks").glob("*.json")
                   if not (ROOT / "notebooks" / f"{p.stem}.ipynb").is_file())
    if regen_golden:
        for path in stale:
            if read(path).get("regenerate") == REGENERATE:
                path.unlink()
        stale = [p for p in stale if p.exists()]
    assert not stale, f"golden files without a notebook: {[p.name for p in stale]}; run `{REGENERATE}`"


def test_a_changed_printed_figure_is_caught():
    """The comparison can fail: one printed digit changed, or a word."""
    pinned = "cumulative cash bottoms out at -36.5 billion USD in 2026-11\n"
    assert text_differences(pinned.replace("-36.5", "-36.6"), pinned) == [
        "-36.6 where -36.5 was pinned (number 1 of 3)"]
    assert text_differences(pinned.replace("bottoms out", "peaks"), pinned)
    assert text_differences(pinned, pinned) == []
