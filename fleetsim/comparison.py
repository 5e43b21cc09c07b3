"""Scenarios side by side: headline figures, differences and ratios to the first."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from fleetsim.accounting import finance_rules
from fleetsim.errors import FleetsimWarning
from fleetsim.result import Result
from fleetsim.scenario.load import Scenario, load
from fleetsim.simulation import simulate

HEADLINES: dict[str, str] = {
    "peak_facility_power_mw": "MW",
    "h100e_end": "H100e",
    "capex_usd": "USD",
    "cash_burn_usd_mean_monthly": "USD",
    "cash_out_month": "month",
    "cost_per_h100e_hour_usd": "USD/h",
    "cost_per_mtok_usd": "USD/Mtok",
    "npv_usd": "USD",
}
"""Figures compared, with their units (``cash_out_month`` is the first month cash runs out)."""


def headlines(result: Result, discount_rate: float) -> dict[str, object]:
    """The compared figures of one result."""
    m = result.monthly
    summary = result.summary()
    out_of_cash = m.index[m.cash_balance_usd < 0]
    mtok = m.tokens.sum() / 1e6
    return {
        "peak_facility_power_mw": summary["peak_facility_power_mw"],
        "h100e_end": summary["h100e_end"],
        "capex_usd": summary["capex_usd_total"],
        "cash_burn_usd_mean_monthly": summary["cash_burn_usd_mean_monthly"],
        "cash_out_month": str(out_of_cash[0]) if len(out_of_cash) else "",
        "cost_per_h100e_hour_usd": summary["cost_per_h100e_hour_usd"],
        "cost_per_mtok_usd": float(m.inference_cost_usd.sum() / mtok) if mtok > 0 else float("nan"),
        "npv_usd": finance_rules.npv(-m.cash_burn_usd.to_numpy(), discount_rate),
    }


def compare(scenarios: Sequence[Scenario | str | Path]) -> pd.DataFrame:
    """Simulate each scenario; one row per headline figure, one column per scenario, then the
    difference and ratio of each later scenario to the first (``B - A``, ``B / A``)."""
    loaded = [s if isinstance(s, Scenario) else load(s) for s in scenarios]
    if len(loaded) < 2:
        raise ValueError("compare needs at least two scenarios")
    names = _unique([s.name for s in loaded])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FleetsimWarning)
        figures = {name: headlines(simulate(s), s.spec.finance.discount_rate) for name, s in zip(names, loaded,
                                                                                                strict=True)}
    table = pd.DataFrame(figures)
    table.insert(0, "unit", [HEADLINES[row] for row in table.index])
    table.index.name = "figure"
    base = names[0]
    numeric = [row for row in table.index if row != "cash_out_month"]
    for name in names[1:]:
        a = table.loc[numeric, base].astype(float)
        b = table.loc[numeric, name].astype(float)
        table[f"{name} - {base}"] = pd.Series(b - a, dtype=object)
        with np.errstate(divide="ignore", invalid="ignore"):
            table[f"{name} / {base}"] = pd.Series(np.where(a != 0, b / a, np.nan), index=numeric, dtype=object)
    return table


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out
