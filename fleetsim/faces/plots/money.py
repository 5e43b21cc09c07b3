"""Charts of money: operating cost by part, cash (burn, revenue, balance), unit costs."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from fleetsim.faces import html
from fleetsim.faces.plots.style import (
    COLORS,
    _legend,
    _months,
    _new,
    _peak,
    _value_axis,
    money_scale,
    per_available_hour,
)

if TYPE_CHECKING:
    from fleetsim.result import Result


COST_PARTS = {"purchased_energy_cost_usd": "energy: purchased", "fuel_cost_usd": "energy: fuel",
              "demand_charge_usd": "energy: demand charges", "generation_om_usd": "energy: generation O&M",
              "lost_load_cost_usd": "energy: lost load",
              "depreciation_usd": "depreciation (accrual)", "opex_usd": "opex (fixed + maintenance)",
              "lease_usd": "leases", "contract_cost_usd": "capacity bought (contracts)"}
"""The parts of ``operating_cost_usd``, stacked bottom to top, with their legend labels; the first
five make up the total energy cost, ``energy_cost_usd`` (its parts are
:data:`fleetsim.accounting.columns.ENERGY_COST_PARTS`; a test keeps the two in step)."""
FINANCING = {"interest_usd": "interest (financing)"}
"""Costs outside operating cost that the cost chart stacks on top of it."""
COST_COLORS = {"purchased_energy_cost_usd": "#e6ab02", "fuel_cost_usd": "#a6761d", "demand_charge_usd": "#e7298a",
               "generation_om_usd": "#1b9e77", "lost_load_cost_usd": "#000000",
               "depreciation_usd": "#7570b3", "opex_usd": "#999999", "lease_usd": "#66a61e",
               "contract_cost_usd": "#1f78b4",
               "interest_usd": "#d95f02"}


def cost_parts(result: Result, parts: dict[str, str] = COST_PARTS) -> list[str]:
    """The cost columns of ``parts`` this result has, leaving out those that are zero throughout."""
    m = result.monthly
    present = [c for c in parts if c in m.columns]
    return [c for c in present if m[c].abs().sum() > 0] or present[:1]


def costs(result: Result) -> Figure:
    """The monthly operating cost stacked by part: energy (purchased energy, fuel, demand
    charges), depreciation, opex and leases, with interest on debt on top when there is any."""
    m = result.monthly
    figure, ax = _new(result, "monthly cost")
    parts = cost_parts(result) + [c for c in FINANCING if c in m.columns and m[c].abs().sum() > 0]
    factor, unit = money_scale(_peak(m[parts].sum(axis=1)))
    labels = {**COST_PARTS, **FINANCING}
    ax.stackplot(_months(result), *[m[c].to_numpy(dtype=float) * factor for c in parts],
                 labels=[labels[c] for c in parts], colors=[COST_COLORS[c] for c in parts], step="post", alpha=0.85)
    _value_axis(ax, f"cost [{unit} per month]")
    ax.set_ylim(bottom=0)
    _legend(ax)
    return figure


def cash(result: Result) -> Figure:
    """Monthly cash burn (energy + capex + opex + debt service − revenue − debt drawn) and revenue
    above; below, on an axis of its own with its zero drawn, cumulative cash and the cash balance
    after raises when the scenario has one, with the month the balance first falls below zero
    marked."""
    m = result.monthly
    figure, ax = _new(result, "cash burn, revenue and cash", rows=2)
    below = figure.axes[1]
    factor, unit = money_scale(_peak(m.cash_burn_usd, m.revenue_usd))
    t = _months(result)
    ax.bar(t, m.cash_burn_usd * factor, width=25, align="edge", color=COLORS["burn"], alpha=0.7,
           label="cash burn (spending − revenue)")
    ax.step(t, m.revenue_usd * factor, where="post", color=COLORS["revenue"], linewidth=2, label="revenue")
    ax.axhline(0.0, color="black", linewidth=0.8)
    _value_axis(ax, f"{unit} per month")
    balance = "cash_balance_usd" in m.columns and not np.allclose(m.cash_balance_usd, m.cumulative_cash_usd)
    cash_factor, cash_unit = money_scale(_peak(m.cumulative_cash_usd, *([m.cash_balance_usd] if balance else [])))
    below.plot(t, m.cumulative_cash_usd * cash_factor, color=COLORS["cash"], linewidth=2,
               label="cumulative cash, −Σ burn")
    if balance:
        below.plot(t, m.cash_balance_usd * cash_factor, color=COLORS["cash"], linewidth=1.5, linestyle="--",
                   label="cash balance after raises")
        out = html.cash_shortfall(m)["runs_out"]
        if out is not None:
            below.axvline(pd.Period(out, freq="M").to_timestamp(), color=COLORS["burn"], linewidth=1.5,
                          linestyle=":", label=f"cash runs out ({out})")
    below.axhline(0.0, color="black", linewidth=0.8)
    _value_axis(below, f"cash [{cash_unit}]")
    _legend(ax, below)
    return figure


def unit_costs(result: Result) -> Figure:
    """Operating cost per available H100e-hour, stacked by part, against revenue per H100e-hour;
    below, when the fleet serves tokens, the cost and break-even price of a million tokens against
    the price it sells at."""
    m = result.monthly
    per_token = "cost_per_mtok_usd" in m.columns and bool(m.tokens.sum() > 0)
    figure, ax = _new(result, "unit costs", rows=2 if per_token else 1)
    t = _months(result)
    parts = cost_parts(result)
    ax.stackplot(t, *[np.nan_to_num(per_available_hour(result, c).to_numpy()) for c in parts],
                 labels=[COST_PARTS[c] for c in parts], colors=[COST_COLORS[c] for c in parts], step="post",
                 alpha=0.85)
    ax.step(t, per_available_hour(result, "revenue_usd"), where="post", color=COLORS["revenue"], linewidth=2,
            label="revenue per H100e-hour")
    _value_axis(ax, "USD per available H100e-hour")
    ax.set_ylim(bottom=0)
    axes = [ax]
    if per_token:
        tokens = figure.axes[1]
        mtok = m.tokens.to_numpy() / 1e6
        with np.errstate(divide="ignore", invalid="ignore"):
            price = np.where(mtok > 0, m.inference_revenue_usd.to_numpy() / mtok, np.nan)
        tokens.step(t, m.cost_per_mtok_usd, where="post", color=COLORS["burn"], linewidth=2,
                    label="inference cost per Mtok")
        tokens.step(t, m.breakeven_price_per_mtok_usd, where="post", color=COLORS["cash"], linewidth=1.5,
                    linestyle="--", label="break-even price per Mtok")
        tokens.step(t, price, where="post", color=COLORS["revenue"], linewidth=2, label="price realised per Mtok")
        _value_axis(tokens, "USD per million tokens")
        tokens.set_ylim(bottom=0)
        axes.append(tokens)
    _legend(*axes)
    return figure
