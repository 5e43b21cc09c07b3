"""Monte Carlo: many draws of one scenario, streamed to Parquet, summarised by quantiles.

Draw *i* sets every distribution from ``SeedSequence(seed, spawn_key=(2, i))`` and runs the
engine on ``SeedSequence(seed, spawn_key=(3, i))``: separate streams for parameters and for the
engine's own randomness, never ``seed + i``. Draws are written to Parquet in draw order as they
arrive, and quantiles are computed one column at a time from the file, so memory stays flat in
the number of draws.
"""

from __future__ import annotations

import shutil
import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fleetsim.accounting.columns import COLUMNS
from fleetsim.uncertainty.executors import SUMMARY_KEYS, map_chunks

QUANTILES = {"p5": 0.05, "p10": 0.10, "p50": 0.50, "p90": 0.90, "p95": 0.95}
"""Statistics of ``Ensemble.quantiles`` besides the mean."""


class Ensemble:
    """The draws of a Monte Carlo run, kept in a Parquet file (``draw, month, <columns>``).

    Attributes
    ----------
    summaries : DataFrame
        One row per draw: its headline figures.
    """

    def __init__(self, path: Path, draws: int, months: pd.PeriodIndex, summaries: pd.DataFrame, meta: dict,
                 owner: tempfile.TemporaryDirectory | None = None):
        self.path = Path(path)
        self.count = draws
        self.months = months
        self.summaries = summaries
        self.meta = meta
        self._owner = owner

    @property
    def draws(self) -> pd.DataFrame:
        """Every draw's monthly table in long form (read from the Parquet file)."""
        frame = pd.read_parquet(self.path)
        frame["month"] = pd.PeriodIndex(frame["month"], freq="M")
        return frame

    def quantiles(self) -> pd.DataFrame:
        """P5, P10, P50, P90, P95 and mean of every monthly column: index (month, stat)."""
        import pyarrow.parquet as pq

        stats = [*QUANTILES, "mean"]
        index = pd.MultiIndex.from_product([self.months, stats], names=["month", "stat"])
        out = pd.DataFrame(index=index)
        source = pq.ParquetFile(self.path)
        for column in COLUMNS:
            values = source.read(columns=[column]).column(0).to_numpy().reshape(self.count, len(self.months))
            with np.errstate(invalid="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a column NaN in every draw stays NaN
                rows = [np.nanquantile(values, q, axis=0) for q in QUANTILES.values()] + [np.nanmean(values, axis=0)]
            out[column] = np.stack(rows, axis=1).reshape(-1)
        return out

    def summary(self) -> pd.DataFrame:
        """P10, P50 and P90 over draws of each headline figure."""
        return self.summaries.quantile([0.1, 0.5, 0.9]).T.set_axis(["p10", "p50", "p90"], axis=1)

    def to_parquet(self, path: str | Path) -> Path:
        """Copy the draws to ``path``."""
        shutil.copyfile(self.path, path)
        return Path(path)

    @property
    def plot(self):
        """Fan charts of the draws, each a matplotlib Figure: ``ens.plot.fan("cash_burn_usd")``
        (see :func:`fleetsim.plots.fan`; matplotlib is imported on first use)."""
        from fleetsim.plots import EnsemblePlotAccessor

        return EnsemblePlotAccessor(self)

    def __repr__(self) -> str:
        return f"<Ensemble {self.meta.get('scenario')!r}: {self.count} draws, {len(self.months)} months>"


def run_many(scenario, draws: int, executor: Any = "local", workers: int | None = None,
             path: str | Path | None = None, progress: Callable[[int], None] | None = None) -> Ensemble:
    """Simulate ``draws`` draws of ``scenario``; see the module's notes on seeds and memory.

    ``path``: where to write the draws' Parquet file (default: a temporary folder that lives as
    long as the Ensemble). Raises ``ValueError`` for ``draws < 1`` and
    :class:`~fleetsim.uncertainty.executors.DrawError` naming a failed draw.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from fleetsim.months import to_text
    from fleetsim.scenario.load import Scenario, load

    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    spec = scenario.spec
    months = pd.period_range(start=to_text(spec.start), periods=spec.months, freq="M", name="month")
    owner = None
    if path is None:
        owner = tempfile.TemporaryDirectory(prefix="fleetsim-draws-")
        path = Path(owner.name) / "draws.parquet"
    path = Path(path)
    columns = list(COLUMNS)
    schema = pa.schema([("draw", pa.int32()), ("month", pa.string()), *[(c, pa.float64()) for c in columns]])
    month_text = [str(m) for m in months]
    summaries = np.zeros((draws, len(SUMMARY_KEYS)))
    jobs = [(i, None, (3, i)) for i in range(draws)]
    try:
        with pq.ParquetWriter(path, schema) as writer:
            for chunk in map_chunks(scenario, jobs, executor, workers, progress):
                arrays = {"draw": np.repeat([o.index for o in chunk], len(months)).astype(np.int32),
                          "month": month_text * len(chunk)}
                stacked = np.concatenate([o.monthly for o in chunk])
                arrays.update({c: stacked[:, k] for k, c in enumerate(columns)})
                writer.write_table(pa.table(arrays, schema=schema))
                for o in chunk:
                    summaries[o.index] = o.summary
    except BaseException:
        path.unlink(missing_ok=True)
        if owner is not None:
            owner.cleanup()
        raise
    meta = {"scenario": scenario.name, "scenario_hash": scenario.hash(), "seed": spec.seed, "draws": draws,
            "uncertain": [".".join(map(str, key)) for key in scenario.uncertain]}
    return Ensemble(path, draws, months, pd.DataFrame(summaries, columns=list(SUMMARY_KEYS)), meta, owner)


def simulate_draw(scenario, index: int):
    """Re-run draw ``index`` of an ensemble exactly (a full :class:`~fleetsim.result.Result`)."""
    from fleetsim.uncertainty.executors import run_job

    result = run_job(scenario, (index, None, (3, index)))
    result.meta["draw"] = index
    return result
