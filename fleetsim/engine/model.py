"""The discrete-event model: SimPy processes for sites and cohorts, then failures.

Simulated time is counted in months from the scenario's start. Everything in a month happens at
its first hour, in a fixed order of phases (:data:`PHASES`): capacity, retirements, repair
returns, deliveries, installation, failures, then the month's record.

Entities are cohorts — an order's accelerators delivered in one month — never single
accelerators: state is a handful of integer counts per cohort, and failures are binomial draws
per cohort, so a million accelerators cost what a thousand do.

A run has two passes. :func:`buildout` is the discrete-event part: SimPy keeps the clock of
deliveries and retirements (events at their months, scheduled with their phase as priority),
and each month the fleet installs across all cohorts of all sites at once (numpy arrays).
Failed hardware stays installed while in repair, so installation never depends on failures:
:func:`with_failures` then walks the months once more for the retire, repair, fail and record
phases of one random draw. Monte Carlo draws of one plan share its build-out and pay only for
their failures (:func:`fleetsim.uncertainty.executors.run_chunk`); the results are those of a
single pass, bit for bit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import simpy
from simpy.events import Event

from fleetsim.engine.plan import Plan

PHASES = ("capacity", "retire", "repair", "deliver", "install", "fail", "record")
RETIRE, REPAIR, DELIVER, INSTALL, FAIL, RECORD = range(1, 7)
"""SimPy priorities of the build-out's events (repair and fail are :func:`with_failures`' phases)."""
HOURS_PER_YEAR = 8766.0
"""Hours in an average year (365.25 days), the basis of failure rates per accelerator-year."""


def failure_probability(rate: np.ndarray | float, hours: float) -> np.ndarray | float:
    """Probability that a working accelerator fails within ``hours``, for a hazard of ``rate``
    failures per accelerator-year: ``1 − exp(−rate × hours ÷ 8766)``.

    >>> round(float(failure_probability(0.09, 744.0)), 7)
    0.0076095
    """
    return -np.expm1(-np.asarray(rate) * hours / HOURS_PER_YEAR)


def powered_share(it_mw, capacity_mw, pue, halls_mw):
    """Share of the month a site's installed hardware can run: 1, unless its full-load facility
    power at the month's *operating* PUE exceeds capacity (a capacity step down, a PUE worse than
    designed) or its IT load exceeds the halls; then ``min(capacity ÷ PUE, halls) ÷ IT load``, so
    that facility power stays within capacity (curtailment). Works on numbers or arrays.

    >>> float(powered_share(100.0, 110.0, 1.4, 200.0))
    0.7857142857142857
    """
    it_mw = np.asarray(it_mw, dtype=float)
    limit = np.maximum(np.minimum(np.asarray(capacity_mw) / pue, halls_mw), 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(it_mw > limit * (1 + 1e-9), limit / np.where(it_mw > 0, it_mw, 1.0), 1.0)


class At(Event):
    """An event at the first hour of ``month``, ordered within the month by ``phase``."""

    def __init__(self, env: simpy.Environment, month: int, phase: int):
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, priority=phase, delay=month - env.now)


@dataclass
class Trace:
    """What the engine observed, one row per month and one column per cohort.

    ``installed`` and ``stranded`` are counts at the end of the month; ``waiting_install`` is the
    part of ``stranded`` that the site's capacity could have energised that month but its install
    rate did not (the rest waits for power or halls); ``available_hours`` are accelerator-hours of
    working (not failed) installed hardware over the month, after curtailment; ``curtailed_hours``
    the accelerator-hours curtailment took because full-load power (at the month's operating PUE)
    exceeded capacity, or IT load the halls; ``failures`` the failures drawn in the month.
    """

    installed: np.ndarray
    stranded: np.ndarray
    available_hours: np.ndarray
    waiting_install: np.ndarray
    failures: np.ndarray
    curtailed_hours: np.ndarray

    @classmethod
    def empty(cls, months: int, cohorts: int) -> Trace:
        counts, hours = (lambda: np.zeros((months, cohorts), np.int64)), (lambda: np.zeros((months, cohorts)))
        return cls(counts(), counts(), hours(), counts(), counts(), hours())

    @property
    def waiting_power(self) -> np.ndarray:
        """Waiting accelerators that the site's capacity could not energise, install rate aside."""
        return self.stranded - self.waiting_install


@dataclass
class Buildout:
    """What no random draw changes: each month's installed, waiting and waiting-for-install
    counts, and each site's powered share (None: every site ran the whole month). Failures take
    hardware out for repair but leave it installed, so installation never depends on them; one
    build-out serves every draw of the same plan (:func:`with_failures`). Its arrays are
    read-only: the traces of many draws share them."""

    installed: np.ndarray
    stranded: np.ndarray
    waiting_install: np.ndarray
    shares: list


@dataclass
class Fleet:
    """What the engine reads from a plan: each cohort's site, unit IT power, count, delivery,
    life and failure rate; each site's contiguous slice of cohorts, IT room, install rate,
    capacity, PUE and halls. Several plans of the same horizon stack into one fleet
    (:meth:`stack`), each plan's sites kept apart, so that one pass takes them all."""

    months: int
    site: np.ndarray
    unit: np.ndarray
    count: np.ndarray
    delivery: np.ndarray
    life: np.ndarray
    failure_rate: np.ndarray
    slices: list
    room: np.ndarray
    install_rate: np.ndarray
    capacity: np.ndarray
    pue: np.ndarray
    halls: np.ndarray

    @classmethod
    def of(cls, plan: Plan) -> Fleet:
        c, sites, months = plan.cohorts, plan.sites, plan.months

        def per_site(values) -> np.ndarray:
            return np.array(values, dtype=float).reshape(len(sites), months)

        return cls(months, np.asarray(c.site, dtype=np.int64), np.asarray(c.unit_it_mw, dtype=float),
                   np.asarray(c.count, dtype=np.int64), np.asarray(c.delivery, dtype=np.int64),
                   np.asarray(c.life, dtype=np.int64), np.asarray(c.failure_rate, dtype=float),
                   [site.cohorts for site in sites],
                   per_site([site.it_room_mw for site in sites]),
                   np.array([site.install_rate for site in sites], dtype=float),
                   per_site([site.capacity_mw for site in sites]), per_site([site.pue for site in sites]),
                   per_site([site.halls_mw for site in sites]))

    @classmethod
    def stack(cls, fleets: list[Fleet]) -> Fleet:
        """One fleet of all ``fleets`` (same horizon): cohorts and sites one after the other."""
        cohorts = np.cumsum([0] + [len(f.site) for f in fleets])
        sites = np.cumsum([0] + [len(f.slices) for f in fleets])
        slices = [slice(sl.start + cohorts[k], sl.stop + cohorts[k]) for k, f in enumerate(fleets) for sl in f.slices]

        def joined(name: str) -> np.ndarray:
            return np.concatenate([getattr(f, name) for f in fleets])

        return cls(fleets[0].months, np.concatenate([f.site + sites[k] for k, f in enumerate(fleets)]),
                   joined("unit"), joined("count"), joined("delivery"), joined("life"), joined("failure_rate"),
                   slices, joined("room"),
                   joined("install_rate"), joined("capacity"), joined("pue"), joined("halls"))


class FleetModel:
    """Every site's installation queue and cohort state, advanced month by month as arrays.

    State is one integer count per cohort (installed, waiting). SimPy is the clock: deliveries
    and retirements are events at their months; each month the fleet installs and records, as
    array operations across all cohorts and sites. Results are those of the former per-site
    processes, bit for bit: the queue, the install budget and the headroom are walked in the
    same order with the same floating-point operations (a sequential ``subtract.accumulate``
    per site). Every step is per site, so a stack of plans (:meth:`Fleet.stack`) builds each
    out exactly as alone. Failures and repairs follow in :func:`with_failures`.
    """

    def __init__(self, env: simpy.Environment, fleet: Fleet):
        self.env, self.fleet = env, fleet
        n, months = len(fleet.site), fleet.months
        self.site, self.unit, self.count, self.slices = fleet.site, fleet.unit, fleet.count, fleet.slices
        self.room, self.install_rate = fleet.room, fleet.install_rate
        self.capacity, self.pue, self.halls = fleet.capacity, fleet.pue, fleet.halls
        self.limit = np.maximum(np.minimum(self.capacity / self.pue, self.halls), 0.0)
        self.installed = np.zeros(n, np.int64)
        self.waiting = np.zeros(n, np.int64)
        self.waiting_install = np.zeros(n, np.int64)
        self._fitted = False
        self.out = Buildout(*(np.zeros((months, n), np.int64) for _ in range(3)), [None] * months)

    # -- processes ------------------------------------------------------------------------
    def operate(self):
        """The fleet's monthly round: installation, then the record."""
        for month in range(self.fleet.months):
            yield At(self.env, month, INSTALL)
            self.install(month)
            yield At(self.env, month, RECORD)
            self.record(month)

    def arrivals(self):
        """Cohorts arrive on their delivery month (those after the horizon never do)."""
        delivery, months = self.fleet.delivery, self.fleet.months
        for month, cohorts in _by_month(delivery, delivery < months):
            yield At(self.env, month, DELIVER)
            self.waiting[cohorts] = self.count[cohorts]

    def departures(self):
        """Cohorts delivered within the horizon retire at delivery + life."""
        for month, cohorts in _retirements(self.fleet.delivery, self.fleet.life, self.fleet.months):
            yield At(self.env, month, RETIRE)
            self.installed[cohorts] = 0
            self.waiting[cohorts] = 0

    # -- state changes --------------------------------------------------------------------
    def _headroom(self, sites: np.ndarray, month: int) -> np.ndarray:
        """IT room left at each of ``sites``: room less the installed hardware's full-load IT
        power, summed in cohort order (``bincount``: the same sum on every machine)."""
        used = np.bincount(self.site, self.installed * self.unit, minlength=len(self.slices))
        return self.room[sites, month] - used[sites]

    def install(self, month: int) -> None:
        """Energise waiting cohorts first come, first served, within each site's install rate and
        IT room: capacity ÷ design PUE, and the halls (never the month's operating PUE)."""
        if self._fitted:
            self.waiting_install[:] = 0
            self._fitted = False
        queue = np.flatnonzero(self.waiting)
        if not len(queue):
            return
        runs = _Runs(self.site[queue])
        headroom = self._headroom(runs.keys, month)
        # a site whose first waiting cohort gets no power installs nothing, and nothing of it
        # waits for the install rate only: skip it
        first = queue[runs.starts]
        opened = _fits(headroom, self.unit[first], self.waiting[first]) > 0
        if not opened.all():
            if not opened.any():
                return
            queue = queue[opened[runs.index]]
            headroom = headroom[opened]
            runs = _Runs(self.site[queue])
        want, unit = self.waiting[queue], self.unit[queue]
        take, cut, after = _first_come(want, unit, headroom, self.install_rate[runs.keys], runs)
        self.installed[queue] += take
        left = want - take
        self.waiting[queue] = left
        # what the headroom left would still energise with no install-rate limit: those wait for
        # the install rate, not for power (the queue from each site's first cohort not served in full)
        rest = (runs.rank >= cut[runs.index]) & (left > 0)
        if not rest.any():
            return
        # a site whose first cohort left gets no power from the headroom left has none waiting
        # for the install rate only
        at_cut = np.minimum(runs.starts + cut, len(queue) - 1)   # at a run's end only if nothing is left in it
        opened = _fits(after, unit[at_cut], left[at_cut]) > 0
        rest &= opened[runs.index]
        if not rest.any():
            return
        rest_queue = queue[rest]
        rest_runs = _Runs(self.site[rest_queue])
        kept = np.isin(runs.keys, rest_runs.keys, assume_unique=True)
        fit, _, _ = _first_come(left[rest], unit[rest], after[kept], np.full(len(rest_runs.keys), np.inf), rest_runs)
        self.waiting_install[rest_queue] = fit
        self._fitted = True

    def record(self, month: int) -> None:
        out = self.out
        out.installed[month] = self.installed
        out.stranded[month] = self.waiting
        out.waiting_install[month] = np.minimum(self.waiting_install, self.waiting)
        out.shares[month] = self.powered_share(month)

    def powered_share(self, month: int) -> np.ndarray | None:
        """Each site's share of the month's hours (see :func:`powered_share`), None when every
        site runs the whole month. Sites that may be curtailed are computed from their exact
        per-site IT load, as before."""
        it_mw = np.bincount(self.site, self.installed * self.unit, minlength=len(self.slices))
        limit = self.limit[:, month]
        maybe = np.flatnonzero(it_mw > limit * (1 + 1e-9) * (1 - 1e-9))
        if not len(maybe):
            return None
        share = np.ones(len(self.slices))
        for s in maybe:
            sl = self.slices[s]
            share[s] = float(powered_share(float(self.installed[sl] @ self.unit[sl]), self.capacity[s, month],
                                           self.pue[s, month], self.halls[s, month]))
        return share


class _Runs:
    """Consecutive runs of equal keys (queued cohorts sorted by site: one run per site)."""

    def __init__(self, keys: np.ndarray):
        change = np.empty(len(keys), dtype=bool)
        change[:1] = True
        np.not_equal(keys[1:], keys[:-1], out=change[1:])
        self.starts = np.flatnonzero(change)
        self.keys = keys[self.starts]
        self.index = np.cumsum(change) - 1                                # each element's run
        self.rank = np.arange(len(keys)) - self.starts[self.index]        # its position in the run
        self.lengths = np.diff(np.append(self.starts, len(keys)))
        self.width = int(self.rank[-1] if len(self.starts) == 1 else self.rank.max()) + 1


def _fits(headroom: np.ndarray, unit: np.ndarray, want: np.ndarray) -> np.ndarray:
    """Whole accelerators of ``unit`` MW that ``headroom`` MW energises: ``floor(headroom ÷ unit
    + 1e-9)`` (a unit of zero power always fits: ``want``)."""
    positive = unit > 0
    if positive.all():
        return np.floor(headroom / unit + 1e-9)
    return np.where(positive, np.floor(headroom / np.where(positive, unit, 1.0) + 1e-9), want)


def _first_come(want: np.ndarray, unit: np.ndarray, headroom: np.ndarray, budget: np.ndarray,
                runs: _Runs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First come, first served within each run (site): every cohort takes
    ``min(want, budget left, floor(headroom left ÷ unit + 1e-9))``; the first not served in full
    ends its run's queue. Returns the counts taken, each run's cut (the position of its first
    cohort not served in full, or its length) and its headroom after the counts taken.

    Headroom and budget before each cohort are sequential differences (``subtract.accumulate``),
    the same floating-point operations as a loop that subtracts each cohort in turn.
    """
    n_runs, width = len(runs.keys), runs.width
    i, j = runs.index, runs.rank
    grid = np.zeros((2, n_runs, width + 1))
    grid[0, :, 0] = headroom
    grid[0, i, j + 1] = want * unit
    grid[1, :, 0] = budget
    grid[1, i, j + 1] = want
    room, left = np.subtract.accumulate(grid, axis=2)     # headroom and budget before each cohort
    before = room[i, j]
    can = np.minimum(np.minimum(want, left[i, j]), _fits(before, unit, want))
    can = np.maximum(can, 0.0).astype(np.int64)
    short = np.zeros((n_runs, width + 1), dtype=bool)
    short[:, width] = True
    short[i, j] = can < want
    cut = np.minimum(short.argmax(axis=1), runs.lengths)  # first cohort not served in full, or the run's end
    at = cut[i]
    take = np.where(j < at, want, np.where(j == at, can, 0))
    after = room[np.arange(n_runs), cut]
    at_cut = j == at
    after[i[at_cut]] -= take[at_cut] * unit[at_cut]
    return take, cut, after


def _by_month(months: np.ndarray, keep: np.ndarray):
    """``(month, cohort indices)`` for each distinct month among the kept cohorts, in order (the
    indices ascending: the order in which the former model queued them)."""
    cohorts = np.flatnonzero(keep)
    order = np.argsort(months[cohorts], kind="stable")
    cohorts = cohorts[order]
    values = months[cohorts]
    if not len(values):
        return
    bounds = np.flatnonzero(np.r_[True, values[1:] != values[:-1]])
    for start, stop in zip(bounds, np.r_[bounds[1:], len(values)], strict=True):
        yield int(values[start]), cohorts[start:stop]


def _retirements(delivery: np.ndarray, life: np.ndarray, months: int):
    """``(month, cohort indices)`` of the cohorts delivered within the horizon that retire
    within it, at delivery + life."""
    retirement = delivery + life
    return _by_month(retirement, (delivery < months) & (retirement < months))


STACK_CELLS = 2_000_000
"""Most month × cohort cells in one stacked pass (16 MB per int64 array): a larger stack saves
no time (numpy's per-call cost is already spread) and would cost memory."""


def cells(plan: Plan) -> int:
    """A plan's month × cohort cells: its share of a stack's :data:`STACK_CELLS`."""
    return plan.months * max(len(plan.cohorts), 1)


def buildout(plan: Plan) -> Buildout:
    """Run the plan's deliveries, retirements and installation on SimPy's clock; return the
    :class:`Buildout` (read-only arrays)."""
    return buildouts([plan])[0]


def buildouts(plans: list[Plan]) -> list[Buildout]:
    """The :func:`buildout` of each of ``plans``, plans of one horizon built out in one pass over
    their stacked fleet (:meth:`Fleet.stack`): the same numbers as one pass each, for the cost of
    about one when plans are small."""
    built: list[Buildout] = []
    for group in _stacks(plans):
        fleets = [Fleet.of(plans[k]) for k in group]
        if len(fleets) == 1:
            built.append(_read_only(_build(fleets[0])))
            continue
        out = _build(Fleet.stack(fleets))
        cohorts = np.cumsum([0] + [len(f.site) for f in fleets])
        sites = np.cumsum([0] + [len(f.slices) for f in fleets])
        for k in range(len(fleets)):
            columns = slice(cohorts[k], cohorts[k + 1])
            shares = []
            for share in out.shares:
                part = None if share is None else share[sites[k]:sites[k + 1]]
                shares.append(None if part is None or (part == 1.0).all() else part.copy())
            built.append(_read_only(Buildout(*(np.ascontiguousarray(a[:, columns]) for a in
                                               (out.installed, out.stranded, out.waiting_install)), shares)))
    return built


def _stacks(plans: list[Plan], same=lambda plan: ()) -> list[list[int]]:
    """Runs of consecutive plans that one pass can take: one horizon (start, months) and the
    same ``same(plan)``, within :data:`STACK_CELLS`."""
    groups: list[list[int]] = []
    key, held = None, 0
    for k, plan in enumerate(plans):
        this, size = (plan.start, plan.months, *same(plan)), cells(plan)
        if not groups or this != key or held + size > STACK_CELLS:
            groups.append([])
            key, held = this, 0
        groups[-1].append(k)
        held += size
    return groups


def _build(fleet: Fleet) -> Buildout:
    env = simpy.Environment()
    model = FleetModel(env, fleet)
    env.process(model.departures())
    env.process(model.arrivals())
    env.process(model.operate())
    env.run(until=fleet.months)
    return model.out


def _read_only(out: Buildout) -> Buildout:
    for array in (out.installed, out.stranded, out.waiting_install):
        array.flags.writeable = False
    return out


def with_failures(plan: Plan, built: Buildout, seed: np.random.SeedSequence | None = None) -> Trace:
    """The :class:`Trace` of one draw of ``plan``: ``built``'s installation with failures drawn
    from ``seed`` (default: the scenario seed's engine stream, ``SeedSequence(seed).spawn(2)[1]``;
    each site gets a child of it and draws from its own generator).

    Month by month, in the phases' order: retirements clear their cohorts' repairs, hardware
    back from repair returns, failures are drawn among working accelerators (installed less in
    repair: ``Binomial(working, 1 − exp(−rate × hours ÷ 8766))`` per cohort) and each failed
    accelerator is out for the repair time; then available hours are the installed hours less
    those lost to repair, times the site's powered share.
    """
    return traces([(plan, built, seed)])[0]


def traces(draws: list[tuple[Plan, Buildout, np.random.SeedSequence | None]]) -> list[Trace]:
    """:func:`with_failures` of each ``(plan, build-out, seed)``; draws of one horizon and repair
    time walk the months together, stacked (each site still draws from its own generator, so
    every draw's numbers are those of its own walk)."""
    out: list[Trace] = []
    for group in _stacks([plan for plan, _, _ in draws], lambda plan: (plan.repair_hours,)):
        out.extend(_stacked_failures([draws[k] for k in group]))
    return out


def _stacked_failures(draws: list) -> list[Trace]:
    plans = [plan for plan, _, _ in draws]
    first = plans[0]
    hours, months = first.hours, first.months
    rngs = []
    for plan, _, seed in draws:
        engine_seed = seed if seed is not None else np.random.SeedSequence(plan.seed).spawn(2)[1]
        rngs += [np.random.Generator(np.random.PCG64(child)) for child in engine_seed.spawn(len(plan.sites))]
    fleet = Fleet.stack([Fleet.of(plan) for plan in plans])
    cohorts = np.cumsum([0] + [len(plan.cohorts) for plan in plans])
    installed = draws[0][1].installed if len(draws) == 1 else np.concatenate([b.installed for _, b, _ in draws], axis=1)
    available = installed * hours[:, None]
    failures = np.zeros((months, len(fleet.site)), np.int64)
    if (fleet.failure_rate > 0).any():
        lost_hours = _draw_failures(fleet, hours, first.repair_hours, installed, rngs, failures)
        if lost_hours is not None:
            available = np.maximum(available - lost_hours, 0.0)
    curtailed = np.zeros(available.shape)
    for month in range(months):
        parts = [(k, built.shares[month]) for k, (_, built, _) in enumerate(draws) if built.shares[month] is not None]
        if not parts:
            continue
        share = np.ones(len(fleet.site))
        for k, part in parts:
            share[cohorts[k]:cohorts[k + 1]] = part[plans[k].cohorts.site]
        curtailed[month] = available[month] * (1.0 - share)
        available[month] = available[month] * share
    return [Trace(built.installed, built.stranded, np.ascontiguousarray(available[:, cohorts[k]:cohorts[k + 1]]),
                  built.waiting_install, np.ascontiguousarray(failures[:, cohorts[k]:cohorts[k + 1]]),
                  np.ascontiguousarray(curtailed[:, cohorts[k]:cohorts[k + 1]]))
            for k, (_, built, _) in enumerate(draws)]


SCALAR_DRAWS = 12
"""A site with at most this many cohorts working draws their failures one scalar call each:
numpy's binomial on arrays costs about 30 µs a call whatever its length (it checks its
arguments with array operations), a scalar call about 2 µs, and both take the same numbers from
the site's stream (a cohort with nothing working or a zero rate consumes none;
tests/test_draw_batches.py checks it)."""


def _draw_failures(fleet: Fleet, hours: np.ndarray, repair_hours: float, installed: np.ndarray, rngs: list,
                   failures: np.ndarray) -> np.ndarray | None:
    """Fill ``failures`` (months × cohorts); return the hours lost to repair (None: no failure)."""
    months, n, rate = fleet.months, installed.shape[1], fleet.failure_rate
    retiring = dict(_retirements(fleet.delivery, fleet.life, months))
    probabilities: dict[float, np.ndarray] = {}
    in_repair = np.zeros(n, np.int64)
    returns = lost_hours = None      # (months + 1) × cohorts back from repair; months × cohorts out
    n_sites = len(fleet.slices)
    positive = rate > 0
    may_fail = np.bincount(fleet.site[positive], minlength=n_sites) > 0   # sites with a rate above 0
    draws = [rng.binomial for rng in rngs]
    for month in range(months):
        cohorts = retiring.get(month)
        if cohorts is not None:
            in_repair[cohorts] = 0
            if returns is not None:
                returns[month:, cohorts] = 0
                lost_hours[month:, cohorts] = 0.0
        if returns is not None:
            in_repair -= returns[month]
        working = installed[month] - in_repair
        with_working = np.bincount(fleet.site[working > 0], minlength=n_sites)
        drawing = may_fail & (with_working > 0)   # a site with nothing working draws nothing
        if not drawing.any():
            continue
        probability = probabilities.get(hours[month])
        if probability is None:
            probability = probabilities[hours[month]] = failure_probability(rate, hours[month])
        failed = failures[month]
        few = drawing & (with_working <= SCALAR_DRAWS)
        if few.any():  # one scalar call per working cohort of these sites, in cohort order
            chosen = np.flatnonzero(few[fleet.site] & (working > 0) & positive)
            failed[chosen] = [draws[site](count, p) for site, count, p in
                              zip(fleet.site[chosen].tolist(), working[chosen].tolist(),
                                  probability[chosen].tolist(), strict=True)]
        for s in np.flatnonzero(drawing & ~few).tolist():
            sl = fleet.slices[s]
            failed[sl] = draws[s](working[sl], probability[sl])
        if not failed.any():
            continue
        if returns is None:
            returns = np.zeros((months + 1, n), np.int64)
            lost_hours = np.zeros((months, n))
        remaining, ahead = repair_hours, month
        while remaining > 0 and ahead < months:
            lost = min(hours[ahead], remaining)
            lost_hours[ahead] += failed * lost
            remaining -= lost
            ahead += 1
        if ahead > month:  # a repair time of 0 has the hardware back at once: nothing is out
            in_repair += failed
            returns[ahead] += failed
    return lost_hours


def run(plan: Plan, seed: np.random.SeedSequence | None = None) -> Trace:
    """Simulate ``plan``; return the month-by-cohort :class:`Trace`: its :func:`buildout`, then
    :func:`with_failures` drawn from ``seed`` (default: the scenario seed's engine stream)."""
    return with_failures(plan, buildout(plan), seed)
