"""Owners and users: every money and physical column broken down by owner, against hand sums.

The case: two sites and three orders of a 1 kW accelerator (1 H100e, 10,000 USD, 50-month life,
no failures) in January and February 2025, every accelerator busy at full draw, energy at
0.10 USD/kWh.

- site ``alpha`` (PUE 1.5, 10 MW) is owned by A; 100 accelerators of A's and 50 of B's
  (colocated: the order names owner B) run there;
- site ``beta`` (PUE 1.2, 5 MW) is owned by B and rented to C (``user: C``): 200 accelerators.

By hand, January (744 h):
- A: IT 0.1 MW, facility 0.15 MW, 111.6 MWh, energy cost 11,160 USD, capex 1,000,000 USD,
  depreciation 20,000 USD a month; capacity 10 MW (its site).
- B: IT 0.05 + 0.2 MW, facility 0.075 + 0.24 = 0.315 MW, 55.8 + 178.56 = 234.36 MWh, energy
  cost 23,436 USD, capex 2,500,000 USD, depreciation 50,000 USD; capacity 5 MW.
- By user: C runs beta's 200 (0.24 MW facility, 178.56 MWh, and beta's 5 MW), B runs its 50 at
  alpha (0.075 MW).
"""

import numpy as np
import pandas as pd
import pytest

import fleetsim
from fleetsim.cli.main import main

TEXT = """\
name: owners
start: 2025-01
months: 2
hardware:
  chip: {it_power: 1 kW, flops: 989 TFLOP/s, h100e: 1, price: 10000 USD, life: 50 months, failure_rate: 0}
sites:
  alpha: {owner: A, pue: 1.5, capacity: 10 MW, electricity: {price: 0.10 USD/kWh}}
  beta: {owner: B, user: C, pue: 1.2, capacity: 5 MW, electricity: {price: 0.10 USD/kWh}}
orders:
  - {hardware: chip, count: 100, site: alpha, delivery: 2025-01}
  - {hardware: chip, count: 50, site: alpha, delivery: 2025-01, owner: B}
  - {hardware: chip, count: 200, site: beta, delivery: 2025-01}
operations:
  utilization: 1.0
  power_draw: {busy: 1.0, idle: 1.0}
"""
JANUARY = 744.0


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    path = tmp_path_factory.mktemp("owners") / "owners.yaml"
    path.write_text(TEXT)
    return fleetsim.simulate(path)


def test_physical_columns_by_owner_and_user(result):
    jan = pd.Period("2025-01", "M")
    power = result.breakdown("owner", "facility_power_mw").loc[jan]
    assert power["A"] == pytest.approx(0.15, rel=1e-12)
    assert power["B"] == pytest.approx(0.315, rel=1e-12)
    energy = result.breakdown("owner", "energy_mwh").loc[jan]
    assert energy["A"] == pytest.approx(0.15 * JANUARY, rel=1e-12)
    assert energy["B"] == pytest.approx(0.315 * JANUARY, rel=1e-12)
    h100e = result.breakdown("owner", "h100e").loc[jan]
    assert (h100e["A"], h100e["B"]) == (100.0, 250.0)
    capacity = result.breakdown("owner", "capacity_mw").loc[jan]
    assert (capacity["A"], capacity["B"]) == (10.0, 5.0)
    by_user = result.breakdown("user", "facility_power_mw").loc[jan]
    assert set(by_user.index) == {"A", "B", "C"}
    assert by_user["C"] == pytest.approx(0.24, rel=1e-12)
    assert by_user["B"] == pytest.approx(0.075, rel=1e-12)
    assert result.breakdown("user", "capacity_mw").loc[jan, "C"] == 5.0
    assert result.breakdown("user", "training_h100e_hours").loc[jan].sum() == 0.0
    assert result.breakdown("user", "inference_h100e_hours").loc[jan, "C"] == pytest.approx(200 * JANUARY)


