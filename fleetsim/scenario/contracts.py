"""Capacity contracts: the ``contracts:`` section, its checks, and the months each contract runs.

A contract sells part of the fleet's capacity to a counterparty, or buys capacity from one. Its
amount is given one way: ``accelerators`` of a ``hardware`` type, ``h100e`` (H100 equivalents of
any of the seller's hardware) or a ``share`` of a ``site``'s available hours (sold only). It is
priced per accelerator-hour (per H100e-hour for an ``h100e`` amount) or per month, starts in a
month, ramps linearly over ``ramp`` months, runs ``term`` months (or until ``end``), and may be
cancelled: notice given at the first hour of the month ``cancelled`` stops delivery at once and
charges the ``take_or_pay`` share of what the ``notice`` months would have delivered (see
docs/model.md, *Capacity contracts*).

The month arithmetic lives here, as plain functions on month numbers and numpy arrays, so that the
scenario's checks (a contract selling more than its seller holds) and the accounting
(:mod:`fleetsim.accounting.contracts`) use the same rules.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from fleetsim import months as _months
from fleetsim.errors import Problem
from fleetsim.scenario.fields import Count, Month, Number, Quantity, Ratio, fail
from fleetsim.scenario.schema_base import Model

AMOUNT_EXAMPLE = "accelerators: 1000 (with hardware: H100), h100e: 5000, or share: 0.25 (with site: colossus-1)"


class Contract(Model):
    """Capacity sold to, or bought from, a counterparty: an amount, a price, a start, a ramp, a
    term, a notice period for cancellation and a take-or-pay share."""

    name: str = Field(description="Name of the contract, e.g. anthropic-2025.", examples=["rent-to-lab-b"])
    side: Literal["sell", "buy"] = Field(
        description="sell: the fleet's capacity leaves its own training and inference and earns contract "
                    "revenue; buy: capacity from the counterparty adds hours at its price.")
    counterparty: str = Field(description="Who buys (side: sell) or sells (side: buy) the capacity.",
                              examples=["lab-b"], min_length=1)
    owner: str | None = Field(None, description="The seller (side: sell: the capacity is taken from the "
                                                "hardware it owns) or the buyer (side: buy: the hours are its "
                                                "own): one of the scenario's owners (sites' and orders' owner). "
                                                "Default: the whole fleet.", examples=["lab-a"], min_length=1)
    accelerators: Count("Accelerators of 'hardware' under contract (at full ramp).", "1000") | None = None
    hardware: str | None = Field(None, description="Hardware type of an 'accelerators' amount, e.g. H100.",
                                 examples=["H100"])
    h100e: Number("H100 equivalents under contract (at full ramp), of any of the seller's hardware.",
                  "5000", maximum=1e12) | None = None
    share: Ratio("Share of the available hours of 'site' under contract (side: sell).", 0.0, 1.0, "0.25",
                 low_open=True) | None = None
    site: str | None = Field(None, description="The site the capacity is sold from (required with 'share'; "
                                               "otherwise it narrows where the hardware is taken).",
                             examples=["colossus-1"])
    price: Quantity("hourly rate", "Price per accelerator-hour (per H100e-hour for an h100e amount; per "
                                   "accelerator-hour of the site's for a share).") | None = None
    price_per_month: Quantity("money per month", "Price per month of the whole amount at full ramp, instead "
                                                 "of 'price'.") | None = None
    start: Month("First month of the contract.")
    term: Quantity("life", "Length of the contract, whole months (or give 'end').", positive=True) | None = None
    end: Month("Last month of the contract, instead of 'term'.") | None = None
    ramp: Quantity("life", "Months over which the amount ramps up linearly: 1/ramp of it in the first "
                           "month, all of it from month 'ramp' on (0: all from the start).") = 0.0
    notice: Quantity("life", "Notice period for cancellation, whole months; at most the term.") = 0.0
    cancelled: Month("Month the notice of cancellation is given (first hour): delivery stops, and the "
                     "take_or_pay share of what the notice months would have delivered is charged.") | None = None
    take_or_pay: Ratio("Share of the contracted amount the buyer pays during the notice period, used or "
                       "not.", 0.0, 1.0, "0.8") = 1.0
    oversold: Literal["error", "cut"] = Field(
        "error", description="When contracts sell more than the seller holds in some month: error (the "
                             "default), or cut (every contract selling from that capacity says so): a warning "
                             "and each cut pro rata to what is held.")

    @model_validator(mode="after")
    def _one_amount(self) -> Contract:
        given = [key for key in ("accelerators", "h100e", "share") if getattr(self, key) is not None]
        if not given:
            raise fail(f"the contract needs its amount: {AMOUNT_EXAMPLE}", ("accelerators",))
        if len(given) > 1:
            raise fail(f"the amount is given twice ({' and '.join(given)}): give one of {AMOUNT_EXAMPLE}",
                       (given[1],))
        if given[0] == "accelerators" and self.hardware is None:
            raise fail("an amount in accelerators needs its hardware type, for example "
                       "accelerators: 1000, hardware: H100", ("hardware",))
        if given[0] != "accelerators" and self.hardware is not None:
            raise fail(f"'hardware' goes with an amount in accelerators, not with {given[0]}: write "
                       "accelerators: 1000, hardware: H100, or remove hardware", ("hardware",))
        if given[0] == "share":
            if self.side == "buy":
                raise fail("a share of a site is sold from the scenario's own site; to buy capacity give "
                           "accelerators: 1000, hardware: H100, or h100e: 5000", ("share",))
            if self.site is None:
                raise fail("a share needs the site it is a share of, for example share: 0.25, site: colossus-1",
                           ("site",))
        if self.side == "buy" and self.site is not None:
            raise fail("bought capacity runs at the counterparty's, not at one of the scenario's sites: "
                       "remove 'site'", ("site",))
        if (self.price is None) == (self.price_per_month is None):
            raise fail("give the price once: price (per accelerator-hour, e.g. 2.0 USD/h) or price_per_month "
                       "(e.g. 1.4 MUSD/month)", ("price_per_month" if self.price is not None else "price",))
        if (self.term is None) == (self.end is None):
            raise fail("give the contract's length once: term (e.g. 12 months) or end (e.g. 2026-06)",
                       ("end" if self.term is not None else "term",))
        if self.end is not None and self.end < self.start:
            raise fail(f"the contract ends before it starts ({_months.to_text(self.end)} is before "
                       f"{_months.to_text(self.start)}): 'end' must not be earlier than 'start', for example "
                       f"end: {_months.to_text(self.start + 11)}", ("end",))
        if self.notice and round(self.notice) > self.months:
            raise fail(f"the notice period ({round(self.notice)} months) is longer than the term ({self.months} "
                       f"months); for example notice: {min(3, self.months)} months", ("notice",))
        if self.ramp and round(self.ramp) > self.months:
            raise fail(f"the ramp ({round(self.ramp)} months) is longer than the term ({self.months} months); "
                       f"for example ramp: {min(3, self.months)} months", ("ramp",))
        if self.cancelled is not None and not self.start <= self.cancelled <= self.last:
            raise fail(f"the notice of cancellation falls outside the contract ({_months.to_text(self.start)} to "
                       f"{_months.to_text(self.last)}); for example cancelled: "
                       f"{_months.to_text(min(self.start + 6, self.last))}", ("cancelled",))
        return self

    @property
    def months(self) -> int:
        """The term in whole months."""
        return round(self.term) if self.term is not None else self.end - self.start + 1

    @property
    def last(self) -> int:
        """The contract's last month (a month number)."""
        return self.start + self.months - 1

    @property
    def kind(self) -> str:
        """How the amount is given: ``accelerators``, ``h100e`` or ``share``."""
        return next(key for key in ("accelerators", "h100e", "share") if getattr(self, key) is not None)

    @property
    def amount_key(self) -> tuple[str]:
        return (self.kind,)


