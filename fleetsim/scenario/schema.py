"""The scenario language as pydantic models: every key, its unit and its meaning.

Structural validation happens here (types, units, ranges, unknown keys); cross-references and
consistency between sections are checked in :mod:`fleetsim.scenario.checks`. Models are frozen
and forbid unknown keys. Quantities are stored as floats in the internal units of
:mod:`fleetsim.units` (MW, USD, hours, months, FLOP...).
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from fleetsim.scenario.contracts import Contract
from fleetsim.scenario.fields import (
    Count,
    Delivery,
    Month,
    Number,
    Pue,
    Quantity,
    Ratio,
    Schedule,
    ScheduleOf,
    fail,
)
from fleetsim.scenario.finance import ZERO, Cash, CostOfCapital, CostOfCapitalField, Debt, Demand, OtherRevenue
from fleetsim.scenario.schema_base import Frozen, Model
from fleetsim.scenario.shipments import Shipments
from fleetsim.scenario.supply import Source


class Hardware(Model):
    """An accelerator type. Built-in catalog entries need no definition; set fields to override."""

    like: str | None = Field(None, description="Inherit every field from this entry, then override. E.g. GB200.")
    description: str | None = Field(None, description="What this accelerator is.")
    power: Quantity("accelerator power", "Accelerator board power at full load.") | None = None
    system_overhead: Ratio(
        "Full-load IT power per accelerator over board power (host, network, storage, fans); "
        "a DGX H100 draws 10.2 kW for 8 GPUs of 700 W, so 1.82.", 1.0, 5.0, "1.82") | None = None
    it_power: Quantity("accelerator power",
                       "Full-load IT power per accelerator, given directly (as the Epoch AI hub and many analysts "
                       "quote it, e.g. 1.8 kW for a GB200), instead of power × system_overhead: an entry sets one "
                       "of the two paths.") | None = None
    flops: Quantity("compute rate", "Dense BF16 throughput.") | None = None
    h100e: Number("H100 equivalents per accelerator; defaults to flops over the H100's 989 TFLOP/s.",
                  "2.53", maximum=1e4) | None = None
    price: Quantity("money", "All-in capex per accelerator: its share of server, network and storage.") | None = None
    life: Quantity("life", "Useful life: depreciation period and retirement age (whole months).",
                   positive=True) | None = None
    failure_rate: Ratio("Failures per accelerator-year, a hazard rate (Meta's Llama 3 log: about 0.09 for H100); "
                        "a month of h hours fails 1 − exp(−rate × h ÷ 8766) of working accelerators.",
                        0.0, 50.0, "0.09") | None = None

    @model_validator(mode="after")
    def _one_power_path(self) -> Hardware:
        if self.it_power is not None:
            for key in ("power", "system_overhead"):
                if getattr(self, key) is not None:
                    raise fail(f"'it_power' and '{key}' both give the full-load IT power: set it_power: 1.8 kW "
                               "alone, or power and system_overhead (e.g. power: 1200 W, system_overhead: 1.39)",
                               ("it_power",))
            if self.it_power <= 0:
                raise fail("must be more than zero; for example 1.8 kW", ("it_power",))
        return self


class Electricity(Model):
    """The site's energy price."""

    price: ScheduleOf("energy price", "Energy price.")
    escalation: Ratio("Yearly price escalation: price × (1 + escalation)^(months since start ÷ 12).",
                      -0.5, 1.0, "0.02") = 0.0


