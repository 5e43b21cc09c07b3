"""A deterministic scenario (ample power, no failures) against an independent closed form."""

import calendar

import numpy as np
import pytest

import fleetsim

COUNT = 1000
UNIT_IT_MW = 700e-6 * 1.82          # H100 board power × DGX system overhead
PUE = 1.25
PRICE_USD_PER_MWH = 80.0            # 0.08 USD/kWh
DRAW = 0.8 * 0.75 + 0.2 * 0.25      # utilization × busy + idle share × idle
LIFE_MONTHS = 48
HARDWARE_PRICE = 40000.0


def hours_2024():
    return np.array([24.0 * calendar.monthrange(2024, m)[1] for m in range(1, 13)])


@pytest.fixture
def result(make_scenario):
    return fleetsim.simulate(make_scenario())


def test_energy_power_and_cost(result):
    m = result.monthly
    hours = hours_2024()
    energy = COUNT * UNIT_IT_MW * hours * DRAW * PUE
    np.testing.assert_allclose(m.energy_mwh, energy, rtol=1e-12)
    np.testing.assert_allclose(m.it_power_mw, COUNT * UNIT_IT_MW * DRAW, rtol=1e-12)
    np.testing.assert_allclose(m.facility_power_mw, COUNT * UNIT_IT_MW * DRAW * PUE, rtol=1e-12)
    np.testing.assert_allclose(m.peak_facility_power_mw, COUNT * UNIT_IT_MW * PUE, rtol=1e-12)
    np.testing.assert_allclose(m.energy_cost_usd, energy * PRICE_USD_PER_MWH, rtol=1e-12)


def test_capex_and_depreciation(result):
    m = result.monthly
    assert m.hardware_capex_usd.iloc[0] == COUNT * HARDWARE_PRICE
    assert (m.hardware_capex_usd.iloc[1:] == 0).all()
    np.testing.assert_allclose(m.depreciation_usd, COUNT * HARDWARE_PRICE / LIFE_MONTHS, rtol=1e-12)
    assert (m.facility_capex_usd == 0).all()
    assert (m.opex_usd == 0).all()


def test_h100e_hours(result):
    m = result.monthly
    hours = hours_2024()
    np.testing.assert_allclose(m.h100e_available, COUNT, rtol=1e-12)
    np.testing.assert_allclose(m.training_h100e_hours, COUNT * hours * 0.8 * 0.5, rtol=1e-12)
    np.testing.assert_allclose(m.inference_h100e_hours, COUNT * hours * 0.8 * 0.5, rtol=1e-12)
    assert (m.accelerators == COUNT).all()
    assert (m.stranded == 0).all()


def test_derived_columns(result):
    m = result.monthly
    hours = hours_2024()
    operating = m.energy_cost_usd + m.depreciation_usd + m.opex_usd
    np.testing.assert_allclose(m.operating_cost_usd, operating, rtol=1e-12)
    np.testing.assert_allclose(m.cost_per_h100e_hour_usd, operating / (COUNT * hours), rtol=1e-12)
    burn = m.energy_cost_usd + m.hardware_capex_usd + m.facility_capex_usd + m.opex_usd - m.revenue_usd
    np.testing.assert_allclose(m.cash_burn_usd, burn, rtol=1e-12)
    np.testing.assert_allclose(m.cumulative_cash_usd, -burn.cumsum(), rtol=1e-12)


def test_revenue_from_tokens(make_scenario):
    tail = "revenue:\n  inference: {tokens_per_h100e_hour: 1.0e6, price: 2 USD/Mtok}\n"
    m = fleetsim.simulate(make_scenario(tail=tail)).monthly
    tokens = COUNT * hours_2024() * 0.8 * 0.5 * 1e6
    np.testing.assert_allclose(m.tokens, tokens, rtol=1e-12)
    np.testing.assert_allclose(m.revenue_usd, tokens * 2e-6, rtol=1e-12)


def test_facility_capex_opex_and_escalation(make_scenario):
    extra = "construction_cost: 10 MUSD/MW\n"
    tail = "finance:\n  opex: {fixed: 2 MUSD/month, maintenance: 0.06}\n  facility_life: 10 years\n"
    sc = make_scenario(capacity="{2024-01: 50 MW, 2024-07: 100 MW}", site_extra=extra, tail=tail)
    sc = sc.override({"sites.s1.electricity.escalation": 0.1})
    m = fleetsim.simulate(sc).monthly
    capex_step = 10e6 * 50 / PUE
    assert m.facility_capex_usd.iloc[0] == pytest.approx(capex_step)
    assert m.facility_capex_usd.iloc[6] == pytest.approx(capex_step)
    assert m.facility_capex_usd.iloc[[1, 2, 3, 4, 5, 7]].sum() == 0
    hardware_dep = COUNT * HARDWARE_PRICE / LIFE_MONTHS
    assert m.depreciation_usd.iloc[0] == pytest.approx(hardware_dep + capex_step / 120)
    assert m.depreciation_usd.iloc[6] == pytest.approx(hardware_dep + 2 * capex_step / 120)
    maintenance = COUNT * HARDWARE_PRICE * 0.06 / 12
    np.testing.assert_allclose(m.opex_usd, 2e6 + maintenance, rtol=1e-12)
    energy = COUNT * UNIT_IT_MW * hours_2024() * DRAW * PUE
    escalation = 1.1 ** (np.arange(12) / 12)
    np.testing.assert_allclose(m.energy_cost_usd, energy * 80.0 * escalation, rtol=1e-12)


def test_same_input_in_gw_or_mw(make_scenario, tmp_path):
    a = fleetsim.simulate(make_scenario(capacity="{2024-01: 0.3 GW, 2024-06: 1.2 GW}")).monthly
    b = fleetsim.simulate(make_scenario(capacity="{2024-01: 300 MW, 2024-06: 1200000 kW}")).monthly
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12)
