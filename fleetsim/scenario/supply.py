"""Power supply of a site: named sources of kinds grid, gas_turbine, battery and ppa.

What each kind *does* is given once, in :data:`ROLES` (see :class:`Role`); every consumer
(installation's firm capacity, the halls, dispatch, the energy columns, the energy table) asks a
source's roles and never compares kind names. A kind in :data:`Source` without roles, or with
other than exactly one energy role, fails at import.

Firm capacity — grid and PPA capacity, turbines × availability, batteries marked ``firm`` —
gates installation. Each month's facility energy is dispatched in merit order (see
:mod:`fleetsim.accounting.dispatch`).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Literal, get_args

from pydantic import Field, model_validator

from fleetsim.scenario.fields import Month, Quantity, Ratio, Schedule, ScheduleOf, fail
from fleetsim.scenario.schema_base import Model

GAS_CARBON_T_PER_MMBTU = 53.06e-3
"""EPA emission factor for pipeline natural gas: 53.06 kg CO2 per MMBtu (EPA GHG Emission Factors
Hub, 40 CFR 98 Table C-1; disclosed, 2024)."""


class Grid(Model):
    """Power bought from the grid."""

    kind: Literal["grid"]
    capacity: ScheduleOf("power", "Firm grid capacity (interconnection); zero before the first key.")
    price: ScheduleOf("energy price", "Energy charge.")
    escalation: Ratio("Yearly price escalation.", -0.5, 1.0, "0.02") = 0.0
    demand_charge: Quantity("demand charge", "Charge per kW of the month's billed grid peak.") = 0.0
    carbon: ScheduleOf("carbon intensity", "Grid emission intensity (tCO2 per MWh).") = Schedule(((None, 0.0),))


class GasTurbine(Model):
    """On-site gas turbines."""

    kind: Literal["gas_turbine"]
    units: ScheduleOf(None, "Turbines installed (a count); zero before the first key.", 0.0, 10000.0, "15")
    unit_capacity: Quantity("power", "Rated power of one turbine.")
    availability: Ratio("Share of time a turbine can run (firm capacity = units × unit_capacity × availability).",
                        0.0, 1.0, "0.93")
    heat_rate: Quantity("heat rate", "Fuel burnt per MWh generated; write its unit (MMBtu/MWh) even "
                                     "though it cancels.")
    fuel_price: ScheduleOf("fuel price", "Gas price.")
    variable_om: Quantity("energy price", "Variable operation and maintenance per MWh generated.") = 0.0
    capex: Quantity("money per power", "Capex per MW of turbine capacity added.") = 0.0
    life: Quantity("life", "Depreciation period of the turbines' capex.", positive=True) = 240.0
    carbon: Quantity("fuel carbon", "CO2 per MMBtu of gas burnt (EPA: 53.06 kg/MMBtu).") = GAS_CARBON_T_PER_MMBTU


class Battery(Model):
    """A battery (e.g. Tesla Megapacks): shaves the billed grid peak; firm ones count as capacity."""

    kind: Literal["battery"]
    power: Quantity("power", "Rated power.")
    energy: Quantity("energy", "Stored energy.")
    firm: bool = Field(False, description="Count the power it can sustain over firm_window (min(power, energy ÷ "
                                          "firm_window)) as firm capacity for installation.")
    firm_window: Quantity("duration", "Hours a firm battery must sustain its firm power: its firm capacity is "
                                      "min(power, energy ÷ firm_window).") = 4.0
    round_trip: Ratio("Round-trip efficiency.", 0.0, 1.0, "0.9", low_open=True) = 0.9
    peak_window: Quantity("duration", "Daily peak window the battery must cover to shave the peak.") = 4.0
    capex: Quantity("money per energy", "Capex per kWh of storage.") = 0.0
    life: Quantity("life", "Depreciation period of the battery's capex.", positive=True) = 180.0
    start: Month("First month in service (default: the scenario's start).") | None = None

    @model_validator(mode="after")
    def _window_is_positive(self) -> Battery:
        if self.firm_window <= 0:
            raise fail("firm_window must be more than zero (a battery sustains its power for a while); "
                       "for example firm_window: 4 h", ("firm_window",))
        return self


class Ppa(Model):
    """A power purchase agreement: fixed price and capacity."""

    kind: Literal["ppa"]
    capacity: ScheduleOf("power", "Contracted capacity; zero before the first key.")
    price: ScheduleOf("energy price", "Contract price.")
    carbon: ScheduleOf("carbon intensity", "Emission intensity (tCO2 per MWh).") = Schedule(((None, 0.0),))


Source = Annotated[Grid | GasTurbine | Battery | Ppa, Field(discriminator="kind")]


class Role(enum.Flag):
    """What a power source does in the model. A kind's roles are a combination of these
    (``Role.IMPORTED | Role.FIRM``); :data:`ROLES` gives them for every kind."""

    IMPORTED = enum.auto()
    """Serves energy bought from outside the site (merit order); counted in ``grid_energy_mwh``."""
    GENERATION = enum.auto()
    """Serves energy generated on site (merit order); counted in ``onsite_energy_mwh``."""
    STORAGE = enum.auto()
    """Stores energy and never serves it: shaves the billed grid peak and pays its round-trip
    losses; no row in the energy table, no share of the default halls."""
    FIRM = enum.auto()
    """Its deliverable capacity is firm: it gates installation and sizes the default halls. (A
    battery is firm per source, when marked ``firm``, for min(power, energy ÷ firm_window).)"""
    PEAK_BILLED = enum.auto()
    """Billed a demand charge on the month's peak left after cheaper sources and batteries."""


