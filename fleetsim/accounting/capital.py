"""The cost of capital: the capital charge that recovers each asset's capex over its life.

A capex ``C`` paid in month τ on an asset of ``n`` months' life, at a yearly cost of capital
``r`` (monthly rate ``i = r ÷ 12``, as loans in :mod:`fleetsim.accounting.finance_rules`), is
recovered by a level monthly charge from τ to τ + n − 1:

    charge = (C − S × (1 + i)^−n) × i ÷ (1 − (1 + i)^−n)        (= (C − S) ÷ n when i = 0)

where ``S`` is the salvage value at the end of life (hardware only). The charge's present value
at ``i`` equals the capex less the present value of salvage: it is the rent that would just
repay the investment with its return, the capital-recovery factor of engineering economics.
At a zero rate it is straight-line depreciation.
"""

from __future__ import annotations

import numpy as np


def recovery_factor(yearly_rate: float, life_months: int, salvage: float = 0.0) -> float:
    """Monthly charge per unit of capex: ``(1 − s (1+i)^−n) × i ÷ (1 − (1+i)^−n)``, ``i = r/12``.

    >>> round(recovery_factor(0.0, 60), 6), round(recovery_factor(0.09, 60) * 100000.0, 2)
    (0.016667, 2075.84)
    """
    n = max(int(life_months), 1)
    i = yearly_rate / 12.0
    if i == 0:
        return (1.0 - salvage) / n
    return (1.0 - salvage * (1.0 + i) ** -n) * i / (1.0 - (1.0 + i) ** -n)


def capital_charge(capex: np.ndarray, yearly_rate: float, life_months: int) -> np.ndarray:
    """Monthly capital charge of each month's ``capex`` (a months array), each recovered over
    ``life_months`` from the month it is paid; charges beyond the horizon are not shown.

    >>> capital_charge(np.array([120.0, 0.0, 0.0, 0.0]), 0.0, 2)
    array([60., 60.,  0.,  0.])
    """
    n = max(int(life_months), 1)
    cumulative = np.concatenate([[0.0], np.cumsum(capex)])
    t = np.arange(len(capex))
    in_service = cumulative[t + 1] - cumulative[np.maximum(t + 1 - n, 0)]
    return in_service * recovery_factor(yearly_rate, n)


def hardware_charge(bought: np.ndarray, delivery: np.ndarray, life: np.ndarray, months: int,
                    yearly_rate: float, salvage: float) -> np.ndarray:
    """Months × cohorts: each bought cohort's capex (``bought``, USD) recovered over its life from
    its delivery month, salvage (a share of capex) left at the end."""
    t = np.arange(months)[:, None]
    factors = np.array([recovery_factor(yearly_rate, n, salvage) for n in life])
    on_books = (t >= delivery[None, :]) & (t < (delivery + life)[None, :])
    return on_books * (bought * factors)[None, :]
