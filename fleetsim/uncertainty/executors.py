"""Running many simulations: in this process, a local process pool, or a Dask cluster.

Work goes out in chunks of jobs ``(index, values, seed_key)`` for one scenario: ``values`` set
distributions (None: draw them from the scenario's seed and the index), ``seed_key`` names the
engine's random stream (None: the scenario's own). A job's result depends only on the scenario
and the job, never on the worker, so every executor and worker count gives the same numbers.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, wait
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import numpy as np

from fleetsim.errors import FleetsimError
from fleetsim.figures import ENSEMBLE
from fleetsim.processes import orphan_watch, pool

Job = tuple[int, dict | None, tuple | None]


class DrawError(FleetsimError):
    """A simulation in an ensemble, sweep or sensitivity run failed; nothing was written."""


class SchedulerError(FleetsimError):
    """The Dask scheduler could not be reached or used."""


@dataclass
class Outcome:
    """One job's result: the monthly table as an array and its summary figures."""

    index: int
    monthly: np.ndarray
    summary: np.ndarray
    inputs: tuple | None = None
    """The draw's sampled inputs as numbers in their units (or the choice made), in the order of
    ``scenario.uncertain``; None when the job set its values itself."""
    owners: tuple | None = None
    """``(owners, years, values)``: the owner names, calendar years and years × owners ×
    :data:`~fleetsim.accounting.owners.BAND_COLUMNS` array of
    :func:`~fleetsim.accounting.owners.owner_years`, when the scenario names owners, else None."""


def draw_magnitudes(scenario, index: int) -> dict:
    """The magnitudes (in each distribution's unit) of the scenario's distributions in draw ``index``.

    Parameters come from ``SeedSequence(seed, spawn_key=(2, index))``: one uniform number per
    distribution, in document order, mapped through its quantile function.
    """
    rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(scenario.spec.seed, spawn_key=(2, index))))
    u = rng.random(len(scenario.uncertain))
    return {key: dist.ppf(float(x)) for (key, dist), x in zip(scenario.uncertain.items(), u, strict=True)}


def draw_magnitudes_many(scenario, indices: Sequence[int]) -> list[dict]:
    """:func:`draw_magnitudes` of each draw in ``indices`` (the same numbers), with one vectorised
    quantile-function call per distribution for them all instead of one per draw."""
    items = list(scenario.uncertain.items())
    u = np.array([np.random.Generator(np.random.PCG64(np.random.SeedSequence(scenario.spec.seed, spawn_key=(2, i))))
                  .random(len(items)) for i in indices]).reshape(len(indices), len(items))
    columns = [dist.ppf_many(u[:, d]) for d, (_, dist) in enumerate(items)]
    return [{key: (column[n] if dist.name == "choice" else float(column[n]))
             for (key, dist), column in zip(items, columns, strict=True)} for n in range(len(indices))]


def draw_values(scenario, index: int) -> dict:
    """The values of the scenario's distributions in draw ``index``, written as the scenario would."""
    return {key: scenario.uncertain[key].value(m) for key, m in draw_magnitudes(scenario, index).items()}


def engine_seed(scenario, key: tuple | None) -> np.random.SeedSequence | None:
    return None if key is None else np.random.SeedSequence(scenario.spec.seed, spawn_key=key)


def run_job(scenario, job: Job):
    """Simulate one job; return its :class:`~fleetsim.result.Result`."""
    import warnings

    from fleetsim.errors import FleetsimWarning
    from fleetsim.simulation import simulate

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FleetsimWarning)
        return simulate(_variant(scenario, job), seed=engine_seed(scenario, job[2]))


def _variant(scenario, job: Job):
    """The scenario with the job's sampled values (the scenario itself when nothing is uncertain)."""
    index, values, _ = job
    if not scenario.uncertain:
        return scenario
    return scenario.with_values(draw_values(scenario, index) if values is None else values)


