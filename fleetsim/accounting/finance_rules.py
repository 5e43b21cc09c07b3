"""Unit economics and financing as plain functions: demand, loans, cash, NPV and payback.

Every function works on numbers or 1-D numpy arrays of months and can be checked by hand.
"""

from __future__ import annotations

import numpy as np


def demand_served(capacity_tokens: np.ndarray, demand_tokens: np.ndarray, price: np.ndarray,
                  reference_price: float, elasticity: float) -> tuple[np.ndarray, np.ndarray]:
    """Tokens sold and tokens demanded but not served.

    Demand at price *p* is ``demand × (p / reference)^elasticity``; what sells is the smaller of it
    and the inference capacity.

    >>> demand_served(np.array([100.0]), np.array([100.0]), np.array([4.0]), 2.0, -1.0)
    (array([50.]), array([0.]))
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        scale = np.where(price > 0, (price / reference_price) ** elasticity, 1.0) if reference_price > 0 \
            else np.ones_like(price)
    wanted = demand_tokens * scale
    served = np.minimum(capacity_tokens, wanted)
    return served, np.maximum(wanted - served, 0.0)


def annuity_payment(principal: float, monthly_rate: float, months: int) -> float:
    """Level monthly payment repaying ``principal`` over ``months`` at ``monthly_rate``.

    >>> round(annuity_payment(100000.0, 0.09 / 12, 60), 2)
    2075.84
    """
    if monthly_rate == 0:
        return principal / months
    return principal * monthly_rate / (1.0 - (1.0 + monthly_rate) ** -months)


def loan_schedule(drawn: np.ndarray, yearly_rate: float, term: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Interest, principal repaid and balance at month end, for loans drawn each month.

    Each month's draw is a loan of its own, repaid in level payments over ``term`` months from
    the next month. Payments beyond the horizon are not shown.
    """
    months = len(drawn)
    interest, principal = np.zeros(months), np.zeros(months)
    rate = yearly_rate / 12.0
    for month in np.flatnonzero(drawn):
        balance = float(drawn[month])
        payment = annuity_payment(balance, rate, term)
        for t in range(month + 1, min(month + 1 + term, months)):
            charge = balance * rate
            interest[t] += charge
            principal[t] += payment - charge
            balance -= payment - charge
    balance = np.cumsum(drawn) - np.cumsum(principal)
    return interest, principal, balance


def cash_balance(start: float, raises: np.ndarray, burn: np.ndarray) -> np.ndarray:
    """Cash at each month end: start + Σ raises − Σ cash burn."""
    return start + np.cumsum(raises) - np.cumsum(burn)


def runway(balance: np.ndarray, burn: np.ndarray, window: int = 3) -> np.ndarray:
    """Months until cash runs out at the trailing ``window``-month mean burn (NaN, an empty cell,
    when not burning: outputs never hold a non-finite figure; 0 once cash is gone).

    >>> runway(np.array([300.0, 200.0, 100.0]), np.array([100.0, 100.0, 100.0])).tolist()
    [3.0, 2.0, 1.0]
    """
    from numpy.lib.stride_tricks import sliding_window_view

    head = [burn[:t + 1].mean() for t in range(min(window - 1, len(burn)))]  # fewer months than the window
    tail = sliding_window_view(burn, window).mean(axis=-1) if len(burn) >= window else np.zeros(0)
    trailing = np.concatenate([np.array(head, dtype=float), tail])
    with np.errstate(divide="ignore", invalid="ignore"):
        months = np.where(trailing > 0, balance / trailing, np.nan)
    return np.where(balance <= 0, 0.0, months)


def discount_factors(months: int, yearly_rate: float) -> np.ndarray:
    """``1 / (1 + rate)^(t/12)`` for t = 0 … months−1 (cash flows at the start of each month)."""
    return (1.0 + yearly_rate) ** (-np.arange(months) / 12.0)


def npv(cash_flows: np.ndarray, yearly_rate: float, residual: float = 0.0) -> float:
    """Net present value of monthly ``cash_flows`` plus a ``residual`` value after the last month.

    >>> abs(npv(np.array([-100.0] + [0.0] * 11), 0.1, residual=110.0)) < 1e-9
    True
    """
    factors = discount_factors(len(cash_flows) + 1, yearly_rate)
    return float(cash_flows @ factors[:-1] + residual * factors[-1])


def payback_month(cash_flows: np.ndarray) -> int | None:
    """First month at which cumulative cash flow, once negative, is back to zero or above.

    >>> payback_month(np.array([-100.0, 40.0, 40.0, 40.0]))
    3
    """
    cumulative = np.cumsum(cash_flows)
    negative = np.flatnonzero(cumulative < 0)
    if not len(negative):
        return None
    after = np.flatnonzero(cumulative[negative[0]:] >= 0)
    return int(negative[0] + after[0]) if len(after) else None