def test_money_by_owner_splits_the_shared_group(result):
    jan = pd.Period("2025-01", "M")
    capex = result.breakdown("owner", "hardware_capex_usd").loc[jan]
    assert (capex["A"], capex["B"]) == (1_000_000.0, 2_500_000.0)
    depreciation = result.breakdown("owner", "depreciation_usd").loc[jan]
    assert depreciation["A"] == pytest.approx(20_000.0, rel=1e-12)
    assert depreciation["B"] == pytest.approx(50_000.0, rel=1e-12)
    energy_cost = result.breakdown("owner", "energy_cost_usd").loc[jan]
    assert energy_cost["A"] == pytest.approx(11_160.0, rel=1e-9)
    assert energy_cost["B"] == pytest.approx(23_436.0, rel=1e-9)
    # the ledger carries the labels: the shared (alpha, chip) group is split 100 : 50
    alpha = result.ledger[(result.ledger.site == "alpha") & (result.ledger.account == "hardware_capex")]
    assert dict(zip(alpha.owner, alpha.amount_usd, strict=True)) == {"A": 1_000_000.0, "B": 500_000.0}


def test_owners_sum_to_the_fleet(result):
    m = result.monthly
    for column in ("energy_mwh", "facility_power_mw", "h100e", "capacity_mw", "peak_facility_power_mw",
                   "energy_cost_usd", "depreciation_usd", "hardware_capex_usd", "revenue_usd"):
        for by in ("owner", "user"):
            np.testing.assert_allclose(result.breakdown(by, column).sum(axis=1), m[column], rtol=1e-12,
                                       err_msg=f"{column} by {by}")
    totals = result.ledger.groupby("owner").amount_usd.sum()
    assert totals.sum() == pytest.approx(result.ledger.amount_usd.sum())


def test_rollup_by_owner(result):
    yearly = result.by_owner("Y").set_index(["period", "owner"])
    both = JANUARY + 28 * 24.0
    assert yearly.loc[("2025", "A"), "energy_mwh"] == pytest.approx(0.15 * both, rel=1e-12)
    assert yearly.loc[("2025", "B"), "h100e"] == 250.0                       # a stock: the year's end
    assert yearly.loc[("2025", "B"), "facility_power_mw"] == pytest.approx(0.315, rel=1e-12)  # a level
    assert yearly.loc[("2025", "B"), "depreciation_usd"] == pytest.approx(100_000.0, rel=1e-12)
    horizon = result.by_owner(None, by="user").set_index("user")
    assert horizon.loc["C", "energy_mwh"] == pytest.approx(0.24 * both, rel=1e-12)
    with pytest.raises(ValueError, match="unknown period"):
        result.by_owner("week")


def test_defaults_without_owners(make_scenario):
    res = fleetsim.simulate(make_scenario())
    assert set(res.ledger.owner) == {""} and set(res.owners.owner) == {""}
    np.testing.assert_allclose(res.breakdown("owner", "energy_mwh")[""], res.monthly.energy_mwh)


def test_order_user_defaults(tmp_path):
    text = TEXT.replace("site: alpha, delivery: 2025-01, owner: B}", "site: alpha, delivery: 2025-01, user: D}")
    path = tmp_path / "o.yaml"
    path.write_text(text)
    res = fleetsim.simulate(path)
    pairs = set(zip(res.owners.owner, res.owners.user, strict=True))
    assert pairs == {("A", "A"), ("A", "D"), ("B", "C")}


def test_owners_table_written_and_read_back(result, tmp_path):
    folder = result.to_csv(tmp_path / "out", periods=("year",))
    assert (folder / "owners.csv").is_file() and (folder / "owners_yearly.csv").is_file()
    back = fleetsim.read_result(folder)
    pd.testing.assert_frame_equal(back.owners.reset_index(drop=True), result.owners.reset_index(drop=True),
                                  check_dtype=False)


def test_empty_owner_is_a_located_error(tmp_path, capsys):
    path = tmp_path / "bad.yaml"
    path.write_text(TEXT.replace("owner: A,", "owner: '',"))
    assert main(["validate", str(path)]) == 1
    err = capsys.readouterr().err
    assert "bad.yaml:7" in err and "owner" in err