def plan_and_trace(scenario, job: Job, traced: tuple | None = None):
    """The job's compiled plan and engine trace: what the table-free draw paths start from
    (``traced``: both, when :func:`traced_jobs` made them with the rest of the job's chunk)."""
    if traced is not None:
        return traced
    from fleetsim.engine import compile_plan, run

    plan = compile_plan(_variant(scenario, job))
    return plan, run(plan, engine_seed(scenario, job[2]))


def traced_jobs(scenario, jobs: Sequence[Job]) -> Iterator[tuple[Job, tuple | None]]:
    """Each job with its ``(plan, trace)``, made in batches (issue 15: several draws per engine
    pass). Jobs of a scenario without distributions share one plan and one build-out: draws
    differ only in their failures. Jobs with sampled values compile their own plans, built out
    in one pass over their stacked fleets (:func:`~fleetsim.engine.model.buildouts`). Either
    way the draws' failures walk the months together (:func:`~fleetsim.engine.model.traces`).
    A batch holds at most :data:`~fleetsim.engine.model.STACK_CELLS` month × cohort cells, so
    memory stays flat. A job whose batch fails here gets None: it then runs alone, and a
    failure names its draw. The books never write to a plan or a trace, and the build-outs'
    arrays are read-only."""
    from fleetsim.engine import compile_plan
    from fleetsim.engine.model import STACK_CELLS, buildouts, cells, traces

    if len(jobs) < 2:
        yield from ((job, None) for job in jobs)
        return

    def batch(items: list[tuple[Job, Any, Any]]) -> Iterator[tuple[Job, tuple | None]]:
        try:
            plans = [plan for _, plan, _ in items]
            built = [b for _, _, b in items] if items[0][2] is not None else buildouts(plans)
            made = traces([(plan, b, engine_seed(scenario, job[2]))
                           for (job, plan, _), b in zip(items, built, strict=True)])
        except Exception:  # the failing job is found and named when it runs alone
            yield from ((job, None) for job, _, _ in items)
            return
        yield from ((job, (plan, trace)) for (job, plan, _), trace in zip(items, made, strict=True))

    shared = None
    if not scenario.uncertain:
        try:
            plan = compile_plan(scenario)
            shared = (plan, buildouts([plan])[0])
        except Exception:
            yield from ((job, None) for job in jobs)
            return
    pending: list[tuple[Job, Any, Any]] = []
    held = 0  # month × cohort cells of the pending jobs' plans
    for job in jobs:
        if shared is not None:
            plan = shared[0]
        else:
            try:
                plan = compile_plan(_variant(scenario, job))
            except Exception:
                if pending:
                    yield from batch(pending)
                pending, held = [], 0
                yield job, None
                continue
        size = cells(plan)
        if pending and held + size > STACK_CELLS:
            yield from batch(pending)
            pending, held = [], 0
        pending.append((job, plan, None if shared is None else shared[1]))
        held += size
    if pending:
        yield from batch(pending)


SUMMARY_KEYS = ENSEMBLE
"""The headline figures each draw records (defined in :mod:`fleetsim.figures`)."""


