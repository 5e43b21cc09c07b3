"""Dispatch: which source serves each month's facility energy, and what it costs and emits.

Rules (the README gives them with their equations):

Each source's part follows its kind's roles (:data:`fleetsim.scenario.supply.ROLES`), never its
kind's name:

1. *Merit order.* Each month, sources that serve energy (``IMPORTED`` or ``GENERATION``: grid,
   PPA, gas turbines) are sorted by marginal cost — grid or PPA energy price; a turbine's heat rate × fuel price +
   variable O&M — and serve the month's facility energy cheapest first, each up to its capacity
   × the month's hours. What no source can serve is *unserved*, never dropped.
2. *Billed grid peak.* The month's peak demand is the working accelerators' full-load IT power ×
   busy draw × PUE. Sources cheaper than a ``PEAK_BILLED`` source (grid) cover the peak first (up
   to their capacity); ``STORAGE`` (batteries) then shaves up to ``min(power, energy ÷ peak
   window)``; each peak-billed source is billed its demand charge on what remains, up to its
   capacity.
3. *Battery losses.* The energy storage shifts each day (shave × window) loses
   ``1/round_trip − 1`` of itself, charged at the month's cheapest source price.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from fleetsim.engine.supply_plan import SourcePlan
from fleetsim.scenario.supply import SERVES, Role


@dataclass
class Dispatch:
    """Per month × source: energy (MWh) and its costs (USD) and emissions (tCO2)."""

    energy_mwh: np.ndarray
    energy_usd: np.ndarray
    fuel_usd: np.ndarray
    om_usd: np.ndarray
    demand_usd: np.ndarray
    emissions_t: np.ndarray
    unserved_mwh: np.ndarray
    battery_losses_usd: np.ndarray


def merit_order(demand_mwh: float, capacity_mwh: np.ndarray, marginal: np.ndarray) -> tuple[np.ndarray, float]:
    """Serve ``demand_mwh`` from sources cheapest first; return energy per source and unserved.

    >>> merit_order(100.0, np.array([80.0, 50.0]), np.array([60.0, 30.0]))
    (array([50., 50.]), 0.0)
    >>> merit_order(100.0, np.array([20.0, 30.0]), np.array([60.0, 30.0]))
    (array([20., 30.]), 50.0)
    """
    served = np.zeros(len(capacity_mwh))
    remaining = demand_mwh
    for k in np.argsort(marginal, kind="stable"):
        served[k] = min(remaining, capacity_mwh[k])
        remaining -= served[k]
    return served, float(max(remaining, 0.0))


def billed_peaks(peak_mw: float, capacity_mw: np.ndarray, marginal: np.ndarray, peak_billed: np.ndarray,
                 shave_mw: float) -> tuple[np.ndarray, float]:
    """Billed peak of each peak-billed (grid) source (MW) and the battery shave used (MW).

    >>> billed_peaks(100.0, np.array([200.0, 30.0]), np.array([80.0, 40.0]), np.array([True, False]), 20.0)
    (array([50.,  0.]), 20.0)
    """
    billed = np.zeros(len(capacity_mw))
    remaining = peak_mw
    shave_used = 0.0
    for k in np.argsort(marginal, kind="stable"):
        if peak_billed[k]:
            if shave_used == 0.0 and shave_mw > 0:
                shave_used = min(shave_mw, max(remaining, 0.0))
                remaining -= shave_used
            billed[k] = min(max(remaining, 0.0), capacity_mw[k])
        remaining -= min(max(remaining, 0.0), capacity_mw[k])
    return billed, shave_used


def merit_orders(demand_mwh: np.ndarray, capacity_mwh: np.ndarray, marginal: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """:func:`merit_order` of every month at once: ``demand_mwh`` (months), ``capacity_mwh`` and
    ``marginal`` (months × sources); the same numbers, one step per source rank, not per month."""
    months, count = capacity_mwh.shape
    served = np.zeros((months, count))
    remaining = np.asarray(demand_mwh, dtype=float).copy()
    rows = np.arange(months)
    for k in np.argsort(marginal, axis=1, kind="stable").T:
        take = np.minimum(remaining, capacity_mwh[rows, k])
        served[rows, k] = take
        remaining = remaining - take
    return served, np.maximum(remaining, 0.0)


def billed_peaks_monthly(peak_mw: np.ndarray, capacity_mw: np.ndarray, marginal: np.ndarray, peak_billed: np.ndarray,
                         shave_mw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`billed_peaks` of every month at once (months × sources arrays; ``peak_mw`` and
    ``shave_mw`` per month): the same numbers, one step per source rank, not per month."""
    months, count = capacity_mw.shape
    billed = np.zeros((months, count))
    remaining = np.asarray(peak_mw, dtype=float).copy()
    shave_used = np.zeros(months)
    rows = np.arange(months)
    for k in np.argsort(marginal, axis=1, kind="stable").T:
        grid = peak_billed[k]
        shave = grid & (shave_used == 0.0) & (shave_mw > 0)
        cut = np.minimum(shave_mw, np.maximum(remaining, 0.0))
        shave_used = np.where(shave, cut, shave_used)
        remaining = np.where(shave, remaining - cut, remaining)
        take = np.minimum(np.maximum(remaining, 0.0), capacity_mw[rows, k])
        billed[rows, k] = np.where(grid, take, 0.0)
        remaining = remaining - take
    return billed, shave_used


