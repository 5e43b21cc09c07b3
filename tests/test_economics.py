"""Unit economics and financing against hand computation and closed forms."""

import calendar

import numpy as np
import pytest

import fleetsim
from fleetsim.accounting import finance_rules
from fleetsim.errors import ScenarioError

COUNT, PRICE = 1000, 40000.0
HOURS = np.array([24.0 * calendar.monthrange(2024, m)[1] for m in range(1, 13)])


def test_annuity_matches_closed_form():
    principal, rate, n = 20e6, 0.09 / 12, 60
    payment = finance_rules.annuity_payment(principal, rate, n)
    # the present value of the payments is the principal
    assert sum(payment / (1 + rate) ** k for k in range(1, n + 1)) == pytest.approx(principal)
    assert finance_rules.annuity_payment(1200.0, 0.0, 12) == 100.0


def test_loan_schedule_by_hand():
    drawn = np.zeros(80)
    drawn[0] = 20e6
    interest, principal, balance = finance_rules.loan_schedule(drawn, 0.09, 60)
    payment = finance_rules.annuity_payment(20e6, 0.0075, 60)
    assert interest[0] == 0 and principal[0] == 0 and balance[0] == 20e6
    assert interest[1] == pytest.approx(20e6 * 0.0075)
    assert principal[1] == pytest.approx(payment - 20e6 * 0.0075)
    assert interest[1:61].sum() + principal[1:61].sum() == pytest.approx(60 * payment)
    assert principal.sum() == pytest.approx(20e6) and balance[60] == pytest.approx(0.0, abs=1e-3)
    assert (interest[61:] == 0).all()


def test_npv_and_payback_closed_forms():
    flows = np.array([-1000.0] + [100.0] * 23)
    rate = 0.12
    expected = sum(v / (1 + rate) ** (t / 12) for t, v in enumerate(flows)) + 300 / (1 + rate) ** 2
    assert finance_rules.npv(flows, rate, residual=300.0) == pytest.approx(expected)
    assert finance_rules.payback_month(flows) == 10
    assert finance_rules.payback_month(np.array([-5.0, 1.0])) is None
    assert finance_rules.payback_month(np.array([5.0, 1.0])) is None


def test_doubling_price_at_elasticity_minus_one_halves_demand():
    sold, unserved = finance_rules.demand_served(np.array([1e20, 1e20]), np.array([1e14, 1e14]),
                                             np.array([2e-6, 4e-6]), 2e-6, -1.0)
    assert sold.tolist() == pytest.approx([1e14, 0.5e14]) and unserved.tolist() == [0.0, 0.0]
    sold, unserved = finance_rules.demand_served(np.array([3e13]), np.array([1e14]), np.array([2e-6]), 2e-6, -1.3)
    assert sold[0] == 3e13 and unserved[0] == pytest.approx(7e13)


def test_debt_financing_in_a_scenario(make_scenario):
    tail = "finance:\n  debt: {share_of_capex: 0.5, rate: 0.09, term: 5 years}\n  cash: {start: 100 MUSD}\n"
    m = fleetsim.simulate(make_scenario(tail=tail)).monthly
    drawn = 0.5 * COUNT * PRICE
    assert m.debt_drawn_usd.iloc[0] == drawn and m.debt_drawn_usd.iloc[1:].sum() == 0
    assert m.interest_usd.iloc[1] == pytest.approx(drawn * 0.0075)
    payment = finance_rules.annuity_payment(drawn, 0.0075, 60)
    np.testing.assert_allclose((m.interest_usd + m.principal_usd).iloc[1:], payment, rtol=1e-12)
    assert m.debt_balance_usd.iloc[0] == drawn
    energy = m.energy_cost_usd
    burn = (energy + m.hardware_capex_usd + m.facility_capex_usd + m.opex_usd + m.lease_usd + m.interest_usd
            + m.principal_usd - m.debt_drawn_usd - m.revenue_usd)
    np.testing.assert_allclose(m.cash_burn_usd, burn, rtol=1e-12)
    np.testing.assert_allclose(m.cash_balance_usd, 100e6 - burn.cumsum(), rtol=1e-12)


def test_raises_and_runway(make_scenario):
    tail = ("finance:\n  cash: {start: 50 MUSD, raises: [{month: 2024-06, amount: 10 MUSD}]}\n"
            "  opex: {fixed: 1 MUSD/month}\n")
    m = fleetsim.simulate(make_scenario(tail=tail)).monthly
    raises = np.zeros(12)
    raises[5] = 10e6
    np.testing.assert_allclose(m.cash_balance_usd, 50e6 + raises.cumsum() - m.cash_burn_usd.cumsum(), rtol=1e-12)
    trailing = m.cash_burn_usd.iloc[9:12].mean()
    assert m.runway_months.iloc[11] == pytest.approx(m.cash_balance_usd.iloc[11] / trailing)
    # month 0: 50 MUSD − 40 MUSD capex − 1 MUSD opex − energy is left, at that month's burn
    assert m.runway_months.iloc[0] == pytest.approx(m.cash_balance_usd.iloc[0] / m.cash_burn_usd.iloc[0])
    assert 0 < m.runway_months.iloc[0] < 1


