"""The benchmark floor (benchmarks/floor.py) computes the same outputs as fleetsim.

The floor is an independent numpy implementation used to judge fleetsim's speed (issue 15):
the ratio means something only if both compute the same thing. A small generated case where
the install rate and the power both hold hardware back, the operating PUE is worse than the
design PUE (curtailment), capacity steps down, and prices escalate is compared table by table.
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fleetsim
from fleetsim.engine import compile_plan, run

ROOT = Path(__file__).resolve().parents[1]
SPEC = importlib.util.spec_from_file_location("fleetsim_floor", ROOT / "benchmarks" / "floor.py")
floor_module = importlib.util.module_from_spec(SPEC)
SPEC.loader.exec_module(floor_module)

HARDWARE = ["H100", "B200", "GB200", "MI300X"]


def small_case(orders: int = 36, sites: int = 3, months: int = 48) -> str:
    lines = ["name: floor-check", "start: 2025-03", f"months: {months}", "seed: 5", "sites:"]
    for s in range(sites):
        lines += [f"  site{s}:", f"    pue: {1.15 + 0.05 * s}", "    design_pue: 1.15",
                  "    capacity: {2025-03: 20 MW, 2026-01: 45 MW, 2027-06: 35 MW}",
                  f"    electricity: {{price: {0.05 + 0.01 * s} USD/kWh, escalation: 0.03}}",
                  f"    install_rate: {2500 + 1000 * s}", "    construction_cost: 9 MUSD/MW",
                  "    water: 0.3 L/kWh"]
    lines.append("orders:")
    for i in range(orders):
        year, month = divmod(2 + i * (months - 8) // orders, 12)
        when = f"{2025 + year}-{month + 1:02d}"
        end_year, end_month = divmod(2 + i * (months - 8) // orders + 4, 12)
        delivery = f"{{from: {when}, to: {2025 + end_year}-{end_month + 1:02d}}}" if i % 3 == 0 else when
        extra = ", lead_time: 2 months" if i % 5 == 0 else ""
        extra += ", price: 31000 USD" if i % 7 == 0 else ""
        lines.append(f"  - {{hardware: {HARDWARE[i % len(HARDWARE)]}, count: {900 + 611 * i}, "
                     f"site: site{(i * 7) % sites}, delivery: {delivery}{extra}}}")
    lines += ["operations: {utilization: 0.7, training_share: 0.4, power_draw: {busy: 0.8, idle: 0.3}}",
              "finance: {opex: {fixed: 4 MUSD/month, maintenance: 0.04}, depreciation: {salvage: 0.1},",
              "          facility_life: 120 months, discount_rate: 0.08, cost_of_capital: 0.07,",
              "          cash: {start: 2 GUSD}}",
              "revenue: {inference: {tokens_per_h100e_hour: 2.5e6, price: 1.5 USD/Mtok}, other: 1 MUSD/month}",
              "hardware: {" + ", ".join(f"{name}: {{failure_rate: 0}}" for name in HARDWARE) + "}"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    path = tmp_path_factory.mktemp("floor") / "case.yaml"
    path.write_text(small_case())
    scenario = fleetsim.load(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fleetsim.FleetsimWarning)
        result = fleetsim.simulate(scenario)
    return scenario, result, floor_module.floor(scenario)


def same(ours: pd.DataFrame, theirs: pd.DataFrame, rtol: float = 1e-12) -> None:
    """Equal columns and rows: text exactly, numbers within ``rtol`` of the column's largest value
    (sums of many terms in another order differ in the last bits), NaN where NaN."""
    assert list(ours.columns) == list(theirs.columns)
    assert len(ours) == len(theirs)
    for column in ours.columns:
        a, b = ours[column], theirs[column]
        if pd.api.types.is_numeric_dtype(a) and not pd.api.types.is_bool_dtype(a):
            a, b = a.to_numpy(float), b.to_numpy(float)
            assert (np.isnan(a) == np.isnan(b)).all(), column
            scale = np.nanmax(np.abs(a), initial=0.0)
            np.testing.assert_allclose(b[~np.isnan(b)], a[~np.isnan(a)], rtol=0, atol=rtol * scale + 1e-300,
                                       err_msg=column)
        else:
            assert (a.astype(str).to_numpy() == b.astype(str).to_numpy()).all(), column


def test_the_case_exercises_every_rule(both):
    _, result, _ = both
    m = result.monthly
    assert m.waiting_install.max() > 0          # the install rate holds hardware back
    assert m.waiting_power.max() > 0            # power holds hardware back
    assert m.curtailed_h100e_hours.max() > 0    # operating PUE above design: curtailment
    assert (m.capacity_mw.diff() < 0).any()     # a capacity step down
    assert (result.ledger.account == "facility_capex").any() and m.depreciation_usd.min() > 0


def test_installation_is_the_same_cohort_by_cohort(both):
    scenario, _, low = both
    trace = run(compile_plan(scenario))
    np.testing.assert_array_equal(low.installed, trace.installed)
    np.testing.assert_array_equal(low.stranded, trace.stranded)
    np.testing.assert_array_equal(low.waiting_install, trace.waiting_install)


@pytest.mark.parametrize("table", ["monthly", "ledger", "cohorts", "sites", "energy"])
def test_tables_agree(both, table):
    _, result, low = both
    ours = getattr(result, table)
    same(ours, getattr(low, table)[list(ours.columns)] if table == "monthly" else getattr(low, table))


def test_the_floor_refuses_what_it_does_not_model():
    with pytest.raises(floor_module.Unsupported, match="plain scenarios only"):
        floor_module.floor(fleetsim.load(ROOT / "scenarios" / "colossus.yaml"))
