"""Training runs: progress on their share of training capacity, and what they are charged.

A run takes, in file order, its ``share`` of each month's training H100e-hours from its start
until its budget (H100e-hours, from FLOP and MFU, from accelerators × duration, or given) is met.
It is charged what it uses (docs/model.md, "Training runs"):

- energy: the hours it uses at the *busy* draw, at each site's mean total energy cost;
- hardware: by ``valuation: book``, the depreciation of the energised hardware per available
  H100e-hour (stranded hardware is not charged to runs); by ``valuation: replacement``, the
  hardware's value at the run's start amortised at ``replacement_rate`` per year (Epoch AI's
  method, Cottier et al., "The rising costs of training frontier AI models", arXiv 2405.21015,
  2024); leased hardware, its lease per installed accelerator-hour, either way;
- facility and generation depreciation only with ``charge_facility: true``.
"""

from __future__ import annotations

import numpy as np

from fleetsim.accounting import rules
from fleetsim.engine.model import HOURS_PER_YEAR, Trace
from fleetsim.engine.plan import Plan
from fleetsim.frame import Frame
from fleetsim.months import to_text

TRAINING_COLUMNS = ["name", "start", "end", "completed", "method", "sized_in", "compute_flop", "h100e_hours",
                    "energy_mwh", "depreciation_usd", "lease_usd", "facility_usd", "energy_cost_usd", "cost_usd",
                    "displaced_tokens", "displaced_revenue_usd"]


def _per_hour(amount: np.ndarray, available: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(available > 0, amount / available, 0.0)


def training_runs(plan: Plan, trace: Trace, monthly: Frame, pue: np.ndarray, site_cost_usd: np.ndarray,
                  site_energy_mwh: np.ndarray, site_depreciation_usd: np.ndarray,
                  depreciation: np.ndarray | None = None) -> Frame:
    """One row per run (see the module's rules); ``monthly`` is the monthly column table.
    ``pue``, ``site_cost_usd`` (total energy cost) and ``site_energy_mwh`` (facility energy) are
    months × sites; ``site_depreciation_usd`` is the month's facility and generation depreciation;
    ``depreciation`` the cohorts' (months × cohorts,
    :func:`fleetsim.accounting.cohorts.cohort_flows`; computed when not given)."""
    if not plan.training:
        return Frame.empty(TRAINING_COLUMNS)
    c, f, hours = plan.cohorts, plan.finance, plan.hours
    avail = trace.available_hours
    available = avail @ c.h100e
    full_mwh = avail * c.unit_it_mw[None, :] * pue[:, c.site]  # months × cohorts at full load
    with np.errstate(divide="ignore", invalid="ignore"):
        unit_cost = np.where(site_energy_mwh > 0, site_cost_usd / site_energy_mwh, 0.0)
    energy_per_hour = _per_hour(plan.busy_draw * full_mwh.sum(axis=1), available)
    cost_per_hour = _per_hour(plan.busy_draw * (full_mwh * unit_cost[:, c.site]).sum(axis=1), available)
    if depreciation is None:
        bought = (c.count * c.price * ~c.leased).astype(float)
        schedule = rules.schedule_for(f.depreciation_method, f.depreciation_rate, f.salvage)
        depreciation = rules.depreciation(bought, c.delivery, c.life, plan.months, schedule)
    energised = trace.installed / np.maximum(c.count, 1)[None, :]
    book_per_hour = _per_hour((depreciation * energised).sum(axis=1), available)
    lease_per_hour = _per_hour((trace.installed * c.lease_rate[None, :]).sum(axis=1) * hours, available)
    facility_per_hour = _per_hour(site_depreciation_usd, available)
    training_hours = np.asarray(monthly["training_h100e_hours"])
    pool = training_hours.copy()
    records = []
    for run in plan.training:
        used = np.zeros(plan.months)
        end = None
        for t in range(max(run.start, 0), plan.months):
            take = min(run.share * training_hours[t], pool[t], run.need_h100e_hours - used.sum())
            used[t] = max(take, 0.0)
            pool[t] -= used[t]
            if used.sum() >= run.need_h100e_hours * (1 - 1e-12):
                end = t
                break
        if run.valuation == "replacement":
            age_years = np.maximum(run.start - c.delivery, 0) / 12.0
            value = c.price * np.exp(-run.replacement_rate * age_years) * ~c.leased  # 10^(−0.14 × age) at 0.322
            hardware_per_hour = _per_hour(avail @ (value * run.replacement_rate / HOURS_PER_YEAR), available)
        else:
            hardware_per_hour = book_per_hour
        hardware = float(used @ hardware_per_hour)
        lease = float(used @ lease_per_hour)
        facility = float(used @ facility_per_hour) if run.charge_facility else 0.0
        energy_cost = float(used @ cost_per_hour)
        start = plan.start + run.start
        records.append({
            "name": run.name, "start": to_text(start),
            "end": to_text(int(monthly["month"][end])) if end is not None else "",
            "completed": end is not None, "method": run.valuation, "sized_in": run.sized_in,
            "compute_flop": used.sum() * rules.training_compute_per_h100e_hour(run.mfu)
            if run.sized_in == "compute" else np.nan,
            "h100e_hours": used.sum(), "energy_mwh": float(used @ energy_per_hour),
            "depreciation_usd": hardware, "lease_usd": lease, "facility_usd": facility,
            "energy_cost_usd": energy_cost, "cost_usd": hardware + lease + facility + energy_cost,
            "displaced_tokens": used.sum() * f.tokens_per_h100e_hour,
            "displaced_revenue_usd": float(used @ f.token_price_usd) * f.tokens_per_h100e_hour,
        })
    if not records:
        return Frame.empty(TRAINING_COLUMNS)
    texts = ("name", "start", "end", "method", "sized_in")
    return Frame({column: np.array([r[column] for r in records], dtype=object if column in texts else None)
                  for column in TRAINING_COLUMNS})
