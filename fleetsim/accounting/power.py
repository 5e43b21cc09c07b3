"""Each site's power: dispatch over its sources, their costs in the ledger, the energy table.

Source costs are site-wide; they are allocated to the site's (site, hardware) ledger groups in
proportion to each group's facility energy that month (a month with no energy keeps them on a
site-level row), so breakdowns by hardware stay meaningful and the ledger still sums exactly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fleetsim.accounting import capital, rules
from fleetsim.accounting.columns import ENERGY_COLUMNS
from fleetsim.accounting.dispatch import dispatch
from fleetsim.engine.model import Trace, powered_share
from fleetsim.engine.plan import Plan
from fleetsim.frame import Frame, concat
from fleetsim.scenario.supply import SERVES, Role

ENERGY_BY_ROLE = {Role.IMPORTED: "grid_energy_mwh", Role.GENERATION: "onsite_energy_mwh"}
"""The monthly column each energy-serving role's energy goes to; together they hold all energy
served (storage serves none)."""
if set(ENERGY_BY_ROLE) != set(SERVES):
    raise TypeError(f"every role that serves energy needs its column: {sorted(r.name for r in SERVES)}")


@dataclass
class PowerBooks:
    """Ledger rows ``(account, site, hardware, values)``, the energy table and monthly series."""

    rows: list = field(default_factory=list)
    energy: Frame | None = None
    series: dict[str, np.ndarray] = field(default_factory=dict)
    site_series: dict[str, np.ndarray] = field(default_factory=dict)
    """Months × sites: peak (full-load) facility power, capacity shortfall, unserved energy."""
    capital_charge_usd: np.ndarray | None = None
    """Months: the capital charge of generation capex (turbines, batteries) at the generation cost
    of capital, each source over its own life (:mod:`fleetsim.accounting.capital`)."""
    site_cost_usd: np.ndarray | None = None
    """Months × sites: the total energy cost (purchased energy with battery losses, fuel, demand
    charges, generation variable O&M)."""


def _allocate(rows: list, account: str, site: str, values: np.ndarray, group_energy: np.ndarray,
              group_names: list[str]) -> None:
    """Split a site-wide cost over the site's hardware groups by their energy share."""
    total = group_energy.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        shares = np.where(total[:, None] > 0, group_energy / total[:, None], 0.0)
    for g, hardware in enumerate(group_names):
        rows.append((account, site, hardware, values * shares[:, g]))
    rows.append((account, site, "", np.where(total > 0, 0.0, values)))


