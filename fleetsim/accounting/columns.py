"""The output tables' vocabulary: monthly columns with their units and kinds, ledger accounts."""

from __future__ import annotations

import numpy as np

COLUMNS: dict[str, tuple[str, str]] = {
    # column: (pint unit, how it aggregates over time)
    "accelerators": ("", "end"),
    "h100e": ("", "end"),
    "h100e_available": ("", "mean"),
    "stranded": ("", "peak"),
    "waiting_power": ("", "peak"),
    "waiting_install": ("", "peak"),
    "stranded_accelerator_months": ("month", "total"),
    "capacity_mw": ("MW", "mean"),
    "halls_mw": ("MW", "mean"),
    "capacity_shortfall_mw": ("MW", "peak"),
    "it_power_mw": ("MW", "mean"),
    "facility_power_mw": ("MW", "mean"),
    "peak_facility_power_mw": ("MW", "peak"),
    "energy_mwh": ("MWh", "total"),
    "grid_energy_mwh": ("MWh", "total"),
    "onsite_energy_mwh": ("MWh", "total"),
    "unserved_energy_mwh": ("MWh", "total"),
    "failures": ("", "total"),
    "curtailed_h100e_hours": ("hour", "total"),
    "unserved_h100e_hours": ("hour", "total"),
    "emissions_tco2": ("t", "total"),
    "water_m3": ("m**3", "total"),
    "training_h100e_hours": ("hour", "total"),
    "inference_h100e_hours": ("hour", "total"),
    "sold_h100e_hours": ("hour", "total"),
    "bought_h100e_hours": ("hour", "total"),
    "tokens": ("tok", "total"),
    "unserved_tokens": ("tok", "total"),
    "purchased_energy_cost_usd": ("USD", "total"),
    "fuel_cost_usd": ("USD", "total"),
    "demand_charge_usd": ("USD", "total"),
    "generation_om_usd": ("USD", "total"),
    "lost_load_cost_usd": ("USD", "total"),
    "energy_cost_usd": ("USD", "total"),
    "hardware_capex_usd": ("USD", "total"),
    "facility_capex_usd": ("USD", "total"),
    "depreciation_usd": ("USD", "total"),
    "opex_usd": ("USD", "total"),
    "lease_usd": ("USD", "total"),
    "contract_cost_usd": ("USD", "total"),
    "revenue_usd": ("USD", "total"),
    "inference_revenue_usd": ("USD", "total"),
    "contract_revenue_usd": ("USD", "total"),
    "interest_usd": ("USD", "total"),
    "principal_usd": ("USD", "total"),
    "debt_drawn_usd": ("USD", "total"),
    "debt_balance_usd": ("USD", "end"),
    "operating_cost_usd": ("USD", "total"),
    "capital_charge_usd": ("USD", "total"),
    "tco_usd": ("USD", "total"),
    "inference_cost_usd": ("USD", "total"),
    "ebitda_usd": ("USD", "total"),
    "operating_income_usd": ("USD", "total"),
    "cash_burn_usd": ("USD", "total"),
    "cumulative_cash_usd": ("USD", "end"),
    "cash_balance_usd": ("USD", "end"),
    "runway_months": ("month", "end"),
    "cost_per_h100e_hour_usd": ("USD/hour", "ratio"),
    "tco_per_h100e_hour_usd": ("USD/hour", "ratio"),
    "cost_per_mtok_usd": ("USD/Mtok", "ratio"),
    "breakeven_price_per_mtok_usd": ("USD/Mtok", "ratio"),
    "gross_margin": ("", "ratio"),
}
"""Monthly columns in order, each with its unit and kind (every column states both). Units are
pint strings ("" for counts; H100e-hours are hours of one H100 equivalent; accelerator-months are
months of one accelerator). Kinds say how a column rolls up over a quarter, a year or the horizon
(:data:`ROLLUP`): "end" (a stock: the period's last month), "mean" (a level: hour-weighted),
"peak" (the period's maximum), "total" (a flow: summed), "ratio" (recomputed from its summed
numerator and denominator). Waiting hardware (``stranded`` and its two causes) is a month-end
count whose period value is its peak; ``stranded_accelerator_months`` is its flow."""

ROLLUP = {"end": "the period's last month", "mean": "hour-weighted mean", "peak": "the period's maximum",
          "total": "sum over the period", "ratio": "recomputed from summed numerator and denominator"}
"""Every kind and how a roll-up takes it."""

UNITS: dict[str, str] = {column: unit for column, (unit, _) in COLUMNS.items()}
KINDS: dict[str, str] = {column: kind for column, (_, kind) in COLUMNS.items()}

SITE_COLUMNS = ["capacity_mw", "halls_mw", "peak_facility_power_mw", "facility_power_mw", "it_power_mw",
                "capacity_shortfall_mw", "accelerators", "h100e", "h100e_available", "stranded", "waiting_power",
                "waiting_install", "stranded_accelerator_months", "energy_mwh", "unserved_energy_mwh", "failures",
                "curtailed_h100e_hours", "unserved_h100e_hours"]