class Site(Model):
    """A datacenter site: its power (one capacity and price, or a supply of sources), efficiency,
    water use and build rate."""

    pue: Pue
    capacity: ScheduleOf("power", "Usable facility power; zero before the first key. "
                                  "(Or describe the power sources under 'supply'.)") | None = None
    electricity: Electricity | None = None
    supply: Frozen(Source) | None = Field(
        None, description="Named power sources (kinds grid, gas_turbine, battery, ppa), instead of "
                          "capacity and electricity.")
    water: Quantity("water intensity", "Site water use per kWh of IT energy (WUE).") = 0.0
    colocation: Quantity("power rent", "Rent per kW of IT capacity per month, replacing construction capex "
                                       "(capacity ÷ PUE is the IT capacity rented).") = 0.0
    install_rate: Count("Accelerators energised per month at most (unlimited when absent).",
                        "60000") | None = None
    construction_cost: Quantity(
        "money per power", "Facility capex per MW of IT (critical) load added to the data halls "
                           "(see 'halls'), the industry's convention.") = 0.0
    design_pue: Ratio("Design (nameplate) PUE: the basis of installation gating, hall sizing and colocation "
                      "rent (default: the highest value of 'pue'). The operating 'pue' drives energy only.",
                      1.0, 3.0, "1.4") | None = None
    halls: ScheduleOf("power", "Built data halls, MW of IT (critical) load; caps the IT load installed and "
                               "drives facility capex (construction_cost × hall MW added) and colocation rent. "
                               "Default: firm grid, PPA and turbine capacity ÷ design PUE, never less than "
                               "before (batteries add none); zero before the first key.") | None = None
    value_of_lost_load: Quantity(
        "energy price", "Charge each MWh no source supplies at this value (account lost_load) instead of "
                        "taking the hours it would have powered away.") | None = None
    owner: str | None = Field(None, description="Who owns the site (its facility, power and, by default, the "
                                                 "hardware in it), e.g. Microsoft; outputs break down by owner.",
                              examples=["Microsoft"], min_length=1)
    user: str | None = Field(None, description="Who runs the site's hardware when it is rented (default: the "
                                                "owner), e.g. OpenAI.", examples=["OpenAI"], min_length=1)

    @model_validator(mode="after")
    def _one_power_description(self) -> Site:
        if self.colocation and self.construction_cost:
            raise fail("a colocated site rents its capacity: set colocation or construction_cost, not both",
                       ("colocation",))
        if self.supply is not None:
            for key in ("capacity", "electricity"):
                if getattr(self, key) is not None:
                    raise fail(f"'{key}' and 'supply' both describe the site's power: keep one (with "
                               "'supply', give each source its capacity and price)", (key,))
            if not self.supply:
                raise fail("'supply' needs at least one source, such as "
                           "grid: {kind: grid, capacity: 150 MW, price: 0.08 USD/kWh}", ("supply",))
        else:
            for key, example in (("capacity", "150 MW"), ("electricity", "{price: 0.08 USD/kWh}")):
                if getattr(self, key) is None:
                    raise fail(f"required key '{key}' is missing (or describe the power under 'supply'); "
                               f"for example {key}: {example}", (key,))
        return self


class Order(Model):
    """One cohort of identical accelerators delivered to one site."""

    hardware: str = Field(description="Catalog or scenario hardware name, e.g. H100.", examples=["H100"])
    count: Count("Number of accelerators.")
    site: str = Field(description="Name of a site in 'sites'.", examples=["colossus-1"])
    delivery: Delivery
    price: Quantity("money", "All-in capex per accelerator for this order (overrides the hardware's).") | None = None
    name: str | None = Field(None, description="A label for this order in outputs.")
    lead_time: Quantity("life", "Delay from the delivery month (whole months), e.g. a distribution "
                                "{triangular: [0 months, 1 month, 4 months]}.") = 0.0
    acquisition: Literal["buy", "lease"] = Field(
        "buy", description="buy (capex on delivery, depreciation) or lease (a rate per accelerator-hour "
                           "from delivery to the end of its life; no capex, depreciation or maintenance).")
    lease_rate: Quantity("hourly rate", "Lease price per accelerator-hour (with acquisition: lease).") | None = None
    owner: str | None = Field(None, description="Who owns these accelerators (default: the site's owner).",
                              examples=["Oracle"], min_length=1)
    user: str | None = Field(None, description="Who runs them when they are rented (default: this order's owner, "
                                                "or the site's user when the order names no owner).",
                             examples=["OpenAI"], min_length=1)

    @model_validator(mode="after")
    def _lease_has_rate(self) -> Order:
        if self.acquisition == "lease" and self.lease_rate is None:
            raise fail("a leased order needs its lease_rate, for example lease_rate: 2.1 USD/h", ("lease_rate",))
        if self.acquisition == "buy" and self.lease_rate is not None:
            raise fail("lease_rate applies to leased orders: add acquisition: lease, or remove it", ("lease_rate",))
        return self


