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
from fleetsim.engine.model import buildout, buildouts, traces, with_failures
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


def test_draws_with_sampled_inputs_are_built_out_together_and_equal_each_alone():
    """A scenario with distributions compiles a plan per draw; the chunk builds them out in one
    stacked pass and walks their failures together, and each draw equals its own whole run."""
    uncertain = fleetsim.load("scenarios/colossus-uncertain.yaml")
    jobs = [(i, executors.draw_values(uncertain, i), (1, i)) for i in (2, 3, 11)]
    traced = list(executors.traced_jobs(uncertain, jobs))
    assert all(made is not None for _, made in traced)       # every draw came from the batch
    outcomes = executors.run_chunk(uncertain, jobs)
    assert len({outcome.monthly.tobytes() for outcome in outcomes}) == len(jobs)   # the draws differ
    for job, outcome in zip(jobs, outcomes, strict=True):
        result = executors.run_job(uncertain, job)
        np.testing.assert_array_equal(outcome.monthly, result.monthly.to_numpy())


def _plans(tmp_path, variants):
    from tests.conftest import make_text

    plans = []
    for k, kwargs in enumerate(variants):
        path = tmp_path / f"v{k}.yaml"
        path.write_text(make_text(**kwargs))
        plans.append(compile_plan(fleetsim.load(path)))
    return plans


ORDERS = ("  - {hardware: TEST, count: 6000, site: s1, delivery: 2024-01}\n"
          "  - {hardware: TEST, count: 5000, site: s1, delivery: {from: 2024-03, to: 2024-08}}\n"
          "  - {hardware: H100, count: %d, site: s1, delivery: 2024-05}")


def test_stacked_passes_equal_one_pass_each_with_curtailment_failures_and_retirements(tmp_path):
    """Plans that differ in orders, capacity steps (curtailment in some, not others), failure
    rates and lives, built out and failed together: every trace equals its plan's own run."""
    variants = [dict(months=24, seed=k, failure_rate=rate, life=life, orders=ORDERS % count,
                     capacity=capacity)
                for k, (rate, life, count, capacity) in enumerate([
                    (0.5, "1 years", 3000, "{2024-01: 40 MW, 2024-09: 12 MW}"),
                    (0.0, "4 years", 100, "40 MW"),
                    (2.0, "9 months", 9000, "{2024-01: 25 MW, 2024-04: 8 MW, 2024-12: 30 MW}"),
                    (0.1, "2 years", 0, "15 MW")])]
    plans = _plans(tmp_path, variants)
    stacked = traces([(plan, built, seed_of(k)) for k, (plan, built) in enumerate(zip(plans, buildouts(plans),
                                                                                        strict=True))])
    curtailed = 0
    for k, (plan, trace) in enumerate(zip(plans, stacked, strict=True)):
        alone = run(plan, seed_of(k))
        for field in FIELDS:
            np.testing.assert_array_equal(getattr(trace, field), getattr(alone, field), err_msg=f"{k} {field}")
        curtailed += bool(alone.curtailed_hours.any())
    assert 0 < curtailed < len(plans)                 # some plans are curtailed, some are not
    assert stacked[2].failures.sum() > 10 * stacked[1].failures.sum() > 0  # rates 2.0 and 0 (H100s: catalog)


def seed_of(k: int) -> np.random.SeedSequence:
    return np.random.SeedSequence(7, spawn_key=(1, k))


def test_plans_of_other_horizons_or_repair_times_are_not_stacked(tmp_path):
    plans = _plans(tmp_path, [dict(months=12), dict(months=12), dict(months=18), dict(months=18, repair="40 days")])
    from fleetsim.engine.model import _stacks

    assert _stacks(plans) == [[0, 1], [2, 3]]
    assert _stacks(plans, lambda plan: (plan.repair_hours,)) == [[0, 1], [2], [3]]


@pytest.mark.parametrize("seed", range(60))
def test_scalar_and_array_binomial_draws_take_the_same_numbers(seed):
    """The failure walk draws a site with few working cohorts one scalar call each
    (engine.model.SCALAR_DRAWS): numpy gives the same numbers as one call on the arrays, and
    skipping cohorts with nothing working or a zero rate consumes nothing from the stream."""
    r = np.random.default_rng(seed)
    k = int(r.integers(1, 20))
    n = r.choice([0, 1, 5, 30, 1000, 100_000, 2_000_000], k)
    p = r.choice([0.0, 1e-6, 0.0076, 0.02, 0.3, 0.6, 0.99], k)
    array, scalar = np.random.default_rng(seed + 1000), np.random.default_rng(seed + 1000)
    for _ in range(3):
        expected = array.binomial(n, p)
        got = [scalar.binomial(int(a), float(b)) if a > 0 and b > 0 else 0 for a, b in zip(n, p, strict=True)]
        np.testing.assert_array_equal(got, expected)
    assert array.random() == scalar.random()        # both streams are at the same place


