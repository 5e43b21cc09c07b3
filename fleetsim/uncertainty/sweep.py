"""Sweeps: grids of what-ifs from ``--vary KEY=a,b,c`` and ``--vary KEY=start:stop:n``, crossed."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from fleetsim.errors import Location, Problem, ScenarioError
from fleetsim.months import month_index
from fleetsim.uncertainty.executors import SUMMARY_KEYS, map_variants

_QUANTITY = re.compile(r"^\s*(?P<n>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(?P<u>[^\s\d.].*?)\s*$")
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


def value_column(key: str, values: Sequence[Any]) -> tuple[str, str | None, list[Any]]:
    """(column name, unit, values) of one varied key in the sweep table: quantities as numbers in
    the first value's unit, the unit in the column's name; numbers as they are (unit ``""``);
    anything else as text (unit None).

    >>> value_column("orders.0.price", ["40000.0 USD", "50 kUSD"])
    ('orders.0.price_usd', 'USD', [40000.0, 50000.0])
    >>> value_column("sites.s1.pue", [1.1, 1.2]), value_column("orders.0.hardware", ["H100", "GB200"])
    (('sites.s1.pue', '', [1.1, 1.2]), ('orders.0.hardware', None, ['H100', 'GB200']))
    """
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return key, "", list(values)
    matches = [_QUANTITY.match(v) if isinstance(v, str) else None for v in values]
    if all(matches):
        from fleetsim.units import ureg

        unit = matches[0]["u"]
        try:
            numbers = [float(ureg.Quantity(float(m["n"]), m["u"]).to(unit).magnitude) if m["u"] != unit
                       else float(m["n"]) for m in matches]
        except Exception:  # units pint cannot convert: keep the values as written
            numbers = None
        if numbers is not None:
            from fleetsim.tables import unit_slug

            return f"{key}_{unit_slug(unit)}", unit, numbers
    return key, None, [_text(v) for v in values]


def case_columns(grid: Sequence[dict[str, Any]]) -> tuple[pd.DataFrame, dict[str, str]]:
    """The varied values of each case as columns (see :func:`value_column`) and their units."""
    columns, units = {}, {}
    for key in (grid[0] if grid else {}):
        name, unit, values = value_column(key, [case[key] for case in grid])
        columns[name] = values
        if unit is not None:
            units[name] = unit
    return pd.DataFrame(columns), units


class Sweep:
    """Results of a sweep: ``table`` (one row per case: its values and headline figures),
    ``monthly`` (every case's monthly table in long form: ``case, month, <columns>``) and
    ``units`` (the unit of each numeric column of ``table`` that is a varied value)."""

    def __init__(self, table: pd.DataFrame, monthly: pd.DataFrame, units: dict[str, str] | None = None):
        self.table = table
        self.monthly = monthly
        self.units = dict(units or {})

    def __repr__(self) -> str:
        return f"<Sweep: {len(self.table)} cases>"


def sweep(scenario, varies: Sequence[tuple[str, list[Any]]], executor: Any = "local", workers: int | None = None,
          progress: Callable[[int], None] | None = None) -> Sweep:
    """Simulate every case of the grid (each validated like ``--set``; problems name the key)."""
    from fleetsim.accounting.columns import COLUMNS

    grid = cases(varies)
    variants = [(n, scenario.override(case, origin="--vary")) for n, case in enumerate(grid)]
    months = month_index(scenario.spec.start, scenario.spec.months)
    values, units = case_columns(grid)
    rows, frames = [], []
    for chunk in map_variants(variants, executor, workers, progress):
        for outcome in chunk:
            rows.append({"case": outcome.index, **values.iloc[outcome.index].to_dict(),
                         **dict(zip(SUMMARY_KEYS, outcome.summary, strict=True))})
            frame = pd.DataFrame(outcome.monthly, columns=list(COLUMNS), index=months).reset_index()
            frame.insert(0, "case", outcome.index)
            frames.append(frame)
    return Sweep(pd.DataFrame(rows, columns=["case", *values.columns, *SUMMARY_KEYS]),
                 pd.concat(frames, ignore_index=True), units)


def _text(value: Any) -> Any:
    return value if isinstance(value, (int, float, str)) else str(value)
