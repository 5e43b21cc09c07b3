"""Sweeps: grids of what-ifs from ``--vary KEY=a,b,c`` and ``--vary KEY=start:stop:n``, crossed."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from fleetsim.errors import Location, Problem, ScenarioError
from fleetsim.uncertainty.executors import SUMMARY_KEYS, map_variants

_RANGE = re.compile(r"^\s*(?P<a>[-+\d.eE]+)\s*(?P<ua>[^:]*?)\s*:\s*(?P<b>[-+\d.eE]+)\s*(?P<ub>[^:]*?)\s*:\s*"
                    r"(?P<n>\d+)\s*$")


def parse_vary(text: str) -> tuple[str, list[Any]]:
    """``KEY=a,b,c`` (each value read as YAML) or ``KEY=start:stop:n`` (n values, ends included).

    >>> parse_vary("sites.s1.pue=1.1:1.4:4")
    ('sites.s1.pue', [1.1, 1.2, 1.3, 1.4])
    >>> parse_vary("hardware.GB200.price=50000 USD,60000 USD")
    ('hardware.GB200.price', ['50000 USD', '60000 USD'])
    """
    from fleetsim.scenario.yamlread import read_text

    if "=" not in text or not text.split("=", 1)[0].strip():
        raise ScenarioError([Problem("--vary expects KEY=a,b,c or KEY=start:stop:n, such as "
                                     "sites.colossus-2.pue=1.1:1.4:4", (), Location("--vary"), text, True)])
    key, spec = (part.strip() for part in text.split("=", 1))
    where = Location(f"--vary {key}")
    match = _RANGE.match(spec)
    if match:
        unit_a, unit_b, count = match["ua"].strip(), match["ub"].strip(), int(match["n"])
        if unit_a != unit_b or count < 2:
            raise ScenarioError([Problem("a range is start:stop:n with the same unit on both ends and n ≥ 2, "
                                         "such as 1.1:1.4:4 or 50000 USD:70000 USD:3", tuple(key.split(".")),
                                         where, spec, True)])
        points = np.linspace(float(match["a"]), float(match["b"]), count)
        values = [round(float(p), 12) for p in points]
        return key, [f"{v!r} {unit_a}" for v in values] if unit_a else values
    values = []
    for part in spec.split(","):
        try:
            values.append(read_text(part.strip(), f"--vary {key}").data)
        except ScenarioError as exc:
            raise ScenarioError([Problem(f"the value is not valid YAML: {p.message}", tuple(key.split(".")),
                                         where, part, True) for p in exc.problems]) from None
    if not values or any(v is None for v in values):
        raise ScenarioError([Problem("--vary needs at least one value after '='", tuple(key.split(".")), where,
                                     spec, True)])
    return key, values


def cases(varies: Sequence[tuple[str, list[Any]]]) -> list[dict[str, Any]]:
    """The crossed grid: one mapping key → value per case."""
    keys = [key for key, _ in varies]
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*[values for _, values in varies])]


class Sweep:
    """Results of a sweep: ``table`` (one row per case: its values and headline figures) and
    ``monthly`` (every case's monthly table in long form: ``case, month, <columns>``)."""

    def __init__(self, table: pd.DataFrame, monthly: pd.DataFrame):
        self.table = table
        self.monthly = monthly

    def __repr__(self) -> str:
        return f"<Sweep: {len(self.table)} cases>"


def sweep(scenario, varies: Sequence[tuple[str, list[Any]]], executor: Any = "local", workers: int | None = None,
          progress: Callable[[int], None] | None = None) -> Sweep:
    """Simulate every case of the grid (each validated like ``--set``; problems name the key)."""
    from fleetsim.accounting.columns import COLUMNS
    from fleetsim.months import to_text

    grid = cases(varies)
    variants = [(n, scenario.override(case, origin="--vary")) for n, case in enumerate(grid)]
    months = pd.period_range(start=to_text(scenario.spec.start), periods=scenario.spec.months, freq="M",
                             name="month")
    rows, frames = [], []
    for chunk in map_variants(variants, executor, workers, progress):
        for outcome in chunk:
            rows.append({"case": outcome.index, **{k: _text(v) for k, v in grid[outcome.index].items()},
                         **dict(zip(SUMMARY_KEYS, outcome.summary, strict=True))})
            frame = pd.DataFrame(outcome.monthly, columns=list(COLUMNS), index=months).reset_index()
            frame.insert(0, "case", outcome.index)
            frames.append(frame)
    return Sweep(pd.DataFrame(rows), pd.concat(frames, ignore_index=True))


def _text(value: Any) -> Any:
    return value if isinstance(value, (int, float, str)) else str(value)
