"""User mistakes, each seen through the command line.

Every case is one row of :data:`CASES`: a scenario (the valid :data:`BASE` with one edit), the
command line, and what the message on stderr must hold: where the mistake is (``file:line:column``,
or the ``--set`` key), the key path, the value given and an example of a valid value (or a "did you
mean"). Each case must also exit with 1 (2 for usage errors), print no traceback and write nothing:
no output folder, no temporary folder, and a previous output left byte for byte as it was.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from fleetsim.cli.main import main
from fleetsim.io import TABLES
from fleetsim.output import MARKER

BASE = """\
name: base
start: 2024-07
months: 12
sites:
  colossus-1:
    pue: 1.25
    capacity: 150 MW
    electricity:
      price: 0.08 USD/kWh
    install_rate: 60000
orders:
  - hardware: H100
    count: 1000
    site: colossus-1
    delivery: 2024-07
"""
"""A valid one-site, one-order scenario; the line and column of each case refer to it."""

SCENARIO = "scenario.yaml"
OUT = "out/run"
RUN = ("run", SCENARIO, "-o", OUT)


def edit(*changes: tuple[str, str], append: str = "") -> str:
    """:data:`BASE` with each ``(old, new)`` replaced (``old`` must occur exactly once), plus ``append``."""
    text = BASE
    for old, new in changes:
        assert text.count(old) == 1, f"{old!r} must occur once in BASE"
        text = text.replace(old, new)
    return text + append


def without(section: str) -> str:
    """:data:`BASE` without the top-level ``section`` and its indented lines."""
    lines, skipping = [], False
    for line in BASE.splitlines(keepends=True):
        if not line.startswith(" "):
            skipping = line.startswith(f"{section}:")
        if not skipping:
            lines.append(line)
    return "".join(lines)


@dataclass(frozen=True)
class Case:
    """One user mistake and what fleetsim must say about it.

    ``where``, ``key``, ``value``, ``example`` and ``problem`` are substrings (or tuples of
    substrings) that must all appear on stderr; ``None`` where the mistake has no such thing
    (a missing key has no value given).
    """

    text: str | bytes
    where: str | tuple[str, ...]
    key: str | tuple[str, ...] | None
    value: str | tuple[str, ...] | None
    example: str | tuple[str, ...]
    problem: str | tuple[str, ...] = ()
    argv: tuple[str, ...] = RUN
    files: dict[str, str | bytes] = field(default_factory=dict)
    code: int = 1
    absent: tuple[str, ...] = ()


def _set(*pairs: str) -> tuple[str, ...]:
    return (*RUN, *(arg for pair in pairs for arg in ("--set", pair)))


PRICES = "month,value [USD/kWh]\n2024-07,0.08\n2024-13,0.09\n"
CSV_PRICE = ("price: 0.08 USD/kWh", "price: {file: prices.csv}")
TRAINING = "training:\n  - {name: r1, compute: 1e25 FLOP, start: 2024-01}\n"

CASES: dict[str, Case] = {
    # ------------------------------------------------------------------ units and values
    "wrong-dimension": Case(
        edit(("150 MW", "150 kg")), f"{SCENARIO}:7:5", "sites.colossus-1.capacity", "'150 kg'", "'150 MW'",
        "dimension [mass]"),
    "energy-price-without-unit": Case(
        edit(("0.08 USD/kWh", "0.08")), f"{SCENARIO}:9:7", "sites.colossus-1.electricity.price", "(given: 0.08)",
        "'0.08 USD/kWh'", "needs its unit"),
    "energy-price-wrong-unit": Case(
        edit(("0.08 USD/kWh", "0.08 USD/kg")), f"{SCENARIO}:9:7", "sites.colossus-1.electricity.price",
        "'0.08 USD/kg'", "'0.08 USD/kWh'", ("has dimension [currency] / [mass]", "an energy price")),
    "negative-count": Case(
        edit(("count: 1000", "count: -5")), f"{SCENARIO}:13:5", "orders.0.count", "(given: -5)", "100000",
        "cannot be negative"),
    "count-not-a-number": Case(
        edit(("count: 1000", "count: many")), f"{SCENARIO}:13:5", "orders.0.count", "'many'", "such as 100000",
        "whole number"),
    "utilization-above-1": Case(
        edit(append="operations:\n  utilization: 1.3\n"), f"{SCENARIO}:17:3", "operations.utilization",
        "(given: 1.3)", "for example 0.85", "out of range"),
    "pue-below-1": Case(
        edit(("pue: 1.25", "pue: 0.9")), f"{SCENARIO}:6:5", "sites.colossus-1.pue", "(given: 0.9)",
        "for example 1.25", "out of range"),
    "months-zero": Case(
        edit(("months: 12", "months: 0")), f"{SCENARIO}:3:1", "months", "(given: 0)", "for example months: 60",
        "greater than or equal to 1"),
    "nan": Case(
        edit(("pue: 1.25", "pue: .nan")), f"{SCENARIO}:6:10", "sites.colossus-1.pue", "'.nan'",
        "write a finite number", "not-a-number"),
    "inf": Case(
        edit(("count: 1000", "count: .inf")), f"{SCENARIO}:13:12", "orders.0.count", "'.inf'",
        "write a finite number", "infinite"),
    # ------------------------------------------------------------------ months and dates
    "month-13": Case(
        edit(("delivery: 2024-07", "delivery: 2024-13")), f"{SCENARIO}:15:5", "orders.0.delivery", "'2024-13'",
        "'2024-07'", "month 13 does not exist"),
    "full-date-for-a-month": Case(
        edit(("start: 2024-07", "start: 2024-07-01")), f"{SCENARIO}:2:1", "start", "'2024-07-01'",
        "write '2024-07'", "a full date was given"),
    "delivery-before-start": Case(
        edit(("delivery: 2024-07", "delivery: 2024-01")), f"{SCENARIO}:15:5", "orders.0.delivery", "'2024-01'",
        "e.g. 2024-07", "before the scenario's start"),
    "training-before-start": Case(
        edit(append=TRAINING), f"{SCENARIO}:17:36", "training.0.start", "'2024-01'", "for example 2024-07",
        "before the scenario's start"),
    "delivery-window-backwards": Case(
        edit(("delivery: 2024-07", "delivery: {from: 2024-09, to: 2024-08}")), f"{SCENARIO}:15:31",
        "orders.0.delivery.to", "'2024-08'", "{from: 2025-09, to: 2026-06}", "ends before it begins"),
    "price-schedule-starts-late": Case(
        edit(("price: 0.08 USD/kWh", "price: {2024-09: 0.08 USD/kWh}")), f"{SCENARIO}:9:7",
        "sites.colossus-1.electricity.price", "'2024-09'", "add a key 2024-07", "after the start"),
    # ------------------------------------------------------------------ keys and names
    "unknown-key": Case(
        edit(("    pue: 1.25\n", "    pue: 1.25\n    colour: red\n")), f"{SCENARIO}:7:5",
        "sites.colossus-1.colour", "'red'", "known keys: pue, capacity, electricity", "unknown key 'colour'"),
    "misspelt-key": Case(
        edit(("install_rate", "instal_rate")), f"{SCENARIO}:10:5", "sites.colossus-1.instal_rate",
        "(given: 60000)", "did you mean 'install_rate'?", "unknown key"),
    "duplicate-key": Case(
        edit(("    pue: 1.25\n", "    pue: 1.25\n    pue: 1.3\n")), f"{SCENARIO}:7:5", "sites.colossus-1.pue",
        "(given: 1.3)", "such as pue: 1.25", ("written twice", "first at line 6")),
    "missing-required-key": Case(
        without("sites"), f"{SCENARIO}:1:1", "sites", None,
        "for example sites: {colossus-1: {pue: 1.25, capacity: 150 MW, electricity: {price: 0.08 USD/kWh}}}",
        "required key 'sites' is missing"),
    "unknown-site": Case(
        edit(("site: colossus-1", "site: colosus-1")), f"{SCENARIO}:14:5", "orders.0.site", "'colosus-1'",
        "did you mean 'colossus-1'?", "site that does not exist"),
    "unknown-hardware": Case(
        edit(("hardware: H100", "hardware: H10")), f"{SCENARIO}:12:5", "orders.0.hardware", "'H10'",
        "did you mean 'H100'?", "hardware that does not exist"),
    "like-cycle": Case(
        edit(append="hardware:\n  A: {like: B}\n  B: {like: A}\n"), (f"{SCENARIO}:17:7", f"{SCENARIO}:18:7"),
        ("hardware.A.like", "hardware.B.like"), ("(given: 'B')", "(given: 'A')"), "like: H100",
        "'like' makes a cycle"),
    "like-names-nothing": Case(
        edit(append="hardware:\n  mine: {like: GB2000}\n"), f"{SCENARIO}:17:10", "hardware.mine.like",
        "'GB2000'", "did you mean 'GB200'?", "'like' names no hardware"),
    "declining-balance-without-rate": Case(
        edit(append="finance:\n  depreciation: {method: declining_balance}\n"), f"{SCENARIO}:17:3",
        "finance.depreciation.rate", "declining_balance", "rate: 0.4", "needs a yearly 'rate'"),
    # ------------------------------------------------------------------ the file itself
    "yaml-syntax-error": Case(
        edit(("capacity: 150 MW", "capacity: [150 MW")), f"{SCENARIO}:8:16", "sites.colossus-1.capacity", None,
        "expected ',' or ']'", ("YAML syntax error", "begins at line 7, column 15")),
    "empty-file": Case(
        "", f"{SCENARIO}:1:1", "(top level)", None, "'start: 2024-07'", "the scenario is empty"),
    "list-not-mapping": Case(
        "- name: base\n- start: 2024-07\n", f"{SCENARIO}:1:1", "(top level)", None, "'name: colossus'",
        "a list, not a mapping"),
    "binary-garbage": Case(
        b"name: base\nsta\x00\x01\xffrt: 2024-07\n", f"{SCENARIO}:2:4", "(top level)", None,
        "'name: colossus'", "binary data"),
    "not-utf8": Case(
        edit(("name: base", "name: caf\xe9")).encode("latin-1"), f"{SCENARIO}:1:10", "(top level)", "bad byte e9",
        "save the scenario as UTF-8", "not UTF-8"),
    "python-tag": Case(
        edit(("name: base", 'name: !!python/object/apply:os.system ["touch pwned.marker"]')), f"{SCENARIO}:1:7",
        "name", "!!python/object/apply:os.system", "write plain values such as 150 MW", "not allowed",
        absent=("pwned.marker",)),
    "custom-tag": Case(
        edit(("capacity: 150 MW", "capacity: !power 150 MW")), f"{SCENARIO}:7:15", "sites.colossus-1.capacity",
        "!power", "write plain values such as 150 MW", "not allowed"),
    "csv-schedule-missing": Case(
        edit(("price: 0.08 USD/kWh", "price: {file: missing.csv}")), f"{SCENARIO}:9:15",
        "sites.colossus-1.electricity.price.file", "missing.csv", "columns month,value", "not found"),
    "csv-schedule-bad-month": Case(
        edit(CSV_PRICE), (f"{SCENARIO}:9:15", "prices.csv:3:1"), "sites.colossus-1.electricity.price.file",
        "the file has '2024-13'", "'2024-07'", "month 13 does not exist", files={"prices.csv": PRICES}),
    "csv-schedule-bad-value": Case(
        edit(CSV_PRICE), (f"{SCENARIO}:9:15", "prices.csv:2:9"), "sites.colossus-1.electricity.price.file",
        "the file has 'cheap USD/kWh'", "'0.08 USD/kWh'", "number followed by a unit",
        files={"prices.csv": "month,value [USD/kWh]\n2024-07,cheap\n"}),
    "extends-missing-file": Case(
        "extends: bsae.yaml\nname: variant\n", f"{SCENARIO}:1:1", "extends", "'bsae.yaml'",
        "did you mean 'base.yaml'?", "base scenario not found", files={"base.yaml": BASE}),
    "extends-cycle": Case(
        "extends: b.yaml\nname: a\n", "b.yaml:1:1", "extends", f"(given: '{SCENARIO}')",
        "remove 'extends' from one of them", ("'extends' makes a cycle", f"{SCENARIO} -> ", "b.yaml -> "),
        files={"b.yaml": f"extends: {SCENARIO}\nmonths: 3\n"}),
    "all-errors-together": Case(
        edit(("150 MW", "150 kg"), ("count: 1000", "count: many"), ("site: colossus-1", "site: colosus-1")),
        (f"{SCENARIO}:7:5", f"{SCENARIO}:13:5", f"{SCENARIO}:14:5"),
        ("sites.colossus-1.capacity", "orders.0.count", "orders.0.site"), ("'150 kg'", "'many'", "'colosus-1'"),
        ("'150 MW'", "such as 100000", "did you mean 'colossus-1'?"), "3 problems"),
    "validate-reports-too": Case(
        edit(("150 MW", "150 kg")), f"{SCENARIO}:7:5", "sites.colossus-1.capacity", "'150 kg'", "'150 MW'",
        "dimension [mass]", argv=("validate", SCENARIO)),
    # ------------------------------------------------------------------ the command line
    "set-unknown-site": Case(
        BASE, "--set sites.nosuch.pue", "sites.nosuch.pue", "(given: 1.3)", "such as sites.colossus-1.pue",
        "no sites entry 'nosuch'", argv=_set("sites.nosuch.pue=1.3")),
    "set-index-out-of-range": Case(
        BASE, "--set orders.9.count", "orders.9.count", "(given: 1)", "orders.0.count", "items 0 to 0",
        argv=_set("orders.9.count=1")),
    "set-bad-value": Case(
        BASE, "--set sites.colossus-1.pue", "sites.colossus-1.pue", "(given: 'abc')", "such as 1.25",
        "expected a plain number", argv=_set("sites.colossus-1.pue=abc")),
    "set-wrong-dimension": Case(
        BASE, "--set sites.colossus-1.capacity", "sites.colossus-1.capacity", "(given: '150 kg')", "'150 MW'",
        "dimension [mass]", argv=_set("sites.colossus-1.capacity=150 kg")),
    "set-misspelt-key": Case(
        BASE, "--set sites.colossus-1.puee", "sites.colossus-1.puee", "(given: 1.3)", "did you mean 'pue'?",
        "unknown key", argv=_set("sites.colossus-1.puee=1.3")),
    "set-value-not-yaml": Case(
        BASE, "--set sites.colossus-1.pue", "sites.colossus-1.pue", "(given: '[1.3')", "expected ',' or ']'",
        "not valid YAML", argv=_set("sites.colossus-1.pue=[1.3")),
    "set-nan": Case(
        BASE, "--set sites.colossus-1.pue", "sites.colossus-1.pue", "(given: '.nan')", "write a finite number",
        "not-a-number", argv=_set("sites.colossus-1.pue=.nan")),
    "set-python-tag": Case(
        BASE, "--set sites.colossus-1.pue", "sites.colossus-1.pue", "!!python/object/apply:os.system",
        "write plain values such as 150 MW", "not allowed",
        argv=_set('sites.colossus-1.pue=!!python/object/apply:os.system ["touch pwned.marker"]'),
        absent=("pwned.marker",)),
    "set-without-equals": Case(
        BASE, "--set", "sites.colossus-1.pue", "'sites.colossus-1.pue'", "such as sites.colossus-1.pue=1.3",
        "expects KEY=VALUE", argv=_set("sites.colossus-1.pue"), code=2),
    "unknown-subcommand": Case(
        BASE, "fleetsim", None, "'frob'", "choose from 'run'", "invalid choice", argv=("frob", SCENARIO), code=2),
    "unknown-option": Case(
        BASE, "fleetsim run", None, "--qiet", ("did you mean --quiet?", "usage: fleetsim run"),
        "unrecognized arguments", argv=(*RUN, "--qiet"), code=2),
    "missing-scenario-file": Case(
        BASE, "nosuch.yaml", None, "nosuch.yaml", "such as scenarios/colossus.yaml", "scenario file not found",
        argv=("run", "nosuch.yaml", "-o", OUT)),
    "output-inside-a-file": Case(
        BASE, "notes.txt/out", None, "notes.txt/out", "-o out/run1", "notes.txt is a file, not a folder",
        argv=("run", SCENARIO, "-o", "notes.txt/out"), files={"notes.txt": "keep me\n"}),
    "output-is-a-file": Case(
        BASE, "notes.txt", None, "notes.txt", "-o out/run1", "is a file, not a folder",
        argv=("run", SCENARIO, "-o", "notes.txt"), files={"notes.txt": "keep me\n"}),
}

PREVIOUS_OUTPUT = ["wrong-dimension", "unknown-site", "duplicate-key", "yaml-syntax-error", "binary-garbage",
                   "python-tag", "csv-schedule-bad-month", "extends-cycle", "all-errors-together",
                   "set-bad-value", "set-unknown-site", "set-without-equals", "unknown-option"]
"""Cases run over the output of an earlier successful run, which must survive byte for byte."""

THROUGH_PROCESS = ["binary-garbage", "not-utf8", "set-without-equals", "all-errors-together"]
"""Cases also run as ``python -m fleetsim`` to prove no traceback escapes at process level: bytes
that are not text (stderr is a real pipe with the interpreter's encoding there), argparse's exit 2,
and a message of many problems. Every case runs in this process too (test_mistake), with the same
checks; a process costs a second of imports, so the cases whose message takes the same path as
one of these (a located error of the scenario, of --set, of the output path) run in-process only."""


# --------------------------------------------------------------------------- helpers
def _strings(value) -> tuple[str, ...]:
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def _write(folder: Path, name: str, content: str | bytes) -> None:
    if isinstance(content, bytes):
        (folder / name).write_bytes(content)
    else:
        (folder / name).write_text(content, encoding="utf-8")


def _setup(folder: Path, case: Case) -> None:
    _write(folder, SCENARIO, case.text)
    for name, content in case.files.items():
        _write(folder, name, content)


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every file (its bytes) and folder (None) under ``folder``."""
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None for p in folder.rglob("*")}


