"""From the engine's trace to the books: the ledger, the monthly table, energy and training.

Utilization, training share, draw, PUE and prices do not vary between the cohorts of one
(site, hardware) group, so flows are computed per group: available hours times a cohorts ×
groups matrix weighted by each cohort's power, H100e or cost. Memory and time follow months ×
groups, not months × cohorts. The monthly money columns are sums of the same ledger rows, so
the ledger summed by month and account equals them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fleetsim.accounting import capital, contracts, finance_rules, owners, rules, supplied
from fleetsim.accounting.cohorts import CohortFlows, cohort_flows, cohort_table
from fleetsim.accounting.columns import (
    ACCOUNTS,
    BASES,
    COLUMNS,
    DIRECTIONS,
    ENERGY_COST_PARTS,
    LEDGER_COLUMNS,
    label_ledger,
)
from fleetsim.accounting.power import power_books
from fleetsim.accounting.sites import site_arrays, site_table
from fleetsim.accounting.training import training_runs
from fleetsim.engine.model import Trace
from fleetsim.engine.plan import Plan
from fleetsim.frame import Frame


@dataclass
class Books:
    """The result's tables as column tables (:class:`~fleetsim.frame.Frame`; ``Result`` turns
    them into DataFrames on first use)."""

    monthly: Frame
    ledger: Frame
    training: Frame
    energy: Frame
    cohorts: Frame | None = None
    sites: Frame | None = None
    owners: Frame | None = None
    contracts: contracts.Settlement | None = None


def _groups(plan: Plan) -> tuple[list[tuple[str, str]], np.ndarray, np.ndarray]:
    """(site, hardware) groups, each cohort's group, and the cohorts × groups indicator matrix."""
    cohorts = plan.cohorts
    keys = [(plan.sites[s].name, h) for s, h in zip(cohorts.site, cohorts.hardware, strict=True)]
    groups = sorted(set(keys))
    index = {g: i for i, g in enumerate(groups)}
    member = np.array([index[k] for k in keys], dtype=np.int64)
    indicator = np.zeros((len(keys), len(groups)))
    indicator[np.arange(len(keys)), member] = 1.0
    return groups, member, indicator


@dataclass
class Usage:
    """How available H100e-hours are used each month, fleet-wide (T arrays)."""

    utilization: np.ndarray
    training_share: np.ndarray
    tokens: np.ndarray
    unserved_tokens: np.ndarray

    def draw(self, plan: Plan) -> np.ndarray:
        """Mean fraction of full-load IT power drawn by available accelerators each month."""
        return rules.mean_draw(self.utilization, plan.busy_draw, plan.idle_draw)


