"""Per-cohort flows, and the cohort table: each order's own economics — capex or lease, energy,
revenue, payback, NPV.

:func:`cohort_flows` computes every cohort's monthly hardware flows (capex, depreciation,
maintenance, lease) once; the books sum them by (site, hardware) group and the cohort table by
order, so the two agree by construction.

An order's energy cost is its facility energy at its site's average total energy cost that
month (purchased energy, fuel, demand charges: the parts of ``energy_cost_usd``); its revenue
is its share of tokens by inference H100e-hours. Fleet-wide costs (fixed opex, facility capex)
are not charged to orders. NPV discounts monthly cash flows at ``finance.discount_rate`` and
adds the residual book value (or salvage) at the horizon.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fleetsim.accounting import finance_rules, rules
from fleetsim.engine.model import Trace
from fleetsim.engine.plan import Plan
from fleetsim.frame import Frame
from fleetsim.months import to_text

COHORT_COLUMNS = ["order", "name", "hardware", "site", "acquisition", "count", "delivered", "energised_peak",
                  "capex_usd", "lease_usd", "depreciation_usd", "maintenance_usd", "energy_cost_usd",
                  "revenue_usd", "net_cash_usd", "payback_month", "npv_usd"]


@dataclass
class CohortFlows:
    """Every cohort's hardware flows: ``bought`` (capex per cohort, 0 when leased) and months ×
    cohorts matrices of depreciation, maintenance and lease per hour (× the month's hours gives
    the lease), each zero outside the cohort's life (delivery ≤ t < delivery + life)."""

    bought: np.ndarray
    depreciation: np.ndarray
    maintenance: np.ndarray
    lease_per_hour: np.ndarray

    def capex(self, plan: Plan, index: np.ndarray, groups: int) -> np.ndarray:
        """Months × groups: capex in each cohort's delivery month, summed by ``index`` (each
        cohort's group; cohorts delivered after the horizon are left out)."""
        delivery = plan.cohorts.delivery
        out = np.zeros((plan.months, groups))
        inside = delivery < plan.months
        np.add.at(out, (delivery[inside], index[inside]), self.bought[inside])
        return out


def cohort_flows(plan: Plan) -> CohortFlows:
    """The hardware flows of every cohort, computed once for the books and the cohort table."""
    c, f, n_months = plan.cohorts, plan.finance, plan.months
    bought = (c.count * c.price * ~c.leased).astype(float)
    on_books = rules.on_books(c.delivery, c.life, n_months)
    schedule = rules.schedule_for(f.depreciation_method, f.depreciation_rate, f.salvage)
    return CohortFlows(bought=bought,
                       depreciation=rules.depreciation(bought, c.delivery, c.life, n_months, schedule),
                       maintenance=on_books * (bought * f.maintenance / 12.0),
                       lease_per_hour=on_books * (c.count * c.lease_rate))


def _column_sums(matrix: np.ndarray) -> np.ndarray:
    """Each column's sum, added exactly as ``matrix[:, k].sum()`` adds it (pairwise)."""
    return np.ascontiguousarray(matrix.T).sum(axis=1)


def _payback(flows: np.ndarray) -> np.ndarray:
    """:func:`~fleetsim.accounting.finance_rules.payback_month` of every column (−1 for None)."""
    cumulative = np.cumsum(flows, axis=0)
    negative = cumulative < 0
    first = np.argmax(negative, axis=0)
    back = (cumulative >= 0) & (np.arange(len(flows))[:, None] >= first[None, :])
    month = np.argmax(back, axis=0)
    return np.where(negative.any(axis=0) & back.any(axis=0), month, -1)


def cohort_table(plan: Plan, trace: Trace, use, site_cost_usd: np.ndarray, pue: np.ndarray,
                 inference_revenue_usd: np.ndarray, flows: CohortFlows | None = None) -> Frame:
    """One row per order (its delivery-month cohorts together). ``inference_revenue_usd`` is the
    monthly column; ``flows`` the cohorts' :func:`cohort_flows` (computed when not given)."""
    c, f, n_months = plan.cohorts, plan.finance, plan.months
    flows = cohort_flows(plan) if flows is None else flows
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
    revenue = share * inference_revenue_usd[:, None]
    capex = flows.capex(plan, index, len(orders))
    lease = by_order(flows.lease_per_hour) * plan.hours[:, None]
    maintenance = by_order(flows.maintenance)
    depreciation = by_order(flows.depreciation)
    net = revenue - energy_cost - maintenance - capex - lease
    capex_total = _column_sums(capex)
    residual = capex.sum(axis=0) - depreciation.sum(axis=0)
    inside = c.delivery < n_months
    delivered = np.zeros(len(orders))
    np.add.at(delivered, index[inside], c.count[inside])
    peak = by_order(trace.installed).max(axis=0) if n_months else np.zeros(len(orders))
    payback = _payback(net)
    specs = [plan.order_specs[position] for position in orders]

    def listed(values: list) -> np.ndarray:
        return np.asarray(values) if values else np.zeros(0)  # an empty column is float, as pandas makes it

    def text(values: list) -> np.ndarray:
        return np.array(values, dtype=object) if values else np.zeros(0)

    columns = {
        "order": listed([int(position) for position in orders]), "name": text([o.name or "" for o in specs]),
        "hardware": text([o.hardware for o in specs]), "site": text([o.site for o in specs]),
        "acquisition": text([o.acquisition for o in specs]), "count": listed([o.count for o in specs]),
        "delivered": delivered, "energised_peak": peak.astype(float), "capex_usd": capex_total,
        "lease_usd": _column_sums(lease), "depreciation_usd": _column_sums(depreciation),
        "maintenance_usd": _column_sums(maintenance), "energy_cost_usd": _column_sums(energy_cost),
        "revenue_usd": _column_sums(revenue), "net_cash_usd": _column_sums(net),
        "payback_month": text([to_text(plan.start + int(p)) if p >= 0 else "" for p in payback]),
        # one dot product per order, as finance_rules.npv computes it
        "npv_usd": listed([finance_rules.npv(net[:, k], f.discount_rate, residual[k]) for k in range(len(orders))]),
    }
    return Frame({column: columns[column] for column in COHORT_COLUMNS})


def _summer(index: np.ndarray, groups: int):
    """``by(matrix)``: sum the columns (cohorts) of a months × cohorts matrix into groups."""
    order = np.argsort(index, kind="stable")
    starts = np.flatnonzero(np.r_[True, np.diff(index[order]) != 0]) if len(index) else np.zeros(0, int)

    in_place = bool(np.all(order == np.arange(len(index))))  # cohorts already by order: no reordered copy

    def by(matrix: np.ndarray) -> np.ndarray:
        if not len(index):
            return np.zeros((matrix.shape[0], groups))
        return np.asarray(np.add.reduceat(matrix if in_place else matrix[:, order], starts, axis=1), dtype=float)

    return by