@dataclass(frozen=True)
class Schedule:
    """A contract month by month over a horizon (arrays of its months).

    ``level`` is the ramped share of the amount (0 outside the contract); ``delivered`` is True in
    the months capacity is delivered (from the start to the month before notice, or to the end);
    ``notice`` is True in the notice months charged at take-or-pay (from the notice month for
    ``notice`` months, never past the end)."""

    level: np.ndarray
    delivered: np.ndarray
    notice: np.ndarray


def schedule(contract: Contract, start: int, months: int) -> Schedule:
    """The contract's :class:`Schedule` over ``months`` months from ``start`` (month numbers).

    ``level_t = min(1, (t − start_c + 1) ÷ ramp)`` inside the contract (1 without a ramp); delivery
    runs ``start_c ≤ t ≤ min(last, cancelled − 1)``; notice ``cancelled ≤ t ≤ min(cancelled +
    notice − 1, last)``.

    >>> from fleetsim.scenario.contracts import Contract
    >>> c = Contract(name="x", side="sell", counterparty="y", accelerators=10, hardware="H100",
    ...              price="2 USD/h", start="2025-01", term="12 months", ramp="3 months", notice="3 months",
    ...              cancelled="2025-07", take_or_pay=0.8)
    >>> s = schedule(c, _months.parse("2025-01"), 12)
    >>> s.level.round(3).tolist()[:4], s.delivered.sum(), s.notice.nonzero()[0].tolist()
    ([0.333, 0.667, 1.0, 1.0], np.int64(6), [6, 7, 8])
    """
    t = start + np.arange(months)
    inside = (t >= contract.start) & (t <= contract.last)
    ramp = round(contract.ramp)
    level = np.where(inside, np.minimum(1.0, (t - contract.start + 1) / ramp) if ramp > 0 else 1.0, 0.0)
    if contract.cancelled is None:
        return Schedule(level, inside, np.zeros(months, dtype=bool))
    delivered = inside & (t < contract.cancelled)
    notice = inside & (t >= contract.cancelled) & (t < contract.cancelled + round(contract.notice))
    return Schedule(level, delivered, notice)


