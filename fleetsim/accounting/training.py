"""Training runs: progress on their share of training capacity, and their attributed cost."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fleetsim.accounting import rules
from fleetsim.engine.plan import Plan

TRAINING_COLUMNS = ["name", "start", "end", "completed", "compute_flop", "h100e_hours", "energy_mwh",
                    "depreciation_usd", "energy_cost_usd", "cost_usd", "displaced_tokens", "displaced_revenue_usd"]


def training_runs(plan: Plan, monthly: pd.DataFrame) -> pd.DataFrame:
    """Runs take, in file order, their share of each month's training H100e-hours until their
    compute is met; each is charged depreciation and energy (purchased energy, fuel and demand
    charges) in proportion to its share of the fleet's available H100e-hours that month — the
    method Epoch AI uses to cost frontier runs (amortised hardware plus energy). What it displaced
    from inference is its H100e-hours × tokens per H100e-hour, at that month's token price."""
    pool = monthly.training_h100e_hours.to_numpy().copy()
    available = monthly.h100e_available.to_numpy() * plan.hours
    energy_costs = monthly.energy_cost_usd.to_numpy()  # purchased energy, fuel and demand charges
    start_text = [f"{(plan.start + run.start) // 12}-{(plan.start + run.start) % 12 + 1:02d}" for run in plan.training]
    records = []
    for run, start in zip(plan.training, start_text, strict=True):
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
        energy_cost = float(share @ energy_costs)
        records.append({
            "name": run.name, "start": start,
            "end": monthly.index[end].strftime("%Y-%m") if end is not None else "",
            "completed": end is not None,
            "compute_flop": used.sum() * rules.training_compute_per_h100e_hour(run.mfu),
            "h100e_hours": used.sum(), "energy_mwh": float(share @ monthly.energy_mwh.to_numpy()),
            "depreciation_usd": dep, "energy_cost_usd": energy_cost, "cost_usd": dep + energy_cost,
            "displaced_tokens": used.sum() * plan.finance.tokens_per_h100e_hour,
            "displaced_revenue_usd": float(used @ plan.finance.token_price_usd) * plan.finance.tokens_per_h100e_hour,
        })
    return pd.DataFrame(records, columns=TRAINING_COLUMNS)
