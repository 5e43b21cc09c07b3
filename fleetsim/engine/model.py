"""The discrete-event model: SimPy processes for sites and cohorts.

Simulated time is counted in months from the scenario's start. Everything in a month happens at
its first hour, in a fixed order of phases (:data:`PHASES`), which SimPy keeps by scheduling
each event with its phase as priority: capacity, retirements, repair returns, deliveries,
installation, failures, then the month's record.

Entities are cohorts — an order's accelerators delivered in one month — never single
accelerators: state is a handful of integer counts per cohort, and failures are binomial draws
per cohort, so a million accelerators cost what a thousand do.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass

import numpy as np
import simpy
from simpy.events import Event

from fleetsim.engine.plan import Plan, SitePlan

PHASES = ("capacity", "retire", "repair", "deliver", "install", "fail", "record")
RETIRE, REPAIR, DELIVER, INSTALL, FAIL, RECORD = range(1, 7)
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


class SiteModel:
    """One site: its installation queue and the state of the cohorts delivered to it."""

    def __init__(self, env: simpy.Environment, plan: Plan, site: SitePlan, rng: np.random.Generator,
                 trace: Trace):
        self.env, self.plan, self.site, self.rng, self.trace = env, plan, site, rng, trace
        sl = site.cohorts
        self.offset = sl.start
        size = sl.stop - sl.start
        cohorts = plan.cohorts
        self.unit_it_mw = cohorts.unit_it_mw[sl]
        self.failure_rate = cohorts.failure_rate[sl]
        self.installed = np.zeros(size, np.int64)
        self.in_repair = np.zeros(size, np.int64)
        self.waiting = np.zeros(size, np.int64)
        self.waiting_install = np.zeros(size, np.int64)
        self.queue: deque[int] = deque()
        self.returns: dict[int, np.ndarray] = {}
        self.lost_hours: dict[int, np.ndarray] = {}

    # -- processes ------------------------------------------------------------------------
    def operate(self):
        """The site's monthly round: repair returns, installation, failures, record."""
        for month in range(self.plan.months):
            yield At(self.env, month, REPAIR)
            self.return_repaired(month)
            yield At(self.env, month, INSTALL)
            self.install(month)
            yield At(self.env, month, FAIL)
            self.fail(month)
            yield At(self.env, month, RECORD)
            self.record(month)

    def cohort_life(self, cohort: int):
        """A cohort arrives on its delivery month and retires at delivery + life."""
        cohorts = self.plan.cohorts
        delivery = int(cohorts.delivery[cohort])
        if delivery >= self.plan.months:
            return
        yield At(self.env, delivery, DELIVER)
        self.deliver(cohort - self.offset, int(cohorts.count[cohort]))
        retirement = delivery + int(cohorts.life[cohort])
        if retirement < self.plan.months:
            yield At(self.env, retirement, RETIRE)
            self.retire(cohort - self.offset)

    # -- state changes --------------------------------------------------------------------
    def deliver(self, local: int, count: int) -> None:
        self.waiting[local] = count
        self.queue.append(local)

    def retire(self, local: int) -> None:
        self.installed[local] = 0
        self.in_repair[local] = 0
        self.waiting[local] = 0
        if local in self.queue:
            self.queue.remove(local)
        for pending in (*self.returns.values(), *self.lost_hours.values()):
            pending[local] = 0

    def return_repaired(self, month: int) -> None:
        back = self.returns.pop(month, None)
        if back is not None:
            self.in_repair -= back

    def install(self, month: int) -> None:
        """Energise waiting cohorts first come, first served, within install rate and IT room:
        capacity ÷ design PUE, and the halls (never the month's operating PUE)."""
        headroom = float(self.site.it_room_mw[month]) - float(self.installed @ self.unit_it_mw)
        budget = self.site.install_rate
        while self.queue and budget > 0:
            local = self.queue[0]
            unit = self.unit_it_mw[local]
            fits = math.floor(headroom / unit + 1e-9) if unit > 0 else self.waiting[local]
            count = int(min(self.waiting[local], budget, max(fits, 0)))
            if count > 0:
                self.installed[local] += count
                self.waiting[local] -= count
                headroom -= count * unit
                budget -= count
            if self.waiting[local] > 0:
                break
            self.queue.popleft()
        self.waiting_install = self._fit(headroom)

    def _fit(self, headroom: float) -> np.ndarray:
        """Per cohort, how many waiting accelerators ``headroom`` (MW of IT) would still energise
        first come, first served with no install-rate limit: those wait for the install rate, not
        for power."""
        fit = np.zeros_like(self.waiting)
        for local in self.queue:
            unit = self.unit_it_mw[local]
            fits = math.floor(headroom / unit + 1e-9) if unit > 0 else self.waiting[local]
            count = int(min(self.waiting[local], max(fits, 0)))
            fit[local] = count
            headroom -= count * unit
            if count < self.waiting[local]:
                break
        return fit

    def fail(self, month: int) -> None:
        """Draw failures among working accelerators; each is out for the repair time."""
        hours = self.plan.hours
        working = self.installed - self.in_repair
        if not working.any():
            return
        failed = self.rng.binomial(working, failure_probability(self.failure_rate, hours[month]))
        self.trace.failures[month, self.site.cohorts] = failed
        if not failed.any():
            return
        remaining, ahead = self.plan.repair_hours, month
        while remaining > 0 and ahead < self.plan.months:
            lost = min(hours[ahead], remaining)
            self.lost_hours.setdefault(ahead, np.zeros_like(hours, shape=failed.shape))
            self.lost_hours[ahead] += failed * lost
            remaining -= lost
            ahead += 1
        self.in_repair += failed
        back = self.returns.setdefault(ahead, np.zeros_like(failed))
        back += failed

    def record(self, month: int) -> None:
        sl = self.site.cohorts
        self.trace.installed[month, sl] = self.installed
        self.trace.stranded[month, sl] = self.waiting
        self.trace.waiting_install[month, sl] = np.minimum(self.waiting_install, self.waiting)
        available = self.installed * self.plan.hours[month]
        lost = self.lost_hours.pop(month, None)
        if lost is not None:
            available = np.maximum(available - lost, 0.0)
        share = self.powered_share(month)
        self.trace.curtailed_hours[month, sl] = available * (1.0 - share)
        self.trace.available_hours[month, sl] = available * share

    def powered_share(self, month: int) -> float:
        """Share of the month's hours the site can run (see :func:`powered_share`)."""
        site = self.site
        return float(powered_share(float(self.installed @ self.unit_it_mw), site.capacity_mw[month],
                                   site.pue[month], site.halls_mw[month]))


def run(plan: Plan, seed: np.random.SeedSequence | None = None) -> Trace:
    """Simulate ``plan``; return the month-by-cohort :class:`Trace`.

    The engine's randomness comes from ``seed`` (default: the scenario seed's engine stream,
    ``SeedSequence(seed).spawn(2)[1]``); each site gets a child of it.
    """
    env = simpy.Environment()
    trace = Trace.empty(plan.months, len(plan.cohorts))
    engine_seed = seed if seed is not None else np.random.SeedSequence(plan.seed).spawn(2)[1]
    for site, seed in zip(plan.sites, engine_seed.spawn(len(plan.sites)), strict=True):
        model = SiteModel(env, plan, site, np.random.Generator(np.random.PCG64(seed)), trace)
        env.process(model.operate())
        for cohort in range(site.cohorts.start, site.cohorts.stop):
            env.process(model.cohort_life(cohort))
    env.run(until=plan.months)
    return trace
