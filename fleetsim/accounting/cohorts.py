"""The cohort table: each order's own economics — capex or lease, energy, revenue, payback, NPV.

An order's energy cost is its facility energy at its site's average energy cost that month
(energy, fuel, O&M, demand charges); its revenue is its share of tokens by inference
H100e-hours. Fleet-wide costs (fixed opex, facility capex) are not charged to orders. NPV
discounts monthly cash flows at ``finance.discount_rate`` and adds the residual book value (or
salvage) at the horizon.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from fleetsim.accounting import economics, rules
from fleetsim.engine.model import Trace
from fleetsim.engine.plan import Plan

COHORT_COLUMNS = ["order", "name", "hardware", "site", "acquisition", "count", "delivered", "energised_peak",
                  "capex_usd", "lease_usd", "depreciation_usd", "maintenance_usd", "energy_cost_usd",
                  "revenue_usd", "net_cash_usd", "payback_month", "npv_usd"]


def cohort_table(plan: Plan, trace: Trace, use, site_cost_usd: np.ndarray, pue: np.ndarray,
                 monthly: pd.DataFrame) -> pd.DataFrame:
    """One row per order (its delivery-month cohorts together)."""
    c, f, n_months = plan.cohorts, plan.finance, plan.months
    orders = np.unique(c.order)
    index = np.searchsorted(orders, c.order)
    member = np.zeros((len(c), len(orders)))
    member[np.arange(len(c)), index] = 1.0
    order_site = np.zeros(len(orders), dtype=np.int64)
    order_site[index] = c.site
    draw = use.utilization * plan.busy_draw + (1.0 - use.utilization) * plan.idle_draw
    energy = (trace.available_hours @ (member * c.unit_it_mw[:, None])) * draw[:, None] * pue[:, order_site]
    site_energy = np.zeros_like(site_cost_usd)
    np.add.at(site_energy.T, order_site, energy.T)
    with np.errstate(divide="ignore", invalid="ignore"):
        unit_cost = np.where(site_energy > 0, site_cost_usd / site_energy, 0.0)
        h100e_hours = trace.available_hours @ (member * c.h100e[:, None])
        share = np.where(h100e_hours.sum(axis=1, keepdims=True) > 0,
                         h100e_hours / h100e_hours.sum(axis=1, keepdims=True), 0.0)
    energy_cost = energy * unit_cost[:, order_site]
    revenue = share * monthly.inference_revenue_usd.to_numpy()[:, None]
    bought = (c.count * c.price * ~c.leased).astype(float)
    delivered_now = np.arange(n_months)[:, None] == c.delivery[None, :]
    capex = (delivered_now * bought) @ member
    on_books = rules.on_books(c.delivery, c.life, n_months)
    lease = (on_books * (c.count * c.lease_rate) * plan.hours[:, None]) @ member
    maintenance = (on_books * bought * f.maintenance / 12.0) @ member
    schedule = rules.schedule_for(f.depreciation_method, f.depreciation_rate, f.salvage)
    depreciation = rules.depreciation(bought, c.delivery, c.life, n_months, schedule) @ member
    flows = revenue - energy_cost - maintenance - capex - lease
    residual = capex.sum(axis=0) - depreciation.sum(axis=0)
    installed = trace.installed @ member
    delivered = (np.arange(n_months)[:, None] >= c.delivery[None, :]) @ (member * c.count[:, None])
    records = []
    for k, position in enumerate(orders):
        order = plan.order_specs[position]
        payback = economics.payback_month(flows[:, k])
        records.append({
            "order": int(position), "name": order.name or "", "hardware": order.hardware, "site": order.site,
            "acquisition": order.acquisition, "count": order.count, "delivered": float(delivered[-1, k]),
            "energised_peak": float(installed[:, k].max()), "capex_usd": capex[:, k].sum(),
            "lease_usd": lease[:, k].sum(), "depreciation_usd": depreciation[:, k].sum(),
            "maintenance_usd": maintenance[:, k].sum(), "energy_cost_usd": energy_cost[:, k].sum(),
            "revenue_usd": revenue[:, k].sum(), "net_cash_usd": flows[:, k].sum(),
            "payback_month": str(monthly.index[payback]) if payback is not None else "",
            "npv_usd": economics.npv(flows[:, k], f.discount_rate, residual[k]),
        })
    return pd.DataFrame(records, columns=COHORT_COLUMNS)
