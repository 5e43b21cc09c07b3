"""The lean run (issue 15): ``fleetsim run`` writes its CSV files and prints its summary from the
column tables the books build (fleetsim.frame), never importing pandas or pyarrow; what it writes
and prints is exactly what the pandas path gives for the same result.

The pandas path is the one every result took before: each table made a DataFrame
(``Frame.to_pandas``) and written by ``DataFrame.to_csv``; the figures, power story and by-owner
table computed from DataFrames. Both are run here on every shipped scenario and on the big
generated case of benchmarks/run.py, and compared byte for byte.
"""

from __future__ import annotations

import importlib.util
import io
import json
import math
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path

import numpy as np
import pytest

import fleetsim
from fleetsim.frame import Frame, month_texts, sort_rows, write_csv
from fleetsim.result import Result

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
TABLES = ("monthly", "ledger", "training", "energy", "cohorts", "sites", "owners", "contracts")


def _big_scenario(tmp_path: Path) -> Path:
    spec = importlib.util.spec_from_file_location("fleetsim_benchmarks", ROOT / "benchmarks" / "run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    path = tmp_path / "big.yaml"
    path.write_text(module.big_scenario())
    return path


def _simulate(path: Path) -> Result:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fleetsim.FleetsimWarning)
        return fleetsim.simulate(fleetsim.load(path))


def _as_pandas(lean: Result) -> Result:
    """The same result with every table a DataFrame (the pandas path), ``lean`` left as it is."""
    tables = {name: lean.frame(name).to_pandas() for name in TABLES}
    return Result(tables["monthly"], tables["ledger"], tables["training"], dict(lean.meta), list(lean.warnings),
                  tables["energy"], tables["cohorts"], tables["sites"], owners=tables["owners"],
                  contracts=tables["contracts"])


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    return a == b and type(a) is type(b)


def _compare(path: Path, tmp_path: Path) -> None:
    from fleetsim.cli.commands import run_summary
    from fleetsim.faces import console
    from fleetsim.faces.html import cash_story

    lean = _simulate(path)
    assert all(lean.frame(name) is not None for name in TABLES)
    full = _as_pandas(lean)
    assert all(full.frame(name) is None for name in TABLES)
    # every file, byte for byte (meta.json and the output marker too)
    lean.to_csv(tmp_path / "lean")
    full.to_csv(tmp_path / "full")
    names = sorted(p.name for p in (tmp_path / "lean").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "full").iterdir())
    assert {"monthly.csv", "ledger.csv", "meta.json"} <= set(names)
    for name in names:
        assert (tmp_path / "lean" / name).read_bytes() == (tmp_path / "full" / name).read_bytes(), (path.name, name)
    assert all(lean.frame(name) is not None for name in TABLES), "writing CSV made DataFrames"
    # the figures, the power story, the by-owner table, the cash story and run --json
    lean_summary, full_summary = lean.summary(), full.summary()
    assert list(lean_summary) == list(full_summary)
    assert all(_same(lean_summary[k], full_summary[k]) for k in lean_summary), path.name
    assert console.power_story_text(lean) == console.power_story_text(full)
    assert lean.span() == full.span() == (str(full.monthly.index[0]), str(full.monthly.index[-1]), len(full.monthly))
    assert _rendered(console.owner_table(lean)) == _rendered(console.owner_table(full))
    assert _rendered(console.summary_table(lean, "t")) == _rendered(console.summary_table(full, "t"))
    assert cash_story(lean.frame("monthly")) == cash_story(full.monthly)
    scenario = fleetsim.load(path)
    lean_json = json.dumps(run_summary(scenario, lean, tmp_path / "lean"), default=str)
    assert lean_json == json.dumps(run_summary(scenario, full, tmp_path / "full"), default=str).replace(
        str(tmp_path / "full"), str(tmp_path / "lean"))
    assert all(lean.frame(name) is not None for name in TABLES), "the summary made DataFrames"


