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

from fleetsim import months as _months
from fleetsim.frame import Frame, concat, sort_rows
from fleetsim.scenario.contracts import Contract, describe, holding, schedule, shortfalls

CONTRACT_COLUMNS = ["month", "contract", "owner", "counterparty", "side", "site", "hardware", "contracted_h100e_hours",
                    "delivered_h100e_hours", "shortfall_h100e_hours", "notice_h100e_hours", "revenue_usd",
                    "cost_usd", "take_or_pay_usd"]
"""Columns of ``Result.contracts``: one row per contract and month it runs within the horizon;
``owner`` is the seller (side sell) or buyer (side buy), empty for the whole fleet.
``contracted`` H100e-hours are what the contract calls for in a month it delivers (after any
pro-rata cut), ``delivered`` what the seller's available hours gave, ``shortfall`` the
difference; ``notice`` H100e-hours are those the notice months would have delivered (charged at
take-or-pay, never delivered); ``take_or_pay_usd`` is the part of revenue or cost charged on them."""


@dataclass
class Settlement:
    """What the contracts do to a month × group table of available H100e-hours."""

    sold: np.ndarray                     # months × groups: H100e-hours sold from each group
    sold_cohorts: np.ndarray             # months × cohorts: the same, cohort by cohort
    bought: np.ndarray                   # months: H100e-hours bought
    revenue: np.ndarray                  # months: contract revenue, USD
    cost: np.ndarray                     # months: contract cost, USD
    rows: list = field(default_factory=list)       # ledger rows (account, site, hardware, values)
    owners: list = field(default_factory=list)     # each ledger row's (owner, user)
    bought_by: list = field(default_factory=list)  # (owner, months array) of each bought contract
    table: Frame | None = None
    warnings: list[str] = field(default_factory=list)

    def own(self, h100e_hours: np.ndarray) -> np.ndarray:
        """Months × (groups + 1): each group's H100e-hours less those sold, then the hours bought."""
        return np.column_stack([h100e_hours - self.sold, self.bought])


def none(months: int, groups: int, cohorts: int = 0) -> Settlement:
    """No contracts: nothing sold or bought."""
    return Settlement(np.zeros((months, groups)), np.zeros((months, cohorts)), np.zeros(months), np.zeros(months),
                      np.zeros(months), table=Frame.empty(CONTRACT_COLUMNS))


def settle(plan, groups: list[tuple[str, str]], available_hours: np.ndarray) -> Settlement:
    """Settle the plan's contracts against ``available_hours`` (months × cohorts accelerator-hours
    of working hardware)."""
    from fleetsim.accounting.owners import cohort_parties

    contracts: tuple[Contract, ...] = getattr(plan, "contracts", ())
    c = plan.cohorts
    n, g = plan.months, len(groups)
    if not contracts:
        return none(n, g, len(c))
    site_names = [s.name for s in plan.sites]
    cohort_site = np.array([site_names[s] for s in c.site], dtype=object)
    cohort_owner = cohort_parties(plan)[0] if len(c) else np.empty(0, dtype=object)
    h100e = dict(plan.hardware_h100e)
    member = np.array([groups.index((site_names[s], h)) for s, h in zip(c.site, c.hardware, strict=True)],
                      dtype=np.int64)
    indicator = np.zeros((len(c), g))
    indicator[np.arange(len(c)), member] = 1.0
    cohort_h100e_hours = available_hours * c.h100e[None, :]
    hold = holding(list(cohort_owner), list(cohort_site), list(c.hardware), c.count, c.delivery, c.life, h100e, n)
    found, factor = shortfalls(contracts, plan.start, n, hold, h100e)
    warnings = [f"{describe(s, contracts, h100e)}; the contracts are cut pro rata (oversold: cut)"
                for s in found if s.cut]
    left = cohort_h100e_hours.copy()
    settlement = none(n, g, len(c))
    records = []
    hours = plan.hours
    for i, contract in enumerate(contracts):
        sched = schedule(contract, plan.start, n)
        level = sched.level * factor[i]
        scope = np.ones(len(c), dtype=bool)
        for wanted_value, values in ((contract.site, cohort_site), (contract.hardware, c.hardware),
                                     (contract.owner, cohort_owner)):
            if wanted_value is not None:
                scope &= values == wanted_value
        if contract.kind == "accelerators":
            units = contract.accelerators * level * hours                    # accelerator-hours
            wanted = units * h100e[contract.hardware]                         # H100e-hours
        elif contract.kind == "h100e":
            units = wanted = contract.h100e * level * hours
        else:
            units = contract.share * level * available_hours[:, scope].sum(axis=1)
            wanted = contract.share * level * cohort_h100e_hours[:, scope].sum(axis=1)
        wanted = wanted * np.ones(n)
        units = units * np.ones(n)
        due = np.where(sched.delivered, wanted, 0.0)
        if contract.side == "sell":
            room = left[:, scope].sum(axis=1)
            got = np.minimum(due, room)
            with np.errstate(divide="ignore", invalid="ignore"):
                draw = np.where(room[:, None] > 0, left[:, scope] / np.where(room > 0, room, 1.0)[:, None], 0.0)
            taken = draw * got[:, None]
            left[:, scope] -= taken
            settlement.sold_cohorts[:, scope] += taken
        else:
            got = due
            settlement.bought += got
            settlement.bought_by.append((contract.owner or "", got))
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
        settlement.owners.append(contract.owner or "")
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
        size = len(active)

        def text(value: str, size: int = size) -> np.ndarray:
            return np.full(size, value, dtype=object)

        records.append(Frame({
            "month": plan.start + active, "contract": text(contract.name), "owner": text(contract.owner or ""),
            "counterparty": text(contract.counterparty),
            "side": text(contract.side), "site": text(contract.site or ""), "hardware": text(contract.hardware or ""),
            "contracted_h100e_hours": due[active], "delivered_h100e_hours": got[active],
            "shortfall_h100e_hours": short[active], "notice_h100e_hours": (wanted * notice)[active],
            "revenue_usd": money[active] if contract.side == "sell" else np.zeros(size),
            "cost_usd": money[active] if contract.side == "buy" else np.zeros(size),
            "take_or_pay_usd": take_or_pay[active]},
            months=("month",), text=("contract", "owner", "counterparty", "side", "site", "hardware")))
    settlement.table = sort_rows(concat(records), ["month", "contract"])
    settlement.sold = settlement.sold_cohorts @ indicator
    settlement.warnings = warnings
    return settlement