def run_figures(scenario, job: Job, traced: tuple | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Simulate one job for an ensemble: its monthly table as an array (months × columns, in
    :data:`~fleetsim.accounting.columns.COLUMNS` order) and its :data:`SUMMARY_KEYS` figures,
    the same numbers as ``run_job(scenario, job)`` gives in ``Result.monthly`` and
    ``Result.summary()``, without building the ledger, the other tables or any DataFrame."""
    from fleetsim.accounting.books import monthly_arrays

    plan, trace = plan_and_trace(scenario, job, traced)
    m = monthly_arrays(plan, trace)
    return stacked(m), summary_figures(m, plan.month_numbers)


def stacked(m: dict[str, np.ndarray]) -> np.ndarray:
    """The monthly columns as one months × columns array, in :data:`~fleetsim.accounting.columns.COLUMNS` order."""
    from fleetsim.accounting.columns import COLUMNS

    return np.column_stack([m[c] for c in COLUMNS])


def names_owners(scenario) -> bool:
    """Whether ``scenario`` names at least one owner (of a site or an order): its draws then
    record per-owner yearly figures (:func:`run_owner_figures`)."""
    from fleetsim.scenario.contracts import scenario_owners

    return bool(scenario_owners(scenario.spec))


def run_owner_figures(scenario, job: Job, traced: tuple | None = None
                      ) -> tuple[np.ndarray, np.ndarray, tuple[list[str], list[int], np.ndarray]]:
    """As :func:`run_figures`, plus the owners, years and years × owners × columns array of
    :func:`~fleetsim.accounting.owners.owner_years` (the numbers ``Result.by_owner("Y")`` gives),
    still without building any table."""
    from fleetsim.accounting import owners
    from fleetsim.accounting.books import monthly_and_owner_arrays

    plan, trace = plan_and_trace(scenario, job, traced)
    m, (pairs, arrays) = monthly_and_owner_arrays(plan, trace)
    return stacked(m), summary_figures(m, plan.month_numbers), owners.owner_years(plan, pairs, arrays)


def summary_figures(m: dict[str, np.ndarray], months: np.ndarray) -> np.ndarray:
    """The :data:`SUMMARY_KEYS` figures of the monthly columns ``m`` over the month numbers
    ``months``: :func:`fleetsim.figures.summary` of them as a column table, the numbers
    :meth:`fleetsim.result.Result.summary` gives."""
    from fleetsim import figures
    from fleetsim.frame import Frame

    table = Frame({"month": months, **m}, months=("month",), index="month")
    return np.array([float(value) for value in figures.summary(table, SUMMARY_KEYS).values()])


@contextmanager
def one_draw(job: Job) -> Iterator[None]:
    """Around one job's simulation in an ensemble: fleetsim's warnings silenced, and any failure
    raised as a :class:`DrawError` naming the job's index (never swallowed)."""
    import warnings

    from fleetsim.errors import FleetsimWarning

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FleetsimWarning)
            yield
    except Exception as exc:
        raise DrawError(f"draw {job[0]} failed: {type(exc).__name__}: {exc}") from exc


def run_chunk(scenario, jobs: Sequence[Job]) -> list[Outcome]:
    """Run ``jobs`` in order (their engine passes made in batches, :func:`traced_jobs`); a failure
    names its job's index."""
    drawn = [job[0] for job in jobs if job[1] is None] if scenario.uncertain else []
    chunk_magnitudes = dict(zip(drawn, draw_magnitudes_many(scenario, drawn), strict=True)) if drawn else {}
    with_owners = names_owners(scenario)
    resolved, inputs = [], {}
    for job in jobs:
        if job[1] is None and scenario.uncertain:  # draw the values here, to record them with the outcome
            magnitudes = chunk_magnitudes[job[0]]
            inputs[job[0]] = tuple(scenario.uncertain[key].number(m) for key, m in magnitudes.items())
            job = (job[0], {key: scenario.uncertain[key].value(m) for key, m in magnitudes.items()}, job[2])
        resolved.append(job)
    out = []
    for job, traced in traced_jobs(scenario, resolved):
        by_owner = None
        with one_draw(job):
            if with_owners:
                monthly, summary, by_owner = run_owner_figures(scenario, job, traced)
            else:
                monthly, summary = run_figures(scenario, job, traced)
        out.append(Outcome(job[0], monthly, summary, inputs.get(job[0]), by_owner))
    return out


def run_packed(func: Callable, *args) -> Packed | list[Outcome]:
    """``func(*args)``'s outcomes as a worker sends them back: :meth:`Packed.of`."""
    return Packed.of(func(*args))


