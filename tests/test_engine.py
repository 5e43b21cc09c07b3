"""The cohort engine: power gating, install rate, retirement, failures, determinism."""

import calendar

import numpy as np
import pytest

import fleetsim
from fleetsim.io import TABLES

UNIT_FACILITY_MW = 700e-6 * 1.82 * 1.25


def test_power_gating_installs_a_partial_cohort(make_scenario):
    res = fleetsim.simulate(make_scenario(capacity="{2024-01: 1 MW, 2024-04: 2 MW}",
                                          orders="  - {hardware: TEST, count: 1000, site: s1, delivery: 2024-01}"))
    m = res.monthly
    fits_1mw = int(1.0 // UNIT_FACILITY_MW)            # 627 accelerators in 1 MW
    fits_2mw = int(2.0 // UNIT_FACILITY_MW)            # 1255: all 1000 fit
    assert fits_1mw == 627 and fits_2mw > 1000
    assert m.accelerators.iloc[:3].tolist() == [fits_1mw] * 3
    assert m.stranded.iloc[:3].tolist() == [1000 - fits_1mw] * 3
    assert m.accelerators.iloc[3] == 1000 and m.stranded.iloc[3] == 0
    assert (m.peak_facility_power_mw <= m.capacity_mw + 1e-9).all()


def test_next_cohort_waits_until_the_one_before_is_done(make_scenario):
    orders = ("  - {hardware: TEST, count: 1000, site: s1, delivery: 2024-01}\n"
              "  - {hardware: A100, count: 10, site: s1, delivery: 2024-01}")
    res = fleetsim.simulate(make_scenario(capacity="1 MW", orders=orders))
    ledger = res.ledger
    # the A100 order would fit in the leftover headroom, but first come, first served: it waits.
    a100 = ledger[(ledger.hardware == "A100") & (ledger.account == "energy")]
    assert a100.empty
    assert res.monthly.stranded.iloc[0] == 1000 - 627 + 10


def test_install_rate_ramp(make_scenario):
    res = fleetsim.simulate(make_scenario(site_extra="install_rate: 300"))
    assert res.monthly.accelerators.iloc[:5].tolist() == [300, 600, 900, 1000, 1000]
    assert res.monthly.stranded.iloc[:5].tolist() == [700, 400, 100, 0, 0]


def test_delivery_window_splits_evenly_remainder_first(make_scenario):
    orders = "  - {hardware: TEST, count: 10, site: s1, delivery: {from: 2024-02, to: 2024-04}}"
    res = fleetsim.simulate(make_scenario(orders=orders))
    assert res.monthly.accelerators.iloc[:5].tolist() == [0, 4, 7, 10, 10]
    capex = res.monthly.hardware_capex_usd.iloc[:5].tolist()
    assert capex == [0, 4 * 40000, 3 * 40000, 3 * 40000, 0]


def test_retirement_frees_power_for_waiting_hardware(make_scenario):
    orders = ("  - {hardware: TEST, count: 600, site: s1, delivery: 2024-01}\n"
              "  - {hardware: H100, count: 600, site: s1, delivery: 2024-02}")
    res = fleetsim.simulate(make_scenario(capacity="1 MW", life="3 months", orders=orders))
    m = res.monthly
    assert m.accelerators.iloc[:5].tolist() == [600, 627, 627, 600, 600]
    # month 3 (2024-04): TEST cohort retires at delivery + 3 months, the H100s fill its place
    assert m.stranded.iloc[:5].tolist() == [0, 573, 573, 0, 0]
    dep = res.breakdown("hardware", "depreciation_usd")
    assert (dep["TEST"].iloc[3:] == 0).all() and dep["TEST"].iloc[:3].sum() == pytest.approx(600 * 40000)


def test_conservation_delivered_equals_installed_stranded_retired(make_scenario):
    orders = ("  - {hardware: TEST, count: 800, site: s1, delivery: 2024-01}\n"
              "  - {hardware: TEST, count: 700, site: s1, delivery: {from: 2024-02, to: 2024-05}}")
    res = fleetsim.simulate(make_scenario(capacity="{2024-01: 1 MW, 2024-06: 1.5 MW}", life="4 months",
                                          orders=orders, failure_rate=0.3, months=14))
    m = res.monthly
    delivered = np.cumsum([800, 175, 175, 175, 175] + [0] * 9)
    retired = np.cumsum([0, 0, 0, 0, 800, 175, 175, 175, 175] + [0] * 5)
    np.testing.assert_array_equal(m.accelerators + m.stranded + retired, delivered)


def _hours(year, count):
    return np.array([24.0 * calendar.monthrange(year + m // 12, m % 12 + 1)[1] for m in range(count)])


def test_mean_availability_under_failures(make_scenario):
    rate, repair_hours = 0.09, 120.0
    orders = "  - {hardware: TEST, count: 2000000, site: s1, delivery: 2024-01}"
    res = fleetsim.simulate(make_scenario(capacity="10 GW", failure_rate=rate, orders=orders, months=24))
    m = res.monthly
    availability = (m.h100e_available / m.h100e).to_numpy()
    hours = _hours(2024, 24)
    p = 1 - np.exp(-rate * hours / 8766)   # a hazard of `rate` failures per accelerator-year
    exact = 1 - p * repair_hours / hours
    sigma = np.sqrt(2e6 * p * (1 - p)) / 2e6 * repair_hours / hours   # binomial noise of each month
    assert np.all(np.abs(availability - exact) < 6 * sigma)
    assert abs(availability.mean() - exact.mean()) < 5 * sigma.mean() / np.sqrt(24)
    # the textbook approximation 1 − rate × repair time (in years), within its own error
    unavailable = 1 - availability.mean()
    assert unavailable == pytest.approx(rate * repair_hours / 8766, rel=0.06)
    assert (m.accelerators == 2000000).all()


def test_repair_longer_than_a_month(make_scenario):
    orders = "  - {hardware: TEST, count: 1000000, site: s1, delivery: 2024-01}"
    res = fleetsim.simulate(make_scenario(capacity="10 GW", failure_rate=0.5, orders=orders,
                                          months=6, repair="45 days"))
    m = res.monthly
    hours = _hours(2024, 6)
    p = 1 - np.exp(-0.5 * hours / 8766)
    # January: failures out all month (744 h of 1080); units in repair draw nothing.
    assert m.h100e_available.iloc[0] == pytest.approx(1e6 * (1 - p[0]), rel=2e-3)
    assert (m.h100e_available < m.h100e).all()
    assert m.energy_mwh.iloc[0] < fleetsim.simulate(
        make_scenario(capacity="10 GW", orders=orders, months=6)).monthly.energy_mwh.iloc[0]


def test_same_seed_same_files(make_scenario, tmp_path):
    sc = make_scenario(failure_rate=0.2)
    a = fleetsim.simulate(sc).to_csv(tmp_path / "a")
    b = fleetsim.simulate(sc).to_csv(tmp_path / "b")
    for name in [f"{table}.csv" for table in TABLES]:
        assert (a / name).read_bytes() == (b / name).read_bytes()
    other = fleetsim.simulate(sc.override({"seed": 2})).monthly
    assert not np.array_equal(other.h100e_available, fleetsim.simulate(sc).monthly.h100e_available)


def test_run_time_independent_of_count(make_scenario):
    small = fleetsim.simulate(make_scenario(failure_rate=0.1)).monthly
    big = fleetsim.simulate(make_scenario(failure_rate=0.1, capacity="1000 GW",
                                          orders="  - {hardware: TEST, count: 100000000, site: s1, "
                                                 "delivery: 2024-01}")).monthly
    # same number of events: a hundred thousand times more accelerators, same shape of output
    assert big.accelerators.iloc[-1] == 1e8 and small.accelerators.iloc[-1] == 1e3
