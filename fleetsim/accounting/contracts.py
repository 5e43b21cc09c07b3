"""Capacity contracts in the books: hours sold and bought, contract revenue and cost.

Each month, in file order, a sold contract takes its H100e-hours from the available hours of the
(site, hardware) groups it may draw on, pro rata to what each has left; what it cannot get is a
shortfall (the seller is paid for the hours it delivers, and warned). A bought contract adds its
H100e-hours to the fleet's own use. Revenue and cost are the price times the accelerator-hours
(H100e-hours for an ``h100e`` amount) delivered, plus in the notice months after a cancellation
the take-or-pay share of what would have been delivered; a price per month is charged as the
month's ramped share of it, scaled alike. See docs/model.md, *Capacity contracts*.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from fleetsim import months as _months
from fleetsim.scenario.contracts import Contract, describe, holding, schedule, shortfalls

CONTRACT_COLUMNS = ["month", "contract", "counterparty", "side", "site", "hardware", "contracted_h100e_hours",
                    "delivered_h100e_hours", "shortfall_h100e_hours", "notice_h100e_hours", "revenue_usd",
                    "cost_usd", "take_or_pay_usd"]
"""Columns of ``Result.contracts``: one row per contract and month it runs within the horizon.
``contracted`` H100e-hours are what the contract calls for in a month it delivers (after any
pro-rata cut), ``delivered`` what the seller's available hours gave, ``shortfall`` the
difference; ``notice`` H100e-hours are those the notice months would have delivered (charged at
take-or-pay, never delivered); ``take_or_pay_usd`` is the part of revenue or cost charged on them."""


@dataclass
class Settlement:
    """What the contracts do to a month × group table of available H100e-hours."""

    sold: np.ndarray                     # months × groups: H100e-hours sold from each group
    bought: np.ndarray                   # months: H100e-hours bought
    revenue: np.ndarray                  # months: contract revenue, USD
    cost: np.ndarray                     # months: contract cost, USD
    rows: list = field(default_factory=list)       # ledger rows (account, site, hardware, values)
    table: pd.DataFrame | None = None
    warnings: list[str] = field(default_factory=list)

    def own(self, h100e_hours: np.ndarray) -> np.ndarray:
        """Months × (groups + 1): each group's H100e-hours less those sold, then the hours bought."""
        return np.column_stack([h100e_hours - self.sold, self.bought])


def none(months: int, groups: int) -> Settlement:
    """No contracts: nothing sold or bought."""
    return Settlement(np.zeros((months, groups)), np.zeros(months), np.zeros(months), np.zeros(months),
                      table=pd.DataFrame(columns=CONTRACT_COLUMNS))