ACCOUNTS = ("contract_revenue", "contract_cost")
"""The ledger accounts of contracts."""


def label(ledger: Frame, settlement: Settlement, months: np.ndarray, pairs: list) -> Frame:
    """``ledger`` (with ``owner`` and ``user``) with each contract's rows labelled by the contract's
    owner (the seller's revenue, the buyer's cost), not by the site or hardware they name; the
    user is the owner's own (the pair where it runs its hardware, else the owner itself).
    ``months`` are the month numbers."""
    if not settlement.rows or "owner" not in ledger:
        return ledger
    kept = ledger.take(~np.isin(ledger["account"], ACCOUNTS))
    parts = [kept]
    from fleetsim.accounting.columns import BASES, DIRECTIONS

    for (account, site, hardware, values), owner in zip(settlement.rows, settlement.owners, strict=True):
        nonzero = np.flatnonzero(values)
        if not len(nonzero):
            continue
        user = own_user(owner, pairs)
        row = {"month": months[nonzero], "site": site, "hardware": hardware, "account": account,
               "direction": DIRECTIONS[account], "basis": BASES[account], "amount_usd": values[nonzero],
               "owner": owner, "user": user}
        parts.append(Frame({c: row[c] if c in ("month", "amount_usd") else np.full(len(nonzero), row[c], dtype=object)
                            for c in ledger.names}, months=ledger.months, text=ledger.text))
    if len(parts) == 1:
        return kept
    return sort_rows(concat(parts), ["month", "account", "site", "hardware", "owner", "user"])


def own_user(owner: str, pairs: list) -> str:
    """The user an owner's own hours run under: the owner itself when that pair exists, else the
    first pair of the owner's (its hardware all rented out), else the owner."""
    if (owner, owner) in pairs:
        return owner
    return next((user for o, user in pairs if o == owner), owner)


def by_owner(settlement: Settlement, plan, pairs: list, arrays: dict, use) -> None:
    """The owners table's training and inference hours after contracts: each pair's available
    H100e-hours less those sold from its hardware, plus those bought by its owner, split by the
    fleet's utilization and training share (so that they sum to the monthly table's)."""
    if not getattr(plan, "contracts", ()):
        return
    from fleetsim.accounting.owners import cohort_parties

    owner, user = cohort_parties(plan)
    index = {pair: i for i, pair in enumerate(pairs)}
    sold = np.zeros((plan.months, len(pairs)))
    for k, pair in enumerate(zip(owner, user, strict=True)):
        sold[:, index[pair]] += settlement.sold_cohorts[:, k]
    own = arrays["h100e_available"] * plan.hours[:, None] - sold
    for who, hours in settlement.bought_by:
        pair = (who, own_user(who, pairs))
        own[:, index.get(pair, 0)] += hours
    busy = own * use.utilization[:, None]
    arrays["training_h100e_hours"] = busy * use.training_share[:, None]
    arrays["inference_h100e_hours"] = busy - arrays["training_h100e_hours"]