def _rendered(table) -> str | None:
    if table is None:
        return None
    from rich.console import Console

    out = Console(file=io.StringIO(), width=200)
    out.print(table)
    return out.file.getvalue()


@pytest.mark.parametrize("path", SCENARIOS, ids=[p.stem for p in SCENARIOS])
def test_lean_outputs_equal_the_pandas_path(path, tmp_path):
    _compare(path, tmp_path)


def test_lean_outputs_equal_the_pandas_path_on_the_big_case(tmp_path):
    _compare(_big_scenario(tmp_path), tmp_path)


def test_frames_give_the_dataframes_fleetsim_always_had(shipped_result):
    """Months as a PeriodIndex named month (monthly) or a period column, text as pandas' str dtype,
    the books' column order; empty tables (no training runs, no contracts) all object columns."""
    lean = _simulate(ROOT / "scenarios" / "colossus.yaml")
    monthly = lean.monthly
    assert monthly.index.name == "month" and str(monthly.index.dtype) == "period[M]"
    assert str(monthly.index[0]) == "2024-07" and set(monthly.dtypes.astype(str)) == {"float64"}
    ledger = lean.ledger
    assert list(ledger.columns) == ["month", "site", "hardware", "account", "direction", "basis", "amount_usd",
                                    "owner", "user"]
    assert str(ledger["month"].dtype) == "period[M]" and str(ledger["site"].dtype) == "str"
    assert lean.contracts.empty and set(lean.contracts.dtypes.astype(str)) == {"object"}
    contracted = _simulate(ROOT / "scenarios" / "capacity-contracts.yaml")
    assert contracted.training.empty and set(contracted.training.dtypes.astype(str)) == {"object"}
    assert str(contracted.contracts["month"].dtype) == "period[M]" and str(contracted.contracts["side"].dtype) == "str"
    # the same numbers as the shared result of the session
    np.testing.assert_array_equal(lean.monthly.to_numpy(), shipped_result("colossus").monthly.to_numpy())


def test_csv_cells_as_pandas_writes_them(tmp_path):
    """Floats in numpy's shortest repr, NaN empty, ints and booleans as Python writes them, text
    quoted only where CSV needs it, months as YYYY-MM; against DataFrame.to_csv directly."""
    frame = Frame({"month": np.array([24294, 24295, 24306]),
                   "x": np.array([0.1, np.nan, 1e20]), "y": np.array([1e-7, -0.0, 123456789.123456789]),
                   "n": np.array([1, -2, 3]), "b": np.array([True, False, True]),
                   "s": np.array(["a,b", 'say "hi"', ""], dtype=object)}, months=("month",), text=("s",))
    out = io.StringIO()
    write_csv(frame, out)
    expected = frame.to_pandas()
    expected["month"] = expected["month"].dt.strftime("%Y-%m")
    assert out.getvalue() == expected.to_csv(index=False)
    assert out.getvalue().splitlines()[1] == '2024-07,0.1,1e-07,1,True,"a,b"'


def test_sort_rows_is_pandas_stable_sort():
    frame = Frame({"k": np.array(["b", "a", "b", "a"], dtype=object), "m": np.array([2, 2, 1, 2]),
                   "v": np.arange(4.0)})
    assert sort_rows(frame, ["m", "k"])["v"].tolist() == [2.0, 1.0, 3.0, 0.0]
    assert frame.to_pandas().sort_values(["m", "k"], kind="stable")["v"].tolist() == [2.0, 1.0, 3.0, 0.0]
    assert month_texts(np.array([24299, 24300])).tolist() == ["2024-12", "2025-01"]


RUN = textwrap.dedent("""
    import contextlib, io, sys
    from fleetsim.cli.main import main
    with contextlib.redirect_stdout(io.StringIO()) as out:
        code = main(["run", sys.argv[1], "-o", sys.argv[2], "--overwrite", *sys.argv[3:]])
    print(code, len(out.getvalue()) > 0, sorted(m for m in ("pandas", "pyarrow") if m in sys.modules))
""")


