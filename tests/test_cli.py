"""The command line on valid input: every shipped scenario runs; each command does its job."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from fleetsim.cli.main import main
from fleetsim.io import TABLES
from fleetsim.output import MARKER

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))


def test_there_are_scenarios():
    assert ROOT / "scenarios" / "colossus.yaml" in SCENARIOS


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.name)
def test_every_scenario_runs_through_the_cli(scenario, tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(scenario), "-o", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "Peak facility power" in printed
    cost_line = next(line for line in printed.splitlines() if "Operating cost per H100e-hour" in line)
    assert "USD/h" in cost_line  # a cost per hour, labelled as one
    contracts = {"contracts.csv"} if "contracts:" in scenario.read_text() else set()  # written when there are any
    assert {p.name for p in out.iterdir()} == {f"{table}.csv" for table in TABLES} | {"meta.json", MARKER} | contracts
    monthly = pd.read_csv(out / "monthly.csv")
    assert len(monthly) > 0 and monthly.month.str.fullmatch(r"\d{4}-\d{2}").all()
    assert main(["validate", str(scenario)]) == 0


def test_default_output_folder_is_out_name(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    assert main(["run", str(ROOT / "scenarios" / "colossus.yaml"), "--quiet"]) == 0
    assert capsys.readouterr().out == ""
    assert (tmp_path / "out" / "colossus" / "monthly.csv").is_file()


def test_set_and_parquet(tmp_path, capsys):
    out = tmp_path / "p"
    code = main(["run", str(ROOT / "scenarios" / "colossus.yaml"), "-o", str(out), "--format", "parquet",
                 "--set", "sites.colossus-1.pue=1.3", "--set", "orders.0.count=1000", "--quiet"])
    assert code == 0
    meta = json.loads((out / "meta.json").read_text())
    assert meta["overrides"] == {"sites.colossus-1.pue": 1.3, "orders.0.count": 1000}
    assert pd.read_parquet(out / "monthly.parquet").month.iloc[0] == "2024-07"


def test_set_mapping_value_read_as_yaml(tmp_path):
    code = main(["run", str(ROOT / "scenarios" / "colossus.yaml"), "-o", str(tmp_path / "o"), "--quiet",
                 "--set", "sites.colossus-2.supply.grid.capacity={2025-09: 2 GW}"])
    assert code == 0
    monthly = pd.read_csv(tmp_path / "o" / "monthly.csv")
    turbines_1, turbines_2 = 12 * 16.5 * 0.93, 65 * 16.5 * 0.93  # Colossus 1 keeps 12 turbines from 2025-09
    assert monthly.capacity_mw.iloc[-1] == pytest.approx(turbines_1 + 300 + 150 + turbines_2 + 2000)


def test_catalog_lists_and_shows_sources(capsys):
    assert main(["catalog"]) == 0
    listing = capsys.readouterr().out
    for name in ("A100", "H100", "H200", "B200", "GB200", "GB300", "MI300X", "custom-asic"):
        assert name in listing
    assert main(["catalog", "H100"]) == 0
    assert "Llama 3" in capsys.readouterr().out
    assert main(["catalog", "H10"]) == 1
    assert "did you mean 'H100'" in capsys.readouterr().err


def test_schema_prints_json_schema(capsys):
    assert main(["schema"]) == 0
    schema = json.loads(capsys.readouterr().out)
    assert schema["title"] == "fleetsim scenario" and "sites" in schema["properties"]


def test_help_and_version_through_a_real_process():
    done = subprocess.run([sys.executable, "-m", "fleetsim", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "run" in done.stdout and "validate" in done.stdout
    # --help must not import the heavy parts
    probe = ("import sys; from fleetsim.cli.main import _parser; _parser();"
             "print(sorted(m for m in ('pandas', 'pint', 'simpy', 'rich', 'pydantic') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert done.stdout.strip() == "[]"


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as info:
        main(["run"])
    assert info.value.code == 2
    with pytest.raises(SystemExit) as info:
        main(["nosuchcommand"])
    assert info.value.code == 2
