"""Power supply: dispatch by merit order, peak shaving, costs, emissions, water, the old form."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import fleetsim
from fleetsim.accounting.dispatch import billed_peaks, dispatch, merit_order
from fleetsim.accounting.power import ENERGY_BY_ROLE
from fleetsim.engine.supply_plan import COMPILERS, SourcePlan
from fleetsim.errors import ScenarioError
from fleetsim.scenario.supply import ENERGY_ROLES, ROLES, SERVES, SOURCE_KINDS, Role, Source, check_roles, kinds_of

UNIT_IT_MW = 700e-6 * 1.82
GAS_T_PER_MMBTU = 53.06e-3


def source(name, kind, capacity, price=0.0, fuel=0.0, om=0.0, carbon=0.0, demand=0.0, shave=0.0, months=1,
           window=4.0, round_trip=1.0):
    full = np.full(months, float(capacity))
    storage = Role.STORAGE in ROLES[kind]
    return SourcePlan(name=name, kind=kind, capacity_mw=np.zeros(months) if storage else full, firm_mw=full,
                      energy_usd_per_mwh=np.full(months, price), fuel_usd_per_mwh=np.full(months, fuel),
                      om_usd_per_mwh=om, carbon_t_per_mwh=np.full(months, carbon), demand_usd_per_mw_month=demand,
                      shave_mw=np.full(months, shave), window_hours=window, round_trip=round_trip)


def test_merit_order_cheapest_first_within_capacity():
    served, unserved = merit_order(1000.0, np.array([600.0, 300.0, 900.0]), np.array([80.0, 40.0, 60.0]))
    assert served.tolist() == [0.0, 300.0, 700.0] and unserved == 0.0


def test_unserved_when_sources_run_out():
    served, unserved = merit_order(1000.0, np.array([600.0, 300.0]), np.array([80.0, 40.0]))
    assert served.tolist() == [600.0, 300.0] and unserved == 100.0


def test_dispatch_costs_and_emissions_by_hand():
    hours = np.array([720.0])
    grid = source("grid", "grid", 100, price=80.0, carbon=0.4, demand=12000.0)     # 12 USD/kW/month
    gas = source("gas", "gas_turbine", 30, fuel=9.5 * 3.5, om=5.0, carbon=9.5 * GAS_T_PER_MMBTU)
    result = dispatch([grid, gas], np.array([720.0 * 50]), np.array([60.0]), hours)
    # gas (38.25 USD/MWh) runs flat out: 30 MW × 720 h; the grid serves the other 20 MW.
    assert result.energy_mwh[0].tolist() == [720.0 * 20, 720.0 * 30]
    assert result.energy_usd[0, 0] == pytest.approx(720 * 20 * 80.0)
    assert result.fuel_usd[0, 1] == pytest.approx(720 * 30 * 9.5 * 3.5)
    assert result.om_usd[0, 1] == pytest.approx(720 * 30 * 5.0)
    # billed grid peak: 60 MW peak less 30 MW of cheaper gas = 30 MW at 12 USD/kW
    assert result.demand_usd[0, 0] == pytest.approx(30 * 12000.0)
    assert result.emissions_t[0].tolist() == pytest.approx([720 * 20 * 0.4, 720 * 30 * 9.5 * GAS_T_PER_MMBTU])


def test_battery_shaves_the_billed_peak_and_pays_its_losses():
    hours = np.array([720.0])
    grid = source("grid", "grid", 200, price=80.0, demand=12000.0)
    battery = source("pack", "battery", 0, shave=25.0, window=4.0, round_trip=0.8)   # min(power, energy/4 h)
    result = dispatch([grid, battery], np.array([720.0 * 50]), np.array([100.0]), hours)
    assert result.demand_usd[0, 0] == pytest.approx((100 - 25) * 12000.0)
    shifted = 25.0 * 4.0 * 30                    # MWh a month: shave × window × days
    assert result.battery_losses_usd[0] == pytest.approx(shifted * (1 / 0.8 - 1) * 80.0)
    assert result.energy_mwh[0].tolist() == [720.0 * 50, 0.0]


def test_billed_peak_never_negative_or_above_capacity():
    billed, used = billed_peaks(10.0, np.array([50.0, 40.0]), np.array([30.0, 80.0]), np.array([False, True]), 5.0)
    assert billed.tolist() == [0.0, 0.0] and used == 0.0
    billed, _ = billed_peaks(500.0, np.array([40.0]), np.array([80.0]), np.array([True]), 0.0)
    assert billed.tolist() == [40.0]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["grid", "ppa", "gas_turbine"]), st.floats(0, 500), st.floats(1, 200),
                          st.floats(0, 1)), min_size=1, max_size=4),
       st.floats(0, 400 * 744), st.floats(0, 600))
def test_dispatch_invariants(specs, demand, peak):
    sources = [source(f"s{i}", kind, cap, price=price, carbon=carbon, demand=1000.0)
               for i, (kind, cap, price, carbon) in enumerate(specs)]
    hours = np.array([744.0])
    result = dispatch(sources, np.array([demand]), np.array([peak]), hours)
    # energy by source sums to demand less unserved; no source above its capacity
    assert result.energy_mwh.sum() + result.unserved_mwh[0] == pytest.approx(demand, rel=1e-9, abs=1e-6)
    for k, s in enumerate(sources):
        assert result.energy_mwh[0, k] <= s.capacity_mw[0] * 744 * (1 + 1e-12)
    # emissions = Σ energy × intensity
    intensity = np.array([s.carbon_t_per_mwh[0] for s in sources])
    assert result.emissions_t.sum() == pytest.approx(result.energy_mwh[0] @ intensity, rel=1e-9, abs=1e-9)
    assert (result.demand_usd >= 0).all()


SUPPLY = """\
  s1:
    pue: {pue}
    water: 1.8 L/kWh
    supply:
      grid: {{kind: grid, capacity: {{2024-01: 1 MW}}, price: 0.08 USD/kWh, demand_charge: 12 USD/kW/month,
             carbon: 0.42 t/MWh}}
      gas: {{kind: gas_turbine, units: {{2024-01: 2}}, unit_capacity: 0.5 MW, availability: 0.9,
            heat_rate: 9.5 MMBtu/MWh, fuel_price: 3.5 USD/MMBtu, variable_om: 5 USD/MWh, capex: 1.3 MUSD/MW,
            life: 20 years}}
      pack: {{kind: battery, power: 0.2 MW, energy: 0.8 MWh, capex: 280 USD/kWh, firm: true}}
