"""Capacity contracts (docs/model.md, *Capacity contracts*): hand cases, the books, and bad input
seen through the command line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import fleetsim
from fleetsim.accounting.columns import ACCOUNTS
from fleetsim.cli.main import main
from fleetsim.months import hours_array, parse

BASE = """\
name: deal
start: 2025-01
months: 12
sites:
  s1:
    pue: 1.0
    capacity: 10 MW
    electricity: {price: 0.08 USD/kWh}
hardware:
  H100: {failure_rate: 0}
orders:
  - {hardware: H100, count: 1000, site: s1, delivery: 2025-01}
operations:
  utilization: 1.0
  training_share: 0.5
"""
"""1,000 H100 that never fail, with room to spare, fully busy, half training."""

SOLD = """\
contracts:
  - name: rent
    side: sell
    counterparty: lab-b
    accelerators: 1000
    hardware: H100
    price: 2.00 USD/h
    start: 2025-01
    term: 12 months
    take_or_pay: 0.8
    notice: 3 months
    cancelled: 2025-07
"""
"""The hand case of docs/model.md: all 1,000 sold for 12 months, cancelled after 6 with 3 months' notice."""

HOURS = hours_array(parse("2025-01"), 12)


def run(text: str, tmp_path: Path, name: str = "s.yaml"):
    path = tmp_path / name
    path.write_text(text)
    return fleetsim.simulate(path)


# --------------------------------------------------------------------------- the hand case
def test_cancelled_contract_hand_case(tmp_path):
    res = run(BASE + SOLD, tmp_path)
    m = res.monthly
    assert HOURS[:6].sum() == 4344 and HOURS[6:9].sum() == 2208
    # January-June delivered at 2.00 USD/h, July-September notice at 80 %, October-December nothing
    assert m.contract_revenue_usd.iloc[:6].sum() == pytest.approx(8_688_000.0)
    assert m.contract_revenue_usd.iloc[6:9].sum() == pytest.approx(3_532_800.0)
    assert m.contract_revenue_usd.iloc[9:].sum() == 0.0
    assert m.contract_revenue_usd.sum() == pytest.approx(12_220_800.0)
    # sold hours leave the seller's own use; from the notice month the hours are its own again
    assert m.sold_h100e_hours.iloc[:6].tolist() == pytest.approx((1000 * HOURS[:6]).tolist())
    assert (m.training_h100e_hours + m.inference_h100e_hours).iloc[:6].sum() == pytest.approx(0.0, abs=1e-6)
    assert (m.training_h100e_hours + m.inference_h100e_hours).iloc[6:].tolist() == \
        pytest.approx((1000 * HOURS[6:]).tolist())
    assert m.sold_h100e_hours.iloc[6:].sum() == 0.0
    # the contract earns on the cash and the accrual basis alike
    without = run(BASE, tmp_path, "plain.yaml").monthly
    assert (without.cash_burn_usd - m.cash_burn_usd).sum() == pytest.approx(12_220_800.0)
    assert (m.ebitda_usd - without.ebitda_usd).sum() == pytest.approx(12_220_800.0)
    assert (m.operating_income_usd - without.operating_income_usd).sum() == pytest.approx(12_220_800.0)
    # energy does not change: the rented hardware keeps running in the seller's hall
    assert m.energy_mwh.tolist() == pytest.approx(without.energy_mwh.tolist())
    # the contracts table: take-or-pay in the notice months, nothing short
    table = res.contracts
    assert table.take_or_pay_usd.sum() == pytest.approx(3_532_800.0)
    assert table.notice_h100e_hours.sum() == pytest.approx(1000 * 2208)
    assert table.shortfall_h100e_hours.sum() == 0.0
    assert set(table.counterparty) == {"lab-b"} and len(table) == 12


def test_uncancelled_contract_runs_its_term(tmp_path):
    text = BASE + SOLD.replace("    cancelled: 2025-07\n", "")
    m = run(text, tmp_path).monthly
    assert m.contract_revenue_usd.sum() == pytest.approx(1000 * 2.0 * 8760)  # 17,520,000 USD


def test_ledger_sums_to_the_contract_columns(tmp_path):
    res = run(BASE + SOLD, tmp_path)
    ledger = res.ledger
    assert ACCOUNTS["contract_revenue"] == "contract_revenue_usd"
    rows = ledger[ledger.account == "contract_revenue"]
    assert set(rows.direction) == {"revenue"} and set(rows.basis) == {"both"}
    by_month = rows.groupby("month").amount_usd.sum().reindex(res.monthly.index, fill_value=0.0)
    assert by_month.tolist() == pytest.approx(res.monthly.contract_revenue_usd.tolist())