# --------------------------------------------------------------------------- what the seller holds
Pool = tuple[str | None, str | None, str | None]
"""Capacity sold contracts draw on: (owner, site, hardware), None standing for any."""


@dataclass(frozen=True)
class Holding:
    """Accelerators held month by month: delivered and not yet retired, per (owner, site, hardware)."""

    counts: dict[tuple[str, str, str], np.ndarray]
    h100e: dict[str, float]

    def held(self, owner: str | None, site: str | None, hardware: str | None, months: int) -> np.ndarray:
        """H100e held in the pool (an owner or all; a site or the fleet; a hardware type or any)."""
        total = np.zeros(months)
        for (o, s, h), counts in self.counts.items():
            if (owner is None or o == owner) and (site is None or s == site) and (hardware is None or h == hardware):
                total = total + counts * self.h100e[h]
        return total


def holding(owners: Sequence[str], sites: Sequence[str], hardware: Sequence[str], count: Sequence[int],
            delivery: Sequence[int], life: Sequence[int], h100e: Mapping[str, float], months: int) -> Holding:
    """Accelerators held in each of ``months`` months (offsets from the start): a cohort of
    ``count`` is held from its ``delivery`` offset until ``delivery + life`` (stranded hardware
    included: it is held, if not energised)."""
    t = np.arange(months)[:, None]
    delivery, life = np.asarray(delivery)[None, :], np.asarray(life)[None, :]
    held = ((t >= delivery) & (t < delivery + life)) * np.asarray(count, dtype=float)[None, :]
    counts: dict[tuple[str, str, str], np.ndarray] = {}
    for k, key in enumerate(zip(owners, sites, hardware, strict=True)):
        counts[key] = counts.get(key, np.zeros(months)) + held[:, k]
    return Holding(counts, dict(h100e))


def order_owner(order, spec) -> str:
    """An order's owner: its own, else its site's ("" when neither names one)."""
    site = spec.sites.get(order.site)
    return order.owner or (getattr(site, "owner", None) if site is not None else None) or ""


def scenario_owners(spec) -> list[str]:
    """Every owner the scenario names (of sites and orders), in file order."""
    found = [getattr(site, "owner", None) for site in spec.sites.values()]
    found += [getattr(order, "owner", None) for order in spec.orders]
    return list(dict.fromkeys(o for o in found if o))