def dispatch(sources: list[SourcePlan], demand_mwh: np.ndarray, peak_mw: np.ndarray,
             hours: np.ndarray) -> Dispatch:
    """Dispatch a site's monthly facility energy over its sources (see the module's rules)."""
    months, count = len(demand_mwh), len(sources)
    serving = np.array([s.has(SERVES) for s in sources], dtype=bool)
    peak_billed = np.array([s.has(Role.PEAK_BILLED) for s in sources], dtype=bool)
    capacity = np.array([s.capacity_mw for s in sources]).reshape(count, months).T
    marginal = np.array([s.marginal_usd_per_mwh for s in sources]).reshape(count, months).T
    marginal_serving = np.where(serving[None, :], marginal, np.inf)
    batteries = [s for s in sources if s.has(Role.STORAGE)]
    shave = np.sum([s.shave_mw for s in batteries], axis=0) if batteries else np.zeros(months)
    energy, unserved = merit_orders(demand_mwh, np.where(serving[None, :], capacity * hours[:, None], 0.0),
                                    marginal_serving)
    billed, used = billed_peaks_monthly(peak_mw, np.where(serving[None, :], capacity, 0.0), marginal_serving,
                                        peak_billed, shave)
    losses_usd = np.zeros(months)
    if batteries and months:
        window = max(b.window_hours for b in batteries)
        round_trip = min(b.round_trip for b in batteries)
        shifted = used * window * hours / 24.0
        cheapest = marginal_serving[:, serving].min(axis=1)
        losses_usd = np.where(used > 0, shifted * (1.0 / round_trip - 1.0) * cheapest, 0.0)
    energy_price = np.array([s.energy_usd_per_mwh for s in sources]).reshape(count, months).T
    fuel = np.array([s.fuel_usd_per_mwh for s in sources]).reshape(count, months).T
    om = np.array([s.om_usd_per_mwh for s in sources])
    carbon = np.array([s.carbon_t_per_mwh for s in sources]).reshape(count, months).T
    demand_rate = np.array([s.demand_usd_per_mw_month for s in sources])
    return Dispatch(
        energy_mwh=energy, energy_usd=energy * energy_price, fuel_usd=energy * fuel, om_usd=energy * om[None, :],
        demand_usd=billed * demand_rate[None, :], emissions_t=energy * carbon, unserved_mwh=unserved,
        battery_losses_usd=losses_usd,
    )
