"""Issue 11, parts 2-5: the physical rules, each with the value a hand computation gives.

- design PUE: installation, hall sizing and colocation rent use the design (nameplate) PUE, the
  operating PUE drives energy only; power above capacity is curtailed and warned about;
- energy nobody supplies takes the hours it would have powered (training first), or is charged
  at a value of lost load; a battery is firm for energy ÷ firm window at most;
- construction follows the data halls, not the power supply;
- failure rates are hazards; the availability formula of docs/model.md matches the engine.
"""

from __future__ import annotations

import math
import textwrap
import warnings

import numpy as np
import pytest

import fleetsim
from fleetsim.cli.main import main
from fleetsim.engine.model import failure_probability

HEAD = """\
name: physical
start: 2024-01
months: {months}
seed: 5
hardware:
  KW:                      # 1 kW of IT power per accelerator, one H100 equivalent
    like: H100
    power: 1000 W
    system_overhead: 1.0
    price: 40000 USD
    life: 20 years
    failure_rate: {failure_rate}
    h100e: 1
"""


def scenario(site: str, orders: str, months: int = 12, failure_rate: float = 0.0, tail: str = "") -> str:
    return (HEAD.format(months=months, failure_rate=failure_rate) + "sites:\n  s1:\n"
            + textwrap.indent(textwrap.dedent(site), "    ") + "orders:\n" + textwrap.indent(orders, "  ") + tail)


def simulate(text: str):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", fleetsim.FleetsimWarning)
        res = fleetsim.simulate(fleetsim.load_text(text))
    return res, [str(w.message) for w in caught]


def order(count: int, month: str = "2024-01") -> str:
    return f"- {{hardware: KW, count: {count}, site: s1, delivery: {month}}}\n"


HOURS = np.array([744, 696, 744, 720, 744, 720, 744, 744, 720, 744, 720, 744], dtype=float)  # 2024
SUMMER = "pue: {2024-01: 1.1, 2024-07: 1.4}\n"
FULL_LOAD = "operations: {utilization: 1.0, training_share: 0.5, power_draw: {busy: 1.0, idle: 0.0}}\n"


# --------------------------------------------------------------------------- 2. design PUE
def test_design_pue_gates_installation_not_the_operating_pue():
    # 100 MW, PUE 1.1 January-June and 1.4 July-December: design PUE 1.4 (the highest);
    # floor(100 MW ÷ 1.4 ÷ 1 kW) = 71,428 energised all year, never more in the mild months
    res, found = simulate(scenario(SUMMER + "capacity: 100 MW\nelectricity: {price: 0.08 USD/kWh}\n",
                                   order(100_000), tail=FULL_LOAD))
    m = res.monthly
    assert (m.accelerators == 71_428).all() and (m.stranded == 100_000 - 71_428).all()
    # the operating PUE drives energy only
    np.testing.assert_allclose(m.facility_power_mw / m.it_power_mw, [1.1] * 6 + [1.4] * 6, rtol=1e-12)
    np.testing.assert_allclose(m.energy_mwh, 71.428 * np.r_[[1.1] * 6, [1.4] * 6] * HOURS, rtol=1e-12)
    assert (m.peak_facility_power_mw <= m.capacity_mw).all() and m.curtailed_h100e_hours.sum() == 0
    assert not any("curtailed" in message for message in found)


def test_colocation_rent_is_the_same_every_month():
    # a 12 MW colocation contract at 150 USD per kW of IT a month, design PUE 1.4:
    # 150,000 USD/MW × 12 MW ÷ 1.4 = 1,285,714.29 USD every month (not 1,636,363.64 in January-June)
    res, _ = simulate(scenario(SUMMER + "capacity: 12 MW\nelectricity: {price: 0.08 USD/kWh}\n"
                               "colocation: 150 USD/kW/month\n", order(1000)))
    rent = res.ledger[res.ledger.account == "colocation"].amount_usd.to_numpy()
    np.testing.assert_allclose(rent, [150_000 * 12 / 1.4] * 12, rtol=1e-12)
    assert rent[0] == pytest.approx(1_285_714.29, abs=0.01)


