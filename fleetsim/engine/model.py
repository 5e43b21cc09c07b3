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
"""Hours in an average year (365.25 days), the basis of annualised failure rates."""


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
    rate did not (the rest waits for power); ``available_hours`` are accelerator-hours of working
    (not failed) installed hardware over the month.
    """

    installed: np.ndarray
    stranded: np.ndarray
    available_hours: np.ndarray
    waiting_install: np.ndarray

    @classmethod
    def empty(cls, months: int, cohorts: int) -> Trace:
        return cls(np.zeros((months, cohorts), np.int64), np.zeros((months, cohorts), np.int64),
                   np.zeros((months, cohorts), float), np.zeros((months, cohorts), np.int64))

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
        """Energise waiting cohorts first come, first served, within install rate and capacity."""
        pue = self.site.pue[month]
        headroom = self.site.capacity_mw[month] - float(self.installed @ self.unit_it_mw) * pue
        budget = self.site.install_rate
        while self.queue and budget > 0:
            local = self.queue[0]
            unit = self.unit_it_mw[local] * pue
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
        self.waiting_install = self._fit(headroom, pue)

    def _fit(self, headroom: float, pue: float) -> np.ndarray:
        """Per cohort, how many waiting accelerators ``headroom`` would still energise first come,
        first served with no install-rate limit: those wait for the install rate, not for power."""
        fit = np.zeros_like(self.waiting)
        for local in self.queue:
            unit = self.unit_it_mw[local] * pue
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
        probability = 1.0 - (1.0 - self.failure_rate) ** (hours[month] / HOURS_PER_YEAR)
        failed = self.rng.binomial(working, probability)
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
        self.trace.available_hours[month, sl] = available


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