def test_ramp_and_price_per_month(tmp_path):
    text = BASE + """\
contracts:
  - {name: r, side: sell, counterparty: lab-b, h100e: 600, price_per_month: 1.2 MUSD/month, start: 2025-03,
     term: 6 months, ramp: 3 months}
"""
    res = run(text, tmp_path)
    m = res.monthly
    # levels 1/3, 2/3, 1, 1, 1, 1 from March to August: 1.2 MUSD × (1/3 + 2/3 + 4) = 6.0 MUSD
    assert m.contract_revenue_usd.iloc[2:8].tolist() == pytest.approx([0.4e6, 0.8e6, 1.2e6, 1.2e6, 1.2e6, 1.2e6])
    assert m.contract_revenue_usd.sum() == pytest.approx(6.0e6)
    assert m.sold_h100e_hours.iloc[2] == pytest.approx(200 * HOURS[2])
    assert m.sold_h100e_hours.iloc[5] == pytest.approx(600 * HOURS[5])


def test_share_of_a_site(tmp_path):
    text = BASE + """\
contracts:
  - {name: q, side: sell, counterparty: lab-b, share: 0.25, site: s1, price: 2 USD/h, start: 2025-01,
     term: 12 months}
"""
    m = run(text, tmp_path).monthly
    assert m.sold_h100e_hours.tolist() == pytest.approx((250 * HOURS).tolist())
    assert m.contract_revenue_usd.sum() == pytest.approx(250 * 2.0 * 8760)


def test_bought_capacity_adds_hours_at_its_price(tmp_path):
    text = BASE + """\
contracts:
  - {name: burst, side: buy, counterparty: cloud, accelerators: 500, hardware: H200, price: 3 USD/h,
     start: 2025-01, term: 12 months}
"""
    res = run(text, tmp_path)
    m = res.monthly
    without = run(BASE, tmp_path, "plain.yaml").monthly
    h200 = fleetsim.load(tmp_path / "s.yaml").hardware["H200"].h100e
    assert m.bought_h100e_hours.tolist() == pytest.approx((500 * h200 * HOURS).tolist())
    assert (m.training_h100e_hours + m.inference_h100e_hours - without.training_h100e_hours
            - without.inference_h100e_hours).tolist() == pytest.approx((500 * h200 * HOURS).tolist())
    assert m.contract_cost_usd.sum() == pytest.approx(500 * 3.0 * 8760)
    assert (m.operating_cost_usd - without.operating_cost_usd).sum() == pytest.approx(500 * 3.0 * 8760)
    assert (m.cash_burn_usd - without.cash_burn_usd).sum() == pytest.approx(500 * 3.0 * 8760)
    assert m.energy_mwh.tolist() == pytest.approx(without.energy_mwh.tolist())  # no power of ours
    # the cost per H100e-hour counts the bought hours: operating cost ÷ (own + bought H100e-hours)
    assert m.cost_per_h100e_hour_usd.iloc[0] == pytest.approx(
        m.operating_cost_usd.iloc[0] / (1000 * HOURS[0] + 500 * h200 * HOURS[0]))


def test_a_lease_is_a_bought_contract_at_home(tmp_path):
    """Same accelerators, hours and rate: a 12-month lease costs what a 12-month bought contract does."""
    lease = BASE.replace("delivery: 2025-01}", "delivery: 2025-01, acquisition: lease, lease_rate: 2.1 USD/h}") \
        + "finance:\n  depreciation: {life: 12 months}\n"
    bought = BASE.replace("  - {hardware: H100, count: 1000, site: s1, delivery: 2025-01}\n", "  []\n") + """\
contracts:
  - {name: b, side: buy, counterparty: cloud, accelerators: 1000, hardware: H100, price: 2.1 USD/h,
     start: 2025-01, term: 12 months}
"""
    leased, contracted = run(lease, tmp_path, "l.yaml").monthly, run(bought, tmp_path, "b.yaml").monthly
    assert leased.lease_usd.sum() == pytest.approx(1000 * 2.1 * 8760)
    assert contracted.contract_cost_usd.tolist() == pytest.approx(leased.lease_usd.tolist())
    own = leased.training_h100e_hours + leased.inference_h100e_hours
    assert (contracted.training_h100e_hours + contracted.inference_h100e_hours).tolist() == \
        pytest.approx(own.tolist())


