"""Accounting rules as plain functions on numbers and numpy arrays, each checkable by hand.

Conventions (see docs/how-it-works.md, "Conventions of time and money"): months are offsets from the
scenario start; money is USD; energy MWh; prices USD/MWh; a year is 12 months for escalation,
depreciation and maintenance rates.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from fleetsim.catalog import H100_FLOPS

__all__ = [
    "declining_balance_fractions",
    "depreciation",
    "escalate",
    "facility_capex",
    "facility_depreciation",
    "on_books",
    "straight_line_fractions",
    "training_compute_per_h100e_hour",
]

def escalate(price: np.ndarray, escalation: float) -> np.ndarray:
    """Price in each month: ``price × (1 + escalation)^(months since start ÷ 12)``.

    >>> escalate(np.array([80.0, 80.0, 80.0]), 0.02)[0]
    np.float64(80.0)
    """
    months = np.arange(len(price))
    return price * (1.0 + escalation) ** (months / 12.0)


def straight_line_fractions(life: int, salvage: float = 0.0) -> np.ndarray:
    """Share of price charged in each month of ``life``: ``(1 − salvage) ÷ life``.

    >>> straight_line_fractions(4, 0.2)
    array([0.2, 0.2, 0.2, 0.2])
    """
    return np.full(life, (1.0 - salvage) / life)


def declining_balance_fractions(life: int, rate: float, salvage: float = 0.0) -> np.ndarray:
    """Declining balance at ``rate`` per year (``rate/12`` a month on book value), switching to
    straight line over the remaining months when that is larger, ending at salvage.

    >>> declining_balance_fractions(3, 1.2).round(4)
    array([0.3333, 0.3333, 0.3333])
    """
    fractions = np.zeros(life)
    book = 1.0
    for age in range(life):
        remaining = life - age
        charge = max(book * rate / 12.0, (book - salvage) / remaining)
        charge = min(charge, book - salvage)
        fractions[age] = charge
        book -= charge
    return fractions


def schedule_for(method: str, rate: float | None = None, salvage: float = 0.0):
    """The ``life → fractions`` function of a depreciation method (``straight_line`` or
    ``declining_balance`` at a yearly ``rate``)."""
    if method == "declining_balance":
        return partial(declining_balance_fractions, rate=rate, salvage=salvage)
    return partial(straight_line_fractions, salvage=salvage)


def depreciation(cost: np.ndarray, delivery: np.ndarray, life: np.ndarray, months: int,
                 fractions) -> np.ndarray:
    """Monthly charges, months × cohorts: ``cost × fractions(life)[age]`` from delivery on.

    ``fractions`` maps a life in months to the share of cost charged at each age.
    """
    out = np.zeros((months, len(cost)))
    t = np.arange(months)[:, None]
    for value in np.unique(life):
        columns = np.flatnonzero(life == value)
        schedule = fractions(int(value))
        age = t - delivery[columns][None, :]
        inside = (age >= 0) & (age < value)
        out[:, columns] = np.where(inside, cost[columns] * schedule[np.clip(age, 0, value - 1)], 0.0)
    return out


def on_books(delivery: np.ndarray, life: np.ndarray, months: int) -> np.ndarray:
    """Months × cohorts mask: delivered and not yet retired (``delivery ≤ t < delivery + life``)."""
    t = np.arange(months)[:, None]
    return (t >= delivery) & (t < delivery + life)


def facility_capex(halls_mw: np.ndarray, construction_usd_per_mw: float) -> np.ndarray:
    """Capex of data halls added each month: ``cost per MW of IT × hall MW (of IT) added``.

    Halls in force at the start are charged in the first month; reductions cost nothing. Power
    sources (grid, turbines, batteries) add no hall capex: they carry their own.

    >>> facility_capex(np.array([100.0, 100.0, 150.0]), 10e6)
    array([1.e+09, 0.e+00, 5.e+08])
    """
    added = np.diff(halls_mw, prepend=0.0).clip(min=0.0)
    return construction_usd_per_mw * added


def facility_depreciation(capex: np.ndarray, life: int) -> np.ndarray:
    """Straight-line depreciation of each month's facility capex over ``life`` months.

    >>> facility_depreciation(np.array([120.0, 0.0, 0.0, 0.0]), 2)
    array([60., 60.,  0.,  0.])
    """
    cumulative = np.concatenate([[0.0], np.cumsum(capex)])
    t = np.arange(len(capex))
    return (cumulative[t + 1] - cumulative[np.maximum(t + 1 - life, 0)]) / life


def mean_draw(utilization: np.ndarray, busy: float, idle: float) -> np.ndarray:
    """Mean fraction of full-load IT power drawn by available accelerators: ``u × busy + (1 − u) × idle``
    (the one place the books, the cohort table take it from).

    >>> mean_draw(np.array([0.8]), 0.75, 0.25)
    array([0.65])
    """
    return utilization * busy + (1.0 - utilization) * idle


def training_compute_per_h100e_hour(mfu: float) -> float:
    """FLOP delivered by one H100e-hour of training: ``989 TFLOP/s × 3600 s × MFU``.

    >>> training_compute_per_h100e_hour(0.5)
    1.7802e+18
    """
    return H100_FLOPS * 3600.0 * mfu
