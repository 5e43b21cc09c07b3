"""Scenarios side by side: headline figures (:data:`fleetsim.figures.COMPARED`), differences and
ratios to the first."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from fleetsim import figures
from fleetsim.errors import FleetsimWarning
from fleetsim.result import Result
from fleetsim.scenario.load import Scenario, load
from fleetsim.simulation import simulate


def headlines(result: Result, discount_rate: float) -> dict[str, object]:
    """The compared figures of one result (:data:`fleetsim.figures.COMPARED`)."""
    return figures.summary(result.monthly, figures.COMPARED, discount_rate)


def compare(scenarios: Sequence[Scenario | str | Path]) -> pd.DataFrame:
    """Simulate each scenario; one row per headline figure, one column per scenario, then the
    difference and ratio of each later scenario to the first (``B - A``, ``B / A``)."""
    loaded = [s if isinstance(s, Scenario) else load(s) for s in scenarios]
    if len(loaded) < 2:
        raise ValueError("compare needs at least two scenarios")
    names = _unique([s.name for s in loaded])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FleetsimWarning)
        values = {name: headlines(simulate(s), s.spec.finance.discount_rate) for name, s in zip(names, loaded,
                                                                                               strict=True)}
    table = pd.DataFrame(values)
    table.insert(0, "unit", [figures.FIGURES[row].unit for row in table.index])
    table.index.name = "figure"
    base = names[0]
    numeric = [row for row in table.index if figures.FIGURES[row].unit != "month"]
    for name in names[1:]:
        a = table.loc[numeric, base].astype(float)
        b = table.loc[numeric, name].astype(float)
        table[f"{name} - {base}"] = pd.Series(b - a, dtype=object)
        with np.errstate(divide="ignore", invalid="ignore"):
            table[f"{name} / {base}"] = pd.Series(np.where(a != 0, b / a, np.nan), index=numeric, dtype=object)
    return table


def _unique(names: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out