def test_hours_short_of_the_contract_are_not_paid_and_warned(tmp_path):
    """500 of the 1,000 H100 wait for power (0.7 MW at 1.4 kW each): a contract for 800 gets 500."""
    text = BASE.replace("capacity: 10 MW", "capacity: 0.7 MW").replace("hardware:\n  H100: {failure_rate: 0}",
                                                                       "hardware:\n  H100: {failure_rate: 0, "
                                                                       "it_power: 1.4 kW}") + """\
contracts:
  - {name: c, side: sell, counterparty: lab-b, accelerators: 800, hardware: H100, price: 2 USD/h,
     start: 2025-01, term: 12 months}
"""
    with pytest.warns(fleetsim.FleetsimWarning, match="fell short"):
        res = run(text, tmp_path)
    m = res.monthly
    assert m.sold_h100e_hours.tolist() == pytest.approx((500 * HOURS).tolist())
    assert m.contract_revenue_usd.sum() == pytest.approx(500 * 2.0 * 8760)
    assert res.contracts.shortfall_h100e_hours.sum() == pytest.approx(300 * 8760)


def test_oversold_with_cut_is_a_warning_and_a_pro_rata_cut(tmp_path):
    text = BASE + """\
contracts:
  - {name: a, side: sell, counterparty: x, accelerators: 900, hardware: H100, price: 2 USD/h, start: 2025-01,
     term: 12 months, oversold: cut}
  - {name: b, side: sell, counterparty: y, accelerators: 600, hardware: H100, price: 2 USD/h, start: 2025-01,
     term: 12 months, oversold: cut}
"""
    with pytest.warns(fleetsim.FleetsimWarning, match="short 500 H100"):
        res = run(text, tmp_path)
    by = res.contracts.groupby("contract").delivered_h100e_hours.sum()
    assert by["a"] == pytest.approx(900 * 1000 / 1500 * 8760)  # 600 of 900
    assert by["b"] == pytest.approx(600 * 1000 / 1500 * 8760)  # 400 of 600


def test_result_folder_holds_the_contracts(tmp_path):
    res = run(BASE + SOLD, tmp_path)
    folder = res.to_csv(tmp_path / "out")
    assert (folder / "contracts.csv").is_file()
    back = fleetsim.read_result(folder)
    assert back.contracts.revenue_usd.sum() == pytest.approx(12_220_800.0)
    assert list(back.contracts.counterparty.unique()) == ["lab-b"]
    plain = run(BASE, tmp_path, "plain.yaml").to_csv(tmp_path / "plain")
    assert not (plain / "contracts.csv").exists()


# --------------------------------------------------------------------------- bad input, through the CLI
def contract(**changes: str) -> str:
    fields = {"name": "rent", "side": "sell", "counterparty": "lab-b", "accelerators": "1000", "hardware": "H100",
              "price": "2.00 USD/h", "start": "2025-01", "term": "12 months"}
    fields.update(changes)
    lines = [f"    {key}: {value}\n" for key, value in fields.items() if value is not None]
    return "contracts:\n  - name: " + fields["name"] + "\n" + "".join(lines[1:])


BAD = {
    # name: (contract text, line:column, key path, value shown, example, problem)
    "oversold": (contract(accelerators="1200"), "s.yaml:20:5", "contracts.0.accelerators", "(given: 1200)",
                 "accelerators: 1000", ("in 2025-01", "sell 1,200 H100", "holds 1,000", "short 200 H100",
                                        "oversold: cut")),
    "oversold-later": (contract(accelerators="1000", start="2025-06") + contract(
        name="more", accelerators="300", start="2025-09", term="3 months").replace("contracts:\n", ""),
        "s.yaml:28:5", "contracts.1.accelerators", "(given: 300)", "accelerators: 0",
        ("in 2025-09", "(rent, more)", "short 300 H100")),
    "unknown-hardware-held-nowhere": (contract(hardware="B200", accelerators="10"), "s.yaml:20:5",
                                      "contracts.0.accelerators", "(given: 10)", "accelerators: 0",
                                      ("sell 10 B200", "holds 0", "short 10 B200")),
    "ends-before-start": (contract(term=None, end="2024-12"), "s.yaml:24:5", "contracts.0.end", "'2024-12'",
                          "end: 2025-12", "ends before it starts"),
    "notice-longer-than-term": (contract(notice="18 months"), "s.yaml:25:5", "contracts.0.notice",
                                "'18 months'", "notice: 3 months", "longer than the term"),
    "cancelled-outside": (contract(cancelled="2026-03"), "s.yaml:25:5", "contracts.0.cancelled", "'2026-03'",
                          "cancelled: 2025-07", "outside the contract"),
    "two-amounts": (contract(h100e="500"), "s.yaml:25:5", "contracts.0.h100e", "(given: 500)",
                    "h100e: 5000", "given twice"),
    "two-prices": (contract(price_per_month="1 MUSD/month"), "s.yaml:25:5", "contracts.0.price_per_month",
                   "'1 MUSD/month'", "2.0 USD/h", "give the price once"),
    "unknown-site": (contract(site="s2"), "s.yaml:25:5", "contracts.0.site", "'s2'", "sites: s1",
                     "site that does not exist"),
}


