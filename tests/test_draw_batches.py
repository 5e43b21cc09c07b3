"""Draws of one plan share its build-out (issue 15, part 3: several draws per engine pass).

Failed hardware stays installed while in repair, so installation never depends on the random
stream: :func:`fleetsim.engine.model.buildout` runs once per chunk of draws and each draw adds
only its failures (:func:`~fleetsim.engine.model.with_failures`). Each draw must give exactly
the numbers of a whole run of its own.
"""

from __future__ import annotations

import numpy as np
import pytest

import fleetsim
from fleetsim.engine import compile_plan, run
from fleetsim.engine.model import buildout, with_failures
from fleetsim.uncertainty import executors

FIELDS = ("installed", "stranded", "available_hours", "waiting_install", "failures", "curtailed_hours")


@pytest.fixture(scope="module")
def flagship():
    return fleetsim.load("scenarios/colossus.yaml")


def seed(scenario, index: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(scenario.spec.seed, spawn_key=(1, index))


def test_one_buildout_serves_every_draw_bit_for_bit(flagship):
    plan = compile_plan(flagship)
    built = buildout(plan)
    traces = [with_failures(plan, built, seed(flagship, i)) for i in range(4)]
    for i, shared in enumerate(traces):
        alone = run(compile_plan(flagship), seed(flagship, i))
        for field in FIELDS:
            np.testing.assert_array_equal(getattr(shared, field), getattr(alone, field), err_msg=field)
    # the draws differ in their failures (and so in available hours), never in installation
    assert traces[0].failures.sum() != traces[1].failures.sum()
    assert not np.array_equal(traces[0].available_hours, traces[1].available_hours)
    assert traces[0].installed is traces[1].installed


def test_the_shared_buildout_is_read_only(flagship):
    built = buildout(compile_plan(flagship))
    for array in (built.installed, built.stranded, built.waiting_install):
        with pytest.raises(ValueError, match="read-only"):
            array[0, 0] = 1


def test_a_chunk_with_a_shared_buildout_equals_each_draw_alone(flagship):
    """run_chunk shares the plan and build-out across its jobs; each outcome equals the draw's
    own full run (Result.monthly and summary()), and failures really vary between draws."""
    jobs = [(i, None, (1, i)) for i in (0, 1, 7)]
    outcomes = executors.run_chunk(flagship, jobs)
    for job, outcome in zip(jobs, outcomes, strict=True):
        result = executors.run_job(flagship, job)
        np.testing.assert_array_equal(outcome.monthly, result.monthly.to_numpy())
        expected = result.summary()
        np.testing.assert_array_equal(outcome.summary, [expected[k] for k in executors.SUMMARY_KEYS])
    failures = [o.monthly[:, list(result.monthly.columns).index("failures")].sum() for o in outcomes]
    assert len(set(failures)) == len(failures)


def test_draws_with_sampled_inputs_compile_their_own_plan():
    """A scenario with distributions changes its plan from draw to draw: nothing is shared."""
    uncertain = fleetsim.load("scenarios/colossus-uncertain.yaml")
    assert uncertain.uncertain and executors._shared(uncertain) is None
    jobs = [(i, None, (1, i)) for i in (2, 3)]
    for job, outcome in zip(jobs, executors.run_chunk(uncertain, jobs), strict=True):
        result = executors.run_job(uncertain, (job[0], executors.draw_values(uncertain, job[0]), job[2]))
        np.testing.assert_array_equal(outcome.monthly, result.monthly.to_numpy())
