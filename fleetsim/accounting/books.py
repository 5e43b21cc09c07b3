"""From the engine's trace to the books: the ledger, the monthly table, energy and training.

Utilization, training share, draw, PUE and prices do not vary between the cohorts of one
(site, hardware) group, so flows are computed per group: available hours times a cohorts ×
groups matrix weighted by each cohort's power, H100e or cost. Memory and time follow months ×
groups, not months × cohorts. The monthly money columns are sums of the same ledger rows, so
the ledger summed by month and account equals them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from fleetsim.accounting import rules
from fleetsim.accounting.columns import ACCOUNTS, COLUMNS
from fleetsim.accounting.power import power_books
from fleetsim.accounting.training import training_runs
from fleetsim.engine.model import Trace
from fleetsim.engine.plan import Plan


@dataclass
class Books:
    monthly: pd.DataFrame
    ledger: pd.DataFrame
    training: pd.DataFrame
    energy: pd.DataFrame


def _fractions(plan: Plan):
    finance = plan.finance
    if finance.depreciation_method == "declining_balance":
        return partial(rules.declining_balance_fractions, rate=finance.depreciation_rate, salvage=finance.salvage)
    return partial(rules.straight_line_fractions, salvage=finance.salvage)


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


def build_books(plan: Plan, trace: Trace) -> Books:
    """Compute the ledger, the monthly table, the energy table and the training table."""
    c, f, n_months = plan.cohorts, plan.finance, plan.months
    months = pd.period_range(start=pd.Period(year=plan.start // 12, month=plan.start % 12 + 1, freq="M"),
                             periods=n_months, freq="M", name="month")
    groups, member, indicator = _groups(plan)
    site_names = [s.name for s in plan.sites]
    group_site = np.array([site_names.index(site) for site, _ in groups], dtype=np.int64)
    pue = np.array([s.pue for s in plan.sites]).reshape(len(plan.sites), n_months).T
    avail = trace.available_hours
    draw = plan.utilization * plan.busy_draw + (1.0 - plan.utilization) * plan.idle_draw
    it_energy = (avail @ (indicator * c.unit_it_mw[:, None])) * draw[:, None]
    facility_energy = it_energy * pue[:, group_site]
    h100e_hours = avail @ (indicator * c.h100e[:, None])
    busy_hours = h100e_hours * plan.utilization[:, None]
    training_hours = busy_hours * plan.training_share[:, None]
    inference_hours = busy_hours - training_hours
    tokens = inference_hours * f.tokens_per_h100e_hour
    cost = (c.count * c.price).astype(float)
    capex = np.zeros((n_months, len(groups)))
    inside = c.delivery < n_months
    np.add.at(capex, (c.delivery[inside], member[inside]), cost[inside])
    depreciation = rules.depreciation(cost, c.delivery, c.life, n_months, _fractions(plan))
    maintenance_weights = indicator * (cost * f.maintenance / 12.0)[:, None]
    group_accounts = {
        "hardware_capex": capex,
        "hardware_depreciation": depreciation @ indicator,
        "maintenance": rules.on_books(c.delivery, c.life, n_months) @ maintenance_weights,
        "inference_revenue": tokens * f.token_price_usd[:, None],
    }
    rows = [(account, site, hardware, flows[:, g])
            for account, flows in group_accounts.items() for g, (site, hardware) in enumerate(groups)]
    for s, site in enumerate(plan.sites):
        facility = rules.facility_capex(site.capacity_mw, site.construction_usd_per_mw, pue[:, s])
        rows.append(("facility_capex", site.name, "", facility))
        rows.append(("facility_depreciation", site.name, "", rules.facility_depreciation(facility, f.facility_life)))
    rows.append(("fixed_opex", "", "", f.fixed_opex_usd.astype(float)))
    power = power_books(plan, trace, facility_energy, it_energy, group_site, groups, months)
    rows += power.rows

    series = {
        "accelerators": trace.installed.sum(axis=1).astype(float),
        "h100e": trace.installed @ c.h100e,
        "h100e_available": h100e_hours.sum(axis=1) / plan.hours,
        "stranded": trace.stranded.sum(axis=1).astype(float),
        "capacity_mw": np.sum([s.capacity_mw for s in plan.sites], axis=0),
        "it_power_mw": it_energy.sum(axis=1) / plan.hours,
        "facility_power_mw": facility_energy.sum(axis=1) / plan.hours,
        "energy_mwh": facility_energy.sum(axis=1),
        "training_h100e_hours": training_hours.sum(axis=1),
        "inference_h100e_hours": inference_hours.sum(axis=1),
        "tokens": tokens.sum(axis=1),
        **power.series,
    }
    for column in dict.fromkeys(ACCOUNTS.values()):
        series[column] = np.zeros(n_months)
    for account, _, _, values in rows:
        series[ACCOUNTS[account]] = series[ACCOUNTS[account]] + values
    monthly = pd.DataFrame(series, index=months)
    add_derived(monthly)
    monthly = monthly[list(COLUMNS)]
    return Books(monthly, _ledger(rows, months), training_runs(plan, monthly), power.energy)


def add_derived(monthly: pd.DataFrame) -> None:
    """Operating cost, cash burn, cumulative cash and cost per H100e-hour, from their parts.

    Energy costs are purchased energy, fuel and demand charges together.
    """
    energy = monthly.energy_cost_usd + monthly.fuel_cost_usd + monthly.demand_charge_usd
    monthly["operating_cost_usd"] = energy + monthly.depreciation_usd + monthly.opex_usd
    monthly["cash_burn_usd"] = (energy + monthly.hardware_capex_usd + monthly.facility_capex_usd
                                + monthly.opex_usd - monthly.revenue_usd)
    monthly["cumulative_cash_usd"] = -monthly.cash_burn_usd.cumsum()
    hours = monthly.index.days_in_month.to_numpy() * 24.0
    available_hours = monthly.h100e_available.to_numpy() * hours
    with np.errstate(divide="ignore", invalid="ignore"):
        monthly["cost_per_h100e_hour_usd"] = np.where(
            available_hours > 0, monthly.operating_cost_usd / available_hours, np.nan)


def _ledger(rows, months: pd.PeriodIndex) -> pd.DataFrame:
    frames = []
    for account, site, hardware, values in rows:
        nonzero = np.flatnonzero(values)
        if len(nonzero):
            frames.append(pd.DataFrame({
                "month": months[nonzero], "site": site, "hardware": hardware, "account": account,
                "amount_usd": values[nonzero]}))
    if not frames:
        return pd.DataFrame({"month": pd.PeriodIndex([], freq="M"), "site": pd.Series(dtype=str),
                             "hardware": pd.Series(dtype=str), "account": pd.Series(dtype=str),
                             "amount_usd": pd.Series(dtype=float)})
    ledger = pd.concat(frames, ignore_index=True)
    return ledger.sort_values(["month", "account", "site", "hardware"], kind="stable").reset_index(drop=True)