def _snapshot(folder: Path) -> dict[str, bytes | None]:
    return {str(p.relative_to(folder)): p.read_bytes() if p.is_file() else None for p in folder.rglob("*")}


@pytest.mark.parametrize("name", BAD)
def test_bad_contract_through_the_cli(name, tmp_path, monkeypatch, capsys):
    text, where, key, value, example, problem = BAD[name]
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(BASE + text)
    before = _snapshot(tmp_path)
    code = main(["run", "s.yaml", "-o", "out"])
    out, err = capsys.readouterr()
    assert code == 1, err
    assert "Traceback" not in out + err
    for expected in (where, key, value, example, *((problem,) if isinstance(problem, str) else problem)):
        assert expected in err, f"{expected!r} missing from:\n{err}"
    assert _snapshot(tmp_path) == before and not (tmp_path / "out").exists()


def test_bad_contract_through_a_process(tmp_path):
    (tmp_path / "s.yaml").write_text(BASE + contract(accelerators="1200"))
    done = subprocess.run([sys.executable, "-m", "fleetsim", "run", "s.yaml", "-o", "out"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 1
    assert "short 200 H100" in done.stderr and "Traceback" not in done.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.yaml"]


def test_bad_contract_line_numbers_match_the_file():
    """The locations above count the lines: the first contract begins on line 17, its accelerators on 20."""
    lines = (BASE + contract()).splitlines()
    assert lines[16].strip() == "- name: rent" and lines[19].strip().startswith("accelerators:")
    assert np.array_equal(HOURS, hours_array(parse("2025-01"), 12))


# --------------------------------------------------------------------------- owners
OWNED = """\
name: owned
start: 2025-01
months: 12
hardware:
  H100: {failure_rate: 0}
sites:
  hall: {owner: lab-a, pue: 1.0, capacity: 10 MW, electricity: {price: 0.08 USD/kWh}}
orders:
  - {hardware: H100, count: 1000, site: hall, delivery: 2025-01}
  - {hardware: H100, count: 500, site: hall, delivery: 2025-01, owner: lab-c}
operations:
  utilization: 1.0
contracts:
  - {name: rent, side: sell, owner: lab-a, counterparty: lab-b, accelerators: 400, hardware: H100,
     price: 2.00 USD/h, start: 2025-01, term: 12 months}
  - {name: block, side: buy, owner: lab-c, counterparty: cloud, accelerators: 100, hardware: H100,
     price: 3.00 USD/h, start: 2025-01, term: 6 months}
"""
"""lab-a owns the hall and 1,000 H100 and sells 400 of them; lab-c colocates 500 and buys 100 more."""


def test_contracts_by_owner(tmp_path):
    res = run(OWNED, tmp_path)
    revenue = res.breakdown("owner", "contract_revenue_usd").sum()
    assert revenue["lab-a"] == pytest.approx(400 * 2.00 * 8760) and revenue.get("lab-c", 0.0) == 0.0
    cost = res.breakdown("owner", "contract_cost_usd").sum()
    assert cost["lab-c"] == pytest.approx(100 * 3.00 * 4344) and cost.get("lab-a", 0.0) == 0.0
    # the hours sold come from lab-a's hardware only; lab-c's own use gains the hours it buys
    hours = res.breakdown("owner", "training_h100e_hours") + res.breakdown("owner", "inference_h100e_hours")
    assert hours["lab-a"].tolist() == pytest.approx((600 * HOURS).tolist())
    assert hours["lab-c"].tolist() == pytest.approx(((500 + 100 * (np.arange(12) < 6)) * HOURS).tolist())
    total = res.monthly.training_h100e_hours + res.monthly.inference_h100e_hours
    assert hours.sum(axis=1).tolist() == pytest.approx(total.tolist())
    assert set(res.contracts.owner) == {"lab-a", "lab-c"}
    # the owners table sums to the monthly money columns, contracts included
    by_owner = res.owners.groupby("month")[["contract_revenue_usd", "contract_cost_usd"]].sum()
    assert by_owner.contract_revenue_usd.tolist() == pytest.approx(res.monthly.contract_revenue_usd.tolist())
    assert by_owner.contract_cost_usd.tolist() == pytest.approx(res.monthly.contract_cost_usd.tolist())


def test_an_owner_cannot_sell_what_another_owns(tmp_path, monkeypatch, capsys):
    """The fleet holds 1,500 H100, but lab-a only 1,000: selling 1,200 of lab-a's is refused."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(OWNED.replace("accelerators: 400", "accelerators: 1200"))
    assert main(["run", "s.yaml", "-o", "out"]) == 1
    err = capsys.readouterr().err
    assert "s.yaml:14:" in err and "contracts.0.accelerators" in err and "(given: 1200)" in err
    assert "H100 of lab-a" in err and "lab-a holds 1,000" in err and "short 200 H100" in err
    assert "accelerators: 1000" in err
    assert not (tmp_path / "out").exists()


def test_an_owner_that_owns_nothing_is_refused(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.yaml").write_text(OWNED.replace("owner: lab-c, counterparty: cloud", "owner: lab-d, "
                                                                                        "counterparty: cloud"))
    before = _snapshot(tmp_path)
    assert main(["run", "s.yaml", "-o", "out"]) == 1
    out, err = capsys.readouterr()
    assert "s.yaml:16:" in err and "contracts.1.owner" in err and "(given: 'lab-d')" in err
    assert "owns nothing" in err and "the scenario's owners: lab-a, lab-c" in err and "Traceback" not in out + err
    assert _snapshot(tmp_path) == before


# --------------------------------------------------------------------------- the shipped example
SHIPPED = Path(__file__).resolve().parents[1] / "scenarios" / "capacity-contracts.yaml"


def test_capacity_contracts_scenario_headline_figures():
    """scenarios/capacity-contracts.yaml: its contract money by hand, and its pinned headline figures."""
    res = fleetsim.simulate(SHIPPED)
    m, table = res.monthly, res.contracts
    # 8,000 H100 at 2.00 USD/h from 2025-10, ramp 3 months: 1/3 of October (744 h), 2/3 of November
    # (720 h), then December 2025 and all of 2026 (744 + 8,760 h) in full; notice given 2027-01
    delivered = 8000 * 2.00 * (744 / 3 + 720 * 2 / 3 + 744 + 8760)
    notice = 0.8 * 8000 * 2.00 * (744 + 672 + 744)  # January-March 2027 at 80 % take-or-pay
    assert delivered == pytest.approx(163_712_000.0) and notice == pytest.approx(27_648_000.0)
    assert m.contract_revenue_usd.sum() == pytest.approx(delivered + notice)  # 191.36 MUSD
    assert table.take_or_pay_usd.sum() == pytest.approx(notice)
    assert table.shortfall_h100e_hours.sum() == 0.0  # 24,000 held, 8,000 sold: spares cover repairs
    # 2,000 H200 at 5.408 USD/h for April-June 2026 (2,184 h)
    assert m.contract_cost_usd.sum() == pytest.approx(2000 * 5.408 * 2184)  # 23.62 MUSD
    h200 = fleetsim.load(SHIPPED).hardware["H200"].h100e
    assert m.bought_h100e_hours.sum() == pytest.approx(2000 * h200 * 2184)
    assert res.breakdown("owner", "contract_revenue_usd")["lab-a"].sum() == pytest.approx(delivered + notice)
    # pinned headline figures of the run (seed 5)
    assert m.operating_cost_usd.sum() == pytest.approx(882.93e6, rel=1e-4)
    assert m.contract_revenue_usd.sum() / m.operating_cost_usd.sum() == pytest.approx(0.2167, abs=1e-4)
    assert m.ebitda_usd.sum() == pytest.approx(-195.97e6, rel=1e-4)
    assert m.cumulative_cash_usd.iloc[-1] == pytest.approx(-1204e6, rel=1e-3)


def test_a_contract_price_may_be_uncertain(tmp_path):
    """A distribution on the price gives each draw its own contract revenue: revenue ÷ hours is the draw's price."""
    text = BASE + SOLD.replace("price: 2.00 USD/h", "price: {uniform: [1.70 USD/h, 2.35 USD/h]}")
    (tmp_path / "u.yaml").write_text(text)
    scenario = fleetsim.load(tmp_path / "u.yaml")
    assert list(scenario.uncertain) == [("contracts", 0, "price")]
    assert scenario.spec.contracts[0].price == pytest.approx(2.025)  # the uniform's mean
    ensemble = fleetsim.run_many(scenario, draws=6, workers=1)
    prices = ensemble.inputs.iloc[:, 0].to_numpy()
    assert 1.70 <= prices.min() < prices.max() <= 2.35
    revenue = ensemble.quantiles().xs("p50", level="stat").contract_revenue_usd.iloc[0]
    assert revenue == pytest.approx(np.median(prices) * 1000 * 744)
