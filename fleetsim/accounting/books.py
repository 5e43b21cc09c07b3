"""From the engine's trace to the books: per-cohort flows, the ledger and the monthly table.

Every money flow is first computed per cohort (or per site, or fleet-wide) and month, then
grouped by (site, hardware) into ledger accounts. The monthly money columns are sums of the
same grouped flows, so the ledger summed by month and account equals them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from fleetsim.accounting import rules
from fleetsim.engine.model import Trace
from fleetsim.engine.plan import Plan

ACCOUNTS: dict[str, str] = {
    "energy": "energy_cost_usd",
    "hardware_capex": "hardware_capex_usd",
    "facility_capex": "facility_capex_usd",
    "hardware_depreciation": "depreciation_usd",
    "facility_depreciation": "depreciation_usd",
    "fixed_opex": "opex_usd",
    "maintenance": "opex_usd",
    "inference_revenue": "revenue_usd",
}
"""Ledger account → the monthly money column it sums into."""

UNITS: dict[str, str] = {
    "accelerators": "", "h100e": "", "h100e_available": "", "stranded": "",
    "capacity_mw": "MW", "it_power_mw": "MW", "facility_power_mw": "MW", "peak_facility_power_mw": "MW",
    "energy_mwh": "MWh", "training_h100e_hours": "hour", "inference_h100e_hours": "hour", "tokens": "tok",
    "energy_cost_usd": "USD", "hardware_capex_usd": "USD", "facility_capex_usd": "USD",
    "depreciation_usd": "USD", "opex_usd": "USD", "revenue_usd": "USD", "operating_cost_usd": "USD",
    "cash_burn_usd": "USD", "cumulative_cash_usd": "USD", "cost_per_h100e_hour_usd": "USD/hour",
}
"""Monthly column → pint unit ("" for counts). H100e-hours are hours of one H100 equivalent."""

KINDS: dict[str, str] = {
    **dict.fromkeys(["accelerators", "h100e", "stranded", "cumulative_cash_usd"], "end"),
    **dict.fromkeys(["h100e_available", "capacity_mw", "it_power_mw", "facility_power_mw"], "mean"),
    "peak_facility_power_mw": "peak", "cost_per_h100e_hour_usd": "ratio",
}
"""How each column aggregates over time: "end" (month-end), "mean" (hour-weighted), "peak",
"ratio" (recomputed from parts); every other column is a "total"."""


@dataclass
class Books:
    monthly: pd.DataFrame
    ledger: pd.DataFrame
    training: pd.DataFrame


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
    """Compute the ledger, the monthly table and the training table of a simulated plan.

    Utilization, training share, draw and prices do not vary between the cohorts of one
    (site, hardware) group, so most flows are computed per group directly: available hours times
    a cohorts × groups matrix weighted by each cohort's power, H100e or cost. Memory and time
    then follow months × groups, not months × cohorts.
    """
    c, f, n_months = plan.cohorts, plan.finance, plan.months
    months = pd.period_range(start=pd.Period(year=plan.start // 12, month=plan.start % 12 + 1, freq="M"),
                             periods=n_months, freq="M", name="month")
    groups, member, indicator = _groups(plan)
    group_site = np.array([[s.name for s in plan.sites].index(site) for site, _ in groups], dtype=np.int64)
    pue = np.array([s.pue for s in plan.sites])
    avail = trace.available_hours
    draw = plan.utilization * plan.busy_draw + (1.0 - plan.utilization) * plan.idle_draw
    it_energy = (avail @ (indicator * c.unit_it_mw[:, None])) * draw[:, None]
    facility_energy = it_energy * pue[group_site][None, :]
    h100e_hours = avail @ (indicator * c.h100e[:, None])
    busy_hours = h100e_hours * plan.utilization[:, None]
    training_hours = busy_hours * plan.training_share[:, None]
    inference_hours = busy_hours - training_hours
    tokens = inference_hours * f.tokens_per_h100e_hour
    price_mwh = np.array([s.price_usd_per_mwh for s in plan.sites]).T if plan.sites else np.zeros((n_months, 0))
    cost = (c.count * c.price).astype(float)
    capex = np.zeros((n_months, len(groups)))
    inside = c.delivery < n_months
    np.add.at(capex, (c.delivery[inside], member[inside]), cost[inside])

    depreciation = rules.depreciation(cost, c.delivery, c.life, n_months, _fractions(plan))
    maintenance_weights = indicator * (cost * f.maintenance / 12.0)[:, None]
    group_accounts = {
        "energy": facility_energy * price_mwh[:, group_site],
        "hardware_capex": capex,
        "hardware_depreciation": depreciation @ indicator,
        "maintenance": rules.on_books(c.delivery, c.life, n_months) @ maintenance_weights,
        "inference_revenue": tokens * f.token_price_usd[:, None],
    }
    rows = [(account, site, hardware, flows[:, g])
            for account, flows in group_accounts.items() for g, (site, hardware) in enumerate(groups)]
    for site in plan.sites:
        facility = rules.facility_capex(site.capacity_mw, site.construction_usd_per_mw, site.pue)
        rows.append(("facility_capex", site.name, "", facility))
        rows.append(("facility_depreciation", site.name, "", rules.facility_depreciation(facility, f.facility_life)))
    rows.append(("fixed_opex", "", "", f.fixed_opex_usd.astype(float)))

    ledger = _ledger(rows, months)
    monthly = pd.DataFrame(index=months)
    monthly["accelerators"] = trace.installed.sum(axis=1).astype(float)
    monthly["h100e"] = trace.installed @ c.h100e
    monthly["h100e_available"] = h100e_hours.sum(axis=1) / plan.hours
    monthly["stranded"] = trace.stranded.sum(axis=1).astype(float)
    monthly["capacity_mw"] = np.sum([s.capacity_mw for s in plan.sites], axis=0)
    monthly["it_power_mw"] = it_energy.sum(axis=1) / plan.hours
    monthly["facility_power_mw"] = facility_energy.sum(axis=1) / plan.hours
    monthly["peak_facility_power_mw"] = trace.installed @ c.unit_facility_mw
    monthly["energy_mwh"] = facility_energy.sum(axis=1)
    monthly["training_h100e_hours"] = training_hours.sum(axis=1)
    monthly["inference_h100e_hours"] = inference_hours.sum(axis=1)
    monthly["tokens"] = tokens.sum(axis=1)
    for column in dict.fromkeys(ACCOUNTS.values()):
        monthly[column] = 0.0
    for account, _, _, values in rows:
        monthly[ACCOUNTS[account]] += values
    add_derived(monthly)
    training = _training(plan, monthly)
    return Books(monthly, ledger, training)


def add_derived(monthly: pd.DataFrame) -> None:
    """Operating cost, cash burn, cumulative cash and cost per H100e-hour, from their parts."""
    monthly["operating_cost_usd"] = monthly.energy_cost_usd + monthly.depreciation_usd + monthly.opex_usd
    monthly["cash_burn_usd"] = (monthly.energy_cost_usd + monthly.hardware_capex_usd + monthly.facility_capex_usd
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


TRAINING_COLUMNS = ["name", "start", "end", "completed", "compute_flop", "h100e_hours", "energy_mwh",
                    "depreciation_usd", "energy_cost_usd", "cost_usd"]


def _training(plan: Plan, monthly: pd.DataFrame) -> pd.DataFrame:
    """Runs take, in file order, their share of each month's training H100e-hours until their
    compute is met; each is charged depreciation and energy in proportion to its share of the
    fleet's available H100e-hours that month."""
    pool = monthly.training_h100e_hours.to_numpy().copy()
    available = (monthly.h100e_available.to_numpy() * plan.hours)
    records = []
    for run in plan.training:
        need = run.compute / rules.training_compute_per_h100e_hour(run.mfu)
        used = np.zeros(plan.months)
        end = None
        for t in range(max(run.start, 0), plan.months):
            take = min(run.share * monthly.training_h100e_hours.iat[t], pool[t], need - used.sum())
            used[t] = max(take, 0.0)
            pool[t] -= used[t]
            if used.sum() >= need * (1 - 1e-12):
                end = t
                break
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(available > 0, used / available, 0.0)
        dep = float(share @ monthly.depreciation_usd.to_numpy())
        energy_cost = float(share @ monthly.energy_cost_usd.to_numpy())
        records.append({
            "name": run.name, "start": monthly.index[run.start].strftime("%Y-%m") if run.start < plan.months else "",
            "end": monthly.index[end].strftime("%Y-%m") if end is not None else "",
            "completed": end is not None,
            "compute_flop": used.sum() * rules.training_compute_per_h100e_hour(run.mfu),
            "h100e_hours": used.sum(), "energy_mwh": float(share @ monthly.energy_mwh.to_numpy()),
            "depreciation_usd": dep, "energy_cost_usd": energy_cost, "cost_usd": dep + energy_cost,
        })
    return pd.DataFrame(records, columns=TRAINING_COLUMNS)
