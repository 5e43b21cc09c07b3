"""Result tables: ledger sums, units, export and read-back, training attribution."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fleetsim
from fleetsim.io import TABLES
from fleetsim.output import MARKER

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "colossus.yaml"

REQUIRED = ["accelerators", "h100e", "h100e_available", "stranded", "capacity_mw", "it_power_mw",
            "facility_power_mw", "peak_facility_power_mw", "energy_mwh", "training_h100e_hours",
            "inference_h100e_hours", "tokens", "energy_cost_usd", "hardware_capex_usd", "facility_capex_usd",
            "depreciation_usd", "opex_usd", "revenue_usd", "operating_cost_usd", "cash_burn_usd",
            "cumulative_cash_usd", "cost_per_h100e_hour_usd"]


@pytest.fixture(scope="module")
def flagship():
    return fleetsim.simulate(FLAGSHIP)


def test_monthly_has_every_contract_column(flagship):
    m = flagship.monthly
    assert [c for c in m.columns if c in REQUIRED] == REQUIRED
    assert isinstance(m.index, pd.PeriodIndex) and m.index.name == "month"
    assert str(m.index[0]) == "2024-07" and len(m) == 60
    assert all(m[c].dtype == float for c in m.columns)
    assert set(flagship.units) == set(m.columns)


def test_ledger_sums_equal_money_columns(flagship):
    ledger = flagship.ledger
    assert list(ledger.columns) == ["month", "site", "hardware", "account", "direction", "basis", "amount_usd",
                                    "owner", "user"]
    assert (ledger.amount_usd > 0).all()
    by_column = ledger.assign(column=ledger.account.map(flagship.accounts)).pivot_table(
        index="month", columns="column", values="amount_usd", aggfunc="sum", fill_value=0.0)
    money = sorted(set(flagship.accounts.values()))
    by_column = by_column.reindex(index=flagship.monthly.index, columns=money, fill_value=0.0)
    np.testing.assert_allclose(by_column.to_numpy(), flagship.monthly[money].to_numpy(), rtol=1e-12, atol=1e-6)


def test_breakdowns_sum_to_totals(flagship):
    by_site = flagship.breakdown("site", "fuel_cost_usd")
    assert set(by_site.columns) == {"colossus-1", "colossus-2"}
    np.testing.assert_allclose(by_site.sum(axis=1), flagship.monthly.fuel_cost_usd, rtol=1e-12)
    by_hw = flagship.breakdown("hardware", "hardware_capex_usd")
    assert by_hw["GB200"].sum() == pytest.approx(30000 * 51700)  # Colossus 1's; Colossus 2's are leased
    assert by_hw["H100"].sum() == pytest.approx(150000 * 36000)


def test_quantity_has_units(flagship):
    q = flagship.quantity("energy_mwh")
    assert str(q.units) == "megawatt_hour"
    assert q.to("GWh").magnitude[0] == pytest.approx(flagship.monthly.energy_mwh.iloc[0] / 1000)


def test_energy_equals_power_times_hours(flagship):
    m = flagship.monthly
    hours = m.index.days_in_month.to_numpy() * 24.0
    np.testing.assert_allclose(m.energy_mwh, m.facility_power_mw * hours, rtol=1e-12)


def test_accumulated_depreciation_never_exceeds_capex(flagship):
    m = flagship.monthly
    capex = (m.hardware_capex_usd + m.facility_capex_usd).cumsum()
    assert (m.depreciation_usd.cumsum() <= capex * (1 + 1e-12)).all()


def test_csv_roundtrip_is_equal(flagship, tmp_path):
    folder = flagship.to_csv(tmp_path / "out")
    assert {p.name for p in folder.iterdir()} == {f"{table}.csv" for table in TABLES} | {"meta.json", MARKER}
    assert (folder / "monthly.csv").read_text().splitlines()[1].startswith("2024-07,")
    back = fleetsim.read_result(folder)
    pd.testing.assert_frame_equal(back.monthly, flagship.monthly)
    pd.testing.assert_frame_equal(back.ledger, flagship.ledger)
    pd.testing.assert_frame_equal(back.training, flagship.training, check_dtype=False)
    pd.testing.assert_frame_equal(back.energy.reset_index(drop=True), flagship.energy.reset_index(drop=True))
    assert back.meta == flagship.meta


def test_parquet_roundtrip_is_equal(flagship, tmp_path):
    folder = flagship.to_parquet(tmp_path / "out")
    back = fleetsim.read_result(folder)
    pd.testing.assert_frame_equal(back.monthly, flagship.monthly)
    pd.testing.assert_frame_equal(back.ledger, flagship.ledger)
    month = pd.read_parquet(folder / "monthly.parquet")["month"]
    assert month.iloc[0] == "2024-07"


def test_a_foreign_folder_is_replaced_whole_only_with_overwrite(flagship, tmp_path):
    from fleetsim.errors import OutputError

    target = tmp_path / "out"
    target.mkdir()
    (target / "stale.txt").write_text("old")
    with pytest.raises(OutputError, match=r"stale\.txt"):
        flagship.to_csv(target)
    assert (target / "stale.txt").read_text() == "old"
    flagship.to_csv(target, overwrite=True)
    assert not (target / "stale.txt").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_meta_names_the_run(flagship):
    meta = flagship.meta
    assert meta["scenario"] == "colossus" and meta["seed"] == 7
    assert len(meta["scenario_hash"]) == 64 and meta["fleetsim_version"] == fleetsim.__version__


def test_training_run_meets_its_budget(flagship):
    run = flagship.training.iloc[0]
    assert run["name"] == "grok-5" and run["completed"]
    assert run["compute_flop"] == pytest.approx(6e27, rel=1e-9)
    assert run["h100e_hours"] == pytest.approx(6e27 / (989e12 * 3600 * 0.38), rel=1e-9)
    assert run["start"] == "2026-01" and run["end"] > "2026-01"
    # its hardware is partly leased (Colossus 2's GPUs from the SPV): depreciation + lease + energy
    assert run["cost_usd"] == pytest.approx(run["depreciation_usd"] + run["lease_usd"] + run["facility_usd"]
                                            + run["energy_cost_usd"])
    assert run["lease_usd"] > 0 and run["facility_usd"] == 0  # facility only with charge_facility: true


def test_training_attribution_by_hand(make_scenario):
    # 1000 H100e, 80 % busy, half training: a run with share 1 needing exactly 1.5 months of training time.
    per_hour = 989e12 * 3600 * 0.5
    jan, feb = 744 * 1000 * 0.8 * 0.5, 696 * 1000 * 0.8 * 0.5
    compute = (jan + feb / 2) * per_hour
    tail = f"training:\n  - {{name: r, compute: {compute!r} FLOP, start: 2024-01, share: 1.0, mfu: 0.5}}\n"
    res = fleetsim.simulate(make_scenario(tail=tail))
    run = res.training.iloc[0]
    assert run["end"] == "2024-02" and run["completed"]
    m = res.monthly
    share_jan, share_feb = jan / (1000 * 744), (feb / 2) / (1000 * 696)
    expected = share_jan * m.depreciation_usd.iloc[0] + share_feb * m.depreciation_usd.iloc[1]
    assert run["depreciation_usd"] == pytest.approx(expected, rel=1e-12)


def test_unfinished_run_is_reported(make_scenario):
    tail = "training:\n  - {name: huge, compute: 1e30 FLOP, start: 2024-03}\n"
    run = fleetsim.simulate(make_scenario(tail=tail)).training.iloc[0]
    assert not run["completed"] and run["end"] == "" and run["compute_flop"] < 1e30


def test_roundtrip_keeps_nan_and_empty_text(make_scenario, tmp_path):
    orders = "  - {hardware: TEST, count: 10, site: s1, delivery: 2024-03}"   # nothing runs in Jan and Feb
    res = fleetsim.simulate(make_scenario(orders=orders, tail="finance: {opex: {fixed: 1 MUSD/month}}\n"))
    assert np.isnan(res.monthly.cost_per_h100e_hour_usd.iloc[0])
    back = fleetsim.read_result(res.to_csv(tmp_path / "o"))
    pd.testing.assert_frame_equal(back.monthly, res.monthly)
    assert (back.ledger.hardware == "").any() and not back.ledger.hardware.isna().any()
    assert back.cohorts.payback_month.iloc[0] == res.cohorts.payback_month.iloc[0]