def settle(plan, groups: list[tuple[str, str]], available_hours: np.ndarray) -> Settlement:
    """Settle the plan's contracts against ``available_hours`` (months × cohorts accelerator-hours
    of working hardware)."""
    contracts: tuple[Contract, ...] = getattr(plan, "contracts", ())
    n, g = plan.months, len(groups)
    if not contracts:
        return none(n, g)
    c = plan.cohorts
    site_names = [s.name for s in plan.sites]
    h100e = dict(plan.hardware_h100e)
    member = np.array([groups.index((site_names[s], h)) for s, h in zip(c.site, c.hardware, strict=True)],
                      dtype=np.int64)
    indicator = np.zeros((len(c), g))
    indicator[np.arange(len(c)), member] = 1.0
    accelerator_hours = available_hours @ indicator
    group_h100e_hours = available_hours @ (indicator * c.h100e[:, None])
    hold = holding([site_names[s] for s in c.site], list(c.hardware), c.count, c.delivery, c.life, h100e, n)
    found, factor = shortfalls(contracts, plan.start, n, hold, h100e)
    warnings = [f"{describe(s, contracts, h100e)}; the contracts are cut pro rata (oversold: cut)"
                for s in found if s.cut]
    left = group_h100e_hours.copy()
    settlement = none(n, g)
    records = []
    hours = plan.hours
    for i, contract in enumerate(contracts):
        sched = schedule(contract, plan.start, n)
        level = sched.level * factor[i]
        scope = np.array([(contract.site is None or site == contract.site)
                          and (contract.hardware is None or kind == contract.hardware)
                          for site, kind in groups], dtype=bool)
        if contract.kind == "accelerators":
            units = contract.accelerators * level * hours                    # accelerator-hours
            wanted = units * h100e[contract.hardware]                         # H100e-hours
        elif contract.kind == "h100e":
            units = wanted = contract.h100e * level * hours
        else:
            units = contract.share * level * (accelerator_hours[:, scope].sum(axis=1) if scope.any() else 0.0)
            wanted = contract.share * level * (group_h100e_hours[:, scope].sum(axis=1) if scope.any() else 0.0)
        wanted = wanted * np.ones(n)
        units = units * np.ones(n)
        due = np.where(sched.delivered, wanted, 0.0)
        if contract.side == "sell":
            room = left[:, scope].sum(axis=1) if scope.any() else np.zeros(n)
            got = np.minimum(due, room)
            with np.errstate(divide="ignore", invalid="ignore"):
                draw = np.where(room[:, None] > 0, left[:, scope] / np.where(room > 0, room, 1.0)[:, None], 0.0)
            taken = draw * got[:, None]
            left[:, scope] -= taken
            settlement.sold[:, scope] += taken
        else:
            got = due
            settlement.bought += got
        with np.errstate(divide="ignore", invalid="ignore"):
            delivered_share = np.where(due > 0, got / np.where(due > 0, due, 1.0), 0.0)
        notice = np.where(sched.notice, 1.0, 0.0)
        if contract.price is not None:
            usage = contract.price * units * delivered_share
            take_or_pay = contract.take_or_pay * contract.price * units * notice
        else:
            usage = contract.price_per_month * level * delivered_share
            take_or_pay = contract.take_or_pay * contract.price_per_month * level * notice
        money = usage + take_or_pay
        account = "contract_revenue" if contract.side == "sell" else "contract_cost"
        settlement.rows.append((account, contract.site or "", contract.hardware or "", money))
        if contract.side == "sell":
            settlement.revenue += money
        else:
            settlement.cost += money
        short = due - got
        if contract.side == "sell" and short.sum() > 1e-9 * max(due.sum(), 1.0):
            first = int(np.argmax(short > 1e-9 * np.maximum(due, 1.0)))
            warnings.append(f"contract {contract.name} ({contract.counterparty}): the seller's available hours fell "
                            f"short of it in {int((short > 1e-9 * np.maximum(due, 1.0)).sum())} months from "
                            f"{_months.to_text(plan.start + first)} ({short.sum():,.0f} H100e-hours, "
                            f"{short.sum() / due.sum():.2%} of those contracted; hardware waiting for power, in "
                            "repair or curtailed); it is paid for the hours delivered")
        active = np.flatnonzero(sched.level > 0)
        records.append(pd.DataFrame({
            "month": active, "contract": contract.name, "counterparty": contract.counterparty,
            "side": contract.side, "site": contract.site or "", "hardware": contract.hardware or "",
            "contracted_h100e_hours": due[active], "delivered_h100e_hours": got[active],
            "shortfall_h100e_hours": short[active], "notice_h100e_hours": (wanted * notice)[active],
            "revenue_usd": money[active] if contract.side == "sell" else 0.0,
            "cost_usd": money[active] if contract.side == "buy" else 0.0,
            "take_or_pay_usd": take_or_pay[active]}))
    table = pd.concat(records, ignore_index=True)
    first = pd.Period(year=plan.start // 12, month=plan.start % 12 + 1, freq="M")
    table["month"] = pd.PeriodIndex([first + int(k) for k in table["month"]], freq="M")
    settlement.table = table.sort_values(["month", "contract"], kind="stable").reset_index(drop=True)
    settlement.warnings = warnings
    return settlement