def spec_holding(spec, hardware) -> Holding:
    """:func:`holding` from a validated scenario's orders (each delivery window split evenly by
    month, remainder first, after its lead time)."""
    owners, sites, kinds, counts, deliveries, lives = [], [], [], [], [], []
    override = spec.finance.depreciation.life
    for order in spec.orders:
        if order.hardware not in hardware or order.site not in spec.sites:
            continue
        hw = hardware[order.hardware]
        first, last = order.delivery[0] + round(order.lead_time), order.delivery[1] + round(order.lead_time)
        n = last - first + 1
        base, extra = divmod(order.count, n)
        for i in range(n):
            owners.append(order_owner(order, spec))
            sites.append(order.site)
            kinds.append(order.hardware)
            counts.append(base + (1 if i < extra else 0))
            deliveries.append(first + i - spec.start)
            lives.append(hw.life_months if override is None else max(1, round(override)))
    return holding(owners, sites, kinds, counts, deliveries, lives,
                   {name: hw.h100e for name, hw in hardware.items()}, spec.months)


def demand(contract: Contract, sched: Schedule, hold: Holding, h100e: Mapping[str, float],
           months: int) -> np.ndarray:
    """H100e a sold contract takes from what its seller holds, each month it delivers."""
    if contract.kind == "accelerators":
        amount = contract.accelerators * h100e.get(contract.hardware, 0.0) * np.ones(months)
    elif contract.kind == "h100e":
        amount = contract.h100e * np.ones(months)
    else:
        amount = contract.share * hold.held(contract.owner, contract.site, None, months)
    return amount * sched.level * sched.delivered


def pools(contracts: Sequence[Contract]) -> list[Pool]:
    """The capacity pools sold contracts draw on, most specific first: every (owner, site,
    hardware) a contract names and each coarser pool holding it, down to the whole fleet."""
    found: set[Pool] = set()
    for c in contracts:
        if c.side == "sell":
            for keep in range(8):
                found.add(tuple(value if keep >> k & 1 else None
                                for k, value in enumerate((c.owner, c.site, c.hardware))))
    return sorted(found, key=lambda p: (-sum(x is not None for x in p), str(p)))


def _in_pool(contract: Contract, pool: Pool) -> bool:
    return all(want is None or have == want for have, want in zip((contract.owner, contract.site, contract.hardware),
                                                                   pool, strict=True))


@dataclass(frozen=True)
class Shortfall:
    """A pool sold beyond what it holds: its first month, sold and held there (H100e), the
    contracts involved (positions) and whether they all allow a pro-rata cut."""

    pool: Pool
    month: int
    sold: float
    held: float
    members: tuple[int, ...]
    cut: bool


def shortfalls(contracts: Sequence[Contract], start: int, months: int, hold: Holding,
               h100e: Mapping[str, float]) -> tuple[list[Shortfall], np.ndarray]:
    """Every pool sold beyond its holding (first month each), and each contract's monthly factor
    ``min over its pools of min(1, held ÷ sold)`` (the pro-rata cut; 1 where nothing is short)."""
    demands = [demand(c, schedule(c, start, months), hold, h100e, months) if c.side == "sell" else np.zeros(months)
               for c in contracts]
    factor = np.ones((len(contracts), months))
    found = []
    for pool in pools(contracts):
        members = [i for i, c in enumerate(contracts) if c.side == "sell" and _in_pool(c, pool)]
        if not members:
            continue
        sold = np.sum([demands[i] for i in members], axis=0)
        held = hold.held(*pool, months)
        short = sold > held * (1 + 1e-9) + 1e-9
        if not short.any():
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(short, held / np.where(sold > 0, sold, 1.0), 1.0)
        for i in members:
            factor[i] = np.minimum(factor[i], ratio)
        t = int(np.argmax(short))
        found.append(Shortfall(pool, start + t, float(sold[t]), float(held[t]), tuple(members),
                               all(contracts[i].oversold == "cut" for i in members)))
    return found, factor