def test_design_pue_sizes_the_halls():
    # 100 MW at design PUE 1.4 holds 71.43 MW of IT halls: 714.3 MUSD at 10 MUSD/MW of IT
    res, _ = simulate(scenario(SUMMER + "capacity: 100 MW\nelectricity: {price: 0.08 USD/kWh}\n"
                               "construction_cost: 10 MUSD/MW\n", order(1000)))
    m = res.monthly
    assert m.facility_capex_usd.iloc[0] == pytest.approx(10e6 * 100 / 1.4) and m.facility_capex_usd.iloc[1:].sum() == 0
    np.testing.assert_allclose(m.halls_mw, 100 / 1.4, rtol=1e-12)


def test_a_worse_pue_than_designed_is_curtailed_and_warned_about():
    # design PUE 1.1 set below July's 1.4: 90,909 installed (100 MW ÷ 1.1 ÷ 1 kW); in July their full
    # load is 127.27 MW, so each runs 100 ÷ 127.27 = 78.57 % of the month and power stays at 100 MW
    res, found = simulate(scenario(SUMMER + "design_pue: 1.1\ncapacity: 100 MW\n"
                                   "electricity: {price: 0.08 USD/kWh}\n", order(100_000), tail=FULL_LOAD))
    m = res.monthly
    assert (m.accelerators == 90_909).all()
    share = 100 / (90.909 * 1.4)
    np.testing.assert_allclose(m.h100e_available, [90_909] * 6 + [90_909 * share] * 6, rtol=1e-12)
    np.testing.assert_allclose(m.curtailed_h100e_hours, np.r_[[0] * 6, [90_909 * (1 - share)] * 6] * HOURS,
                               rtol=1e-9, atol=1e-6)
    assert m.peak_facility_power_mw.iloc[6:].max() == pytest.approx(100.0)
    assert (m.facility_power_mw <= m.capacity_mw * (1 + 1e-12)).all()
    assert any("design_pue 1.1 is below the operating pue (1.4 in 2024-07, 6 months)" in f for f in found)
    assert any("s1: full-load power of its installed hardware exceeds capacity" in f and "from 2024-07" in f
               for f in found)


def test_a_capacity_step_down_is_curtailed():
    # 100,000 × 1 kW at PUE 1.0 on 100 MW; from April 50 MW: half of each month's hours
    res, found = simulate(scenario("pue: 1.0\ncapacity: {2024-01: 100 MW, 2024-04: 50 MW}\n"
                                   "electricity: {price: 0.08 USD/kWh}\n", order(100_000), tail=FULL_LOAD))
    m = res.monthly
    np.testing.assert_allclose(m.h100e_available, [100_000] * 3 + [50_000] * 9, rtol=1e-12)
    np.testing.assert_allclose(m.peak_facility_power_mw, [100] * 3 + [50] * 9, rtol=1e-12)
    np.testing.assert_allclose(m.energy_mwh, np.r_[[100] * 3, [50] * 9] * HOURS, rtol=1e-12)
    assert res.sites.curtailed_h100e_hours.sum() == pytest.approx(50_000 * HOURS[3:].sum())
    assert any("curtailed to fit" in f for f in found)


# --------------------------------------------------------------------------- 3. unserved energy
BATTERY_SITE = """\
pue: 1.0
halls: 150 MW
supply:
  grid: {kind: grid, capacity: 100 MW, price: 0.08 USD/kWh}
  pack: {kind: battery, power: 50 MW, energy: 200 MWh, firm: true}
"""


