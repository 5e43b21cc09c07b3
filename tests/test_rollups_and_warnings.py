"""Roll-ups by kind, declining balance through a scenario, per-order price, consistency warnings."""

import warnings

import numpy as np
import pandas as pd
import pytest

import fleetsim
import fleetsim.result
from fleetsim.accounting import rules
from fleetsim.cli.main import main


@pytest.fixture
def result(make_scenario):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fleetsim.FleetsimWarning)
        return fleetsim.simulate(make_scenario(months=18, capacity="{2024-01: 1 MW, 2024-05: 2 MW}",
                                               failure_rate=0.2, site_extra="install_rate: 400"))


def test_quarterly_rollup_by_kind(result):
    m, q = result.monthly, result.rollup("Q")
    assert list(q.columns) == list(m.columns)
    assert [str(p) for p in q.index] == ["2024Q1", "2024Q2", "2024Q3", "2024Q4", "2025Q1", "2025Q2"]
    first = m.iloc[:3]
    hours = first.index.days_in_month.to_numpy() * 24.0
    assert q.energy_mwh.iloc[0] == pytest.approx(first.energy_mwh.sum())                       # total
    assert q.facility_power_mw.iloc[0] == pytest.approx(np.average(first.facility_power_mw, weights=hours))  # mean
    assert q.accelerators.iloc[0] == first.accelerators.iloc[-1]                                 # month end
    assert q.peak_facility_power_mw.iloc[0] == first.peak_facility_power_mw.max()              # peak
    expected = first.operating_cost_usd.sum() / (first.h100e_available * hours).sum()
    assert q.cost_per_h100e_hour_usd.iloc[0] == pytest.approx(expected)                         # recomputed
    # energy over the quarter = mean power × the quarter's hours
    assert q.energy_mwh.iloc[0] == pytest.approx(q.facility_power_mw.iloc[0] * hours.sum())


def test_horizon_by_kind(result):
    """The whole horizon, each column by its kind (docs/model.md, Roll-ups), by hand."""
    m, h = result.monthly, result.horizon()
    hours = m.index.days_in_month.to_numpy() * 24.0
    assert list(h.index) == list(m.columns)
    assert h.energy_mwh == pytest.approx(m.energy_mwh.sum(), rel=1e-14)                              # total
    assert h.facility_power_mw == pytest.approx(np.average(m.facility_power_mw, weights=hours), rel=1e-14)
    assert h.accelerators == m.accelerators.iloc[-1]                                                # end
    assert h.peak_facility_power_mw == m.peak_facility_power_mw.max()                               # peak
    expected = m.operating_cost_usd.sum() / ((m.h100e_available * hours).sum() + m.bought_h100e_hours.sum())
    assert h.cost_per_h100e_hour_usd == pytest.approx(expected, rel=1e-14)                           # ratio


def test_horizon_leaves_missing_months_out_and_ignores_the_memory_layout(result):
    from fleetsim.result import horizon_values

    m = result.monthly.copy()
    hours = m.index.days_in_month.to_numpy() * 24.0
    m.loc[m.index[-1], "accelerators"] = np.nan          # a stock missing at the end: the last value before
    m.loc[m.index[0], "energy_mwh"] = np.nan             # a flow missing in a month: left out of the sum
    m["peak_facility_power_mw"] = np.nan                 # missing throughout: missing
    h = fleetsim.result.horizon(m)
    assert h.accelerators == m.accelerators.iloc[-2]
    assert h.energy_mwh == pytest.approx(m.energy_mwh.iloc[1:].sum(), rel=1e-14)
    assert np.isnan(h.peak_facility_power_mw)
    values = m.to_numpy(dtype=float)
    rows, columns = horizon_values(values, hours, list(m.columns)), horizon_values(np.asfortranarray(values), hours,
                                                                                    list(m.columns))
    assert np.array_equal(rows, columns, equal_nan=True)  # the same bits whatever the array's order
    with pytest.raises(KeyError, match="no roll-up kind"):
        horizon_values(values[:, :1], hours, ["no_such_column"])