"""Columns of ``Result.sites`` after ``month, site``: the physical columns of the monthly table,
site by site (units and kinds as in :data:`COLUMNS`; summed over sites they give the fleet's)."""

ACCOUNT_TABLE: dict[str, tuple[str, str, str]] = {
    # account: (monthly money column it sums into, direction, basis)
    "energy": ("purchased_energy_cost_usd", "cost", "both"),
    "battery_losses": ("purchased_energy_cost_usd", "cost", "both"),
    "fuel": ("fuel_cost_usd", "cost", "both"),
    "demand_charge": ("demand_charge_usd", "cost", "both"),
    "lost_load": ("lost_load_cost_usd", "cost", "both"),
    "hardware_capex": ("hardware_capex_usd", "cost", "cash"),
    "facility_capex": ("facility_capex_usd", "cost", "cash"),
    "generation_capex": ("facility_capex_usd", "cost", "cash"),
    "hardware_depreciation": ("depreciation_usd", "cost", "accrual"),
    "facility_depreciation": ("depreciation_usd", "cost", "accrual"),
    "generation_depreciation": ("depreciation_usd", "cost", "accrual"),
    "fixed_opex": ("opex_usd", "cost", "both"),
    "maintenance": ("opex_usd", "cost", "both"),
    "generation_om": ("generation_om_usd", "cost", "both"),
    "colocation": ("opex_usd", "cost", "both"),
    "lease": ("lease_usd", "cost", "both"),
    "contract_cost": ("contract_cost_usd", "cost", "both"),
    "inference_revenue": ("revenue_usd", "revenue", "both"),
    "subscriptions": ("revenue_usd", "revenue", "both"),
    "other_revenue": ("revenue_usd", "revenue", "both"),
    "contract_revenue": ("contract_revenue_usd", "revenue", "both"),
    "interest": ("interest_usd", "cost", "both"),
    "principal": ("principal_usd", "cost", "cash"),
    "debt_drawn": ("debt_drawn_usd", "funding", "cash"),
}
"""Every ledger account, once: the monthly column it sums into, its ``direction`` (``cost``: money
paid or an expense; ``revenue``; ``funding``: cash received that is not revenue) and its
``basis`` (``cash``: a cash flow only, such as capex or principal; ``accrual``: an expense that
is no cash flow, depreciation; ``both``: a cash flow that is also an expense or income). Cash
burn sums the ``cash`` and ``both`` rows (costs positive, revenue and funding negative); the
expenses of the period are the ``accrual`` and ``both`` costs (operating cost without interest)."""

ACCOUNTS: dict[str, str] = {account: column for account, (column, _, _) in ACCOUNT_TABLE.items()}
"""Ledger account → the monthly money column it sums into."""
DIRECTIONS: dict[str, str] = {account: direction for account, (_, direction, _) in ACCOUNT_TABLE.items()}
BASES: dict[str, str] = {account: basis for account, (_, _, basis) in ACCOUNT_TABLE.items()}
LEDGER_COLUMNS = ["month", "site", "hardware", "account", "direction", "basis", "amount_usd", "owner", "user"]
"""Columns of ``Result.ledger`` (``owner`` and ``user`` are labelled by
:func:`fleetsim.accounting.owners.label_owners`; ``""`` when unnamed or fleet-wide)."""


def label_ledger(ledger):
    """``ledger`` (a :class:`~fleetsim.frame.Frame`) with each row's ``direction`` and ``basis``
    from :data:`ACCOUNT_TABLE`, in :data:`LEDGER_COLUMNS` order."""
    from fleetsim.frame import Frame

    names, which = np.unique(ledger["account"], return_inverse=True)
    columns = {**ledger.columns,
               "direction": np.array([DIRECTIONS[a] for a in names] or [""], dtype=object)[which.reshape(-1)],
               "basis": np.array([BASES[a] for a in names] or [""], dtype=object)[which.reshape(-1)]}
    return Frame({c: columns[c] for c in LEDGER_COLUMNS if c in columns}, months=ledger.months,
                 text={*ledger.text, "direction", "basis"})


ENERGY_COST_PARTS = ("purchased_energy_cost_usd", "fuel_cost_usd", "demand_charge_usd", "generation_om_usd",
                     "lost_load_cost_usd")
"""The money columns that make up ``energy_cost_usd``, the total energy cost: energy bought from
grid and PPA sources (with battery losses), turbine fuel, grid demand charges, the variable O&M
of on-site generation (part of its merit-order marginal cost; fixed O&M stays opex), and
unserved energy charged at a site's value of lost load."""

COMPOSITES: dict[str, tuple[str, ...]] = {"energy_cost_usd": ENERGY_COST_PARTS}
"""Monthly money columns that are sums of other money columns (and so of their ledger accounts)."""

ENERGY_COLUMNS = ["month", "site", "source", "kind", "energy_mwh", "cost_usd", "emissions_tco2"]
"""Columns of ``Result.energy``: energy served by each source (and unserved), its cost and CO2."""