def test_unserved_energy_takes_hours_training_first():
    # 150 MW of halls and of firm capacity (grid 100 MW + battery 50 MW), 150,000 × 1 kW running flat out:
    # the grid delivers 100 MW × hours, the battery none, so a third of the hours are lost; they come out of
    # training (75,000 → 25,000 H100e a month), inference keeps its 75,000, and so its tokens
    res, found = simulate(scenario(BATTERY_SITE, order(150_000), tail=FULL_LOAD + TOKENS))
    m = res.monthly
    np.testing.assert_allclose(m.h100e_available, 100_000, rtol=1e-9)
    np.testing.assert_allclose(m.inference_h100e_hours, 75_000 * HOURS, rtol=1e-9)
    np.testing.assert_allclose(m.training_h100e_hours, 25_000 * HOURS, rtol=1e-9)
    np.testing.assert_allclose(m.tokens, 75_000 * HOURS * 1e6, rtol=1e-9)
    np.testing.assert_allclose(m.unserved_h100e_hours, 50_000 * HOURS, rtol=1e-9)
    np.testing.assert_allclose(m.energy_mwh, 100 * HOURS, rtol=1e-9)           # what was served
    np.testing.assert_allclose(m.unserved_energy_mwh, 50 * HOURS, rtol=1e-9)   # what would have been drawn
    assert m.lost_load_cost_usd.sum() == 0
    assert any("cannot supply" in f and "hours it would have powered are lost" in f for f in found)


def test_when_training_runs_out_inference_loses_too():
    # training share 0.1: 15,000 of the 50,000 lost H100e come out of training, 35,000 out of inference
    res, _ = simulate(scenario(BATTERY_SITE, order(150_000),
                               tail=FULL_LOAD.replace("training_share: 0.5", "training_share: 0.1") + TOKENS))
    m = res.monthly
    np.testing.assert_allclose(m.training_h100e_hours, 0.0, atol=1e-6)
    np.testing.assert_allclose(m.inference_h100e_hours, 100_000 * HOURS, rtol=1e-9)


TOKENS = "revenue: {inference: {tokens_per_h100e_hour: 1.0e6, price: 1 USD/Mtok}}\n"


def test_value_of_lost_load_is_charged_instead():
    # the same site with value_of_lost_load 10,000 USD/MWh: the hardware runs, and the 50 MW nobody supplies
    # is charged: 50 MW × 744 h × 10,000 USD/MWh = 372 MUSD in January
    res, found = simulate(scenario(BATTERY_SITE + "value_of_lost_load: 10000 USD/MWh\n", order(150_000),
                                   tail=FULL_LOAD))
    m = res.monthly
    np.testing.assert_allclose(m.h100e_available, 150_000, rtol=1e-12)
    assert m.lost_load_cost_usd.iloc[0] == pytest.approx(372e6)
    np.testing.assert_allclose(m.lost_load_cost_usd, 50 * HOURS * 10_000, rtol=1e-9)
    np.testing.assert_allclose(m.energy_mwh, m.grid_energy_mwh + m.unserved_energy_mwh, rtol=1e-12)
    np.testing.assert_allclose(m.energy_cost_usd, m.purchased_energy_cost_usd + m.lost_load_cost_usd, rtol=1e-12)
    ledger = res.ledger.groupby("account").amount_usd.sum()
    assert ledger["lost_load"] == pytest.approx(m.lost_load_cost_usd.sum())
    unserved = res.energy[res.energy.source == "unserved"]
    assert unserved.cost_usd.sum() == pytest.approx(m.lost_load_cost_usd.sum())
    assert any("charged at its value of lost load, 10 USD/kWh" in f for f in found)


@pytest.mark.parametrize(("window", "firm"), [("4 h", 50.0), ("2 h", 100.0), ("1 h", 100.0)])
def test_a_battery_is_firm_for_energy_over_its_window(window, firm):
    # 100 MW / 200 MWh: 200 MWh ÷ 4 h = 50 MW firm; over 2 h, 100 MW; over 1 h still 100 MW (never above its power)
    site = ("pue: 1.0\nsupply:\n  grid: {kind: grid, capacity: 100 MW, price: 0.08 USD/kWh}\n"
            f"  pack: {{kind: battery, power: 100 MW, energy: 200 MWh, firm: true, firm_window: {window}}}\n")
    res, _ = simulate(scenario(site, order(10)))
    np.testing.assert_allclose(res.monthly.capacity_mw, 100 + firm, rtol=1e-12)