@pytest.mark.parametrize("flags", [["--quiet"], [], ["--json"]], ids=["quiet", "summary", "json"])
def test_run_never_imports_pandas(flags, tmp_path):
    done = subprocess.run([sys.executable, "-c", RUN, str(ROOT / "scenarios" / "colossus.yaml"),
                           str(tmp_path / "out"), *flags], capture_output=True, text=True, cwd=tmp_path, check=True)
    assert done.stdout.split() == ["0", str(flags != ["--quiet"]), "[]"], done.stdout + done.stderr
    assert (tmp_path / "out" / "ledger.csv").stat().st_size > 0


def test_roll_ups_beside_column_tables(tmp_path):
    """--period roll-ups (made with pandas) are written beside the tables written from column
    tables: the same folder, byte for byte, as writing everything through pandas."""
    lean = _simulate(ROOT / "scenarios" / "neocloud-10k.yaml")
    full = _as_pandas(lean)
    lean.to_csv(tmp_path / "lean", periods=("quarter", "year"))
    full.to_csv(tmp_path / "full", periods=("quarter", "year"))
    names = sorted(p.name for p in (tmp_path / "lean").iterdir())
    assert {"yearly.csv", "quarterly.csv", "owners_yearly.csv", "monthly.csv"} <= set(names)
    for name in names:
        assert (tmp_path / "lean" / name).read_bytes() == (tmp_path / "full" / name).read_bytes(), name


def test_yaml_1_2_rules_are_ruamels():
    """The plain-scalar rules the fast YAML path resolves with (copied so that it needs no ruamel)
    are ruamel.yaml's YAML 1.2 rules, first character by first character, in the same order."""
    import re

    from ruamel.yaml import YAML

    from fleetsim.scenario import yamlread

    theirs = YAML(typ="rt").resolver.versioned_resolver
    used = {tag for tag, _, _ in yamlread._IMPLICIT_1_2}
    for first in {*theirs, *yamlread._IMPLICIT} - {None}:
        want = [(tag, regex.pattern, regex.flags & ~re.U) for tag, regex in theirs.get(first, []) if tag in used]
        got = [(tag, regex.pattern, regex.flags & ~re.U) for tag, regex in yamlread._IMPLICIT.get(first, [])]
        assert got == want, first
    samples = ["yes", "No", "on", "true", "TRUE", "tRue", "0o17", "017", "0x1F", "0b101", "1_000", "+12", "-0",
               "1e3", "1.5e-3", ".5", "1.", ".inf", "-.INF", ".NaN", "null", "~", "", "2024-07", "2024-07-01",
               "2024-7-1 10:00:00", "12:30", "<<", "=", "1e", "0.1.2", "+.5e+3", "Null", "NULL", "nul"]
    from ruamel.yaml.nodes import ScalarNode

    resolver = YAML(typ="rt").resolver
    for text in samples:
        theirs = str(resolver.resolve(ScalarNode, text, (True, False)))
        # tags a scenario does not read (<< merge, = value) are text to the builder either way
        assert yamlread.resolve(text) == (theirs if theirs in used else "tag:yaml.org,2002:str"), text


def test_forbidden_characters_are_unicodes_controls():
    """The one-regex scan for characters a scenario may not hold refuses exactly what the rule
    says, for every code point: category Cc (but tab, LF, CR and U+0085), Cs, U+FFFE, U+FFFF."""
    import unicodedata

    from fleetsim.scenario import guard

    def refused(ch: str) -> bool:
        if ch in "\t\n\r\x85":
            return False
        return unicodedata.category(ch) in ("Cc", "Cs") or ch in "\ufffe\uffff"

    every = [chr(code) for code in range(0x110000)]
    assert [ch for ch in every if refused(ch)] == guard._FORBIDDEN.findall("".join(every))
    assert guard.first_control("name: x\n  sites:\ta\x07b") == (2, 11, "\x07")
    assert guard.first_control("name: colossus\n\x85\u2028ok\n") is None