SERVES = Role.IMPORTED | Role.GENERATION
"""The roles that serve energy in the merit order."""
ENERGY_ROLES = (Role.IMPORTED, Role.GENERATION, Role.STORAGE)
"""Every kind has exactly one of these: they split a site's sources for the energy columns."""

ROLES: Mapping[str, Role] = MappingProxyType({
    "grid": Role.IMPORTED | Role.FIRM | Role.PEAK_BILLED,
    "ppa": Role.IMPORTED | Role.FIRM,
    "gas_turbine": Role.GENERATION | Role.FIRM,
    "battery": Role.STORAGE,
})
"""Each source kind's roles: the one place a kind's behaviour is named (docs/model.md, *Power
supply and dispatch*, lists the same table; a test checks both)."""


def kinds_of(union) -> tuple[str, ...]:
    """The ``kind`` values of a discriminated union of source models, in order."""
    members = get_args(get_args(union)[0])
    return tuple(value for member in members for value in get_args(member.model_fields["kind"].annotation))


def check_roles(kinds: tuple[str, ...], roles: Mapping[str, Role]) -> None:
    """Raise ``TypeError`` unless every kind has roles, no roles name a kind that does not exist,
    and each kind has exactly one energy role (:data:`ENERGY_ROLES`)."""
    missing = [kind for kind in kinds if kind not in roles]
    unknown = [kind for kind in roles if kind not in kinds]
    if missing or unknown:
        raise TypeError(f"source kinds without roles: {missing}; roles for no source kind: {unknown} "
                        "(give each kind of Source its roles in fleetsim.scenario.supply.ROLES)")
    for kind in kinds:
        energy = [role for role in ENERGY_ROLES if role in roles[kind]]
        if len(energy) != 1:
            raise TypeError(f"source kind {kind!r} has energy roles {energy}: it needs exactly one of "
                            f"{[role.name for role in ENERGY_ROLES]}")
        if Role.STORAGE in roles[kind] and roles[kind] & (Role.FIRM | Role.PEAK_BILLED):
            raise TypeError(f"source kind {kind!r}: storage serves no energy, so it is neither FIRM nor PEAK_BILLED")


SOURCE_KINDS = kinds_of(Source)
"""Every source kind the scenario language accepts."""
check_roles(SOURCE_KINDS, ROLES)


def roles_of(kind: str) -> Role:
    """The roles of a source kind; ``KeyError`` for a kind that has none."""
    try:
        return ROLES[kind]
    except KeyError:
        raise KeyError(f"source kind {kind!r} has no roles; kinds: {', '.join(ROLES)}") from None
