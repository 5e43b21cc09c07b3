"""The engine's input: a scenario compiled to plain floats and arrays in fixed internal units.

Months are offsets from the scenario's start (0 … months−1). Powers are MW, energies MWh,
money USD, durations hours. Cohorts — one per order and delivery month — are sorted by site,
then delivery month, then order position, so each site's cohorts form one contiguous slice.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from fleetsim.engine.supply_plan import SourcePlan, compile_supply
from fleetsim.months import hours_array
from fleetsim.scenario.load import Scenario
from fleetsim.scenario.supply import SERVES


@dataclass(frozen=True)
class SitePlan:
    """One site, month by month: firm capacity (MW of facility power), operating PUE, power sources,
    the design PUE (installation's basis) and the data halls (MW of IT load)."""

    name: str
    pue: np.ndarray
    capacity_mw: np.ndarray
    sources: list[SourcePlan]
    install_rate: float
    construction_usd_per_mw: float
    water_l_per_kwh: float
    colocation_usd_per_mw_month: float
    cohorts: slice
    design_pue: float = 1.0
    halls_mw: np.ndarray | None = None
    value_of_lost_load: float | None = None
    owner: str = ""
    user: str = ""

    @property
    def it_room_mw(self) -> np.ndarray:
        """IT load the site can energise each month: ``min(capacity ÷ design PUE, halls)``."""
        return np.minimum(self.capacity_mw / self.design_pue, self.halls_mw)

    @property
    def deliverable_mw(self) -> np.ndarray:
        """Power the site's energy-serving sources can deliver (grid, PPA, turbines; storage never supplies)."""
        serving = [s.capacity_mw for s in self.sources if s.has(SERVES)]
        return np.sum(serving, axis=0) if serving else np.zeros(len(self.pue))


@dataclass(frozen=True)
class Cohorts:
    """Column arrays, one entry per cohort."""

    order: np.ndarray         # index of the order in the file
    site: np.ndarray          # index into Plan.sites
    hardware: np.ndarray      # hardware name (object array)
    count: np.ndarray         # accelerators (int64)
    delivery: np.ndarray      # month offset of delivery (may be ≥ months: after the horizon)
    life: np.ndarray          # months of useful life
    unit_it_mw: np.ndarray    # full-load IT power per accelerator, MW (× the site's PUE: facility power)
    h100e: np.ndarray         # H100 equivalents per accelerator
    price: np.ndarray         # capex per accelerator, USD
    failure_rate: np.ndarray  # failures per accelerator-year (a hazard rate)
    leased: np.ndarray        # True for leased cohorts (no capex, depreciation or maintenance)
    lease_rate: np.ndarray    # USD per accelerator-hour of a leased cohort (0 when bought)

    def __len__(self) -> int:
        return len(self.count)


@dataclass(frozen=True)
class TrainingPlan:
    """A training run: start offset, budget (H100e-hours), share of training capacity, MFU (FLOP
    per H100e-hour when given in FLOP), and how it is charged."""

    name: str
    start: int
    need_h100e_hours: float
    share: float
    mfu: float
    sized_in: str = "compute"          # compute, h100e_hours or accelerators
    valuation: str = "book"
    replacement_rate: float = 0.322
    charge_facility: bool = False


@dataclass(frozen=True)
class FinancePlan:
    """Finance and revenue parameters, plain numbers and per-month arrays."""

    depreciation_method: str
    depreciation_rate: float | None
    salvage: float
    maintenance: float
    fixed_opex_usd: np.ndarray
    facility_life: int
    tokens_per_h100e_hour: float
    token_price_usd: np.ndarray
    other_revenue_usd: np.ndarray
    subscriptions_usd: np.ndarray
    cash_start_usd: float
    raises_usd: np.ndarray
    debt_share: float
    debt_rate: float
    debt_term: int
    discount_rate: float
    demand_tokens: np.ndarray | None
    reference_price_usd: float
    elasticity: float
    spare_inference_to: str
    cost_of_capital: tuple[float, float, float] = (0.0, 0.0, 0.0)
    """Yearly cost of capital for hardware, facility and generation."""


@dataclass(frozen=True)
class Plan:
    """Everything the engine and the accounting need, as plain numbers."""

    start: int
    months: int
    hours: np.ndarray
    seed: int
    sites: list[SitePlan]
    cohorts: Cohorts
    utilization: np.ndarray
    training_share: np.ndarray
    busy_draw: float
    idle_draw: float
    repair_hours: float
    finance: FinancePlan
    training: list[TrainingPlan] = field(default_factory=list)
    order_specs: tuple = ()
    contracts: tuple = ()
    """The scenario's capacity contracts (:class:`fleetsim.scenario.contracts.Contract`), in file order."""
    hardware_h100e: dict = field(default_factory=dict)
    """H100 equivalents of every hardware type (contracts may name hardware no order holds)."""

    @property
    def month_numbers(self) -> np.ndarray:
        """The horizon's month numbers (year × 12 + month − 1), ``start`` onwards."""
        return self.start + np.arange(self.months)


def split_window(count: int, first: int, last: int) -> list[tuple[int, int]]:
    """Split ``count`` evenly over the inclusive months ``first…last``, remainder first.

    >>> split_window(10, 0, 2)
    [(0, 4), (1, 3), (2, 3)]
    """
    n = last - first + 1
    base, extra = divmod(count, n)
    return [(first + i, base + (1 if i < extra else 0)) for i in range(n)]


def halls_series(site, sources: list[SourcePlan], design_pue: float, start: int, months: int) -> np.ndarray:
    """The site's data halls, MW of IT load each month: its ``halls`` schedule, or by default its
    firm grid, PPA and turbine capacity ÷ design PUE (batteries add none), never less than in an
    earlier month (halls once built stay) — except at a colocated site, whose rented halls follow
    its contract."""
    if site.halls is not None:
        return np.array(site.halls.series(start, months), dtype=float)
    serving = [s.firm_mw for s in sources if s.has(SERVES)]
    firm = np.sum(serving, axis=0) if serving else np.zeros(months)
    halls = np.asarray(firm, dtype=float) / design_pue
    return halls if site.colocation else np.maximum.accumulate(halls)


def compile_plan(scenario: Scenario) -> Plan:
    """Compile a validated scenario into a :class:`Plan`."""
    spec = scenario.spec
    start, months = spec.start, spec.months
    site_names = list(spec.sites)
    life_override = spec.finance.depreciation.life
    rows = []
    for position, order in enumerate(spec.orders):
        hw = scenario.hardware[order.hardware]
        site_index = site_names.index(order.site)
        price = order.price if order.price is not None else hw.price_usd
        lag = round(order.lead_time)
        for month, count in split_window(order.count, order.delivery[0] + lag, order.delivery[1] + lag):
            if count > 0:
                rows.append((site_index, month - start, position, hw, count, price, order))
    rows.sort(key=lambda r: (r[0], r[1], r[2]))
    site_idx = np.array([r[0] for r in rows], dtype=np.int64)
    it_mw = np.array([r[3].it_power_w * 1e-6 for r in rows], dtype=float)
    cohorts = Cohorts(
        order=np.array([r[2] for r in rows], dtype=np.int64),
        site=site_idx,
        hardware=np.array([r[3].name for r in rows], dtype=object),
        count=np.array([r[4] for r in rows], dtype=np.int64),
        delivery=np.array([r[1] for r in rows], dtype=np.int64),
        life=np.array([r[3].life_months if life_override is None else max(1, round(life_override))
                       for r in rows], dtype=np.int64),
        unit_it_mw=it_mw,
        h100e=np.array([r[3].h100e for r in rows], dtype=float),
        price=np.array([r[5] for r in rows], dtype=float),
        failure_rate=np.array([r[3].failure_rate for r in rows], dtype=float),
        leased=np.array([r[6].acquisition == "lease" for r in rows], dtype=bool),
        lease_rate=np.array([r[6].lease_rate or 0.0 for r in rows], dtype=float),
    )
    sites = []
    for i, name in enumerate(site_names):
        site = spec.sites[name]
        first = int(np.searchsorted(site_idx, i, side="left"))
        last = int(np.searchsorted(site_idx, i, side="right"))
        sources = compile_supply(site, start, months)
        design = site.design_pue if site.design_pue is not None else site.pue.maximum
        sites.append(SitePlan(
            name=name,
            pue=np.array(site.pue.series(start, months)),
            capacity_mw=np.sum([source.firm_mw for source in sources], axis=0),
            sources=sources,
            install_rate=float(site.install_rate) if site.install_rate is not None else np.inf,
            construction_usd_per_mw=site.construction_cost,
            water_l_per_kwh=site.water,
            colocation_usd_per_mw_month=site.colocation,
            cohorts=slice(first, last),
            design_pue=design,
            halls_mw=halls_series(site, sources, design, start, months),
            value_of_lost_load=site.value_of_lost_load,
            owner=site.owner or "",
            user=site.user or site.owner or "",
        ))
    ops = spec.operations
    finance = spec.finance
    inference = spec.revenue.inference
    demand = inference.demand if inference else None
    token_price = np.array(inference.price.series(start, months)) if inference else np.zeros(months)
    raises = np.zeros(months)
    for cash_raise in finance.cash.raises:
        if cash_raise.month - start < months:
            raises[cash_raise.month - start] += cash_raise.amount
    finance_plan = FinancePlan(
        depreciation_method=finance.depreciation.method,
        depreciation_rate=finance.depreciation.rate,
        salvage=finance.depreciation.salvage,
        maintenance=finance.opex.maintenance,
        fixed_opex_usd=np.array(finance.opex.fixed.series(start, months)),
        facility_life=max(1, round(finance.facility_life)),
        tokens_per_h100e_hour=inference.tokens_per_h100e_hour if inference else 0.0,
        token_price_usd=token_price,
        other_revenue_usd=np.array(spec.revenue.other.series(start, months)),
        subscriptions_usd=np.array(spec.revenue.subscriptions.series(start, months)),
        cash_start_usd=finance.cash.start,
        raises_usd=raises,
        debt_share=finance.debt.share_of_capex if finance.debt else 0.0,
        debt_rate=finance.debt.rate if finance.debt else 0.0,
        debt_term=max(1, round(finance.debt.term)) if finance.debt else 1,
        discount_rate=finance.discount_rate,
        demand_tokens=np.array(demand.tokens.series(start, months)) if demand else None,
        reference_price_usd=(demand.reference_price if demand and demand.reference_price is not None
                             else float(token_price[0])),
        elasticity=demand.elasticity if demand else 0.0,
        spare_inference_to=demand.unserved if demand else "idle",
        cost_of_capital=(finance.cost_of_capital.hardware, finance.cost_of_capital.facility,
                         finance.cost_of_capital.generation),
    )
    training = [_training_plan(run, start, scenario.hardware) for run in spec.training]
    return Plan(
        start=start, months=months, hours=hours_array(start, months), seed=spec.seed, sites=sites,
        cohorts=cohorts,
        utilization=np.array(ops.utilization.series(start, months)),
        training_share=np.array(ops.training_share.series(start, months)),
        busy_draw=ops.power_draw.busy, idle_draw=ops.power_draw.idle, repair_hours=ops.repair_time,
        finance=finance_plan, training=training, order_specs=tuple(spec.orders), contracts=tuple(spec.contracts),
        hardware_h100e={name: hw.h100e for name, hw in scenario.hardware.items()},
    )


def _training_plan(run, start: int, hardware) -> TrainingPlan:
    """A run's budget in H100e-hours, however it was sized (FLOP, accelerators × duration, H100e-hours)."""
    from fleetsim.accounting.rules import training_compute_per_h100e_hour

    if run.compute is not None:
        need, sized = run.compute / training_compute_per_h100e_hour(run.mfu), "compute"
    elif run.h100e_hours is not None:
        need, sized = run.h100e_hours, "h100e_hours"
    else:
        hours = run.hours if run.hours is not None else float(hours_array(run.start, run.end - run.start + 1).sum())
        need, sized = run.count * hardware[run.hardware].h100e * hours, "accelerators"
    return TrainingPlan(run.name, run.start - start, need, run.share, run.mfu, sized, run.valuation,
                        run.replacement_rate, run.charge_facility)
