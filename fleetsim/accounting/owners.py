"""Who owns what: every ledger row and every physical column split by owner and user.

A site names its ``owner`` (and a ``user`` when someone else runs its hardware; default: the
owner). An order's owner defaults to its site's owner, its user to its own owner when it names one,
else to the site's user. Each cohort so has one (owner, user) pair, and so has each site.

- *Physical columns* (:data:`OWNER_COLUMNS`): the cohort-level ones (accelerators, H100e, power,
  energy, waiting hardware, failures, training and inference hours) are sums over each pair's
  cohorts; the site-level ones (:data:`SITE_LEVEL`: capacity, halls, peak power, shortfall,
  unserved energy) belong to the site's pair. Summed over pairs they give the monthly table's.
- *Money*: each ledger row gets ``owner`` and ``user`` columns. A row of one (site, hardware)
  group whose cohorts all share a pair goes to that pair; a group of several pairs has its rows
  split by each pair's share of the account's basis that month (capex bought, depreciation,
  maintenance and lease by their own rule, everything else by available accelerator-hours, which
  within a group are proportional to energy and H100e-hours). Site rows (facility, generation,
  colocation) go to the site's pair; fleet-wide rows (fixed opex, subscriptions, debt) to the
  empty owner ``""``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fleetsim.accounting import rules
from fleetsim.accounting.columns import ACCOUNTS, COMPOSITES, SITE_COLUMNS
from fleetsim.frame import Frame, concat, factorize, sort_rows

if TYPE_CHECKING:
    import pandas as pd

SITE_LEVEL = ("capacity_mw", "halls_mw", "peak_facility_power_mw", "capacity_shortfall_mw", "unserved_energy_mwh")
"""Physical columns that belong to a site as a whole, and so to the site's owner and user."""

OWNER_COLUMNS = [*SITE_COLUMNS, "training_h100e_hours", "inference_h100e_hours"]
"""Physical columns of ``Result.owners`` (after ``month, owner, user``); its money columns follow
(:data:`MONEY_COLUMNS`)."""

MONEY_COLUMNS = [*dict.fromkeys(ACCOUNTS.values()), *COMPOSITES]
"""Money columns of ``Result.owners``: each monthly money column that ledger accounts sum into,
and the composites (``energy_cost_usd``)."""

PARTIES = ("owner", "user")


def cohort_parties(plan) -> tuple[np.ndarray, np.ndarray]:
    """Each cohort's owner and user (object arrays), after the defaults."""
    c = plan.cohorts
    owner = np.array([s.owner for s in plan.sites] or [""], dtype=object)[c.site] if len(c) else \
        np.empty(0, dtype=object)
    user = np.array([s.user for s in plan.sites] or [""], dtype=object)[c.site] if len(c) else \
        np.empty(0, dtype=object)
    for position, order in enumerate(plan.order_specs):
        if order.owner is None and order.user is None:
            continue
        mine = c.order == position
        if order.owner is not None:
            owner[mine] = order.owner
        user[mine] = order.user or order.owner
    return owner, user


def _pairs(plan, owner: np.ndarray, user: np.ndarray) -> list[tuple[str, str]]:
    found = [*zip(owner, user, strict=True), *((s.owner, s.user) for s in plan.sites)]
    return list(dict.fromkeys(found))