"""


def supply_scenario(make_scenario, pue="1.25", count=1000):
    sc = make_scenario(orders=f"  - {{hardware: TEST, count: {count}, site: s1, delivery: 2024-01}}")
    text = sc.path.read_text()
    start, end = text.index("  s1:"), text.index("orders:")
    sc.path.write_text(text[:start] + SUPPLY.format(pue=pue) + text[end:])
    return fleetsim.load(sc.path)


def test_supply_scenario_by_hand(make_scenario):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fleetsim.FleetsimWarning)
        res = fleetsim.simulate(supply_scenario(make_scenario))
    m = res.monthly
    # firm capacity: 1 MW grid + 2 × 0.5 MW × 0.9 gas + 0.2 MW firm battery
    assert m.capacity_mw.iloc[0] == pytest.approx(2.1)
    draw = 0.8 * 0.75 + 0.2 * 0.25
    hours = m.index.days_in_month.to_numpy() * 24.0
    energy = 1000 * UNIT_IT_MW * 1.25 * draw * hours
    np.testing.assert_allclose(m.energy_mwh, energy, rtol=1e-12)
    gas = np.minimum(energy, 0.9 * hours)
    np.testing.assert_allclose(m.onsite_energy_mwh, gas, rtol=1e-12)
    np.testing.assert_allclose(m.grid_energy_mwh, energy - gas, rtol=1e-12)
    np.testing.assert_allclose(m.fuel_cost_usd, gas * 9.5 * 3.5, rtol=1e-12)
    losses = 0.2 * 4.0 * hours / 24.0 * (1 / 0.9 - 1) * (9.5 * 3.5 + 5.0)   # shifted × loss × cheapest price
    np.testing.assert_allclose(m.purchased_energy_cost_usd, (energy - gas) * 80.0 + losses, rtol=1e-9)
    np.testing.assert_allclose(m.emissions_tco2, (energy - gas) * 0.42 + gas * 9.5 * GAS_T_PER_MMBTU, rtol=1e-12)
    np.testing.assert_allclose(m.water_m3, energy / 1.25 * 1.8, rtol=1e-12)
    # peak: 1000 × 1.274 kW × busy 0.75 × 1.25 = 1.194 MW; gas covers 0.9, battery shaves 0.2 → 0.094 MW billed
    peak = 1000 * UNIT_IT_MW * 0.75 * 1.25
    billed = peak - 0.9 - 0.2
    np.testing.assert_allclose(m.demand_charge_usd, billed * 12000.0, rtol=1e-6)
    assert m.facility_capex_usd.iloc[0] == pytest.approx(1.3e6 * 1.0 + 280e3 * 0.8)
    assert m.depreciation_usd.iloc[0] == pytest.approx(1000 * 40000 / 48 + 1.3e6 / 240 + 280e3 * 0.8 / 180)
    table = res.energy
    assert set(table.source) == {"grid", "gas"}
    by_month = table.groupby("month").energy_mwh.sum().to_numpy()
    np.testing.assert_allclose(by_month, m.energy_mwh + 0, rtol=1e-12)
    # the total energy cost is all of it: purchased energy (with battery losses), fuel, demand charges
    # and the turbines' variable O&M (5 USD/MWh generated; part of their merit-order marginal cost)
    np.testing.assert_allclose(m.generation_om_usd, gas * 5.0, rtol=1e-12)
    np.testing.assert_allclose(m.energy_cost_usd, (energy - gas) * 80.0 + losses + gas * 9.5 * 3.5
                               + billed * 12000.0 + gas * 5.0, rtol=1e-6)
    np.testing.assert_allclose(m.energy_cost_usd, m.purchased_energy_cost_usd + m.fuel_cost_usd
                               + m.demand_charge_usd + m.generation_om_usd, rtol=1e-12)
    np.testing.assert_allclose(m.operating_cost_usd, m.energy_cost_usd + m.depreciation_usd + m.opex_usd,
                               rtol=1e-12)
    by_site = res.breakdown("site", "energy_cost_usd")
    np.testing.assert_allclose(by_site["s1"], m.energy_cost_usd, rtol=1e-12)
    assert res.cohorts.energy_cost_usd.sum() == pytest.approx(m.energy_cost_usd.sum(), rel=1e-9)


def test_unserved_energy_is_reported(make_scenario):
    # from March no grid and no turbines: only the firm battery's 0.2 MW, which stores energy but never supplies it
    sc = supply_scenario(make_scenario).override({
        "sites.s1.supply.grid.capacity": {"2024-01": "1 MW", "2024-03": "0 MW"},
        "sites.s1.supply.gas.units": {"2024-01": 2, "2024-03": 0}})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", fleetsim.FleetsimWarning)
        res = fleetsim.simulate(sc)
    m = res.monthly
    assert m.unserved_energy_mwh.iloc[:2].sum() == 0
    assert (m.unserved_energy_mwh.iloc[2:] > 0).all()
    # energy nobody supplies is not free: the hours it would have powered are lost, the energy drawn is what was served
    assert (m.h100e_available.iloc[2:] == 0).all() and (m.energy_mwh.iloc[2:] == 0).all()
    assert (m.unserved_h100e_hours.iloc[2:] > 0).all()
    np.testing.assert_allclose(m.grid_energy_mwh + m.onsite_energy_mwh, m.energy_mwh, rtol=1e-12)
    assert (m.capacity_shortfall_mw.iloc[2:] > 0).all()
    assert "unserved" in set(res.energy.source)
    assert any("cannot supply" in str(w.message) for w in caught)


def test_seasonal_pue_profile(make_scenario):
    profile = "{profile: [1.1, 1.1, 1.2, 1.2, 1.3, 1.4, 1.4, 1.4, 1.3, 1.2, 1.1, 1.1]}"
    res = fleetsim.simulate(supply_scenario(make_scenario, pue=profile, count=10))
    m = res.monthly
    ratio = (m.facility_power_mw / m.it_power_mw).to_numpy()
    np.testing.assert_allclose(ratio, [1.1, 1.1, 1.2, 1.2, 1.3, 1.4, 1.4, 1.4, 1.3, 1.2, 1.1, 1.1], rtol=1e-12)


def test_old_form_equals_one_grid_source(make_scenario):
    old = make_scenario()
    new = old.override({"sites.s1.capacity": None, "sites.s1.electricity": None,
                        "sites.s1.supply": {"grid": {"kind": "grid", "capacity": "1 GW", "price": "0.08 USD/kWh"}}})
    a, b = fleetsim.simulate(old).monthly, fleetsim.simulate(new).monthly
    np.testing.assert_allclose(a.to_numpy(), b.to_numpy(), rtol=1e-12, equal_nan=True)
    assert (a.grid_energy_mwh == a.energy_mwh).all()


@pytest.mark.parametrize(("change", "fragment"), [
    ({"sites.s1.supply.gas.heat_rate": 9.5}, "needs its unit written"),
    ({"sites.s1.supply.gas.availability": 1.2}, "out of range"),
    ({"sites.s1.supply.grid.price": "-0.08 USD/kWh"}, "must not be negative"),
    ({"sites.s1.supply.grid.capacity": "-1 MW"}, "must not be negative"),
    ({"sites.s1.supply.gas.kind": "nuclear"}, "unknown kind 'nuclear'"),
    ({"sites.s1.supply.pack.energy": None}, "expected"),
    ({"sites.s1.capacity": "1 MW"}, "'capacity' and 'supply' both describe"),
])
def test_supply_mistakes_are_located(make_scenario, change, fragment):
    with pytest.raises(ScenarioError) as info:
        supply_scenario(make_scenario).override(change)
    assert fragment in str(info.value)
    assert "sites.s1." in str(info.value)


def test_supply_mistakes_in_a_file_are_located(make_scenario, tmp_path):
    sc = supply_scenario(make_scenario)
    text = sc.path.read_text()
    text = text.replace("      pack: {kind: battery", "      grid: {kind: ppa, capacity: 1 MW, price: 0.05 USD/kWh}\n"
                                                       "      pack: {kind: battery")
    sc.path.write_text(text)
    with pytest.raises(ScenarioError) as info:
        fleetsim.load(sc.path)
    message = str(info.value)
    line = text.splitlines().index("      grid: {kind: ppa, capacity: 1 MW, price: 0.05 USD/kWh}") + 1
    assert f"scenario.yaml:{line}:7" in message and "written twice" in message


def test_every_source_kind_has_roles_and_a_compiler():
    # the kinds the scenario language accepts, read from the Source union's Literal tags
    kinds = kinds_of(Source)
    assert kinds == SOURCE_KINDS and set(kinds) == {"grid", "gas_turbine", "battery", "ppa"}
    assert set(ROLES) == set(kinds)
    for kind in kinds:
        assert sum(role in ROLES[kind] for role in ENERGY_ROLES) == 1, kind
    assert {model.model_fields["kind"].annotation.__args__[0] for model in COMPILERS} == set(kinds)
    # every role that serves energy has its monthly column
    assert set(ENERGY_BY_ROLE) == set(SERVES)


def test_a_kind_without_roles_fails():
    with pytest.raises(TypeError, match="without roles: \\['nuclear'\\]"):
        check_roles((*SOURCE_KINDS, "nuclear"), ROLES)
    with pytest.raises(TypeError, match="roles for no source kind: \\['grid'\\]"):
        check_roles(tuple(k for k in SOURCE_KINDS if k != "grid"), ROLES)
    with pytest.raises(TypeError, match="exactly one"):
        check_roles(("solar",), {"solar": Role.IMPORTED | Role.GENERATION})
    with pytest.raises(TypeError, match="exactly one"):
        check_roles(("solar",), {"solar": Role.FIRM})
    with pytest.raises(KeyError, match="'nuclear' has no roles"):
        SourcePlan(name="n", kind="nuclear", capacity_mw=np.ones(1))


def test_roles_drive_dispatch_not_names():
    # a ppa (IMPORTED, not PEAK_BILLED) is never billed a demand charge, even with a rate set
    hours = np.array([720.0])
    ppa = source("ppa", "ppa", 100, price=50.0, demand=12000.0)
    grid = source("grid", "grid", 100, price=80.0, demand=12000.0)
    result = dispatch([ppa, grid], np.array([720.0 * 150]), np.array([150.0]), hours)
    assert result.demand_usd[0].tolist() == [0.0, 50 * 12000.0]      # the ppa covers 100 MW of the 150 MW peak
    assert result.energy_mwh[0].tolist() == [720.0 * 100, 720.0 * 50]


ALL_KINDS = SUPPLY.replace("      pack:",
                           "      deal: {{kind: ppa, capacity: 0.1 MW, price: 0.05 USD/kWh}}\n      pack:")


def test_role_columns_sum_to_the_energy_served(make_scenario):
    # every kind at one site; each role-driven column is the energy of its kinds in the energy table,
    # and the columns sum to all energy served (storage serves none): no kind falls out of the columns
    sc = make_scenario(orders="  - {hardware: TEST, count: 1000, site: s1, delivery: 2024-01}")
    text = sc.path.read_text()
    start, end = text.index("  s1:"), text.index("orders:")
    sc.path.write_text(text[:start] + ALL_KINDS.format(pue="1.25") + text[end:])
    every_kind = fleetsim.load(sc.path)
    assert {source.kind for source in every_kind.spec.sites["s1"].supply.values()} == set(SOURCE_KINDS)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fleetsim.FleetsimWarning)
        res = fleetsim.simulate(every_kind)
    m, table = res.monthly, res.energy
    served = table[table.kind != "unserved"]
    assert set(served.kind) == {kind for kind in SOURCE_KINDS if ROLES[kind] & SERVES}
    for role, column in ENERGY_BY_ROLE.items():
        rows = served[[bool(ROLES[kind] & role) for kind in served.kind]]
        np.testing.assert_allclose(rows.groupby("month").energy_mwh.sum().reindex(m.index, fill_value=0.0),
                                   m[column], rtol=1e-12, atol=1e-9)
    assert (m.grid_energy_mwh > 0).all() and (m.onsite_energy_mwh > 0).all()
    np.testing.assert_allclose(sum(m[column] for column in ENERGY_BY_ROLE.values()), m.energy_mwh, rtol=1e-12)
    # by hand: gas (38.25 USD/MWh) first at 0.9 MW, then the ppa (50) at 0.1 MW, the grid (80) the rest
    draw = 0.8 * 0.75 + 0.2 * 0.25
    hours = m.index.days_in_month.to_numpy() * 24.0
    energy = 1000 * UNIT_IT_MW * 1.25 * draw * hours
    np.testing.assert_allclose(m.onsite_energy_mwh, np.minimum(energy, 0.9 * hours), rtol=1e-12)
    np.testing.assert_allclose(m.grid_energy_mwh, energy - 0.9 * hours, rtol=1e-12)
    assert m.capacity_mw.iloc[0] == pytest.approx(2.2)  # 1 grid + 0.9 gas + 0.1 ppa + 0.2 firm battery


def test_model_md_lists_every_kind_with_its_roles():
    import re
    from pathlib import Path

    text = (Path(__file__).parents[1] / "docs" / "model.md").read_text(encoding="utf-8")
    rows = dict(re.findall(r"^\| `(\w+)` \| ([A-Z_, ]+) \|", text, flags=re.M))
    assert rows == {kind: ", ".join(role.name for role in Role if role in ROLES[kind]) for kind in SOURCE_KINDS}


def test_monthly_dispatch_steps_equal_the_month_by_month_rules():
    """merit_orders and billed_peaks_monthly (all months at once) give exactly merit_order and
    billed_peaks applied month by month, ties and shortfalls included."""
    from fleetsim.accounting.dispatch import billed_peaks, billed_peaks_monthly, merit_order, merit_orders

    rng = np.random.default_rng(11)
    months, count = 60, 4
    capacity = rng.choice([0.0, 30.0, 80.0, 150.0], size=(months, count))
    marginal = rng.choice([20.0, 45.0, 45.0, 90.0, np.inf], size=(months, count))  # ties and non-serving
    demand = rng.uniform(0.0, 400.0, months)
    peak = rng.uniform(-5.0, 300.0, months)
    shave = rng.choice([0.0, 10.0, 50.0], size=months)
    is_grid = np.array([True, False, True, False])
    served, unserved = merit_orders(demand, capacity, marginal)
    billed, used = billed_peaks_monthly(peak, capacity, marginal, is_grid, shave)
    for t in range(months):
        one, short = merit_order(demand[t], capacity[t], marginal[t])
        np.testing.assert_array_equal(served[t], one)
        assert unserved[t] == short
        bill, cut = billed_peaks(peak[t], capacity[t], marginal[t], is_grid, shave[t])
        np.testing.assert_array_equal(billed[t], bill)
        assert used[t] == cut
    assert unserved.max() > 0 and used.max() > 0  # shortfalls and shaving both exercised