# --------------------------------------------------------------------------- 4. data halls
def test_halls_not_the_battery_are_built():
    # grid 100 MW plus a firm 50 MW battery at 10 MUSD per MW of IT: 1.0 GUSD of halls, not 1.5
    site = ("pue: 1.0\nconstruction_cost: 10 MUSD/MW\nsupply:\n"
            "  grid: {kind: grid, capacity: 100 MW, price: 0.08 USD/kWh}\n"
            "  pack: {kind: battery, power: 50 MW, energy: 200 MWh, firm: true, capex: 300 USD/kWh}\n")
    res, _ = simulate(scenario(site, order(1000)))
    ledger = res.ledger.groupby("account").amount_usd.sum()
    assert ledger["facility_capex"] == pytest.approx(1.0e9)
    assert ledger["generation_capex"] == pytest.approx(300e3 * 200)   # the battery carries its own capex
    assert res.monthly.capacity_mw.iloc[0] == pytest.approx(150.0) and res.monthly.halls_mw.iloc[0] == 100.0


def test_halls_schedule_drives_capex_and_caps_installation():
    # 1 GW of grid, halls 50 MW then 80 MW of IT: 50,000 then 80,000 × 1 kW; 500 then 300 MUSD of halls
    site = ("pue: 1.2\ncapacity: 1 GW\nelectricity: {price: 0.08 USD/kWh}\nconstruction_cost: 10 MUSD/MW\n"
            "halls: {2024-01: 50 MW, 2024-07: 80 MW}\n")
    res, _ = simulate(scenario(site, order(100_000)))
    m = res.monthly
    np.testing.assert_array_equal(m.accelerators, [50_000] * 6 + [80_000] * 6)
    assert (m.waiting_power == 100_000 - m.accelerators).all()
    np.testing.assert_allclose(m.facility_capex_usd, [500e6] + [0] * 5 + [300e6] + [0] * 5)


def test_default_halls_follow_firm_generation_and_never_shrink():
    # turbines and grid build halls at design PUE (1.25): 2 × 50 MW × 0.9 = 90 MW, then +60 MW of grid;
    # a grid step down does not un-build them
    site = ("pue: 1.25\nsupply:\n"
            "  gas: {kind: gas_turbine, units: 2, unit_capacity: 50 MW, availability: 0.9, heat_rate: 9.5 MMBtu/MWh,"
            " fuel_price: 3.5 USD/MMBtu}\n"
            "  grid: {kind: grid, capacity: {2024-03: 60 MW, 2024-09: 30 MW}, price: 0.08 USD/kWh}\n")
    res, _ = simulate(scenario(site, order(10)))
    np.testing.assert_allclose(res.monthly.halls_mw, np.r_[[90] * 2, [150] * 10] / 1.25, rtol=1e-12)


# --------------------------------------------------------------------------- 5. failures
def test_failure_rate_is_a_hazard():
    # 0.09 failures per accelerator-year over a 744-hour month: 1 − exp(−0.09 × 744 ÷ 8766) = 0.7610 %
    assert failure_probability(0.09, 744.0) == pytest.approx(0.0076095, rel=1e-5)
    assert failure_probability(2.0, 8766.0) == pytest.approx(1 - math.exp(-2.0))   # a rate may exceed 1


def test_failures_are_counted_monthly_and_per_site():
    res, _ = simulate(scenario("pue: 1.0\ncapacity: 10 GW\nelectricity: {price: 0.08 USD/kWh}\n",
                               order(2_000_000), failure_rate=0.09))
    m = res.monthly
    expected = 2_000_000 * failure_probability(0.09, HOURS)   # repairs (5 days) end within the month
    sigma = np.sqrt(expected)
    assert (np.abs(m.failures - expected) < 6 * sigma).all()
    assert m.failures.sum() == pytest.approx(expected.sum(), rel=0.01)
    np.testing.assert_array_equal(res.sites.groupby("month").failures.sum(), m.failures)


def test_a_zero_repair_time_has_failed_hardware_back_at_once():
    """repair_time 0: every month's failures are drawn among all installed accelerators, p N each
    month, and nothing is ever out (docs/model.md). Hardware that was never back would leave
    (1 − p)^12 ≈ 13 % of it working after a year at rate 2, and a seventh of the failures."""
    text = scenario("pue: 1.0\ncapacity: 10 GW\nelectricity: {price: 0.08 USD/kWh}\n", order(2_000_000),
                    months=24, failure_rate=2.0)
    res, _ = simulate(text.replace("life: 20 years", "life: 100 years") + "operations: {repair_time: 0 days}\n")
    m = res.monthly
    hours = m.index.days_in_month.to_numpy() * 24.0
    expected = 2_000_000 * failure_probability(2.0, hours)
    assert (np.abs(m.failures - expected) < 6 * np.sqrt(expected)).all()
    np.testing.assert_array_equal(m.h100e_available, m.h100e)          # available all month: nothing out