def owner_arrays(plan, trace, use, pue: np.ndarray, per_site: dict[str, np.ndarray],
                 unserved_hours: np.ndarray) -> tuple[list[tuple[str, str]], dict[str, np.ndarray]]:
    """The (owner, user) pairs and, for every column of :data:`OWNER_COLUMNS`, a months × pairs array.

    ``trace`` is the engine's trace after power losses, ``use`` the fleet's :class:`Usage`,
    ``pue`` months × sites, ``per_site`` the site arrays (:func:`~fleetsim.accounting.sites.site_arrays`)
    and ``unserved_hours`` months × cohorts.
    """
    c, hours = plan.cohorts, plan.hours[:, None]
    owner, user = cohort_parties(plan)
    pairs = _pairs(plan, owner, user)
    index = {pair: i for i, pair in enumerate(pairs)}
    member = np.zeros((len(c), len(pairs)))
    member[np.arange(len(c)), [index[p] for p in zip(owner, user, strict=True)]] = 1.0
    site_member = np.zeros((len(plan.sites), len(pairs)))
    site_member[np.arange(len(plan.sites)), [index[(s.owner, s.user)] for s in plan.sites]] = 1.0
    avail = trace.available_hours
    draw = use.draw(plan)[:, None]
    # one product for every cohort-level column: stacked months × cohorts inputs, each summed into
    # pairs by count, by IT power or by H100e (the stacking keeps it one BLAS call)
    n, k = plan.months, len(pairs)
    inputs = np.empty((8 * n, len(c)))  # filled in place: no stacked copy, then a float copy of it
    for row, values in enumerate((trace.installed, trace.stranded, trace.waiting_install, trace.failures, avail)):
        inputs[row * n:(row + 1) * n] = values
    np.multiply(avail, pue[:, c.site], out=inputs[5 * n:6 * n])
    inputs[6 * n:7 * n] = trace.curtailed_hours
    inputs[7 * n:] = unserved_hours
    weights = np.concatenate([member, member * c.unit_it_mw[:, None], member * c.h100e[:, None]], axis=1)
    product = inputs @ weights

    def block(row: int, col: int) -> np.ndarray:
        return product[row * n:(row + 1) * n, col * k:(col + 1) * k]

    by_count, by_it, by_h100e = 0, 1, 2
    it_energy = block(4, by_it) * draw
    facility_energy = block(5, by_it) * draw
    h100e_hours = block(4, by_h100e)
    busy = h100e_hours * use.utilization[:, None]
    training = busy * use.training_share[:, None]
    stranded = block(1, by_count)
    waiting_install = block(2, by_count)
    arrays = {
        "accelerators": block(0, by_count),
        "h100e": block(0, by_h100e),
        "h100e_available": h100e_hours / hours,
        "it_power_mw": it_energy / hours,
        "facility_power_mw": facility_energy / hours,
        "energy_mwh": facility_energy,
        "stranded": stranded,
        "waiting_install": waiting_install,
        "waiting_power": stranded - waiting_install,
        "stranded_accelerator_months": stranded,
        "failures": block(3, by_count),
        "curtailed_h100e_hours": block(6, by_h100e),
        "unserved_h100e_hours": block(7, by_h100e),
        "training_h100e_hours": training,
        "inference_h100e_hours": busy - training,
        **{column: per_site[column] @ site_member for column in SITE_LEVEL},
    }
    return pairs, {column: arrays[column] for column in OWNER_COLUMNS}


def _weights(plan, trace, account: str, cohorts: np.ndarray) -> np.ndarray:
    """Months × ``cohorts``: each cohort's basis of ``account`` (see the module's rules)."""
    c, f, n = plan.cohorts, plan.finance, plan.months
    bought = (c.count * c.price * ~c.leased).astype(float)[cohorts]
    delivery, life = c.delivery[cohorts], c.life[cohorts]
    if account == "hardware_capex":
        out = np.zeros((n, len(cohorts)))
        inside = delivery < n
        out[delivery[inside], np.flatnonzero(inside)] = bought[inside]
        return out
    if account == "hardware_depreciation":
        schedule = rules.schedule_for(f.depreciation_method, f.depreciation_rate, f.salvage)
        return rules.depreciation(bought, delivery, life, n, schedule)
    if account in ("maintenance", "lease"):
        basis = bought if account == "maintenance" else (c.count * c.lease_rate)[cohorts].astype(float)
        return rules.on_books(delivery, life, n) * basis
    return trace.available_hours[:, cohorts]


