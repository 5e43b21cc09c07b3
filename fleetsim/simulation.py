"""``simulate``: scenario in, :class:`~fleetsim.result.Result` out."""

from __future__ import annotations

import warnings
from pathlib import Path

from fleetsim import __version__
from fleetsim.accounting.books import build_books
from fleetsim.consistency import check_power, check_stranding, scenario_warnings
from fleetsim.engine import compile_plan, run
from fleetsim.errors import FleetsimWarning
from fleetsim.result import Result
from fleetsim.scenario.load import Scenario, load


def simulate(scenario: Scenario | str | Path, *, seed=None) -> Result:
    """Simulate a scenario (or the path of a scenario file) and return its :class:`Result`.

    ``seed`` (a ``numpy.random.SeedSequence``) replaces the engine's random stream; Monte Carlo
    draws use it so that each draw has its own failures. By default the scenario's seed decides.
    """
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    plan = compile_plan(scenario)
    trace = run(plan, seed)
    books = build_books(plan, trace)
    meta = {
        "fleetsim_version": __version__,
        "scenario": scenario.name,
        "scenario_hash": scenario.hash(),
        "scenario_file": str(scenario.path) if scenario.path else None,
        "seed": scenario.spec.seed,
        "overrides": {key: value for key, value in scenario.overrides},
    }
    found = [*scenario_warnings(scenario), *check_stranding(plan, trace), *check_power(plan, books.sites),
             *books.contracts.warnings]
    for message in found:
        warnings.warn(message, FleetsimWarning, stacklevel=2)
    return Result(books.monthly, books.ledger, books.training, meta, found, books.energy, books.cohorts,
                  books.sites, owners=books.owners, contracts=books.contracts.table)
