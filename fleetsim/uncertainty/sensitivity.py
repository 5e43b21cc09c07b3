"""Sensitivity of one output to the scenario's uncertain inputs: a tornado and Sobol indices.

The output is a monthly column taken over the whole horizon by its kind (totals summed,
month-end values at the end, means weighted by hours, unit costs recomputed). Every run uses the
scenario's own engine seed, so only the inputs vary (common random numbers).

- *Tornado*: each input at its P10 and at its P90, the others at their central values.
- *Sobol*: variance-based first-order (S1) and total (ST) indices with SALib's Saltelli scheme,
  sampling each input's quantile (so any distribution, even a discrete choice, works).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from fleetsim.accounting.columns import COLUMNS
from fleetsim.errors import FleetsimError
from fleetsim.uncertainty.executors import map_chunks


def _metric_values(scenario, jobs, metric: str, executor, workers, progress) -> np.ndarray:
    """``metric`` over the horizon (:func:`fleetsim.result.horizon_values`, as ``Result.horizon``)
    in each job's run."""
    from fleetsim.months import hours_array
    from fleetsim.result import horizon_values

    hours = hours_array(scenario.spec.start, scenario.spec.months)  # the plans' own hours
    column = list(COLUMNS).index(metric)
    out = np.zeros(len(jobs))
    for chunk in map_chunks(scenario, jobs, executor, workers, progress):
        for outcome in chunk:
            out[outcome.index] = horizon_values(outcome.monthly, hours, list(COLUMNS))[column]
    return out


def _check(scenario, metric: str) -> list:
    if metric not in COLUMNS:
        from fleetsim.errors import did_you_mean

        raise FleetsimError(f"unknown metric {metric!r}{did_you_mean(metric, COLUMNS)}; use a monthly column "
                            "such as cumulative_cash_usd")
    if not scenario.uncertain:
        raise FleetsimError("the scenario has no uncertain inputs: write some values as distributions, for "
                            "example price: {lognormal: [0.075 USD/kWh, 1.25]}")
    return list(scenario.uncertain.items())


def input_label(scenario, key: tuple) -> str:
    """An uncertain input named for a reader, its key path kept: a list item is named by its
    ``name``, or an order by its hardware, site and delivery.

    ``orders.4.lead_time`` → ``orders[4] (GB200 → colossus-2, 2025-09 to 2026-06).lead_time``;
    ``training.0.share`` → ``training[0] (grok-5).share``; other keys stay as they are.
    """
    from fleetsim.months import to_text

    parts = [str(p) for p in key]
    if len(key) < 2 or key[0] not in ("orders", "training") or not isinstance(key[1], int):
        return ".".join(parts)
    item = getattr(scenario.spec, key[0])[key[1]]
    if getattr(item, "name", None):
        what = item.name
    else:
        first, last = item.delivery
        when = to_text(first) if first == last else f"{to_text(first)} to {to_text(last)}"
        what = f"{item.hardware} → {item.site}, {when}"
    return ".".join([f"{key[0]}[{key[1]}] ({what})", *parts[2:]])


def tornado(scenario, metric: str, executor: Any = "local", workers: int | None = None,
            progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """One row per input: its P10 and P90 values, the metric at each, and the swing; largest first."""
    inputs = _check(scenario, metric)
    central = {key: dist.central_value() for key, dist in inputs}
    jobs = [(0, central, None)]
    for key, dist in inputs:
        for q in (0.1, 0.9):
            jobs.append((len(jobs), {**central, key: dist.value(dist.ppf(q))}, None))
    values = _metric_values(scenario, jobs, metric, executor, workers, progress)
    rows = []
    for n, (key, dist) in enumerate(inputs):
        low, high = values[1 + 2 * n], values[2 + 2 * n]
        rows.append({"input": ".".join(map(str, key)), "label": input_label(scenario, key),
                     "p10_value": str(dist.value(dist.ppf(0.1))),
                     "p90_value": str(dist.value(dist.ppf(0.9))), f"{metric}_at_p10": low,
                     f"{metric}_at_p90": high, "central": values[0], "swing": abs(high - low)})
    return pd.DataFrame(rows).sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)


def sobol(scenario, metric: str, samples: int = 64, executor: Any = "local", workers: int | None = None,
          progress: Callable[[int], None] | None = None) -> pd.DataFrame:
    """First-order and total Sobol indices (with 95 % confidence half-widths) of each input.

    Runs ``samples × (inputs + 2)`` simulations; ``samples`` should be a power of two.
    """
    from SALib.analyze import sobol as analyze
    from SALib.sample import sobol as sample

    inputs = _check(scenario, metric)
    problem = {"num_vars": len(inputs), "names": [".".join(map(str, k)) for k, _ in inputs],
               "bounds": [[0.0, 1.0]] * len(inputs)}
    u = sample.sample(problem, samples, calc_second_order=False, seed=scenario.spec.seed)
    u = np.clip(u, 1e-9, 1 - 1e-9)
    jobs = [(n, {key: dist.value(dist.ppf(float(x))) for (key, dist), x in zip(inputs, row, strict=True)}, None)
            for n, row in enumerate(u)]
    y = _metric_values(scenario, jobs, metric, executor, workers, progress)
    if np.allclose(y, y[0]):
        indices = {"S1": np.zeros(len(inputs)), "S1_conf": np.zeros(len(inputs)), "ST": np.zeros(len(inputs)),
                   "ST_conf": np.zeros(len(inputs))}
    else:
        indices = analyze.analyze(problem, y, calc_second_order=False, seed=scenario.spec.seed)
    return pd.DataFrame({"input": problem["names"], "label": [input_label(scenario, k) for k, _ in inputs],
                         "S1": indices["S1"], "S1_conf": indices["S1_conf"],
                         "ST": indices["ST"], "ST_conf": indices["ST_conf"]}
                        ).sort_values("ST", ascending=False, kind="stable").reset_index(drop=True)


class Sensitivity:
    """A tornado table and Sobol indices for one metric."""

    def __init__(self, metric: str, tornado: pd.DataFrame, sobol: pd.DataFrame | None):
        self.metric = metric
        self.tornado = tornado
        self.sobol = sobol

    @property
    def plot(self):
        """The tornado as a matplotlib Figure: ``sens.plot.tornado()`` (see
        :func:`fleetsim.faces.plots.tornado`; matplotlib is imported on first use)."""
        from fleetsim.faces.plots import SensitivityPlotAccessor

        return SensitivityPlotAccessor(self)

    def __repr__(self) -> str:
        return f"<Sensitivity of {self.metric}: {len(self.tornado)} inputs>"


def sensitivity(scenario, metric: str, samples: int = 64, executor: Any = "local", workers: int | None = None,
                progress: Callable[[int], None] | None = None) -> Sensitivity:
    """Tornado and (with ``samples`` > 0) Sobol indices of ``metric``."""
    table = tornado(scenario, metric, executor, workers, progress)
    indices = sobol(scenario, metric, samples, executor, workers, progress) if samples else None
    return Sensitivity(metric, table, indices)