class PowerDraw(Model):
    """Fraction of full-load IT power drawn by busy and by idle available accelerators."""

    busy: Ratio("Fraction of full-load IT power drawn while busy.", 0.0, 1.0, "0.75") = 1.0
    idle: Ratio("Fraction of full-load IT power drawn while idle.", 0.0, 1.0, "0.25") = 0.25


class Operations(Model):
    """How the installed fleet is used."""

    utilization: ScheduleOf(None, "Share of available accelerator time that is busy.") = Schedule(((None, 1.0),))
    training_share: ScheduleOf(None, "Share of busy time spent training; the rest serves inference.") = \
        Schedule(((None, 0.0),))
    power_draw: PowerDraw = PowerDraw()
    repair_time: Quantity("duration", "Time a failed accelerator is out of service.") = 120.0


class Depreciation(Model):
    """How hardware loses book value."""

    method: Literal["straight_line", "declining_balance"] = Field(
        "straight_line", description="straight_line, or declining_balance (switching to straight line when larger).")
    salvage: Ratio("Salvage value as a share of price.", 0.0, 1.0, "0.1") = 0.0
    rate: Ratio("Declining-balance rate per year, in (0, 1].", 0.0, 1.0, "0.4", low_open=True) | None = None
    life: Quantity("life", "Useful life of every accelerator (depreciation period and retirement age), "
                           "overriding the hardware's own.", positive=True) | None = None


class Opex(Model):
    """Operating expenses besides energy."""

    fixed: ScheduleOf("money per month", "Fixed operating cost per calendar month.") = Schedule(((None, 0.0),))
    maintenance: Ratio("Maintenance per year as a share of the capex of hardware on the books.",
                       0.0, 1.0, "0.03") = 0.0


class Finance(Model):
    """Depreciation, operating expenses, cash and financing."""

    depreciation: Depreciation = Depreciation()
    opex: Opex = Opex()
    facility_life: Quantity("life", "Depreciation period of facility capex.", positive=True) = 180.0
    cash: Cash = Cash()
    debt: Debt | None = None
    discount_rate: Ratio("Yearly discount rate for NPV (cohort table).", 0.0, 1.0, "0.10") = 0.10
    cost_of_capital: CostOfCapitalField = Field(
        default_factory=lambda: CostOfCapital(hardware=0.0, facility=0.0, generation=0.0),
        description="Yearly cost of capital: one rate, or {hardware, facility, generation}; sets the capital "
                    "charge and the total cost of ownership (default 0: straight-line capital recovery).")


class Inference(Model):
    """Tokens served by inference time, and what they sell for."""

    tokens_per_h100e_hour: Number("Tokens served per busy H100e-hour of inference.", "4.0e6")
    price: ScheduleOf("token price", "Price per token, e.g. 2.0 USD/Mtok.")
    demand: Demand | None = Field(None, description="Token demand; without it every inference hour sells.")


class Revenue(Model):
    """Revenue sources."""

    inference: Inference | None = None
    subscriptions: OtherRevenue = ZERO
    other: OtherRevenue = ZERO


RUN_EXAMPLE = ("compute: 3.8e25 FLOP (with mfu), or hardware: H100, count: 16384, hours: 1300 h, "
               "or h100e_hours: 3.1e7")