def label_owners(ledger: Frame, plan, trace) -> Frame:
    """``ledger`` with ``owner`` and ``user`` columns, rows of mixed groups split (module rules)."""
    owner, user = cohort_parties(plan)
    c = plan.cohorts
    site_names = [s.name for s in plan.sites]
    site_pair = {s.name: (s.owner, s.user) for s in plan.sites}
    site_pair[""] = ("", "")
    groups: dict[tuple[str, str], list[int]] = {}
    for k in range(len(c)):
        groups.setdefault((site_names[c.site[k]], c.hardware[k]), []).append(k)
    pair_of = dict(site_pair)
    mixed = {}
    for key, members in groups.items():
        found = list(dict.fromkeys(zip(owner[members], user[members], strict=True)))
        if len(found) == 1:
            pair_of[key] = found[0]
        else:
            mixed[key] = (np.asarray(members), found)
    if not mixed and set(pair_of.values()) == {("", "")}:  # no owner named anywhere: every row's is ""
        blank = np.full(len(ledger), "", dtype=object)
        return Frame({**ledger.columns, "owner": blank, "user": blank.copy()}, months=ledger.months,
                     text={*ledger.text, "owner", "user"})
    # one label per distinct (site, hardware) key, not per row
    distinct: dict[tuple[str, str], int] = {}
    which = np.fromiter((distinct.setdefault(key, len(distinct)) for key in
                         zip(ledger["site"].tolist(), ledger["hardware"].tolist(), strict=True)),
                        dtype=np.int64, count=len(ledger))
    labels = [("", "") if key in mixed else pair_of.get(key) or pair_of.get(key[0], ("", "")) for key in distinct]
    owners_of = np.array([p[0] for p in labels] or [""], dtype=object)
    users_of = np.array([p[1] for p in labels] or [""], dtype=object)
    out = Frame({**ledger.columns, "owner": owners_of[which], "user": users_of[which]}, months=ledger.months,
                text={*ledger.text, "owner", "user"})
    if not mixed:
        return out
    is_mixed = np.array([key in mixed for key in distinct], dtype=bool)[which]
    parts = [out.take(~is_mixed)]
    site, hardware, account = out["site"], out["hardware"], out["account"]
    for (name, kind), (members, found) in mixed.items():
        rows = np.flatnonzero((site == name) & (hardware == kind))
        if not len(rows):
            continue
        pair_index = np.array([found.index(p) for p in zip(owner[members], user[members], strict=True)])
        to_pair = np.zeros((len(members), len(found)))
        to_pair[np.arange(len(members)), pair_index] = 1.0
        for each in dict.fromkeys(account[rows].tolist()):  # accounts in order of first appearance
            block = rows[account[rows] == each]
            weights = _weights(plan, trace, each, members) @ to_pair
            fallback = trace.installed[:, members] @ to_pair
            months = out["month"][block] - plan.start
            w = weights[months]
            total = w.sum(axis=1, keepdims=True)
            w = np.where(total > 0, w, fallback[months] + 1e-300)
            shares = w / w.sum(axis=1, keepdims=True)
            for j, (who, runs) in enumerate(found):
                amounts = out["amount_usd"][block] * shares[:, j]
                keep = amounts != 0
                part = out.take(block[keep])
                part.columns.update(owner=np.full(int(keep.sum()), who, dtype=object),
                                    user=np.full(int(keep.sum()), runs, dtype=object), amount_usd=amounts[keep])
                parts.append(part)
    return sort_rows(concat(parts), ["month", "account", "site", "hardware", "owner", "user"])


def owner_table(pairs: list[tuple[str, str]], arrays: dict[str, np.ndarray], ledger: Frame,
                months: np.ndarray) -> Frame:
    """The long table ``month, owner, user`` and the :data:`OWNER_COLUMNS` and :data:`MONEY_COLUMNS`:
    one row per month (``months``: month numbers) and (owner, user) pair, pairs in order of first
    appearance (cohorts, sites, then the ledger's fleet-wide rows)."""
    found, row_pair = factorize(ledger["owner"], ledger["user"])
    pairs = list(dict.fromkeys([*pairs, *found]))
    n = len(pairs)
    columns: dict[str, object] = {
        "month": np.repeat(months, n),
        "owner": np.tile(np.asarray([p[0] for p in pairs], dtype=object), len(months)),
        "user": np.tile(np.asarray([p[1] for p in pairs], dtype=object), len(months))}
    width = len(arrays[OWNER_COLUMNS[0]][0]) if len(months) else 0
    for column in OWNER_COLUMNS:
        values = np.zeros((len(months), n))
        values[:, :width] = arrays[column]
        columns[column] = values.reshape(-1)
    money_columns = list(dict.fromkeys(ACCOUNTS.values()))
    sums = np.zeros((len(months), n, len(money_columns)))
    if len(ledger):
        where = {pair: i for i, pair in enumerate(pairs)}
        accounts, row_account = factorize(ledger["account"])
        who = np.array([where[pair] for pair in found], dtype=np.int64)[row_pair]
        what = np.array([money_columns.index(ACCOUNTS[a]) for a in accounts], dtype=np.int64)[row_account]
        rows = ledger["month"] - months[0]
        np.add.at(sums, (rows, who, what), ledger["amount_usd"].astype(float))
    for j, column in enumerate(money_columns):
        columns[column] = sums[:, :, j].reshape(-1)
    for column, parts in COMPOSITES.items():
        columns[column] = sum(columns[part] for part in parts)
    return Frame(columns, months=("month",), text=("owner", "user"))