def power_books(plan: Plan, trace: Trace, facility_energy: np.ndarray, it_energy: np.ndarray,
                group_site: np.ndarray, groups: list[tuple[str, str]], months: np.ndarray | None,
                lost_mwh: np.ndarray | None = None) -> PowerBooks:
    """Dispatch every site and book its energy, fuel, O&M, demand charges, lost load and generation
    capex. ``lost_mwh`` (months × sites) is the energy of hours already taken away because no
    source supplied it (:mod:`fleetsim.accounting.supplied`): unserved, but not charged."""
    c, n_months, hours = plan.cohorts, plan.months, plan.hours
    books = PowerBooks(series={name: np.zeros(n_months) for name in (
        "grid_energy_mwh", "onsite_energy_mwh", "unserved_energy_mwh", "emissions_tco2", "water_m3",
        "capacity_shortfall_mw", "peak_facility_power_mw")})
    frames = []
    books.site_series = {name: np.zeros((n_months, len(plan.sites))) for name in (
        "peak_facility_power_mw", "capacity_shortfall_mw", "unserved_energy_mwh")}
    books.site_cost_usd = np.zeros((n_months, len(plan.sites)))
    books.capital_charge_usd = np.zeros(n_months)
    generation_rate = plan.finance.cost_of_capital[2]
    for s, site in enumerate(plan.sites):
        in_site = group_site == s
        group_energy = facility_energy[:, in_site]
        names = [hardware for (_, hardware), inside in zip(groups, in_site, strict=True) if inside]
        sl = site.cohorts
        unit_it = c.unit_it_mw[sl]
        working_mw = trace.available_hours[:, sl] @ unit_it / hours
        peak_mw = working_mw * plan.busy_draw * site.pue
        result = dispatch(site.sources, group_energy.sum(axis=1), peak_mw, hours)
        lost_load_usd = result.unserved_mwh * (site.value_of_lost_load or 0.0)
        if lost_mwh is not None:
            result.unserved_mwh = result.unserved_mwh + lost_mwh[:, s]
        for account, values in (("energy", result.energy_usd.sum(axis=1)), ("fuel", result.fuel_usd.sum(axis=1)),
                                ("generation_om", result.om_usd.sum(axis=1)),
                                ("demand_charge", result.demand_usd.sum(axis=1)),
                                ("battery_losses", result.battery_losses_usd), ("lost_load", lost_load_usd)):
            _allocate(books.rows, account, site.name, values, group_energy, names)
            books.site_cost_usd[:, s] += values  # variable O&M is energy cost, as in the merit order
        capex = np.sum([source.capex_usd for source in site.sources], axis=0)
        depreciation = np.sum([rules.facility_depreciation(source.capex_usd, source.life_months)
                               for source in site.sources], axis=0)
        books.rows.append(("generation_capex", site.name, "", capex))
        books.rows.append(("generation_depreciation", site.name, "", depreciation))
        for source in site.sources:
            books.capital_charge_usd += capital.capital_charge(source.capex_usd, generation_rate, source.life_months)

        series = books.series
        for role, column in ENERGY_BY_ROLE.items():
            has_role = np.array([source.has(role) for source in site.sources], dtype=bool)
            series[column] += result.energy_mwh[:, has_role].sum(axis=1)
        series["unserved_energy_mwh"] += result.unserved_mwh
        books.site_series["unserved_energy_mwh"][:, s] = result.unserved_mwh
        series["emissions_tco2"] += result.emissions_t.sum(axis=1)
        series["water_m3"] += it_energy[:, in_site].sum(axis=1) * site.water_l_per_kwh
        installed_it = trace.installed[:, sl] @ unit_it
        full_load = installed_it * site.pue
        waiting = trace.stranded[:, sl] @ unit_it * site.pue
        shortfall = np.maximum(full_load + waiting - site.capacity_mw, 0.0)
        full_load = full_load * powered_share(installed_it, site.capacity_mw, site.pue, site.halls_mw)  # curtailed
        series["peak_facility_power_mw"] += full_load
        series["capacity_shortfall_mw"] += shortfall
        books.site_series["peak_facility_power_mw"][:, s] = full_load
        books.site_series["capacity_shortfall_mw"][:, s] = shortfall
        if months is not None:  # None: the monthly series only (a Monte Carlo draw), no energy table
            frames.append(_energy_table(site.name, site.sources, result, months, lost_load_usd))
    if months is not None:
        books.energy = concat(frames) if frames else Frame({column: np.zeros(0) for column in ENERGY_COLUMNS})
    return books


def _energy_table(site: str, sources, result, months: np.ndarray, lost_load_usd: np.ndarray) -> Frame:
    """Rows for every source that serves energy each month, and unserved energy where there is some (its
    cost: the value of lost load charged, if any). ``months`` are the month numbers."""
    cost = result.energy_usd + result.fuel_usd + result.om_usd + result.demand_usd
    keep = [k for k, source in enumerate(sources) if source.has(SERVES)]
    n = len(months)
    unserved = np.flatnonzero(result.unserved_mwh)
    rows = n * len(keep) + len(unserved)

    def labels(attribute: str) -> np.ndarray:
        return np.array([getattr(sources[k], attribute) for k in keep for _ in range(n)] + ["unserved"] * len(unserved),
                        dtype=object)

    return Frame({
        "month": months[np.r_[np.tile(np.arange(n), len(keep)), unserved].astype(np.int64)],
        "site": np.full(rows, site, dtype=object),
        "source": labels("name"),
        "kind": labels("kind"),
        "energy_mwh": np.r_[result.energy_mwh[:, keep].T.reshape(-1), result.unserved_mwh[unserved]],
        "cost_usd": np.r_[cost[:, keep].T.reshape(-1), lost_load_usd[unserved]],
        "emissions_tco2": np.r_[result.emissions_t[:, keep].T.reshape(-1), np.zeros(len(unserved))],
    }, months=("month",), text=("site", "source", "kind"))
