"""Invariants of the design's section 8 on generated scenarios (hypothesis)."""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import fleetsim
from fleetsim.engine import compile_plan
from fleetsim.scenario.load import build

HARDWARE = ["A100", "H100", "H200", "B200", "GB200", "GB300", "MI300X", "custom-asic"]
START_YEAR = 2025


def month_text(offset: int) -> str:
    return f"{START_YEAR + offset // 12}-{offset % 12 + 1:02d}"


def power_text(mw: float, unit: str) -> str:
    return {"MW": f"{mw!r} MW", "GW": f"{mw / 1000!r} GW", "kW": f"{mw * 1000!r} kW"}[unit]


@st.composite
def scenarios(draw, unit: str = "MW"):
    months = draw(st.integers(3, 30))
    n_sites = draw(st.integers(1, 3))
    sites = {}
    for s in range(n_sites):
        steps = draw(st.lists(st.tuples(st.integers(0, months - 1), st.integers(0, 400)), min_size=1, max_size=3,
                              unique_by=lambda x: x[0]))
        site = {
            "pue": draw(st.sampled_from([1.1, 1.25, 1.4])),
            "capacity": {month_text(m): power_text(float(mw), unit) for m, mw in steps},
            "electricity": {"price": draw(st.sampled_from(["0.05 USD/kWh", "0.08 USD/kWh", "120 USD/MWh"])),
                            "escalation": draw(st.sampled_from([0.0, 0.03]))},
            "construction_cost": draw(st.sampled_from(["0 USD/MW", "10 MUSD/MW"])),
        }
        if draw(st.booleans()):
            site["install_rate"] = draw(st.integers(1, 200000))
        sites[f"s{s}"] = site
    orders = []
    for _ in range(draw(st.integers(0, 6))):
        first = draw(st.integers(0, months + 2))
        order = {"hardware": draw(st.sampled_from([*HARDWARE, "short"])), "count": draw(st.integers(0, 300000)),
                 "site": f"s{draw(st.integers(0, n_sites - 1))}"}
        if draw(st.booleans()):
            order["delivery"] = {"from": month_text(first), "to": month_text(first + draw(st.integers(0, 5)))}
        else:
            order["delivery"] = month_text(first)
        orders.append(order)
    tree = {
        "name": "generated", "start": month_text(0), "months": months, "seed": draw(st.integers(0, 2**32)),
        "hardware": {"short": {"like": "H100", "life": f"{draw(st.integers(1, 12))} months",
                               "failure_rate": draw(st.sampled_from([0.0, 0.1, 0.6]))}},
        "sites": sites, "orders": orders,
        "operations": {"utilization": draw(st.sampled_from([0.5, 0.85, 1.0])),
                       "training_share": draw(st.sampled_from([0.0, 0.5])),
                       "repair_time": draw(st.sampled_from(["1 day", "20 days", "70 days"]))},
        "finance": {"depreciation": draw(st.sampled_from([{"method": "straight_line", "salvage": 0.1},
                                                           {"method": "declining_balance", "rate": 0.5}])),
                    "opex": {"fixed": "1 MUSD/month", "maintenance": 0.03}},
        "revenue": {"inference": {"tokens_per_h100e_hour": 1.0e6, "price": "1 USD/Mtok"}},
    }
    return tree


def simulate(tree):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fleetsim.FleetsimWarning)
        scenario = build(tree, {}, None)
        return scenario, fleetsim.simulate(scenario)


PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(scenarios("MW"))
def test_invariants_and_the_same_result_in_gw_mw_or_kw(tree):
    """One generated scenario, simulated once, checked for every invariant below and against the
    same scenario with its capacities in GW and kW (two properties, one simulation of ``tree``)."""
    scenario, res = simulate(tree)
    check_invariants(scenario, res)
    other = {**tree, "sites": {
        name: {**site, "capacity": {k: power_text(float(v.split()[0]), unit)
                                    for k, v in site["capacity"].items()}}
        for (name, site), unit in zip(tree["sites"].items(), ["GW", "kW", "GW"], strict=False)}}
    a = res.monthly
    b = simulate(other)[1].monthly
    pd.testing.assert_index_equal(a.index, b.index)
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-9, atol=1e-6)


def check_invariants(scenario, res):
    m = res.monthly
    cohorts = compile_plan(scenario).cohorts
    t = np.arange(len(m))[:, None]
    inside = cohorts.delivery < len(m)
    delivered = ((t >= cohorts.delivery) & inside) @ cohorts.count
    retired = ((t >= cohorts.delivery + cohorts.life) & inside) @ cohorts.count
    # conservation of accelerators
    np.testing.assert_array_equal(m.accelerators + m.stranded + retired, delivered)
    # energy = power × hours
    hours = m.index.days_in_month.to_numpy() * 24.0
    np.testing.assert_allclose(m.energy_mwh, m.facility_power_mw * hours, rtol=1e-12)
    # ledger sums = money columns
    ledger = res.ledger.assign(column=res.ledger.account.map(res.accounts))
    money = sorted(set(res.accounts.values()))
    sums = ledger.pivot_table(index="month", columns="column", values="amount_usd", aggfunc="sum")
    sums = sums.reindex(index=m.index, columns=money).fillna(0.0)
    np.testing.assert_allclose(m[money].to_numpy(), sums.to_numpy(), rtol=1e-9, atol=1e-6)
    # accumulated depreciation never exceeds capex
    capex = (m.hardware_capex_usd + m.facility_capex_usd).cumsum()
    assert (m.depreciation_usd.cumsum() <= capex * (1 + 1e-9) + 1e-6).all()
    # availability and power bounded by what is installed
    assert (m.h100e_available <= m.h100e * (1 + 1e-12) + 1e-9).all()
    assert (m.facility_power_mw <= m.peak_facility_power_mw * (1 + 1e-12) + 1e-9).all()
    # the cohort table adds up to the fleet's hardware capex and inference revenue
    assert res.cohorts.capex_usd.sum() == pytest.approx(m.hardware_capex_usd.sum(), rel=1e-9, abs=1e-6)
    assert res.cohorts.revenue_usd.sum() == pytest.approx(m.inference_revenue_usd.sum(), rel=1e-9, abs=1e-6)
    # cash balance = start + raises − Σ burn (no cash given: start 0, no raises)
    np.testing.assert_allclose(m.cash_balance_usd, -m.cash_burn_usd.cumsum(), rtol=1e-9, atol=1e-3)


@settings(max_examples=15, deadline=None)
@given(scenarios())
def test_deterministic(tree):
    a = simulate(tree)[1]
    b = simulate(tree)[1]
    pd.testing.assert_frame_equal(a.monthly, b.monthly, check_exact=True)
    pd.testing.assert_frame_equal(a.ledger, b.ledger, check_exact=True)