def test_a_draw_that_fails_in_a_batch_is_named(monkeypatch):
    """A plan that fails to compile inside a batch: the draw runs alone and its error names it."""
    from fleetsim.uncertainty.executors import DrawError

    uncertain = fleetsim.load("scenarios/colossus-uncertain.yaml")
    real = executors._variant

    def broken(scenario, job):
        if job[0] == 4:
            raise RuntimeError("no plan today")
        return real(scenario, job)

    monkeypatch.setattr(executors, "_variant", broken)
    with pytest.raises(DrawError, match="draw 4 failed: RuntimeError: no plan today"):
        executors.run_chunk(uncertain, [(i, None, (1, i)) for i in range(3, 7)])


def test_substitute_copies_only_the_paths_it_writes():
    """A draw's tree shares everything but the containers on its paths with the scenario's, and
    the scenario's tree never changes (it is what the next draw substitutes into)."""
    import copy

    from fleetsim.uncertainty.distributions import substitute

    tree = {"a": {"b": [1, {"c": 2, "d": 3}], "e": {"f": 4}}, "g": [5, 6], "h": {"i": 7}}
    before = copy.deepcopy(tree)
    out = substitute(tree, {("a", "b", 1, "c"): 20, ("g", 0): 50, ("a", "b", 1, "d"): 30})
    assert out == {"a": {"b": [1, {"c": 20, "d": 30}], "e": {"f": 4}}, "g": [50, 6], "h": {"i": 7}}
    assert tree == before
    assert out["h"] is tree["h"] and out["a"]["e"] is tree["a"]["e"]        # untouched parts shared
    assert out["a"]["b"] is not tree["a"]["b"] and out["g"] is not tree["g"]
    uncertain = fleetsim.load("scenarios/colossus-uncertain.yaml")
    original = uncertain.tree
    values = executors.draw_values(uncertain, 5)
    drawn = uncertain.with_values(values)
    assert uncertain.tree == original and drawn.hash() != uncertain.hash()
    assert drawn.hash() == uncertain.with_values(values).hash()


def test_chunk_sizes_cover_every_job_and_shrink_to_the_end():
    """Hand case: 1,000 jobs on 2 workers go out in fourteen chunks of 64 (896 jobs), then each
    chunk half of what is left, rounded up, at least 8: 104/2 -> 52, 52/2 -> 26, 13, 8, and 5."""
    assert executors.chunk_sizes(1000, 2) == [64] * 14 + [52, 26, 13, 8, 5]
    assert executors.chunk_sizes(10, 3, chunk=4) == [4, 4, 2]  # a chunk asked for is kept
    assert executors.chunk_sizes(7, 1) == [1] * 7  # one worker: nothing to balance
    for count in (1, 2, 3, 17, 100, 999, 10_000):
        for workers in (1, 2, 3, 8):
            sizes = executors.chunk_sizes(count, workers)
            assert sum(sizes) == count and min(sizes) >= 1
            assert sizes == sorted(sizes, reverse=True)
            assert max(sizes) == executors.chunk_size(count, workers)


def test_packed_outcomes_come_back_bit_for_bit():
    rng = np.random.default_rng(5)
    outcomes = [executors.Outcome(i, rng.random((3, 4)), rng.random(2), (float(i), "H100"), None)
                for i in (7, 3, 9)]
    packed = executors.run_packed(lambda: outcomes)
    assert isinstance(packed, executors.Packed) and packed.monthly.shape == (3, 3, 4)
    back = executors.Packed.outcomes(packed)
    assert [o.index for o in back] == [7, 3, 9] and [o.inputs for o in back] == [o.inputs for o in outcomes]
    for a, b in zip(outcomes, back, strict=True):
        np.testing.assert_array_equal(a.monthly, b.monthly)
        np.testing.assert_array_equal(a.summary, b.summary)
    ragged = [*outcomes, executors.Outcome(1, rng.random((5, 4)), rng.random(2))]
    assert executors.Packed.of(ragged) is ragged and executors.Packed.of([]) == []


def _chunk_that_marks_its_end(place, jobs):
    """A chunk runner for the pool: job 0 returns at once; any other sleeps 1.5 s, then leaves a file."""
    import time
    from pathlib import Path

    for index, _, _ in jobs:
        if index:
            time.sleep(1.5)
            Path(place.folder, f"ended-{index}").touch()
    return []


def test_an_abandoned_pool_stops_its_running_chunks(tmp_path):
    """When the draws stop early (Ctrl-C, SIGTERM, a failed draw), the pool's workers are ended
    at once, not left to finish their chunks (a chunk of world draws runs for seconds). Jobs 1
    and 2 would each leave a file 1.5 s into their chunk; the draws are abandoned after job 0's
    chunk, and 2.5 s later neither file exists."""
    import time
    import types

    place = types.SimpleNamespace(uncertain={}, folder=str(tmp_path))
    draws = executors.map_chunks(place, [(0, {}, None), (1, {}, None), (2, {}, None)], workers=2,
                                 runner=_chunk_that_marks_its_end, chunk=1)
    assert next(draws) == []
    draws.close()
    time.sleep(2.5)
    assert sorted(p.name for p in tmp_path.iterdir()) == []
