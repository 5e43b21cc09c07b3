"""scenarios/world.yaml: its headline figures pinned, its owners summing to the world, and its
comparison with the sector totals (docs/validation.md, "The world's AI accelerators")."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fleetsim
from fleetsim.data.chip_counts import catalog_name, shipment_rows

ROOT = Path(__file__).parent.parent
WORLD = ROOT / "scenarios" / "world.yaml"
OWNERS = ["Microsoft", "Meta", "Amazon", "Google", "Oracle", "China", "Other", "CoreWeave", "xAI"]


@pytest.fixture(scope="module")
def world():
    return fleetsim.simulate(WORLD)


def test_headline_figures(world):
    """The central run (every distribution at its central value: units at the median, shipped in
    each quarter's middle month, a 3-month lag, 30 % growth a year after 2025, hyperscale PUE
    1.12, others 1.35, utilization 0.7, busy draw 0.75). Figures as docs/validation.md quotes them."""
    yearly = world.rollup("Y")
    twh = yearly.energy_mwh / 1e6
    assert twh.loc[pd.Period("2023", "Y")] == pytest.approx(6.551, rel=1e-3)
    assert twh.loc[pd.Period("2024", "Y")] == pytest.approx(24.64, rel=1e-3)
    assert twh.loc[pd.Period("2025", "Y")] == pytest.approx(69.37, rel=1e-3)
    assert twh.loc[pd.Period("2030", "Y")] == pytest.approx(591.7, rel=1e-3)
    assert yearly.h100e.loc[pd.Period("2025", "Y")] == pytest.approx(15.28e6, rel=1e-3)
    assert yearly.h100e.loc[pd.Period("2030", "Y")] == pytest.approx(136.0e6, rel=1e-3)
    assert yearly.it_power_mw.loc[pd.Period("2025", "Y")] == pytest.approx(6621, rel=1e-3)
    assert yearly.facility_power_mw.loc[pd.Period("2025", "Y")] == pytest.approx(7918, rel=1e-3)
    assert world.warnings == []


def test_every_owner_in_the_data_and_their_sum(world):
    owners = world.by_owner("Y").set_index(["period", "owner"])
    assert set(owners.index.get_level_values("owner")) == set(OWNERS)
    for column in ("energy_mwh", "h100e", "it_power_mw", "facility_power_mw"):
        np.testing.assert_allclose(world.breakdown("owner", column).sum(axis=1), world.monthly[column], rtol=1e-9)
    assert owners.loc[("2025", "Google"), "energy_mwh"] / 1e6 == pytest.approx(13.05, rel=1e-3)
    assert owners.loc[("2025", "Microsoft"), "energy_mwh"] / 1e6 == pytest.approx(11.65, rel=1e-3)


def test_shipped_units_are_the_data_medians(world):
    """Every data row up to 2025-12 becomes an order of its median units (rounded); the rest are
    growth orders after 2025."""
    scenario = fleetsim.load(WORLD)
    data = [o for o in scenario.spec.orders if "growth" not in o.name]
    rows = [r for r in shipment_rows() if r.last <= 2025 * 12 + 11 and round(r.median) > 0]
    assert len(data) == len(rows)
    assert sum(o.count for o in data) == sum(round(r.median) for r in rows)
    assert {o.hardware for o in data} == {catalog_name(r.chip) for r in rows}
    growth = [o for o in scenario.spec.orders if "growth" in o.name]
    assert min(o.delivery[0] for o in growth) == 2026 * 12 + 1                 # 2026 Q1's middle month


def test_hyperscalers_run_at_their_class_pue(world):
    """Facility over IT energy by owner is its class's PUE (central values 1.12 and 1.35)."""
    energy = world.owners.groupby("owner")[["energy_mwh", "it_power_mw"]].sum()
    it_energy = world.owners.assign(it=world.owners.it_power_mw * world.owners.month.dt.days_in_month * 24) \
        .groupby("owner").it.sum()
    ratio = energy.energy_mwh / it_energy
    assert ratio["Google"] == pytest.approx(1.12, rel=1e-9)
    assert ratio["CoreWeave"] == pytest.approx(1.35, rel=1e-9)          # the triangular mode


def test_scored_against_the_sector_totals(world):
    card = fleetsim.score(world, ROOT / "scenarios" / "world.observations.csv").table
    iea = card[card.month == "2024-12"].iloc[0]
    assert iea.observed == pytest.approx(62e6)                   # 15 % of IEA's 415 TWh
    assert iea.fleetsim == pytest.approx(24.64e6, rel=1e-3)     # the AI part fleetsim finds, 60 % below
    lbnl = card[card.month == "2023-12"].iloc[0]
    assert lbnl.fleetsim < 0.05 * lbnl.observed                 # far below all US data centres