def steady_availability(rate: float, repair_hours: float, hours: float) -> float:
    """docs/model.md: A = 1 − p × r ÷ (h × (1 + (m − 1) × p)), p = 1 − exp(−rate × h ÷ 8766), m = ⌈r ÷ h⌉."""
    p = 1 - math.exp(-rate * hours / 8766)
    m = math.ceil(repair_hours / hours)
    return 1 - p * repair_hours / (hours * (1 + (m - 1) * p))


@pytest.mark.parametrize(("rate", "repair"), [(0.09, "5 days"), (0.5, "45 days"), (2.0, "100 days")])
def test_availability_formula_matches_a_long_run(rate, repair):
    # 10 years of 2,000,000 accelerators; months of 30.4 days on average (730.5 h)
    text = scenario("pue: 1.0\ncapacity: 10 GW\nelectricity: {price: 0.08 USD/kWh}\n", order(2_000_000),
                    months=120, failure_rate=rate)
    text = text.replace("life: 20 years", "life: 100 years") + f"operations: {{repair_time: {repair}}}\n"
    res, _ = simulate(text)
    m = res.monthly
    repair_hours = {"5 days": 120.0, "45 days": 1080.0, "100 days": 2400.0}[repair]
    hours = m.index.days_in_month.to_numpy() * 24.0
    availability = float((m.h100e_available * hours).iloc[12:].sum() / (2e6 * hours[12:].sum()))
    formula = steady_availability(rate, repair_hours, 8766 / 12)
    assert availability == pytest.approx(formula, abs=3e-4 * (1 - formula) + 2e-5)
    # and the continuous-time textbook value 1 ÷ (1 + rate × r ÷ 8766) is close but not the engine's
    assert abs(formula - 1 / (1 + rate * repair_hours / 8766)) < 0.02


# --------------------------------------------------------------------------- bad input
BAD = {
    "firm-window-zero": ("  pack: {kind: battery, power: 50 MW, energy: 200 MWh, firm: true}\n",
                         "  pack: {kind: battery, power: 50 MW, energy: 200 MWh, firm: true, firm_window: 0 h}\n",
                         ("scenario.yaml:", "firm_window", "firm_window: 4 h", "more than zero")),
    "negative-value-of-lost-load": ("halls: 150 MW\n", "halls: 150 MW\n    value_of_lost_load: -10000 USD/MWh\n",
                                    ("scenario.yaml:", "value_of_lost_load", "-10000 USD/MWh", "0.08 USD/kWh",
                                     "negative")),
    "halls-month-13": ("halls: 150 MW\n", "halls: {2024-13: 150 MW}\n",
                       ("scenario.yaml:", "sites.s1.halls", "2024-13", "month 13 does not exist")),
    "halls-without-unit": ("halls: 150 MW\n", "halls: 150\n",
                           ("scenario.yaml:", "sites.s1.halls", "150", "'150 MW'")),
    "design-pue-below-1": ("halls: 150 MW\n", "halls: 150 MW\n    design_pue: 0.9\n",
                           ("scenario.yaml:", "sites.s1.design_pue", "0.9", "1.4", "out of range")),
}


@pytest.mark.parametrize("name", sorted(BAD))
def test_bad_input_is_a_located_error(name, tmp_path, capsys, monkeypatch):
    old, new, expected = BAD[name]
    text = scenario(BATTERY_SITE, order(1000))
    assert text.count(old) == 1
    monkeypatch.chdir(tmp_path)
    (tmp_path / "scenario.yaml").write_text(text.replace(old, new))
    assert main(["run", "scenario.yaml", "-o", "out"]) == 1
    err = capsys.readouterr().err
    assert "YAML syntax" not in err
    for piece in expected:
        assert piece in err, (piece, err)
    assert "Traceback" not in err and not (tmp_path / "out").exists()