class TrainingRun(Model):
    """A training run consuming a share of training capacity until its budget is met. Its size is
    given one way: FLOP (``compute`` with ``mfu``), accelerators × duration (``hardware``,
    ``count`` and ``hours`` or ``end``), or ``h100e_hours``."""

    name: str = Field(description="Name of the run, e.g. grok-5.", examples=["grok-5"])
    compute: Quantity("compute", "Total training compute (with mfu).") | None = None
    start: Month("First month of the run.")
    share: Ratio("Share of the fleet's training capacity the run uses.", 0.0, 1.0, "0.8", low_open=True) = 1.0
    mfu: Ratio("Model FLOP utilization (with compute).", 0.0, 1.0, "0.38", low_open=True) = 0.4
    hardware: str | None = Field(None, description="Accelerator the run is sized in (with count and hours or "
                                                    "end), e.g. H100.", examples=["H100"])
    count: Count("Accelerators the run uses (with hardware), at most as many as ordered.", "16384") | None = None
    hours: Quantity("duration", "Duration of the run on count accelerators, e.g. 1300 h.") | None = None
    end: Month("Last month of a run given as accelerators over start..end (whole months).") | None = None
    h100e_hours: Number("Size of the run in H100e-hours, as published runs often are.", "3.1e7",
                        maximum=1e18) | None = None
    valuation: Literal["book", "replacement"] = Field(
        "book", description="book: the depreciation of the hardware used; replacement: its value at the run's "
                            "start amortised at replacement_rate (Epoch AI's method, Cottier et al. 2024).")
    replacement_rate: Ratio("Yearly replacement rate of valuation: replacement; Epoch AI: hardware "
                            "price-performance improves 0.14 orders of magnitude a year, 0.14 × ln 10 = 0.322.",
                            0.0, 5.0, "0.322", low_open=True) = 0.14 * 2.302585092994046
    charge_facility: bool = Field(False, description="Also charge the run its share of facility and generation "
                                                     "depreciation (by default only the hardware it runs on).")

    @model_validator(mode="after")
    def _sized_one_way(self) -> TrainingRun:
        ways = [key for key, given in (("compute", self.compute is not None),
                                       ("h100e_hours", self.h100e_hours is not None),
                                       ("count", self.count is not None or self.hardware is not None
                                        or self.hours is not None or self.end is not None)) if given]
        if len(ways) > 1:
            key = ways[1] if ways[1] != "count" or self.count is not None else \
                next(k for k in ("hardware", "hours", "end") if getattr(self, k) is not None)
            raise fail(f"the run is sized twice ({' and '.join(ways)}): give one of {RUN_EXAMPLE}", (key,))
        if not ways:
            raise fail(f"the run needs its size: {RUN_EXAMPLE}", ("compute",))
        if ways[0] == "count":
            for key in ("hardware", "count"):
                if getattr(self, key) is None:
                    raise fail(f"a run sized as accelerators × duration needs '{key}'; for example "
                               "hardware: H100, count: 16384, hours: 1300 h", (key,))
            if (self.hours is None) == (self.end is None):
                raise fail("give the run's duration once: hours (e.g. 1300 h) or end (e.g. 2024-06)",
                           ("hours" if self.hours is not None else "count",))
            if self.end is not None and self.end < self.start:
                raise fail("the run ends before it starts: 'end' must not be earlier than 'start'", ("end",))
        return self


class ScenarioDocument(Model):
    """A fleetsim scenario."""

    name: str = Field(description="Short name; outputs go to out/<name>/ by default.", min_length=1,
                      examples=["colossus"])
    description: str = Field("", description="What the scenario represents.")
    extends: str | None = Field(None, description="A base scenario file (relative path) this one deep-merges over.")
    start: Month("First simulated month.")
    months: int = Field(description="Horizon in months.", ge=1, le=1200, examples=[60])
    seed: int = Field(0, description="Seed for every random draw.", ge=0, le=10**18, examples=[7])
    hardware: Frozen(Hardware) = Field(default_factory=dict,
                                          description="Hardware added to or overriding the built-in catalog.")
    sites: Frozen(Site) = Field(description="Sites by name.", min_length=1, examples=[
        {"colossus-1": {"pue": 1.25, "capacity": "150 MW", "electricity": {"price": "0.08 USD/kWh"}}}])
    orders: tuple[Order, ...] = Field(default_factory=tuple, description="Accelerator orders, one cohort each.")
    operations: Operations = Operations()
    finance: Finance = Finance()
    revenue: Revenue = Revenue()
    training: tuple[TrainingRun, ...] = Field(default_factory=tuple, description="Training runs.")
    contracts: tuple[Contract, ...] = Field(default_factory=tuple,
                                            description="Capacity sold to or bought from counterparties.")
    shipments: Shipments | None = Field(None, description="Fleets built from chips shipped per quarter and owner "
                                                          "(sites and orders added; see docs/model.md, Shipments).")