def describe(shortfall: Shortfall, contracts: Sequence[Contract], h100e: Mapping[str, float]) -> str:
    """What a shortfall is, in the pool's own units (accelerators of its hardware, or H100e)."""
    owner, site, kind = shortfall.pool
    where = (f" of {owner}" if owner else "") + (f" at {site}" if site else "")
    per = h100e.get(kind, 1.0) if kind else 1.0
    unit = kind if kind else "H100e"
    sold, held = shortfall.sold / per, shortfall.held / per
    names = ", ".join(contracts[i].name for i in shortfall.members)
    return (f"in {_months.to_text(shortfall.month)} the contracts selling {unit}{where} ({names}) sell "
            f"{sold:,.0f} {unit} but {owner or 'the seller'} holds {held:,.0f}: short {sold - held:,.0f} {unit}")


# --------------------------------------------------------------------------- checks
def check_contracts(spec, hardware) -> Iterator[Problem]:
    """Contracts name existing hardware and sites, have distinct names, and sell no more than
    their seller holds in any month of the horizon (unless every contract involved allows a cut)."""
    from fleetsim.errors import did_you_mean

    contracts = getattr(spec, "contracts", ())
    names: set[str] = set()
    usable = []
    owners = scenario_owners(spec)
    for i, contract in enumerate(contracts):
        ok = True
        if contract.name in names:
            yield Problem("two contracts share this name; give each its own", ("contracts", i, "name"),
                          value=contract.name, has_value=True)
        names.add(contract.name)
        if contract.hardware is not None and contract.hardware not in hardware:
            ok = False
            yield Problem("contract names hardware that does not exist" + did_you_mean(contract.hardware, hardware)
                          + " (see 'fleetsim catalog', or define it under 'hardware:')",
                          ("contracts", i, "hardware"), value=contract.hardware, has_value=True)
        if contract.site is not None and contract.site not in spec.sites:
            ok = False
            yield Problem(f"contract names a site that does not exist{did_you_mean(contract.site, spec.sites)} "
                          f"(sites: {', '.join(spec.sites)})", ("contracts", i, "site"), value=contract.site,
                          has_value=True)
        if contract.owner is not None and contract.owner not in owners:
            ok = False
            listed = f"the scenario's owners: {', '.join(owners)}" if owners else \
                "no site or order names an owner; add owner: to a site or an order, or remove it here"
            yield Problem(f"contract names an owner that owns nothing in the scenario"
                          f"{did_you_mean(contract.owner, owners)} ({listed})", ("contracts", i, "owner"),
                          value=contract.owner, has_value=True)
        if ok:
            usable.append(i)
    if len(usable) < len(contracts) or not any(c.side == "sell" for c in contracts):
        return
    h100e = {name: hw.h100e for name, hw in hardware.items()}
    found, _ = shortfalls(contracts, spec.start, spec.months, spec_holding(spec, hardware), h100e)
    blamed: set[int] = set()
    for shortfall in found:
        if shortfall.cut:
            continue
        culprit = next((i for i in reversed(shortfall.members) if contracts[i].oversold == "error"),
                       shortfall.members[-1])
        if culprit in blamed:
            continue
        blamed.add(culprit)
        contract = contracts[culprit]
        yield Problem(f"{describe(shortfall, contracts, h100e)}; sell at most what is held (for example "
                      f"{contract.kind}: {_fitting(contract, shortfall, h100e)}), or add oversold: cut to every "
                      "contract involved to cut them pro rata with a warning",
                      ("contracts", culprit, contract.kind), value=getattr(contract, contract.kind),
                      has_value=True)


def _fitting(contract: Contract, shortfall: Shortfall, h100e: Mapping[str, float]) -> str:
    """The contract's amount reduced by the shortfall (never below zero), as an example."""
    excess = shortfall.sold - shortfall.held
    if contract.kind == "accelerators":
        return f"{max(0, int(contract.accelerators - np.ceil(excess / h100e[contract.hardware]))):d}"
    if contract.kind == "h100e":
        return f"{max(0.0, np.floor(contract.h100e - excess)):g}"
    return f"{max(0.0, contract.share * shortfall.held / shortfall.sold):.2f}"
