"""Energy that nobody supplies is not free.

Batteries store energy, they do not supply it; grid, PPA and turbines deliver at most their
capacity × the month's hours. When a site's facility energy exceeds that, either

- *(default)* the hours it would have powered are lost: every accelerator of the site runs the
  share ``deliverable ÷ demand`` of its available hours, so tokens, revenue and training progress
  fall in proportion; lost busy hours come out of training first (inference is served first,
  :func:`training_first`); or
- the site sets ``value_of_lost_load``: the hardware runs and each unserved MWh is charged at that
  value (the ``lost_load`` account, in the energy cost).

Hours lost to capacity curtailment in the engine (full-load power above capacity) follow the same
priority.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from fleetsim.engine.model import Trace
from fleetsim.engine.plan import Plan

ROUNDS = 20
"""Most rescalings: one suffices unless utilization depends on the hours (demand with idle spare)."""
MARGIN = 1e-12
"""Scaled demand sits this relative margin below the deliverable energy, so dispatch serves it all."""


def training_first(plan: Plan, nominal_h100e_hours: np.ndarray, h100e_hours: np.ndarray) -> np.ndarray:
    """Each month's training share of busy time once power losses are taken out of training first.

    ``nominal`` H100e-hours are those installed working hardware would have given with power,
    ``h100e_hours`` what power allowed. Lost busy hours ``(nominal − actual) × u`` come out of the
    nominal training hours ``nominal × u × training_share``; inference keeps its hours until
    training has none left.

    >>> from types import SimpleNamespace
    >>> p = SimpleNamespace(utilization=np.array([1.0]), training_share=np.array([0.5]))
    >>> training_first(p, np.array([100.0]), np.array([80.0]))
    array([0.375])
    """
    u, share = plan.utilization, plan.training_share
    lost_busy = (nominal_h100e_hours - h100e_hours) * u
    training = np.maximum(nominal_h100e_hours * u * share - lost_busy, 0.0)
    busy = h100e_hours * u
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(busy > 0, training / np.where(busy > 0, busy, 1.0), share)


def deliverable_mwh(plan: Plan) -> np.ndarray:
    """Months × sites: the energy a site's grid, PPA and turbines can deliver (capacity × hours)."""
    return np.array([site.deliverable_mw for site in plan.sites], dtype=float).reshape(
        len(plan.sites), plan.months).T * plan.hours[:, None]


def supply(plan: Plan, trace: Trace, site_energy: Callable[[np.ndarray], np.ndarray]) -> tuple[Trace, np.ndarray]:
    """The trace with each lost-hours site's available hours scaled so its facility energy
    (``site_energy(available_hours)``, months × sites) fits what its sources deliver, and the
    accelerator-hours taken (months × cohorts)."""
    lose = np.array([site.value_of_lost_load is None for site in plan.sites], dtype=bool)
    deliverable = deliverable_mwh(plan)
    available = trace.available_hours.copy()
    for _ in range(ROUNDS):
        demand = site_energy(available)
        short = lose[None, :] & (demand > deliverable)
        if not short.any():
            break
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(short, deliverable / np.where(short, demand, 1.0) * (1 - MARGIN), 1.0)
        available *= ratio[:, plan.cohorts.site]
    return replace(trace, available_hours=available), trace.available_hours - available
