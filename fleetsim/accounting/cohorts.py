"""The cohort table: each order's own economics — capex or lease, energy, revenue, payback, NPV.

An order's energy cost is its facility energy at its site's average total energy cost that
month (purchased energy, fuel, demand charges: the parts of ``energy_cost_usd``); its revenue
is its share of tokens by inference H100e-hours. Fleet-wide costs (fixed opex, facility capex)
are not charged to orders. NPV discounts monthly cash flows at ``finance.discount_rate`` and
adds the residual book value (or salvage) at the horizon.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fleetsim.accounting import finance_rules, rules
from fleetsim.engine.model import Trace
from fleetsim.engine.plan import Plan

COHORT_COLUMNS = ["order", "name", "hardware", "site", "acquisition", "count", "delivered", "energised_peak",
                  "capex_usd", "lease_usd", "depreciation_usd", "maintenance_usd", "energy_cost_usd",
                  "revenue_usd", "net_cash_usd", "payback_month", "npv_usd"]


def cohort_table(plan: Plan, trace: Trace, use, site_cost_usd: np.ndarray, pue: np.ndarray,
                 monthly: pd.DataFrame) -> pd.DataFrame:
    """One row per order (its delivery-month cohorts together)."""
    c, f, n_months = plan.cohorts, plan.finance, plan.months
    orders, index = np.unique(c.order, return_inverse=True)
    by_order = _summer(index, len(orders))
    order_site = np.zeros(len(orders), dtype=np.int64)
    order_site[index] = c.site
    energy = by_order(trace.available_hours * c.unit_it_mw) * use.draw(plan)[:, None] * pue[:, order_site]
    site_energy = np.zeros_like(site_cost_usd)
    np.add.at(site_energy.T, order_site, energy.T)
    h100e_hours = by_order(trace.available_hours * c.h100e)
    with np.errstate(divide="ignore", invalid="ignore"):
        unit_cost = np.where(site_energy > 0, site_cost_usd / site_energy, 0.0)
        share = np.where(h100e_hours.sum(axis=1, keepdims=True) > 0,
                         h100e_hours / h100e_hours.sum(axis=1, keepdims=True), 0.0)
    energy_cost = energy * unit_cost[:, order_site]
    revenue = share * monthly.inference_revenue_usd.to_numpy()[:, None]
    bought = (c.count * c.price * ~c.leased).astype(float)
    capex = np.zeros((n_months, len(orders)))
    inside = c.delivery < n_months
    np.add.at(capex, (c.delivery[inside], index[inside]), bought[inside])
    on_books = rules.on_books(c.delivery, c.life, n_months)
    lease = by_order(on_books * (c.count * c.lease_rate)) * plan.hours[:, None]
    maintenance = by_order(on_books * (bought * f.maintenance / 12.0))
    schedule = rules.schedule_for(f.depreciation_method, f.depreciation_rate, f.salvage)
    depreciation = by_order(rules.depreciation(bought, c.delivery, c.life, n_months, schedule))
    flows = revenue - energy_cost - maintenance - capex - lease
    residual = capex.sum(axis=0) - depreciation.sum(axis=0)
    installed = by_order(trace.installed)
    delivered = np.zeros(len(orders))
    np.add.at(delivered, index[inside], c.count[inside])
    records = []
    for k, position in enumerate(orders):
        order = plan.order_specs[position]
        payback = finance_rules.payback_month(flows[:, k])
        records.append({
            "order": int(position), "name": order.name or "", "hardware": order.hardware, "site": order.site,
            "acquisition": order.acquisition, "count": order.count, "delivered": float(delivered[k]),
            "energised_peak": float(installed[:, k].max()) if n_months else 0.0, "capex_usd": capex[:, k].sum(),
            "lease_usd": lease[:, k].sum(), "depreciation_usd": depreciation[:, k].sum(),
            "maintenance_usd": maintenance[:, k].sum(), "energy_cost_usd": energy_cost[:, k].sum(),
            "revenue_usd": revenue[:, k].sum(), "net_cash_usd": flows[:, k].sum(),
            "payback_month": str(monthly.index[payback]) if payback is not None else "",
            "npv_usd": finance_rules.npv(flows[:, k], f.discount_rate, residual[k]),
        })
    return pd.DataFrame(records, columns=COHORT_COLUMNS)


def _summer(index: np.ndarray, groups: int):
    """``by(matrix)``: sum the columns (cohorts) of a months × cohorts matrix into groups."""
    order = np.argsort(index, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(index[order]) != 0]) if len(index) else np.zeros(0, int)

    def by(matrix: np.ndarray) -> np.ndarray:
        if not len(index):
            return np.zeros((matrix.shape[0], groups))
        return np.add.reduceat(matrix[:, order], starts, axis=1).astype(float)

    return by
