"""Compiling a site's power supply into per-month arrays (MW, USD/MWh, tCO2/MWh).

A site written the old way (one ``capacity`` and one ``electricity`` price) becomes a single
grid source named ``grid``, so both forms go through the same dispatch.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fleetsim.accounting.rules import escalate
from fleetsim.scenario.schema import Site
from fleetsim.scenario.supply import Battery, GasTurbine, Grid, Ppa


@dataclass(frozen=True)
class SourcePlan:
    """One power source, month by month.

    ``capacity_mw`` is what it can deliver (turbines × availability; 0 for batteries);
    ``firm_mw`` what it adds to the capacity that gates installation (a firm battery:
    min(power, energy ÷ firm window)); ``energy_usd_per_mwh`` the
    energy charge (grid, PPA), ``fuel_usd_per_mwh`` and ``om_usd_per_mwh`` a turbine's costs;
    ``capex_usd`` is spent in the month it appears.
    """

    name: str
    kind: str
    capacity_mw: np.ndarray
    firm_mw: np.ndarray
    energy_usd_per_mwh: np.ndarray
    fuel_usd_per_mwh: np.ndarray
    om_usd_per_mwh: float
    carbon_t_per_mwh: np.ndarray
    demand_usd_per_mw_month: float
    capex_usd: np.ndarray
    life_months: int
    shave_mw: np.ndarray
    window_hours: float = 0.0
    round_trip: float = 1.0

    @property
    def marginal_usd_per_mwh(self) -> np.ndarray:
        """Cost of one more MWh from this source: the merit order's key."""
        return self.energy_usd_per_mwh + self.fuel_usd_per_mwh + self.om_usd_per_mwh


def _series(schedule, start: int, months: int) -> np.ndarray:
    return np.array(schedule.series(start, months), dtype=float)


def _source(name: str, source, start: int, months: int) -> SourcePlan:
    zeros = np.zeros(months)
    if isinstance(source, Grid | Ppa):
        capacity = _series(source.capacity, start, months)
        price = _series(source.price, start, months)
        if isinstance(source, Grid):
            price = escalate(price, source.escalation)
        return SourcePlan(name, source.kind, capacity, capacity, price, zeros, 0.0,
                          _series(source.carbon, start, months),
                          source.demand_charge if isinstance(source, Grid) else 0.0, zeros, 1, zeros)
    if isinstance(source, GasTurbine):
        nameplate = _series(source.units, start, months) * source.unit_capacity
        available = nameplate * source.availability
        fuel = source.heat_rate * _series(source.fuel_price, start, months)
        added = np.diff(nameplate, prepend=0.0).clip(min=0.0)
        return SourcePlan(name, source.kind, available, available, zeros, fuel, source.variable_om,
                          np.full(months, source.heat_rate * source.carbon), 0.0, added * source.capex,
                          max(1, round(source.life)), zeros)
    assert isinstance(source, Battery)
    first = 0 if source.start is None else max(source.start - start, 0)
    in_service = (np.arange(months) >= first).astype(float)
    shave = in_service * min(source.power, source.energy / source.peak_window)
    firm = in_service * firm_battery_mw(source.power, source.energy, source.firm_window) if source.firm else zeros
    capex = np.zeros(months)
    if first < months:
        capex[first] = source.capex * source.energy
    return SourcePlan(name, source.kind, zeros, firm, zeros,
                      zeros, 0.0, zeros, 0.0, capex, max(1, round(source.life)), shave,
                      source.peak_window, source.round_trip)


def firm_battery_mw(power_mw: float, energy_mwh: float, window_hours: float) -> float:
    """Firm capacity of a battery: the power it can sustain over its firm window, never more than
    its rated power.

    >>> firm_battery_mw(100.0, 200.0, 4.0)
    50.0
    """
    return min(power_mw, energy_mwh / window_hours)


def compile_supply(site: Site, start: int, months: int) -> list[SourcePlan]:
    """The site's sources as :class:`SourcePlan` objects (the old form as one grid source)."""
    if site.supply is None:
        grid = Grid(kind="grid", capacity=site.capacity, price=site.electricity.price,
                    escalation=site.electricity.escalation)
        return [_source("grid", grid, start, months)]
    return [_source(name, source, start, months) for name, source in site.supply.items()]