@dataclass
class Packed:
    """A chunk's outcomes as a few stacked arrays, as a worker sends them back: one message of
    five parts instead of two arrays per job (a chunk of 64 flagship draws went out in Dask's
    protocol as 130 frames, 3.3 ms to serialise; packed, 4 frames and 0.1 ms)."""

    index: list[int]
    monthly: np.ndarray
    summary: np.ndarray
    inputs: list
    owners: list

    @classmethod
    def of(cls, outcomes: list[Outcome]) -> Packed | list[Outcome]:
        """``outcomes`` packed, or as they are when their arrays' shapes differ (or none)."""
        if len({(o.monthly.shape, o.summary.shape) for o in outcomes}) != 1:
            return outcomes
        return cls([o.index for o in outcomes], np.stack([o.monthly for o in outcomes]),
                   np.stack([o.summary for o in outcomes]), [o.inputs for o in outcomes],
                   [o.owners for o in outcomes])

    @staticmethod
    def outcomes(sent: Packed | list[Outcome]) -> list[Outcome]:
        """The outcomes again, each job's arrays a view of the stacks (equal bit for bit)."""
        if not isinstance(sent, Packed):
            return sent
        return [Outcome(*fields) for fields in
                zip(sent.index, sent.monthly, sent.summary, sent.inputs, sent.owners, strict=True)]


def run_variants(variants: Sequence[tuple[int, Any]]) -> list[Outcome]:
    """Run whole scenarios (sweep cases), each with its own seed; a failure names its case."""
    out = []
    for index, scenario in variants:
        out.extend(_renumber(run_chunk(scenario, [(index, {}, None)]), index))
    return out


def _renumber(outcomes: list[Outcome], index: int) -> list[Outcome]:
    for outcome in outcomes:
        outcome.index = index
    return outcomes


