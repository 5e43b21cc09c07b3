"""Compiling a site's power supply into per-month arrays (MW, USD/MWh, tCO2/MWh).

A site written the old way (one ``capacity`` and one ``electricity`` price) becomes a single
grid source named ``grid``, so both forms go through the same dispatch.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

from fleetsim.accounting.rules import escalate
from fleetsim.scenario.schema import Site
from fleetsim.scenario.supply import Battery, GasTurbine, Grid, Ppa, Role, roles_of


@dataclass(frozen=True, kw_only=True)
class SourcePlan:
    """One power source, month by month; built by keyword, arrays of one value per month.

    ``capacity_mw`` is what it can deliver (turbines × availability; 0 for storage);
    ``firm_mw`` what it adds to the capacity that gates installation (a firm battery:
    min(power, energy ÷ firm window)); ``energy_usd_per_mwh`` the
    energy charge (grid, PPA), ``fuel_usd_per_mwh`` and ``om_usd_per_mwh`` a turbine's costs;
    ``capex_usd`` is spent in the month it appears. Arrays left out are zeros. What the source
    does (serves energy, is billed its peak, stores) is its kind's :attr:`roles`.
    """

    name: str
    kind: str
    capacity_mw: np.ndarray
    firm_mw: np.ndarray | None = None
    energy_usd_per_mwh: np.ndarray | None = None
    fuel_usd_per_mwh: np.ndarray | None = None
    om_usd_per_mwh: float = 0.0
    carbon_t_per_mwh: np.ndarray | None = None
    demand_usd_per_mw_month: float = 0.0
    capex_usd: np.ndarray | None = None
    life_months: int = 1
    shave_mw: np.ndarray | None = None
    window_hours: float = 0.0
    round_trip: float = 1.0

    def __post_init__(self) -> None:
        roles_of(self.kind)  # a kind without roles cannot be planned
        zeros = np.zeros(len(self.capacity_mw))
        for name in ("firm_mw", "energy_usd_per_mwh", "fuel_usd_per_mwh", "carbon_t_per_mwh", "capex_usd",
                     "shave_mw"):
            if getattr(self, name) is None:
                object.__setattr__(self, name, zeros)

    @property
    def roles(self) -> Role:
        """What this source does (:data:`fleetsim.scenario.supply.ROLES` of its kind)."""
        return roles_of(self.kind)

    def has(self, role: Role) -> bool:
        """Whether the source has any of ``role`` (``Role.IMPORTED | Role.GENERATION``: either)."""
        return bool(self.roles & role)

    @property
    def marginal_usd_per_mwh(self) -> np.ndarray:
        """Cost of one more MWh from this source: the merit order's key."""
        return self.energy_usd_per_mwh + self.fuel_usd_per_mwh + self.om_usd_per_mwh


def _series(schedule, start: int, months: int) -> np.ndarray:
    return np.array(schedule.series(start, months), dtype=float)


def _firm(kind: str, capacity: np.ndarray) -> np.ndarray:
    """Firm capacity of a source that is not storage: all of its capacity if its kind is FIRM."""
    return capacity if Role.FIRM in roles_of(kind) else np.zeros(len(capacity))


def _grid_or_ppa(name: str, source: Grid | Ppa, start: int, months: int) -> SourcePlan:
    capacity = _series(source.capacity, start, months)
    price = _series(source.price, start, months)
    if isinstance(source, Grid):
        price = escalate(price, source.escalation)
    return SourcePlan(name=name, kind=source.kind, capacity_mw=capacity, firm_mw=_firm(source.kind, capacity),
                      energy_usd_per_mwh=price, carbon_t_per_mwh=_series(source.carbon, start, months),
                      demand_usd_per_mw_month=source.demand_charge if isinstance(source, Grid) else 0.0)


def _gas_turbine(name: str, source: GasTurbine, start: int, months: int) -> SourcePlan:
    nameplate = _series(source.units, start, months) * source.unit_capacity
    available = nameplate * source.availability
    added = np.diff(nameplate, prepend=0.0).clip(min=0.0)
    return SourcePlan(name=name, kind=source.kind, capacity_mw=available, firm_mw=_firm(source.kind, available),
                      fuel_usd_per_mwh=source.heat_rate * _series(source.fuel_price, start, months),
                      om_usd_per_mwh=source.variable_om,
                      carbon_t_per_mwh=np.full(months, source.heat_rate * source.carbon),
                      capex_usd=added * source.capex, life_months=max(1, round(source.life)))


def _battery(name: str, source: Battery, start: int, months: int) -> SourcePlan:
    first = 0 if source.start is None else max(source.start - start, 0)
    in_service = (np.arange(months) >= first).astype(float)
    capex = np.zeros(months)
    if first < months:
        capex[first] = source.capex * source.energy
    return SourcePlan(name=name, kind=source.kind, capacity_mw=np.zeros(months),
                      firm_mw=in_service * firm_battery_mw(source.power, source.energy, source.firm_window)
                      if source.firm else None,
                      capex_usd=capex, life_months=max(1, round(source.life)),
                      shave_mw=in_service * min(source.power, source.energy / source.peak_window),
                      window_hours=source.peak_window, round_trip=source.round_trip)


COMPILERS = MappingProxyType({Grid: _grid_or_ppa, Ppa: _grid_or_ppa, GasTurbine: _gas_turbine, Battery: _battery})
"""How each source model becomes a :class:`SourcePlan` (a test checks every kind has one)."""


def _source(name: str, source, start: int, months: int) -> SourcePlan:
    return COMPILERS[type(source)](name, source, start, months)


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
