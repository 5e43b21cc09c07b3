"""Every accounting rule against hand computation."""

import numpy as np
import pytest

from fleetsim.accounting import rules


def test_escalation_compounds_yearly_by_month():
    price = np.full(25, 80.0)
    out = rules.escalate(price, 0.02)
    assert out[0] == 80.0
    assert out[12] == pytest.approx(80.0 * 1.02)
    assert out[24] == pytest.approx(80.0 * 1.02**2)
    assert out[6] == pytest.approx(80.0 * 1.02**0.5)


def test_straight_line_with_salvage():
    fractions = rules.straight_line_fractions(48, 0.1)
    assert fractions.sum() == pytest.approx(0.9)
    assert fractions[0] == pytest.approx(0.9 / 48)


def test_declining_balance_switches_to_straight_line():
    # 12 months at 50 %/yr: db charge is book × 0.5/12; straight line on remaining is book/remaining.
    fractions = rules.declining_balance_fractions(12, 0.5, 0.0)
    book, expected = 1.0, []
    for age in range(12):
        charge = max(book * 0.5 / 12, book / (12 - age))
        expected.append(charge)
        book -= charge
    assert fractions == pytest.approx(expected)
    assert fractions.sum() == pytest.approx(1.0)


def test_declining_balance_front_loads_and_respects_salvage():
    fractions = rules.declining_balance_fractions(60, 0.4, 0.1)
    assert fractions.sum() == pytest.approx(0.9)
    assert fractions[0] == pytest.approx(0.4 / 12)
    assert fractions[0] > fractions[-1]
    straight = rules.straight_line_fractions(60, 0.1)
    assert np.cumsum(fractions)[12] > np.cumsum(straight)[12]


def test_depreciation_matrix_places_charges_from_delivery():
    cost = np.array([1200.0, 600.0])
    delivery = np.array([0, 2])
    life = np.array([3, 2])
    out = rules.depreciation(cost, delivery, life, 6, rules.straight_line_fractions)
    assert out[:, 0].tolist() == [400.0, 400.0, 400.0, 0.0, 0.0, 0.0]
    assert out[:, 1].tolist() == [0.0, 0.0, 300.0, 300.0, 0.0, 0.0]


def test_depreciation_after_horizon_is_cut():
    out = rules.depreciation(np.array([100.0]), np.array([1]), np.array([10]), 3, rules.straight_line_fractions)
    assert out[:, 0].tolist() == [0.0, 10.0, 10.0]


def test_facility_capex_per_mw_of_it():
    # 120 MW of IT halls (150 MW at design PUE 1.25); at 9 MUSD/MW: 1.08 GUSD. Cuts cost nothing.
    capex = rules.facility_capex(np.array([120.0, 120.0, 240.0, 160.0]), 9e6)
    assert capex.tolist() == pytest.approx([1.08e9, 0.0, 1.08e9, 0.0])


def test_facility_depreciation_over_life():
    dep = rules.facility_depreciation(np.array([180.0, 0.0, 90.0, 0.0, 0.0]), 3)
    assert dep.tolist() == pytest.approx([60.0, 60.0, 90.0, 30.0, 30.0])


def test_energy_draw_split_busy_idle(make_scenario):
    # through the real books: 1000 accelerators of 700 W × 1.82 = 1.274 kW IT for January's 744 h,
    # 80 % busy at 0.75 and 20 % idle at 0.25 (draw 0.65), at PUE 1.25: 770.133 MWh; the cohort
    # table charges the same energy at 0.08 USD/kWh
    import fleetsim

    res = fleetsim.simulate(make_scenario(months=1))
    assert res.monthly.energy_mwh.iloc[0] == pytest.approx(1000 * 1.274e-3 * 744 * 0.65 * 1.25, rel=1e-12)
    assert res.monthly.energy_mwh.iloc[0] == pytest.approx(770.133, abs=1e-9)
    assert res.cohorts.energy_cost_usd.iloc[0] == pytest.approx(770.133 * 80.0, rel=1e-12)


def test_training_compute_per_h100e_hour():
    assert rules.training_compute_per_h100e_hour(0.4) == pytest.approx(989e12 * 3600 * 0.4)


def test_one_h100_reference_throughput():
    # the constant and the catalog's sourced H100 entry agree (NVIDIA datasheet: 1,979 TFLOPS sparse BF16 ÷ 2)
    from fleetsim.catalog import H100_8BIT_OPS, H100_FLOPS, catalog_values
    from fleetsim.units import parse

    assert H100_FLOPS == 989e12 == parse(catalog_values()["H100"]["flops"], "compute rate")
    assert H100_8BIT_OPS == 2 * 989.5e12  # FP8 dense 1,979 TFLOPS: twice the (unrounded) BF16 figure


def test_on_books_mask():
    mask = rules.on_books(np.array([1]), np.array([2]), 5)
    assert mask[:, 0].tolist() == [False, True, True, False, False]