def test_lease_versus_buy(make_scenario):
    lease = "  - {hardware: TEST, count: 1000, site: s1, delivery: 2024-01, acquisition: lease, lease_rate: 2 USD/h}"
    leased = fleetsim.simulate(make_scenario(orders=lease, months=60)).monthly
    bought = fleetsim.simulate(make_scenario(months=60)).monthly
    hours = leased.index.days_in_month.to_numpy() * 24.0
    np.testing.assert_allclose(leased.lease_usd.iloc[:48], COUNT * 2.0 * hours[:48], rtol=1e-12)
    assert (leased.lease_usd.iloc[48:] == 0).all()          # the lease ends with the useful life
    assert leased.hardware_capex_usd.sum() == 0 and leased.depreciation_usd.sum() == 0
    assert leased.opex_usd.sum() == 0
    # over the fleet's full life Σ depreciation = capex − salvage (salvage 0 here)
    assert bought.depreciation_usd.sum() == pytest.approx(bought.hardware_capex_usd.sum())
    # same fleet, same energy: the difference in operating cost is lease vs depreciation
    np.testing.assert_allclose(leased.energy_mwh, bought.energy_mwh, rtol=1e-12)
    diff = (leased.operating_cost_usd - bought.operating_cost_usd).iloc[:48]
    np.testing.assert_allclose(diff, COUNT * 2.0 * hours[:48] - COUNT * PRICE / 48, rtol=1e-9)


def test_demand_caps_inference_and_spare_goes_where_told(make_scenario):
    capacity_tokens = COUNT * HOURS * 0.8 * 0.5 * 1e6            # busy × inference share × tokens/h
    demand = "{tokens: 2.0e11, elasticity: -1.0}"
    tail = f"revenue:\n  inference: {{tokens_per_h100e_hour: 1.0e6, price: 2 USD/Mtok, demand: {demand}}}\n"
    idle = fleetsim.simulate(make_scenario(tail=tail)).monthly
    assert (capacity_tokens > 2e11).all()
    np.testing.assert_allclose(idle.tokens, 2e11, rtol=1e-12)
    np.testing.assert_allclose(idle.revenue_usd, 2e11 * 2e-6, rtol=1e-12)
    np.testing.assert_allclose(idle.inference_h100e_hours, 2e11 / 1e6, rtol=1e-12)
    np.testing.assert_allclose(idle.training_h100e_hours, COUNT * HOURS * 0.8 * 0.5, rtol=1e-12)
    free = fleetsim.simulate(make_scenario(tail=tail)).monthly   # unserved defaults to idle: less energy
    full = fleetsim.simulate(make_scenario()).monthly
    assert (free.energy_mwh < full.energy_mwh).all()
    to_training = fleetsim.simulate(make_scenario(tail=tail.replace("elasticity: -1.0",
                                                                    "elasticity: -1.0, unserved: training"))).monthly
    np.testing.assert_allclose(to_training.training_h100e_hours + to_training.inference_h100e_hours,
                               COUNT * HOURS * 0.8, rtol=1e-12)
    np.testing.assert_allclose(to_training.energy_mwh, full.energy_mwh, rtol=1e-12)
    # a demand larger than capacity leaves unserved tokens
    big = fleetsim.simulate(make_scenario(tail=tail.replace("2.0e11", "1.0e15"))).monthly
    np.testing.assert_allclose(big.unserved_tokens, 1e15 - capacity_tokens, rtol=1e-12)


def test_unit_economics_columns(make_scenario):
    tail = ("revenue:\n  inference: {tokens_per_h100e_hour: 1.0e6, price: 2 USD/Mtok}\n"
            "  subscriptions: 1 MUSD/month\n")
    m = fleetsim.simulate(make_scenario(tail=tail)).monthly
    share = 0.5                                              # inference share of busy hours
    np.testing.assert_allclose(m.inference_cost_usd, m.operating_cost_usd * share, rtol=1e-12)
    mtok = m.tokens / 1e6
    np.testing.assert_allclose(m.cost_per_mtok_usd, m.inference_cost_usd / mtok, rtol=1e-12)
    np.testing.assert_allclose(m.breakeven_price_per_mtok_usd, (m.operating_cost_usd - 1e6) / mtok, rtol=1e-12)
    np.testing.assert_allclose(m.revenue_usd, m.tokens * 2e-6 + 1e6, rtol=1e-12)
    np.testing.assert_allclose(m.gross_margin, (m.tokens * 2e-6 - m.inference_cost_usd) / (m.tokens * 2e-6),
                               rtol=1e-12)
    np.testing.assert_allclose(m.ebitda_usd, m.revenue_usd - m.energy_cost_usd - m.opex_usd, rtol=1e-12)
    np.testing.assert_allclose(m.operating_income_usd, m.revenue_usd - m.operating_cost_usd, rtol=1e-12)