def chunk_size(count: int, workers: int) -> int:
    """About four chunks per worker, at most 64 jobs each: few round trips, balanced load."""
    return max(1, min(64, count // (workers * 4) or 1))


def chunk_sizes(count: int, workers: int, chunk: int | None = None) -> list[int]:
    """The sizes of the chunks ``count`` jobs go out in: ``chunk`` each when given; else each the
    jobs left shared among the workers, at most :func:`chunk_size` and at least 8 (guided
    self-scheduling, Polychronopoulos and Kuck 1987): full chunks until the last rounds, which
    halve, so the workers end together instead of one idling while the other ends a full chunk.
    A chunk of fewer than 8 draws costs about a third more per draw (its engine pass is short)."""
    size = chunk or chunk_size(count, workers)
    if chunk or workers == 1:
        return [min(size, count - start) for start in range(0, count, size)]
    sizes, left = [], count
    while left > 0:
        sizes.append(min(left, size, max(8, -(-left // workers))))
        left -= sizes[-1]
    return sizes


def _parts(items: list, sizes: list[int]) -> list[list]:
    starts = [0, *itertools.accumulate(sizes)]
    return [items[a:b] for a, b in itertools.pairwise(starts)]


def imports(scenario=None) -> tuple[str, ...]:
    """The modules the simulations import: the engine and the books, and for the draws of
    ``scenario`` scipy.special when it draws a normal or a lognormal (their quantile function,
    0.2-0.3 s to import) and scipy.stats only for a truncated normal (1.1 s); triangular, uniform
    and choice draws need neither (``None``: whole scenarios run as they are, as a sweep's cases,
    which draw nothing)."""
    modules = ("fleetsim.engine", "fleetsim.accounting.books")
    dists = list(scenario.uncertain.values()) if scenario is not None else []
    if any(d.name in ("normal", "lognormal") for d in dists):
        modules += ("scipy.special",)
    if any(d.truncate for d in dists):
        modules += ("scipy.stats",)
    return modules


def warm(modules: Sequence[str]) -> None:
    """Import ``modules`` (:func:`imports`) once: in the parent before a pool forks its workers,
    and in each worker's initializer, so no draw pays for an import."""
    import importlib

    for module in modules:
        importlib.import_module(module)


def map_chunks(scenario, jobs: list[Job], executor: Any = "local", workers: int | None = None,
               progress: Callable[[int], None] | None = None, runner: Callable = run_chunk,
               chunk: int | None = None) -> Iterator[list[Outcome]]:
    """Yield chunks of outcomes of ``scenario``'s jobs **in job order**, whatever order the
    workers finish in. ``runner(scenario, jobs)`` turns a chunk into outcomes (default
    :func:`run_chunk`; a picklable callable for other figures, as calibration's).

    ``executor`` is ``"local"`` (a process pool; in this process when one worker suffices),
    ``"dask"`` (a local Dask cluster), a scheduler address (``"tcp://host:8786"``) or a
    ``dask.distributed.Client``. ``chunk``: jobs per chunk (default :func:`chunk_size`); the
    outcomes do not depend on it.
    """
    workers = workers or os.cpu_count() or 1
    sizes = chunk_sizes(len(jobs), workers, chunk)
    yield from _map(runner, [(scenario, part) for part in _parts(jobs, sizes)], sizes, executor, workers, progress,
                    imports(scenario), shared=scenario)


def map_variants(variants: list[tuple[int, Any]], executor: Any = "local", workers: int | None = None,
                 progress: Callable[[int], None] | None = None) -> Iterator[list[Outcome]]:
    """As :func:`map_chunks`, for a list of ``(index, scenario)`` variants."""
    workers = workers or os.cpu_count() or 1
    sizes = chunk_sizes(len(variants), workers)
    yield from _map(run_variants, [(part,) for part in _parts(variants, sizes)], sizes, executor, workers, progress,
                    imports())


def _map(func, arguments: list[tuple], sizes: list[int], executor, workers, progress, modules: Sequence[str],
         shared=None):
    if executor == "local" and (workers == 1 or len(arguments) == 1):
        for args, size in zip(arguments, sizes, strict=True):
            outcome = func(*args)
            if progress:
                progress(size)
            yield outcome
    elif executor == "local":
        yield from _pool(func, arguments, sizes, workers, progress, modules)
    else:
        yield from _dask(func, arguments, sizes, executor, workers, progress, shared, modules)


def _in_order(finished: dict[int, list[Outcome]], position: list[int]) -> Iterator[list[Outcome]]:
    while position[0] in finished:
        yield finished.pop(position[0])
        position[0] += 1


def _start_worker(parent: int, modules: Sequence[str]) -> None:
    orphan_watch(parent)
    warm(modules)


def _pool(func, arguments, sizes, workers, progress, modules) -> Iterator[list[Outcome]]:
    warm(modules)  # forked workers inherit these imports
    with pool(workers, _start_worker, (os.getpid(), modules)) as executor:
        futures = {executor.submit(run_packed, func, *args): n for n, args in enumerate(arguments)}
        finished: dict[int, list[Outcome]] = {}
        position = [0]
        pending = set(futures)
        while pending:
            done, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                n = futures.pop(future)  # drop the finished future: memory stays flat in the draws
                finished[n] = Packed.outcomes(future.result())
                if progress:
                    progress(sizes[n])
            yield from _in_order(finished, position)


def _client(executor, workers, modules: Sequence[str]):
    """A Dask client and the cluster it owns (None when the caller's)."""
    try:
        from dask.distributed import Client, LocalCluster
    except ImportError as exc:  # pragma: no cover - dask is a declared dependency
        raise SchedulerError("the dask executor needs dask.distributed: pip install 'dask[distributed]'") from exc
    if executor == "dask":
        import dask
        from distributed.versions import get_versions

        warm(modules)  # the forked workers inherit these imports: no draw pays for them
        get_versions()  # and the installed packages' versions, which the scheduler and each worker look up

        # forked workers inherit fleetsim's imports: seconds faster to start than spawned ones
        with dask.config.set({"distributed.worker.multiprocessing-method": "fork", **QUIET_CLUSTER}):
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=":0")
        return Client(cluster), cluster
    if isinstance(executor, str):
        client = _connect(Client, executor, CONNECT_SECONDS)
        try:
            client.wait_for_workers(1, timeout=CONNECT_SECONDS)
        except (OSError, TimeoutError) as exc:
            client.close()
            raise SchedulerError(f"the Dask scheduler at {executor} has no workers (none joined within "
                                 f"{CONNECT_SECONDS:g} s); start some with 'dask worker {executor}'") from exc
        return client, None
    return executor, None


QUIET_CLUSTER = {"distributed.worker.profile.enabled": False, "distributed.admin.system-monitor.interval": "10s",
                 "distributed.admin.tick.interval": "1s", "distributed.worker.memory.monitor-interval": "500ms"}
"""Settings of the LocalCluster fleetsim starts for ``executor="dask"`` (never of a cluster you
pass or address): no statistical profiler in the workers (a thread sampling every 10 ms), and
slower housekeeping: the dashboard's system metrics every 10 s (default 0.5 s), the blocked-loop
check every second (default 20 ms), the memory limits checked every 0.5 s (default 0.1 s; a
worker still pauses at 80 % and is restarted at 95 % of its limit). On 2 cores an idle cluster
used 0.9 CPU-seconds in 5 s with Dask's defaults and 0.11 with these; a draw gains nothing from
any of them (docs/benchmarks.md)."""

CONNECT_SECONDS = 5.0
"""How long a scheduler address has to answer, and to offer a worker, before fleetsim gives up."""


def _connect(client_class, address: str, seconds: float):
    """A Client of the scheduler at ``address``, or a SchedulerError within about ``seconds``.

    The attempt runs in a daemon thread with a hard deadline: an address that accepts TCP but
    never speaks Dask would otherwise hang in the handshake whatever ``timeout`` says.
    """
    import queue
    import threading

    box: queue.Queue = queue.Queue()

    def attempt() -> None:
        try:
            box.put((True, client_class(address, timeout=f"{seconds}s")))
        except BaseException as exc:  # handed to the caller below
            box.put((False, exc))

    threading.Thread(target=attempt, name="fleetsim-dask-connect", daemon=True).start()
    advice = "start one with 'dask scheduler' or check the address, e.g. tcp://127.0.0.1:8786"
    try:
        ok, value = box.get(timeout=seconds + 1.0)
    except queue.Empty:
        raise SchedulerError(f"{address} did not answer as a Dask scheduler within {seconds:g} s; {advice}") from None
    if not ok:
        raise SchedulerError(f"cannot reach the Dask scheduler at {address} within {seconds:g} s "
                             f"({type(value).__name__}: {value}); {advice}") from None
    return value


def _dask(func, arguments, sizes, executor, workers, progress, shared, modules) -> Iterator[list[Outcome]]:
    from dask.distributed import as_completed

    client, cluster = _client(executor, workers, modules)
    owned = cluster is not None or isinstance(executor, str)
    try:
        if shared is not None:  # send the scenario once, not with every chunk
            handle = client.scatter(shared, broadcast=True)
            arguments = [(handle, *args[1:]) for args in arguments]
        futures = [client.submit(run_packed, func, *args, pure=False, retries=2) for args in arguments]
        index = {future.key: n for n, future in enumerate(futures)}
        finished: dict[int, list[Outcome]] = {}
        position = [0]
        completed = as_completed(futures)
        del futures  # as_completed holds them until done; then the cluster may forget each result
        for future in completed:
            n = index.pop(future.key)
            finished[n] = Packed.outcomes(future.result())
            future.release()
            if progress:
                progress(sizes[n])
            yield from _in_order(finished, position)
    finally:
        if owned:
            client.close()
        if cluster is not None:
            cluster.close()