def breakdown(owners: pd.DataFrame, by: str, column: str, index: pd.PeriodIndex) -> pd.DataFrame:
    """``column`` of the owners table per month, one column per ``by`` (``owner`` or ``user``)."""
    table = owners.pivot_table(index="month", columns=by, values=column, aggfunc="sum", fill_value=0.0, sort=False)
    table = table[list(dict.fromkeys(owners[by]))]
    table.columns.name = by
    return table.reindex(index, fill_value=0.0)


def rollup(owners: pd.DataFrame, by: str = "owner", period: str | None = "Y") -> pd.DataFrame:
    """The owners table summed over the other party and aggregated to quarters (``"Q"``), years
    (``"Y"``) or the whole horizon (``None``), each column by its kind (flows summed, levels
    hour-weighted, stocks at the period's end, peaks as maxima); long form ``period, <by>``."""
    import pandas as pd

    from fleetsim.accounting.columns import KINDS

    columns = [c for c in owners.columns if c not in ("month", *PARTIES)]
    order = list(dict.fromkeys(owners[by]))
    summed = owners.groupby(["month", by], sort=False)[columns].sum()
    months = summed.index.get_level_values("month").unique()
    key = months.asfreq(period) if period else pd.Index(["all"] * len(months))
    hours = pd.Series(months.days_in_month.to_numpy() * 24.0, index=months)
    frames = {}
    for column in columns:
        block = summed[column].unstack(by).reindex(months).fillna(0.0)
        kind = KINDS[column]
        grouped = block.groupby(key)
        if kind == "total":
            frames[column] = grouped.sum()
        elif kind == "mean":
            frames[column] = block.mul(hours, axis=0).groupby(key).sum().div(hours.groupby(key).sum(), axis=0)
        elif kind == "end":
            frames[column] = grouped.last()
        else:
            frames[column] = grouped.max()
    periods = next(iter(frames.values())).index if frames else pd.Index([])
    parties = order
    out = pd.DataFrame({"period": np.repeat(periods.astype(str), len(parties)),
                        by: np.tile(np.asarray(parties, dtype=object), len(periods))})
    for column, block in frames.items():
        out[column] = block.reindex(columns=parties, fill_value=0.0).to_numpy().reshape(-1)
    return out


BAND_COLUMNS = ("h100e", "it_power_mw", "facility_power_mw", "energy_mwh")
"""The physical columns a Monte Carlo draw records per owner and year (``Ensemble.owner_quantiles``)."""


def owner_years(plan, pairs: list[tuple[str, str]], arrays: dict[str, np.ndarray],
                columns=BAND_COLUMNS) -> tuple[list[str], list[int], np.ndarray]:
    """The owners (in order of first appearance among ``pairs``), the calendar years of the horizon
    and a years × owners × ``columns`` array: the :func:`owner_arrays` columns summed over users and
    aggregated to years by kind, as :func:`rollup` (``period="Y"``) does from the owners table,
    without building any table."""
    from fleetsim.accounting.columns import KINDS

    names = list(dict.fromkeys(p[0] for p in pairs))
    to_owner = np.zeros((len(pairs), len(names)))
    to_owner[np.arange(len(pairs)), [names.index(p[0]) for p in pairs]] = 1.0
    year = plan.month_numbers // 12
    years, starts = np.unique(year, return_index=True)
    ends = np.r_[starts[1:], plan.months] - 1
    hours = np.asarray(plan.hours, dtype=float)
    out = np.zeros((len(years), len(names), len(columns)))
    for j, column in enumerate(columns):
        values = arrays[column] @ to_owner if len(pairs) else np.zeros((plan.months, 0))
        kind = KINDS[column]
        if kind == "total":
            out[:, :, j] = np.add.reduceat(values, starts, axis=0)
        elif kind == "mean":
            out[:, :, j] = np.add.reduceat(values * hours[:, None], starts, axis=0) / \
                np.add.reduceat(hours, starts)[:, None]
        elif kind == "end":
            out[:, :, j] = values[ends]
        else:
            out[:, :, j] = np.maximum.reduceat(values, starts, axis=0)
    return names, [int(y) for y in years], out
