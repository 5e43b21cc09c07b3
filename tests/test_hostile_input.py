"""Hostile input, seen through the command line (issue 10, part 8).

Each case is a file (or command line) built to hang, crash, overflow, disclose or mislead the
loader. Each must end in a located message (exit 1; 2 for a usage error), with no traceback and
nothing written. Subprocess timeouts below only guard against a hang; they assert no speed.
"""

from __future__ import annotations

import importlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path

import pytest

import fleetsim
from fleetsim.cli.main import main
from fleetsim.errors import ScenarioError
from fleetsim.scenario import guard

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
orders:
  - hardware: H100
    count: 1000
    site: colossus-1
    delivery: 2024-07
"""
"""A valid scenario; the line and column of each case refer to it."""

SCENARIO = "scenario.yaml"
OUT = "out/run"
RUN = ("run", SCENARIO, "-o", OUT)
HANG_GUARD = 60  # seconds; a guard against a hang, not a speed assertion


def edit(*changes: tuple[str, str], append: str = "") -> str:
    text = BASE
    for old, new in changes:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text + append


@pytest.fixture
def workdir(tmp_path, monkeypatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() and not p.is_symlink() and
                                         p.stat().st_size < 2**20 else None)
            for p in folder.rglob("*") if not p.is_fifo()}


def cli(argv, capsys, folder: Path | None = None) -> tuple[int, str]:
    """Run ``fleetsim argv`` in this process; returns (exit code, stderr) and checks the rules:
    no traceback, a message, nothing written."""
    folder = folder or Path.cwd()
    before = _snapshot(folder)
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = exc.code
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err, err
    assert code == 0 or err.strip(), "no message"
    if code != 0:
        assert _snapshot(folder) == before, "something was written"
        assert not (folder / "out").exists()
    return code, err


def process(argv, cwd: Path) -> tuple[int, str]:
    """Run ``python -m fleetsim argv`` (guarded against a hang); returns (exit code, stderr)."""
    before = _snapshot(cwd)
    done = subprocess.run([sys.executable, "-m", "fleetsim", *argv], cwd=cwd, capture_output=True, text=True,
                          timeout=HANG_GUARD)
    assert "Traceback" not in done.stdout + done.stderr, done.stderr
    if done.returncode != 0:
        assert _snapshot(cwd) == before, "something was written"
    return done.returncode, done.stderr


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


def expect(err: str, *texts: str) -> None:
    for text in texts:
        assert text in err, f"the message lacks {text!r}:\n{err}"


# --------------------------------------------------------------------------- loading can hang or crash
ALIAS_BOMB = "\n".join(
    ["name: bomb", "a0: &a0 [x, x, x, x, x, x, x, x, x]"]
    + [f"a{i}: &a{i} [*a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, *a{i - 1}, "
       f"*a{i - 1}]" for i in range(1, 9)]) + "\n"


def test_alias_bomb_is_refused_by_counting_values(tmp_path):
    assert len(ALIAS_BOMB) < 1000
    write(tmp_path, SCENARIO, ALIAS_BOMB)
    code, err = process(RUN, tmp_path)
    assert code == 1
    expect(err, f"{SCENARIO}:", "once its YAML aliases are expanded", "write each value once")


@pytest.mark.parametrize("where", ["scenario", "csv-header"])
def test_unit_text_is_never_evaluated(where, tmp_path):
    if where == "scenario":
        write(tmp_path, SCENARIO, edit(("capacity: 150 MW", 'capacity: "1 MW * 10**10**10"')))
        shown = (f"{SCENARIO}:7:5", "sites.colossus-1.capacity", "'1 MW * 10**10**10'")
    else:
        write(tmp_path, SCENARIO, edit(("price: 0.08 USD/kWh", "price: {file: prices.csv}")))
        write(tmp_path, "prices.csv", "month,value [USD/kWh * 10**10**10]\n2024-07,0.08\n")
        shown = (f"{SCENARIO}:9:15", "prices.csv:2:9", "sites.colossus-1.electricity.price.file")
    code, err = process(RUN, tmp_path)
    assert code == 1
    expect(err, *shown, "is not a unit", "a number (10) inside the unit")


@pytest.mark.parametrize("text, problem", [
    ("100 MW)", "a ')' without its '('"),
    ("(100 MW", "expected a number followed by a unit"),
    ("100 (MW", "a '(' without its ')'"),
    ("100 MW +", "'+' cannot appear in a unit"),
    ("100 MW**2**2", "a power of a power"),
    ("100 MW**99", "whole number from -9 to 9"),
    ("100 MW; import os", "';' cannot appear in a unit"),
])
def test_unit_grammar_refuses_before_pint(text, problem, workdir, capsys):
    write(workdir, SCENARIO, edit(("capacity: 150 MW", f"capacity: '{text}'")))
    code, err = cli(RUN, capsys)
    assert code == 1
    expect(err, f"{SCENARIO}:7:5", "sites.colossus-1.capacity", problem, "such as '150 MW'")


def test_deep_flow_nesting(workdir, capsys):
    write(workdir, SCENARIO, BASE + "description: " + "[" * 500 + "]" * 500 + "\n")
    code, err = cli(RUN, capsys)
    assert code == 1
    expect(err, f"{SCENARIO}:15:", "nested more than 32 levels", "description.0.0.0")


def test_deep_set_value(workdir, capsys):
    write(workdir, SCENARIO, BASE)
    code, err = cli((*RUN, "--set", "description=" + "[" * 2000 + "]" * 2000), capsys)
    assert code == 1
    expect(err, "--set description", "nested more than 32 levels")


def test_long_extends_chain(workdir, capsys):
    write(workdir, "b0.yaml", BASE)
    for i in range(1, 1000):
        write(workdir, f"b{i}.yaml", f"extends: b{i - 1}.yaml\nmonths: {i % 12 + 1}\n")
    write(workdir, SCENARIO, "extends: b999.yaml\n")
    code, err = cli(RUN, capsys)
    assert code == 1
    expect(err, "extends", "longer than 32 files", "(given: 'b")


def test_short_extends_chain_still_loads(workdir, capsys):
    write(workdir, "b0.yaml", BASE)
    for i in range(1, 10):
        write(workdir, f"b{i}.yaml", f"extends: b{i - 1}.yaml\nmonths: {i + 1}\n")
    assert fleetsim.load(workdir / "b9.yaml").spec.months == 10


def test_yaml_version_directive(workdir, capsys):
    write(workdir, SCENARIO, "%YAML 1.3\n---\n" + BASE)
    code, err = cli(RUN, capsys)
    assert code == 1
    expect(err, f"{SCENARIO}:1:1", "version", "write %YAML 1.2 or no directive")


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs named pipes")
@pytest.mark.parametrize("where", ["scenario", "extends", "csv"])
def test_fifo_is_refused_without_blocking(where, tmp_path):
    os.mkfifo(tmp_path / "pipe")
    if where == "scenario":
        argv = ("run", "pipe", "-o", OUT)
    else:
        write(tmp_path, SCENARIO, "extends: pipe\n" if where == "extends" else
              edit(("price: 0.08 USD/kWh", "price: {file: pipe}")))
        argv = RUN
    code, err = process(argv, tmp_path)
    assert code == 1
    expect(err, "pipe", "is a named pipe (FIFO), not a regular file")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
@pytest.mark.parametrize("where", ["scenario", "csv"])
def test_device_is_refused(where, tmp_path):
    if where == "scenario":
        argv = ("run", "/dev/zero", "-o", OUT)
    else:
        write(tmp_path, SCENARIO, edit(("price: 0.08 USD/kWh", "price: {file: /dev/zero}")))
        argv = RUN
    code, err = process(argv, tmp_path)
    assert code == 1
    expect(err, "/dev/zero is a character device, not a regular file")


@pytest.mark.parametrize("where, limit", [("scenario", guard.MAX_SCENARIO_BYTES), ("csv", guard.MAX_CSV_BYTES)])
def test_file_over_the_size_cap_is_not_read(where, limit, workdir, capsys):
    big = workdir / "big"
    with open(big, "wb") as handle:  # sparse: no disk is used
        handle.truncate(limit + 1)
    if where == "scenario":
        argv = ("run", "big", "-o", OUT)
    else:
        write(workdir, SCENARIO, edit(("price: 0.08 USD/kWh", "price: {file: big}")))
        argv = RUN
    code, err = cli(argv, capsys)
    assert code == 1
    expect(err, "big is larger than", f"{limit // 2**20} MiB")


@pytest.mark.parametrize("where", ["argument", "extends", "csv"])
def test_nul_byte_in_a_path(where, workdir, capsys):
    if where == "argument":
        argv = ("run", "sce\x00nario.yaml", "-o", OUT)
    else:
        write(workdir, SCENARIO, 'extends: "ba\\0se.yaml"\n' if where == "extends" else
              edit(("price: 0.08 USD/kWh", 'price: {file: "pri\\0ces.csv"}')))
        argv = RUN
    code, err = cli(argv, capsys)
    assert code == 1
    expect(err, "contains a NUL byte", "\\x00")


@pytest.mark.parametrize("where", ["argument", "extends", "csv"])
def test_overlong_name_in_a_path(where, workdir, capsys):
    long = "x" * 300 + ".yaml"
    if where == "argument":
        argv = ("run", long, "-o", OUT)
    else:
        write(workdir, SCENARIO, f"extends: {long}\n" if where == "extends" else
              edit(("price: 0.08 USD/kWh", f"price: {{file: {long}}}")))
        argv = RUN
    code, err = cli(argv, capsys)
    assert code == 1
    expect(err, "too long")


def test_symlink_loop_beside_a_missing_extends(workdir, capsys):
    os.symlink("loop.yaml", workdir / "loop.yaml")
    write(workdir, "base.yaml", BASE)
    write(workdir, SCENARIO, "extends: bsae.yaml\nname: variant\n")
    code, err = cli(RUN, capsys)
    assert code == 1
    expect(err, f"{SCENARIO}:1:1", "base scenario not found", "did you mean 'base.yaml'?")
    write(workdir, SCENARIO, "extends: loop.yaml\nname: variant\n")
    code, err = cli(RUN, capsys)
    assert code == 1
    expect(err, f"{SCENARIO}:1:1", "loop")


def test_any_other_failure_while_loading_is_a_located_error(workdir, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise ValueError("something no check foresaw")

    monkeypatch.setattr(importlib.import_module("fleetsim.scenario.load"), "build", broken)
    write(workdir, SCENARIO, BASE)
    code, err = cli(RUN, capsys)
    assert code == 1
    expect(err, SCENARIO, "could not load the scenario", "ValueError: something no check foresaw")


def test_huge_integer_literal(workdir, capsys):
    write(workdir, SCENARIO, edit(("count: 1000", "count: " + "9" * 5000)))
    code, err = cli(RUN, capsys)
    assert code == 1
    expect(err, f"{SCENARIO}:12:12", "orders.0.count", "5000 digits is beyond the range of every field",
           "for example count: 100000")


# --------------------------------------------------------------------------- magnitudes
MAGNITUDES = {
    "capacity-1e308": (("capacity: 150 MW", "capacity: 1e308 MW"), "7:5", "sites.colossus-1.capacity",
                       "'1e308 MW'", "largest power fleetsim accepts, 1e6 MW"),
    "count-1e19": (("count: 1000", "count: 10000000000000000000"), "12:5", "orders.0.count",
                   "10000000000000000000", "largest count fleetsim accepts, 1e12"),
    "pue-400-zeros": (("pue: 1.25", "pue: 1" + "0" * 400), "6:10", "sites.colossus-1.pue", "(given: '1000",
                      "401 digits is beyond the range of every field; for example pue: 1.25"),
    "count-30-digits": (("count: 1000", "count: " + "9" * 30), "12:5", "orders.0.count", "(given: 1e+30)",
                        "largest count fleetsim accepts, 1e12"),
    "pue-float-overflow": (("pue: 1.25", "pue: 1" + "0" * 15 + ".0"), "6:5", "sites.colossus-1.pue",
                           "(given: 1000000000000000.0)", "out of range"),
    "life-1e15-years": (("count: 1000", "count: 1000\n    lead_time: 1e15 years"), "13:5", "orders.0.lead_time",
                        "'1e15 years'", "1200 months (100 years)"),
    "life-1-second": (("months: 12", "months: 12\nfinance: {facility_life: 1 second}"), "4:11",
                      "finance.facility_life", "'1 second'", "rounds to 0 whole months"),
    "price-1e308": (("count: 1000", "count: 1000\n    price: 1e308 USD"), "13:5", "orders.0.price",
                    "'1e308 USD'", "largest money fleetsim accepts, 1e12 USD"),
}


@pytest.mark.parametrize("name", MAGNITUDES)
def test_magnitude_is_bounded(name, workdir, capsys):
    change, where, key, value, problem = MAGNITUDES[name]
    write(workdir, SCENARIO, edit(change))
    code, err = cli(RUN, capsys)
    assert code == 1
    expect(err, f"{SCENARIO}:{where}", key, value, problem, "for example")


@pytest.mark.parametrize("life, problem", [("1e15 years", "1200 months (100 years)"),
                                           ("1 second", "rounds to 0 whole months"),
                                           ("0 months", "must be more than zero")])
def test_hardware_life_is_bounded(life, problem, workdir, capsys):
    write(workdir, SCENARIO, BASE + f"hardware:\n  H100: {{life: {life}}}\n")
    code, err = cli(RUN, capsys)
    assert code == 1
    expect(err, f"{SCENARIO}:16:10", "hardware.H100.life", problem, "'5 years'")


def test_magnitudes_are_reported_together(workdir, capsys):
    write(workdir, SCENARIO, edit(*(MAGNITUDES[n][0] for n in ("capacity-1e308", "count-1e19")),
                                  append="hardware:\n  H100: {price: 1e308 USD}\n"))
    code, err = cli(RUN, capsys)
    assert code == 1
    expect(err, "3 problems", "sites.colossus-1.capacity", "orders.0.count", "hardware.H100.price")


NON_FINITE = [".nan", ".NaN", ".NAN", ".inf", ".Inf", ".INF", "-.inf", "+.inf", "-.Inf", "+.INF", "1e999",
              "'nan MW'", "'inf MW'", "'1e999 MW'"]


@pytest.mark.parametrize("spelling", NON_FINITE)
def test_fourteen_spellings_of_nan_and_infinity(spelling, workdir, capsys):
    assert len(NON_FINITE) == 14
    key = "capacity" if "MW" in spelling else "pue"
    write(workdir, SCENARIO, edit((f"{key}: {'150 MW' if key == 'capacity' else '1.25'}", f"{key}: {spelling}")))
    code, err = cli(RUN, capsys)
    assert code == 1
    expect(err, f"sites.colossus-1.{key}")


def _no_non_finite(text: str) -> dict:
    def refuse(constant):
        raise AssertionError(f"{constant} in JSON output")

    return json.loads(text, parse_constant=refuse)


@pytest.mark.parametrize("scenario", [
    BASE.replace("count: 1000", "count: 0"),  # nothing installed: cost per H100e-hour undefined
    edit(("capacity: 150 MW", "capacity: 1e6 MW"), ("count: 1000", "count: 1000000000000\n    price: 1e12 USD")),
    BASE + "finance: {cash: {start: 1e9 USD}}\n"  # never burning: runway has no finite value
           "revenue: {inference: {tokens_per_h100e_hour: 4.0e6, price: 100 USD/Mtok}}\n",
])
def test_no_output_holds_a_non_finite_figure(scenario, workdir, capsys):
    write(workdir, SCENARIO, scenario)
    code = main([*RUN, "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    summary = _no_non_finite(out)["summary"]
    assert all(v is None or math.isfinite(v) for v in summary.values())
    for table in Path(OUT).glob("*.csv"):
        cells = {cell.lower() for line in table.read_text().splitlines() for cell in line.split(",")}
        assert not cells & {"inf", "-inf", "nan", "infinity", "-infinity"}, table.name
    code = main([*RUN, "-o", "out/table"])
    out, _ = capsys.readouterr()
    assert code == 0 and "nan" not in out.lower().split() and "inf" not in out.lower()


# --------------------------------------------------------------------------- round trips and immutability
def test_names_like_missing_values_round_trip(workdir, capsys):
    text = (BASE.replace("colossus-1", "NA").replace("hardware: H100", 'hardware: "null"')
            + 'hardware:\n  "null": {like: H100}\n')
    write(workdir, SCENARIO, text)
    code, err = cli((*RUN, "--quiet"), capsys)
    assert code == 0, err
    result = fleetsim.read_result(OUT)
    assert set(result.ledger["site"]) <= {"NA", ""} and "NA" in set(result.ledger["site"])
    assert set(result.cohorts["hardware"]) == {"null"}
    assert set(result.cohorts["site"]) == {"NA"}


@pytest.mark.parametrize("name", ["a\rb", "a\nb", "", "  "])
def test_site_names_that_cannot_round_trip_are_refused(name, workdir, capsys):
    shown = json.dumps(name)
    write(workdir, SCENARIO, edit(("  colossus-1:", f"  {shown}:"), ("site: colossus-1", f"site: {shown}")))
    code, err = cli(RUN, capsys)
    assert code == 1
    expect(err, SCENARIO, "sites.", "a name")


def test_horizon_past_9999_is_refused(workdir, capsys):
    write(workdir, SCENARIO, edit(("start: 2024-07", "start: 9999-06"), ("delivery: 2024-07", "delivery: 9999-06")))
    code, err = cli(RUN, capsys)
    assert code == 1
    expect(err, f"{SCENARIO}:3:1", "months", "(given: 12)", "after 9999-12", "months: 7 or fewer")


def test_horizon_ending_in_9999_12_round_trips(workdir, capsys):
    write(workdir, SCENARIO, edit(("start: 2024-07", "start: 9999-01"), ("delivery: 2024-07", "delivery: 9999-01")))
    code, err = cli((*RUN, "--quiet"), capsys)
    assert code == 0, err
    assert str(fleetsim.read_result(OUT).monthly.index[-1]) == "9999-12"


def test_scenario_is_immutable(workdir):
    write(workdir, SCENARIO, BASE)
    sc = fleetsim.load(SCENARIO)
    digest = sc.hash()
    with pytest.raises(AttributeError):
        sc.spec.orders.append(sc.spec.orders[0])
    with pytest.raises(TypeError, match="immutable"):
        sc.spec.sites["other"] = sc.spec.sites["colossus-1"]
    with pytest.raises(TypeError):
        sc.hardware["H100"] = None
    with pytest.raises(AttributeError, match="immutable"):
        sc.spec = None
    with pytest.raises(Exception):  # pydantic: a frozen model  # noqa: B017
        sc.spec.orders[0].count = 5
    assert sc.hash() == digest
    assert sc.override({"orders.0.count": 5}).spec.orders[0].count == 5 and sc.spec.orders[0].count == 1000


# --------------------------------------------------------------------------- names
BAD_NAMES = {"/abs/victim": "'/'", "../../x": "'/'", ".": "begin with a letter or digit",
             "..": "begin with a letter or digit", ".hidden": "begin with a letter or digit",
             "a\\b": "'\\\\'", "x" * 101: "at most 100 characters", "tab\there": "control character \\t",
             "nul\x00": "control character \\x00", "trailing.": "end with a dot"}


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_scenario_name_is_a_name(bad, workdir, capsys):
    write(workdir, SCENARIO, edit(("name: base", f"name: {json.dumps(bad)}")))
    code, err = cli(RUN, capsys)
    assert code == 1
    expect(err, f"{SCENARIO}:1:1", "name:", BAD_NAMES[bad], "such as colossus-1")


@pytest.mark.parametrize("where, text, key", [
    ("site", BASE.replace("colossus-1", "a/b"), "sites.a/b"),
    ("order", edit(("count: 1000", "count: 1000\n    name: ../x")), "orders.0.name"),
    ("hardware", BASE + "hardware:\n  ../evil: {like: H100}\n", "hardware.../evil"),
    ("training", BASE + "training:\n  - {name: /tmp/x, compute: 1e24 FLOP, start: 2024-07}\n", "training.0.name"),
])
def test_every_name_is_a_name(where, text, key, workdir, capsys):
    write(workdir, SCENARIO, text)
    code, err = cli(RUN, capsys)
    assert code == 1
    expect(err, SCENARIO, key, "a name cannot contain '/'")


def test_every_shipped_scenario_still_validates(capsys):
    shipped = sorted(str(p) for p in (Path(__file__).parent.parent / "scenarios").glob("*.yaml"))
    code, err = cli(("validate", *shipped), capsys, folder=Path(__file__).parent.parent / "scenarios")
    assert code == 0, err


# --------------------------------------------------------------------------- terminal and disclosure
ESCAPES = [
    edit(("name: base", 'name: "\\e]0;pwned\\a\\e[2J"')),
    BASE + '"\\e[2Jkey": 1\n',
    edit(("delivery: 2024-07", 'delivery: "\\e[31m2024-07"')),
    edit(("name: base", 'name: base\ndescription: "clear \\e[2J\\e[3J"')),
]


@pytest.mark.parametrize("text", ESCAPES)
def test_escape_sequences_are_never_printed_raw(text, workdir, capsys):
    write(workdir, SCENARIO, text)
    code, err = cli(RUN, capsys)
    assert code == 1
    assert "\x1b" not in err and "\x07" not in err
    expect(err, "\\x1b")


def test_escape_sequences_are_never_printed_raw_by_a_process(tmp_path):
    """The same check on a real process's stderr (one case: the four above print through the same
    error report, each in this process)."""
    write(tmp_path, SCENARIO, ESCAPES[0])
    code, err = process(RUN, tmp_path)
    assert code == 1
    assert "\x1b" not in err and "\x07" not in err
    expect(err, "\\x1b")


def test_extends_of_a_foreign_file_does_not_quote_it(workdir, capsys):
    write(workdir, "secret.env", "PASSWORD: hunter2\nAPI_TOKEN: s3cr3t-t0ken\n")
    write(workdir, "other.env", "API_TOKEN=s3cr3t-t0ken\nexport PASSWORD='hunter2' # {\n")
    for target in ("secret.env", "other.env", str(workdir / "secret.env")):
        write(workdir, SCENARIO, f"extends: {target}\nname: variant\n")
        code, err = cli(RUN, capsys)
        assert code == 1
        expect(err, f"{SCENARIO}:1:1", "extends", "is not a scenario file")
        assert "hunter2" not in err and "s3cr3t" not in err and "PASSWORD" not in err


def test_schedule_file_that_is_not_a_schedule_is_not_quoted(workdir, capsys):
    write(workdir, "passwd", "root:x:0:0:root:/root:/bin/bash\ndaemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n")
    write(workdir, SCENARIO, edit(("price: 0.08 USD/kWh", f"price: {{file: {workdir / 'passwd'}}}")))
    code, err = cli(RUN, capsys)
    assert code == 1
    expect(err, f"{SCENARIO}:9:15", "passwd:1", "not the header of a schedule file", "month,value [USD/kWh]")
    assert "root" not in err.replace(str(workdir), "") and "/bin/bash" not in err


# --------------------------------------------------------------------------- messages
@pytest.mark.parametrize("encoding, name", [("utf-16", "UTF-16"), ("utf-16-le", "UTF-16"), ("utf-32", "UTF-32")])
def test_utf16_and_utf32_are_named(encoding, name, workdir, capsys):
    write(workdir, SCENARIO, BASE.encode(encoding))
    code, err = cli(RUN, capsys)
    assert code == 1
    expect(err, SCENARIO, f"is {name} text; save it as UTF-8")
    write(workdir, SCENARIO, edit(("price: 0.08 USD/kWh", "price: {file: prices.csv}")))
    write(workdir, "prices.csv", "month,value [USD/kWh]\n2024-07,0.08\n".encode(encoding))
    code, err = cli(RUN, capsys)
    assert code == 1
    expect(err, "prices.csv", f"is {name} text; save it as UTF-8")


def test_control_character_is_located_by_line_and_column(workdir, capsys):
    write(workdir, SCENARIO, edit(("name: base", "name: ba\x1bse")))
    code, err = cli(RUN, capsys)
    assert code == 1
    expect(err, f"{SCENARIO}:1:9", "control character \\x1b (U+001B)")
    assert "position" not in err


def test_extends_naming_a_folder(workdir, capsys):
    (workdir / "bases").mkdir()
    write(workdir, SCENARIO, "extends: bases\nname: variant\n")
    code, err = cli(RUN, capsys)
    assert code == 1
    expect(err, f"{SCENARIO}:1:1", "extends", "is a folder, not a base scenario")
    assert "not found" not in err


def test_duplicate_csv_month_names_file_and_rows(workdir, capsys):
    write(workdir, SCENARIO, edit(("price: 0.08 USD/kWh", "price: {file: prices.csv}")))
    write(workdir, "prices.csv", "month,value [USD/kWh]\n2024-07,0.08\n2024-08,0.09\n2024-07,0.1\n")
    code, err = cli(RUN, capsys)
    assert code == 1
    expect(err, f"{SCENARIO}:9:15", "prices.csv:4:1", "2024-07 appears twice", "first at", "prices.csv:2")


def test_utf8_bom_is_accepted(workdir, capsys):
    write(workdir, SCENARIO, b"\xef\xbb\xbf" + edit(("price: 0.08 USD/kWh", "price: {file: prices.csv}")).encode())
    write(workdir, "prices.csv", b"\xef\xbb\xbfmonth,value [USD/kWh]\r\n2024-07,0.08\r\n")
    code, err = cli(("validate", SCENARIO), capsys)
    assert code == 0, err


def test_vary_without_equals_is_a_usage_error(workdir, capsys):
    write(workdir, SCENARIO, BASE)
    code, err = cli(("sweep", SCENARIO, "--vary", "sites.colossus-1.pue"), capsys)
    assert code == 2
    expect(err, "--vary expects KEY=a,b,c", "'sites.colossus-1.pue'")


@pytest.mark.parametrize("changes, problem", [({1: 2}, "a key path is text"),
                                              ([("a", 1)], "override takes a mapping")])
def test_override_with_a_key_that_is_not_text(changes, problem, workdir):
    write(workdir, SCENARIO, BASE)
    with pytest.raises(ScenarioError, match=problem):
        fleetsim.load(SCENARIO).override(changes)