def _run_in_process(argv, capsys) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse's usage errors
        code = exc.code
    out, err = capsys.readouterr()
    return code, out, err


def _run_process(argv, cwd: Path) -> tuple[int, str, str]:
    done = subprocess.run([sys.executable, "-m", "fleetsim", *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=120)
    return done.returncode, done.stdout, done.stderr


def _check_message(case: Case, code: int, out: str, err: str) -> None:
    assert code == case.code, f"exit code {code}, expected {case.code}\nstderr:\n{err}\nstdout:\n{out}"
    assert "Traceback" not in out + err, err
    assert err.strip(), "no message on stderr"
    for label in ("where", "key", "value", "example", "problem"):
        for text in _strings(getattr(case, label)):
            assert text in err, f"the message lacks the {label} {text!r}:\n{err}"


def _check_nothing_written(case: Case, folder: Path, before: dict[str, bytes | None]) -> None:
    after = _snapshot(folder)
    assert sorted(set(after) - set(before)) == [], "files were written"
    assert sorted(set(before) - set(after)) == [], "files were removed"
    changed = [name for name in before if before[name] != after[name]]
    assert changed == [], "files were changed"
    for name in case.absent:
        assert not (folder / name).exists(), f"{name} exists: the scenario ran a command"


# --------------------------------------------------------------------------- tests
@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_base_scenario_is_valid(workdir, capsys):
    _write(workdir, SCENARIO, BASE)
    code, _, err = _run_in_process((*RUN, "--quiet"), capsys)
    assert code == 0, err
    assert {p.name for p in (workdir / OUT).iterdir()} == {f"{table}.csv" for table in TABLES} | {"meta.json", MARKER}


def test_there_are_enough_cases():
    assert len(CASES) >= 30


@pytest.mark.parametrize("name", CASES)
def test_mistake(name, workdir, capsys):
    case = CASES[name]
    _setup(workdir, case)
    before = _snapshot(workdir)
    code, out, err = _run_in_process(case.argv, capsys)
    _check_message(case, code, out, err)
    assert not (workdir / OUT).exists() and not (workdir / "out").exists()
    _check_nothing_written(case, workdir, before)


@pytest.mark.parametrize("name", PREVIOUS_OUTPUT)
def test_mistake_leaves_previous_output_untouched(name, workdir, capsys):
    case = CASES[name]
    _write(workdir, SCENARIO, BASE)
    code, _, err = _run_in_process((*RUN, "--quiet"), capsys)
    assert code == 0, err
    _setup(workdir, case)
    before = _snapshot(workdir)
    assert len([p for p in before if p.startswith(OUT + "/")]) == len(TABLES) + 2  # tables, meta.json, marker
    code, out, err = _run_in_process(case.argv, capsys)
    _check_message(case, code, out, err)
    _check_nothing_written(case, workdir, before)


@pytest.mark.parametrize("name", THROUGH_PROCESS)
def test_mistake_through_a_process(name, tmp_path):
    case = CASES[name]
    _setup(tmp_path, case)
    before = _snapshot(tmp_path)
    code, out, err = _run_process(case.argv, tmp_path)
    _check_message(case, code, out, err)
    _check_nothing_written(case, tmp_path, before)


def test_cases_are_distinct():
    """Each case is distinct: no two rows share the same scenario, command line and files."""
    rows = {(case.text, case.argv, tuple(sorted(case.files.items()))) for case in CASES.values()}
    assert len(rows) == len(CASES)
