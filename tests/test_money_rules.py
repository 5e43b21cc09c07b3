"""Issue 11, parts 1, 6, 7 and 8: what runs are charged, the cost of capital, power per accelerator
and generation variable O&M. Each test asserts the value a hand computation gives."""

from __future__ import annotations

import warnings

import pytest

import fleetsim

MONTH_HOURS = 31 * 24  # January


def simulate_text(text: str):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fleetsim.FleetsimWarning)
        return fleetsim.simulate(fleetsim.load_text(text))


# --------------------------------------------------------------------------- part 8: generation O&M
TURBINE = """\
name: om
start: 2024-01
months: 1
hardware:
  X: {like: H100, it_power: 1 kW, failure_rate: 0}
sites:
  s:
    pue: 1.0
    supply:
      gas: {kind: gas_turbine, units: 1, unit_capacity: 1 MW, availability: 0.9, heat_rate: 9.5 MMBtu/MWh,
            fuel_price: 3.5 USD/MMBtu, variable_om: 5 USD/MWh}
      grid: {kind: grid, capacity: 1 MW, price: 0.08 USD/kWh}
orders:
  - {hardware: X, count: 1500, site: s, delivery: 2024-01}
operations:
  utilization: 1.0
  power_draw: {busy: 1.0, idle: 0.0}
"""


def test_generation_variable_om_is_energy_cost_not_opex():
    # 1.5 MW of IT at full draw, PUE 1: 1,116 MWh; the turbine (0.9 MW firm, 35.75 USD/MWh marginal)
    # serves 0.9 × 744 = 669.6 MWh first, at 5 USD/MWh of variable O&M = 3,348 USD.
    m = simulate_text(TURBINE).monthly.iloc[0]
    assert m.generation_om_usd == pytest.approx(3348.0)
    assert m.opex_usd == 0.0
    assert m.energy_cost_usd == pytest.approx(669.6 * (9.5 * 3.5 + 5.0) + (1116 - 669.6) * 80.0)
    assert m.energy_cost_usd == pytest.approx(m.purchased_energy_cost_usd + m.fuel_cost_usd
                                              + m.demand_charge_usd + m.generation_om_usd)


# --------------------------------------------------------------------------- part 7: power per accelerator
def test_b300_in_the_catalog_with_sources():
    from fleetsim.catalog import catalog_sources

    spec = fleetsim.load_text(TURBINE).hardware["B300"]
    assert spec.it_power_w == pytest.approx(1100 * 1.65)  # DGX B300 14.5 kW / 8 GPUs
    assert spec.h100e == pytest.approx(2250 / 989)
    sources = catalog_sources()["B300"]
    assert all(info.get("source") and info.get("date") for info in sources.values())
    assert sources["price"]["estimate"] is True


def test_it_power_given_directly_sets_full_load_power():
    # 1,500 accelerators of 1 kW IT each: 1.5 MW at full load, PUE 1
    res = simulate_text(TURBINE)
    assert res.monthly.peak_facility_power_mw.iloc[0] == pytest.approx(1.5)
    assert fleetsim.load_text(TURBINE).hardware["X"].it_power_w == pytest.approx(1000.0)


def test_a_child_entry_may_switch_power_path():
    text = TURBINE.replace("X: {like: H100, it_power: 1 kW, failure_rate: 0}",
                           "X: {like: H100, it_power: 1 kW, failure_rate: 0}\n  Y: {like: X, power: 500 W, "
                           "system_overhead: 2.0}")
    spec = fleetsim.load_text(text).hardware["Y"]
    assert spec.it_power_w == pytest.approx(1000.0) and spec.power_w == 500.0


def test_it_power_and_board_power_together_is_a_located_error():
    from fleetsim.errors import ScenarioError

    text = TURBINE.replace("it_power: 1 kW,", "it_power: 1 kW, power: 700 W,")
    with pytest.raises(ScenarioError) as info:
        fleetsim.load_text(text)
    message = str(info.value)
    assert "it_power" in message and "power and system_overhead" in message and ":5:" in message