def test_colocation_rent_replaces_construction(make_scenario):
    sc = make_scenario(capacity="10 MW", site_extra="colocation: 150 USD/kW/month")
    m = fleetsim.simulate(sc).monthly
    np.testing.assert_allclose(m.opex_usd, 150e3 * 10 / 1.25, rtol=1e-12)
    assert m.facility_capex_usd.sum() == 0
    with pytest.raises(ScenarioError, match="colocation or construction_cost"):
        sc.override({"sites.s1.construction_cost": "9 MUSD/MW"})


def test_cohort_table_payback_and_npv(make_scenario):
    tail = "revenue:\n  inference: {tokens_per_h100e_hour: 4.0e6, price: 20 USD/Mtok}\n"
    res = fleetsim.simulate(make_scenario(tail=tail, months=24))
    row = res.cohorts.iloc[0]
    m = res.monthly
    flows = m.revenue_usd - m.energy_cost_usd
    flows.iloc[0] -= COUNT * PRICE
    assert row["capex_usd"] == COUNT * PRICE and row["revenue_usd"] == pytest.approx(m.revenue_usd.sum())
    assert row["energy_cost_usd"] == pytest.approx(m.energy_cost_usd.sum())
    residual = COUNT * PRICE * (1 - 24 / 48)
    assert row["npv_usd"] == pytest.approx(finance_rules.npv(flows.to_numpy(), 0.10, residual))
    payback = finance_rules.payback_month(flows.to_numpy())
    assert row["payback_month"] == str(m.index[payback])


def test_training_run_displaces_inference(make_scenario):
    tail = ("revenue:\n  inference: {tokens_per_h100e_hour: 1.0e6, price: 2 USD/Mtok}\n"
            "training:\n  - {name: r, compute: 1e24 FLOP, start: 2024-01}\n")
    run = fleetsim.simulate(make_scenario(tail=tail)).training.iloc[0]
    assert run["displaced_tokens"] == pytest.approx(run["h100e_hours"] * 1e6)
    assert run["displaced_revenue_usd"] == pytest.approx(run["h100e_hours"] * 1e6 * 2e-6)


@pytest.mark.parametrize(("change", "fragment"), [
    ({"revenue.inference.demand": {"tokens": 1e14, "elasticity": 0.5}}, "elasticity must be at most 0"),
    ({"revenue.inference.demand": {"tokens": -1e14}}, "out of range"),
    ({"orders.0.acquisition": "lease"}, "needs its lease_rate"),
    ({"finance.debt": {"share_of_capex": 1.5, "rate": 0.09, "term": "5 years"}}, "out of range"),
    ({"finance.cash": {"raises": [{"month": "2023-06", "amount": "1 GUSD"}]}}, "raise dated before the start"),
])
def test_economics_mistakes(make_scenario, change, fragment):
    sc = make_scenario(tail="revenue:\n  inference: {tokens_per_h100e_hour: 1.0e6, price: 2 USD/Mtok}\n")
    with pytest.raises(ScenarioError) as info:
        sc.override(change)
    assert fragment in str(info.value)


def test_compare_api_and_cli(tmp_path, capsys):
    from pathlib import Path

    from fleetsim.cli.main import main

    root = Path(__file__).resolve().parents[1] / "scenarios"
    table = fleetsim.compare([root / "colossus.yaml", root / "colossus-6y-life.yaml"])
    assert list(table.columns) == ["unit", "colossus", "colossus-6y-life", "colossus-6y-life - colossus",
                                   "colossus-6y-life / colossus"]
    life = table.loc["cost_per_h100e_hour_usd"]
    assert life["colossus-6y-life"] < life["colossus"]          # longer life, lower depreciation per hour
    assert life["colossus-6y-life / colossus"] == pytest.approx(life["colossus-6y-life"] / life["colossus"])
    assert table.loc["capex_usd_total", "colossus-6y-life - colossus"] == 0
    assert main(["compare", str(root / "colossus.yaml"), str(root / "custom-silicon.yaml"),
                 "-o", str(tmp_path / "cmp")]) == 0
    assert "cost_per_mtok_usd" in capsys.readouterr().out
    assert (tmp_path / "cmp" / "compare.csv").read_text().startswith("figure,unit,colossus,custom-silicon")
    with pytest.raises(SystemExit) as info:
        main(["compare", str(root / "colossus.yaml")])
    assert info.value.code == 2


def test_fleetsim_compare_stays_the_function_after_any_import():
    """A submodule named ``compare`` would replace the lazy ``fleetsim.compare`` function once
    imported (a test-order failure was seen); the module is ``fleetsim.comparison``."""
    import importlib

    import fleetsim

    importlib.import_module("fleetsim.comparison")
    importlib.import_module("fleetsim.cli.commands")
    assert callable(fleetsim.compare) and fleetsim.compare.__module__ == "fleetsim.comparison"
    assert not isinstance(fleetsim.compare, type(importlib))