@pytest.mark.parametrize("name", ["colossus", "world", "capacity-contracts", "neocloud-10k"])
def test_horizon_agrees_with_the_roll_up_of_one_period(name, shipped_result):
    """Two implementations of one rule: the array one (horizon) and the pandas one (aggregate,
    which rolls up quarters and years), on shipped scenarios: the same figures to rounding."""
    from fleetsim.result import aggregate

    m = shipped_result(name).monthly
    by_arrays = fleetsim.result.horizon(m)
    by_pandas = aggregate(m, np.zeros(len(m), dtype=int)).iloc[0]
    assert np.allclose(by_arrays.to_numpy(float), by_pandas.to_numpy(float), rtol=1e-12, atol=0, equal_nan=True)


def test_yearly_rollup_and_bad_period(result):
    y = result.rollup("year")
    assert [str(p) for p in y.index] == ["2024", "2025"]
    assert y.hardware_capex_usd.sum() == pytest.approx(result.monthly.hardware_capex_usd.sum())
    with pytest.raises(ValueError, match="unknown period"):
        result.rollup("decade")


def test_cli_writes_rollups(tmp_path, make_scenario, capsys):
    sc = make_scenario()
    assert main(["run", str(sc.path), "-o", str(tmp_path / "o"), "--period", "quarter", "--period", "year"]) == 0
    quarterly = pd.read_csv(tmp_path / "o" / "quarterly.csv")
    assert quarterly.period.tolist() == ["2024Q1", "2024Q2", "2024Q3", "2024Q4"]
    assert pd.read_csv(tmp_path / "o" / "yearly.csv").period.tolist() == [2024]
    with pytest.raises(SystemExit) as info:
        main(["run", str(sc.path), "--period", "decade"])
    assert info.value.code == 2
    assert "invalid choice: 'decade'" in capsys.readouterr().err


def test_declining_balance_through_a_scenario(make_scenario):
    tail = "finance:\n  depreciation: {method: declining_balance, rate: 0.6, salvage: 0.1}\n"
    res = fleetsim.simulate(make_scenario(months=60, tail=tail))
    expected = 1000 * 40000 * rules.declining_balance_fractions(48, 0.6, 0.1)
    np.testing.assert_allclose(res.monthly.depreciation_usd.iloc[:48], expected, rtol=1e-12)
    assert res.monthly.depreciation_usd.iloc[:48].sum() == pytest.approx(0.9 * 40e6)
    assert (res.monthly.depreciation_usd.iloc[48:] == 0).all()


def test_order_price_and_hardware_life_overrides(make_scenario):
    orders = ("  - {hardware: TEST, count: 10, site: s1, delivery: 2024-01, price: 30000 USD}\n"
              "  - {hardware: TEST, count: 10, site: s1, delivery: 2024-02}")
    res = fleetsim.simulate(make_scenario(orders=orders))
    assert res.monthly.hardware_capex_usd.iloc[:2].tolist() == [300000, 400000]
    sc = make_scenario(orders=orders).override({"finance.depreciation.life": "2 years"})
    dep = fleetsim.simulate(sc).monthly.depreciation_usd
    assert dep.iloc[0] == pytest.approx(300000 / 24)


def test_warnings_are_collected_and_issued(make_scenario):
    orders = ("  - {hardware: TEST, count: 1000, site: s1, delivery: 2024-01, price: 500 USD}\n"
              "  - {hardware: TEST, count: 10, site: s1, delivery: 2026-01}")
    sc = make_scenario(capacity="1 MW", orders=orders).override(
        {"sites.s1.pue": 2.5, "sites.s1.electricity.price": "1.5 USD/kWh"})
    with pytest.warns(fleetsim.FleetsimWarning) as caught:
        res = fleetsim.simulate(sc)
    text = "\n".join(res.warnings)
    assert len(caught) == len(res.warnings) == 6
    assert "above 1 USD/kWh" in text and "pue reaches 2.5" in text and "under 1,000 USD" in text
    assert "delivered after the horizon" in text
    assert "still not energised at the end" in text and "wait for power" in text


def test_validate_and_run_print_warnings(make_scenario, tmp_path, capsys):
    sc = make_scenario(capacity="1 MW")
    assert main(["validate", str(sc.path), "--set", "sites.s1.pue=2.2"]) == 0
    assert "pue reaches 2.2" in capsys.readouterr().err
    assert main(["run", str(sc.path), "-o", str(tmp_path / "o"), "--quiet"]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "still not energised" in captured.err
