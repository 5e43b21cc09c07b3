"""The speed measures of the world's Monte Carlo path keep behaviour: OpenBLAS defaults to one
thread (a user's own setting wins), and the remembered parsers of names, months and quantities
give the same answers and raise the same problems every time (a problem is never cached)."""

import os
import subprocess
import sys

import pytest

from fleetsim import months, units
from fleetsim.scenario import fields


def _threads_after_import(env_value: str | None) -> str:
    env = {k: v for k, v in os.environ.items() if k != "OPENBLAS_NUM_THREADS"}
    if env_value is not None:
        env["OPENBLAS_NUM_THREADS"] = env_value
    code = "import os, fleetsim; print(os.environ.get('OPENBLAS_NUM_THREADS'))"
    return subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def test_openblas_defaults_to_one_thread_and_a_user_setting_wins():
    assert _threads_after_import(None) == "1"
    assert _threads_after_import("3") == "3"


def test_remembered_month_parse_agrees_and_raises_every_time():
    assert months.parse_text("2024-07") == months.parse("2024-07") == 2024 * 12 + 6
    for _ in range(2):
        with pytest.raises(months.MonthProblem, match="month 13 does not exist"):
            months.parse_text("2024-13")
    assert fields.check_month("2025-01") == 2025 * 12


def test_remembered_quantity_parse_agrees_and_raises_every_time():
    # 1.1 GW is 1100 MW exactly (see units._scaled)
    assert units.parse_text("1.1 GW", "power") == units.parse("1100 MW", "power") == 1100.0
    for _ in range(2):
        with pytest.raises(units.UnitProblem, match="has none"):
            units.parse_text("150", "power")
    with pytest.raises(units.UnitProblem, match="has none"):
        units.parse(150, "power")  # numbers still take the unremembered path


def test_remembered_name_check_agrees_for_text_and_others():
    assert fields.name_problem("colossus-1") is None
    assert fields.name_problem("../x").startswith("a name cannot contain '/'")
    assert fields.name_problem("../x") == fields._name_problem("../x")
    assert fields.name_problem(7).startswith("a name is text")  # not text: not remembered
