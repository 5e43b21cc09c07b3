"""Power supply of a site: named sources of kinds grid, gas_turbine, battery and ppa.

Firm capacity — grid and PPA capacity, turbines × availability, batteries marked ``firm`` —
gates installation. Each month's facility energy is dispatched in merit order (see
:mod:`fleetsim.accounting.dispatch`).
"""

from __future__ import annotations

from typing import Annotated, Literal

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
SOURCE_KINDS = ("grid", "gas_turbine", "battery", "ppa")