def usage(plan: Plan, h100e_hours: np.ndarray, training_share: np.ndarray | None = None) -> Usage:
    """Busy and training shares after token demand: inference capacity that demand leaves
    unused goes to training or stays idle, as the scenario says. ``training_share`` replaces the
    scenario's (after power losses, see :func:`fleetsim.accounting.supplied.training_first`)."""
    f = plan.finance
    training_share = plan.training_share if training_share is None else training_share
    busy = h100e_hours * plan.utilization
    inference = busy * (1.0 - training_share)
    capacity = inference * f.tokens_per_h100e_hour
    if f.demand_tokens is None:
        return Usage(plan.utilization, training_share, capacity, np.zeros(plan.months))
    sold, unserved = finance_rules.demand_served(capacity, f.demand_tokens, f.token_price_usd,
                                             f.reference_price_usd, f.elasticity)
    spare = np.where(f.tokens_per_h100e_hour > 0, (capacity - sold) / max(f.tokens_per_h100e_hour, 1e-300), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        if f.spare_inference_to == "training":
            share = np.where(busy > 0, (busy * training_share + spare) / busy, training_share)
            return Usage(plan.utilization, share, sold, unserved)
        used = busy - spare
        share = np.where(used > 0, busy * training_share / used, training_share)
        utilization = np.where(h100e_hours > 0, used / h100e_hours, plan.utilization)
    return Usage(utilization, share, sold, unserved)


def build_books(plan: Plan, trace: Trace) -> Books:
    """Compute the ledger, the monthly table, the energy, training and cohort tables."""
    n_months = plan.months
    months = plan.month_numbers
    k = _compute(plan, trace, months)
    monthly = Frame({"month": months, **{column: k.series[column] for column in COLUMNS}}, months=("month",),
                    index="month")
    site_energy = k.facility_energy @ (k.group_site[:, None] == np.arange(len(plan.sites))[None, :]).astype(float)
    site_depreciation = sum(values for account, _, _, values in k.rows
                            if account in ("facility_depreciation", "generation_depreciation"))
    training = training_runs(plan, k.trace, monthly, k.pue, k.power.site_cost_usd, site_energy,
                             np.zeros(n_months) + site_depreciation, k.flows.depreciation)
    pairs, by_owner = _owner_arrays(plan, k)
    contracts.by_owner(k.deal, plan, pairs, by_owner, k.use)  # hours sold leave their owner's use, bought join it
    ledger = contracts.label(owners.label_owners(_ledger(k.rows, months), plan, k.trace), k.deal,
                             months, pairs)
    books = Books(monthly, ledger, training, k.power.energy, contracts=k.deal)
    books.cohorts = cohort_table(plan, k.trace, k.use, k.power.site_cost_usd, k.pue,
                                 k.series["inference_revenue_usd"], k.flows)
    books.sites = site_table(k.per_site, [s.name for s in plan.sites], months)
    books.owners = owners.owner_table(pairs, by_owner, ledger, months)
    return books


def monthly_arrays(plan: Plan, trace: Trace) -> dict[str, np.ndarray]:
    """The monthly table's columns as arrays (:data:`~fleetsim.accounting.columns.COLUMNS`, the
    same numbers :func:`build_books` puts in ``Books.monthly``), without building any table: what
    a Monte Carlo draw that only feeds quantiles needs."""
    series = _compute(plan, trace, None).series
    return {column: series[column] for column in COLUMNS}


def monthly_and_owner_arrays(plan: Plan, trace: Trace) -> tuple[dict[str, np.ndarray], tuple[list, dict]]:
    """:func:`monthly_arrays` and, from the same computation, the (owner, user) pairs and their
    arrays (:func:`~fleetsim.accounting.owners.owner_arrays`, before contracts move hours between
    owners): what a draw recording per-owner figures needs."""
    k = _compute(plan, trace, None)
    return {column: k.series[column] for column in COLUMNS}, _owner_arrays(plan, k)


def _owner_arrays(plan: Plan, k: _Computed) -> tuple[list, dict]:
    return owners.owner_arrays(plan, k.trace, k.use, k.pue, k.per_site, k.unserved_hours)


@dataclass
class _Computed:
    trace: Trace
    series: dict
    rows: list
    use: Usage
    pue: np.ndarray
    power: object
    flows: CohortFlows
    per_site: dict
    facility_energy: np.ndarray
    group_site: np.ndarray
    deal: contracts.Settlement
    unserved_hours: np.ndarray


def _compute(plan: Plan, trace: Trace, months: np.ndarray | None) -> _Computed:
    """Every monthly series and ledger row (``months``, the month numbers, None: no energy table is built)."""
    c, f, n_months = plan.cohorts, plan.finance, plan.months
    groups, member, indicator = _groups(plan)
    site_names = [s.name for s in plan.sites]
    group_site = np.array([site_names.index(site) for site, _ in groups], dtype=np.int64)
    pue = np.array([s.pue for s in plan.sites]).reshape(len(plan.sites), n_months).T
    cohort_site = np.zeros((len(c), len(plan.sites)))
    cohort_site[np.arange(len(c)), c.site] = 1.0
    nominal = (trace.available_hours + trace.curtailed_hours) @ c.h100e

    def physical(avail: np.ndarray):
        h100e_hours = avail @ (indicator * c.h100e[:, None])
        deal = contracts.settle(plan, groups, avail)  # own use: hours less those sold, plus those bought
        own, net = deal.own(h100e_hours).sum(axis=1), deal.bought - deal.sold.sum(axis=1)
        use = usage(plan, own, supplied.training_first(plan, nominal + net, own))
        return h100e_hours, use, (avail @ (indicator * c.unit_it_mw[:, None])) * use.draw(plan)[:, None], deal

    def site_energy(avail: np.ndarray) -> np.ndarray:
        return (avail @ (cohort_site * c.unit_it_mw[:, None])) * physical(avail)[1].draw(plan)[:, None] * pue

    trace, unserved_hours = supplied.supply(plan, trace, site_energy)
    h100e_hours, use, it_energy, deal = physical(trace.available_hours)
    facility_energy = it_energy * pue[:, group_site]
    lost_mwh = (unserved_hours @ (cohort_site * c.unit_it_mw[:, None])) * use.draw(plan)[:, None] * pue
    busy_hours = deal.own(h100e_hours) * use.utilization[:, None]  # groups, then the hours bought
    training_hours = busy_hours * use.training_share[:, None]
    inference_hours = busy_hours - training_hours
    with np.errstate(divide="ignore", invalid="ignore"):
        token_share = np.where(inference_hours.sum(axis=1, keepdims=True) > 0,
                               inference_hours / inference_hours.sum(axis=1, keepdims=True), 0.0)
    tokens = token_share * use.tokens[:, None]
    flows = cohort_flows(plan)
    group_accounts = {
        "hardware_capex": flows.capex(plan, member, len(groups)),
        "hardware_depreciation": flows.depreciation @ indicator,
        "maintenance": flows.maintenance @ indicator,
        "lease": (flows.lease_per_hour @ indicator) * plan.hours[:, None],
        "inference_revenue": tokens * f.token_price_usd[:, None],
    }
    rows = [(account, site, hardware, values[:, g])
            for account, values in group_accounts.items() for g, (site, hardware) in enumerate([*groups, ("", "")])
            if g < values.shape[1]] + deal.rows
    for site in plan.sites:
        facility = rules.facility_capex(site.halls_mw, site.construction_usd_per_mw)
        rows.append(("facility_capex", site.name, "", facility))
        rows.append(("facility_depreciation", site.name, "", rules.facility_depreciation(facility, f.facility_life)))
        rows.append(("colocation", site.name, "", site.colocation_usd_per_mw_month * site.halls_mw))
    rows.append(("fixed_opex", "", "", f.fixed_opex_usd.astype(float)))
    rows.append(("subscriptions", "", "", f.subscriptions_usd.astype(float)))
    rows.append(("other_revenue", "", "", f.other_revenue_usd.astype(float)))
    power = power_books(plan, trace, facility_energy, it_energy, group_site, groups, months, lost_mwh)
    capital_charge = _capital_charge(plan, rows, power.capital_charge_usd, flows.bought)
    rows += power.rows
    all_capex = sum(values for account, _, _, values in rows
                    if account in ("hardware_capex", "facility_capex", "generation_capex"))
    drawn = f.debt_share * all_capex
    interest, principal, debt_balance = finance_rules.loan_schedule(drawn, f.debt_rate, f.debt_term)
    rows += [("debt_drawn", "", "", drawn), ("interest", "", "", interest), ("principal", "", "", principal)]

    per_site = site_arrays(plan, trace, it_energy, facility_energy, h100e_hours, group_site, power.site_series,
                           unserved_hours)
    series = {
        "accelerators": trace.installed.sum(axis=1).astype(float),
        "h100e": trace.installed @ c.h100e,
        "h100e_available": h100e_hours.sum(axis=1) / plan.hours,
        **{column: per_site[column].sum(axis=1) for column in
           ("stranded", "waiting_power", "waiting_install", "stranded_accelerator_months", "failures",
            "curtailed_h100e_hours", "unserved_h100e_hours", "halls_mw")},
        "capacity_mw": np.sum([s.capacity_mw for s in plan.sites], axis=0),
        "it_power_mw": it_energy.sum(axis=1) / plan.hours,
        "facility_power_mw": facility_energy.sum(axis=1) / plan.hours,
        "energy_mwh": facility_energy.sum(axis=1),
        "training_h100e_hours": training_hours.sum(axis=1),
        "inference_h100e_hours": inference_hours.sum(axis=1),
        "sold_h100e_hours": deal.sold.sum(axis=1),
        "bought_h100e_hours": deal.bought,
        "tokens": use.tokens,
        "unserved_tokens": use.unserved_tokens,
        "inference_revenue_usd": group_accounts["inference_revenue"].sum(axis=1),
        "debt_balance_usd": debt_balance,
        "capital_charge_usd": capital_charge,
        **power.series,
    }
    for column in dict.fromkeys(ACCOUNTS.values()):
        series[column] = np.zeros(n_months)
    for account, _, _, values in rows:
        series[ACCOUNTS[account]] = series[ACCOUNTS[account]] + values
    derive(series, plan.hours, f.cash_start_usd, f.raises_usd)
    return _Computed(trace, series, rows, use, pue, power, flows, per_site, facility_energy, group_site, deal,
                     unserved_hours)


def _capital_charge(plan: Plan, rows: list, generation: np.ndarray, bought: np.ndarray) -> np.ndarray:
    """The month's capital charge: bought hardware over its life, each site's facility capex over
    ``facility_life`` and generation over its own life, each at its class's cost of capital."""
    c, f = plan.cohorts, plan.finance
    hardware_rate, facility_rate, _ = f.cost_of_capital
    charge = capital.hardware_charge(bought, c.delivery, c.life, plan.months, hardware_rate, f.salvage).sum(axis=1)
    for account, _, _, values in rows:
        if account == "facility_capex":
            charge = charge + capital.capital_charge(values, facility_rate, f.facility_life)
    return charge + generation


def derive(m: dict[str, np.ndarray], hours: np.ndarray, cash_start: float = 0.0,
           raises: np.ndarray | None = None) -> None:
    """Add operating cost, EBITDA, cash burn and balance, runway and unit costs, from their parts,
    to the monthly columns ``m`` (arrays); ``hours`` are each month's hours.

    The total energy cost, ``energy_cost_usd``, is purchased energy, fuel, demand charges and the
    variable O&M of generation (:data:`~fleetsim.accounting.columns.ENERGY_COST_PARTS`).
    """
    m["energy_cost_usd"] = sum(m[part] for part in ENERGY_COST_PARTS)
    energy = m["energy_cost_usd"]
    rented = m["lease_usd"] + m["contract_cost_usd"]  # capacity paid by the hour: leases and bought contracts
    revenue = m["revenue_usd"] + m["contract_revenue_usd"]
    m["operating_cost_usd"] = energy + m["depreciation_usd"] + m["opex_usd"] + rented
    m["tco_usd"] = m["capital_charge_usd"] + energy + m["opex_usd"] + rented
    m["ebitda_usd"] = revenue - (energy + m["opex_usd"] + rented)
    m["operating_income_usd"] = revenue - m["operating_cost_usd"]
    burn = (energy + m["hardware_capex_usd"] + m["facility_capex_usd"] + m["opex_usd"] + rented
            + m["interest_usd"] + m["principal_usd"] - m["debt_drawn_usd"] - revenue)
    m["cash_burn_usd"] = burn
    missing = np.isnan(burn)  # a running sum skips missing months, as pandas' cumsum does
    cumulative = np.cumsum(np.where(missing, 0.0, burn))
    cumulative[missing] = np.nan
    m["cumulative_cash_usd"] = -cumulative
    raises = np.zeros(len(burn)) if raises is None else raises
    balance = finance_rules.cash_balance(cash_start, raises, burn)
    m["cash_balance_usd"] = balance
    m["runway_months"] = finance_rules.runway(balance, burn)
    used = m["training_h100e_hours"] + m["inference_h100e_hours"] + m["sold_h100e_hours"]
    with np.errstate(divide="ignore", invalid="ignore"):
        m["inference_cost_usd"] = np.where(used > 0, m["operating_cost_usd"] * m["inference_h100e_hours"] / used, 0.0)
    m.update(ratios(m, hours))


def add_ratios(m, hours: np.ndarray) -> None:
    """Unit costs recomputed from totals (also for roll-ups, with each period's hours)."""
    for column, values in ratios({column: m[column].to_numpy() for column in RATIO_INPUTS}, hours).items():
        m[column] = values


RATIO_INPUTS = ("h100e_available", "bought_h100e_hours", "tokens", "revenue_usd", "inference_revenue_usd",
                "contract_revenue_usd", "operating_cost_usd", "tco_usd", "inference_cost_usd")


def ratios(m: dict[str, np.ndarray], hours: np.ndarray) -> dict[str, np.ndarray]:
    """The unit-cost columns from the totals ``m`` (arrays) and each period's ``hours``."""
    available_hours = m["h100e_available"] * hours + m["bought_h100e_hours"]
    mtok = m["tokens"] / 1e6
    other_revenue = m["revenue_usd"] - m["inference_revenue_usd"] + m["contract_revenue_usd"]
    revenue = m["inference_revenue_usd"]
    with np.errstate(divide="ignore", invalid="ignore"):
        return {
            "cost_per_h100e_hour_usd": np.where(available_hours > 0, m["operating_cost_usd"] / available_hours,
                                                np.nan),
            "tco_per_h100e_hour_usd": np.where(available_hours > 0, m["tco_usd"] / available_hours, np.nan),
            "cost_per_mtok_usd": np.where(mtok > 0, m["inference_cost_usd"] / mtok, np.nan),
            "breakeven_price_per_mtok_usd": np.where(mtok > 0, (m["operating_cost_usd"] - other_revenue) / mtok,
                                                     np.nan),
            "gross_margin": np.where(revenue > 0, (revenue - m["inference_cost_usd"]) / revenue, np.nan),
        }


def _ledger(rows, months: np.ndarray) -> Frame:
    """The ledger's non-zero rows (``months``: the month numbers) with each account's ``direction``
    and ``basis`` (:func:`~fleetsim.accounting.columns.label_ledger`'s columns), built from flat
    arrays in one step and sorted by month, account, site and hardware (ties in row order). Labels
    are ranked once per row block, not per row, so the sort is an integer sort."""
    positions, labels, amounts = [], [], []
    for account, site, hardware, values in rows:
        nonzero = np.flatnonzero(values)
        if len(nonzero):
            positions.append(nonzero)
            amounts.append(values[nonzero])
            labels.append((account, site, hardware))
    text = ("site", "hardware", "account", "direction", "basis")
    if not positions:
        return label_ledger(Frame({"month": np.zeros(0, dtype=np.int64),
                                   **{c: np.empty(0, dtype=object) for c in text[:3]},
                                   "amount_usd": np.zeros(0)}, months=("month",), text=text[:3]))
    counts = [len(p) for p in positions]
    ranks = {label: rank for rank, label in enumerate(sorted(set(labels)))}  # (account, site, hardware) order

    def repeat(values: list) -> np.ndarray:
        return np.repeat(np.array(values, dtype=object), counts)

    month = months[np.concatenate(positions)]
    order = np.lexsort((np.repeat([ranks[label] for label in labels], counts), month))
    columns = {
        "month": month,
        "site": repeat([site for _, site, _ in labels]),
        "hardware": repeat([hardware for _, _, hardware in labels]),
        "account": repeat([account for account, _, _ in labels]),
        "direction": repeat([DIRECTIONS[account] for account, _, _ in labels]),
        "basis": repeat([BASES[account] for account, _, _ in labels]),
        "amount_usd": np.concatenate(amounts),
    }
    return Frame({c: columns[c][order] for c in LEDGER_COLUMNS if c in columns}, months=("month",), text=text)
