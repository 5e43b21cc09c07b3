"""The vectorised monthly step installs exactly what a site-by-site, cohort-by-cohort loop does.

The engine walks every site's queue at once (``fleetsim.engine.model._first_come``); the former
engine looped over each site's queue in Python. The loop below is that former code, line for
line (``SiteModel.install`` and ``SiteModel._fit`` up to fleetsim 0.x, issue 15): the counts
and the headroom left must be equal, bit for bit, on random queues where the install rate, the
power or neither binds.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from fleetsim.engine.model import _first_come, _Runs


def loop(want, unit, headroom: float, budget: float):
    """The former per-site loop: first come, first served, stop at the first cohort not served
    in full; then what the headroom left fits with no budget."""
    waiting = [int(w) for w in want]
    taken = [0] * len(waiting)
    k = 0
    while k < len(waiting) and budget > 0:
        fits = math.floor(headroom / unit[k] + 1e-9) if unit[k] > 0 else waiting[k]
        count = int(min(waiting[k], budget, max(fits, 0)))
        if count > 0:
            taken[k] = count
            waiting[k] -= count
            headroom -= count * unit[k]
            budget -= count
        if waiting[k] > 0:
            break
        k += 1
    fit = [0] * len(waiting)
    room = headroom
    for k in range(len(waiting)):
        if not waiting[k]:
            continue
        fits = math.floor(room / unit[k] + 1e-9) if unit[k] > 0 else waiting[k]
        count = int(min(waiting[k], max(fits, 0)))
        fit[k] = count
        room -= count * unit[k]
        if count < waiting[k]:
            break
    return np.array(taken), headroom, np.array(fit)


@pytest.mark.parametrize("seed", range(40))
def test_first_come_matches_the_loop(seed):
    rng = np.random.default_rng(seed)
    sites = int(rng.integers(1, 6))
    lengths = rng.integers(1, 9, sites)
    keys = np.repeat(np.arange(sites) * 3, lengths)          # sorted site numbers, with gaps
    want = rng.integers(1, 3000, len(keys))
    unit = rng.choice([1.3e-3, 1.0e-3, 2.71e-3, 1.2e-3 * 1.82, 0.7e-3 * 1.82], len(keys))
    headroom = rng.uniform(-1.0, 12.0, sites)
    budget = rng.choice([np.inf, 500.0, 2500.0, 7000.0, 1234.5], sites)
    runs = _Runs(keys)
    take, cut, after = _first_come(want, unit, headroom, budget, runs)
    for s in range(sites):
        mine = runs.index == s
        expected, left_room, expected_fit = loop(want[mine], unit[mine], headroom[s], budget[s])
        np.testing.assert_array_equal(take[mine], expected)
        assert after[s] == left_room                          # bit for bit, not approximately
        rest = want[mine] - take[mine]
        queue = rest > 0
        if queue.any():
            sub = _Runs(np.zeros(int(queue.sum()), dtype=np.int64))
            fit, _, _ = _first_come(rest[queue], unit[mine][queue], np.array([after[s]]), np.array([np.inf]), sub)
            np.testing.assert_array_equal(fit, expected_fit[queue])
        assert cut[s] == (np.flatnonzero(take[mine] < want[mine])[0] if (take[mine] < want[mine]).any()
                          else mine.sum())


def test_a_hand_case():
    """Room for 10.5 MW of IT at 1 MW per accelerator, install rate 8: the first cohort of 5 is
    served, the second gets 3 (rate), 2.5 MW stays free; 2 more would fit without the rate."""
    runs = _Runs(np.array([0, 0, 0]))
    take, cut, after = _first_come(np.array([5, 6, 4]), np.array([1.0, 1.0, 1.0]), np.array([10.5]),
                                   np.array([8.0]), runs)
    assert take.tolist() == [5, 3, 0] and cut.tolist() == [1] and after.tolist() == [2.5]
    fit, _, _ = _first_come(np.array([3, 4]), np.array([1.0, 1.0]), after, np.array([np.inf]), _Runs(np.array([0, 0])))
    assert fit.tolist() == [2, 0]
