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
from fleetsim.months import as_periods, month_index
from fleetsim.uncertainty.executors import SUMMARY_KEYS, DrawError, map_chunks

QUANTILES = {"p5": 0.05, "p10": 0.10, "p50": 0.50, "p90": 0.90, "p95": 0.95}
"""Statistics of ``Ensemble.quantiles`` besides the mean."""
ROW_GROUP_DRAWS = 64
"""Draws per Parquet row group: fixed, so the file's bytes do not depend on workers or chunks."""


class Ensemble:
    """The draws of a Monte Carlo run, kept in a Parquet file (``draw, month, <columns>``).

    Attributes
    ----------
    summaries : DataFrame
        One row per draw: its headline figures.
    inputs : DataFrame
        One row per draw: its sampled inputs, one column per uncertain input named by its key
        path and unit (``hardware.GB200.price_usd``; see ``units``).
    units : dict
        The unit of every column of the draws file and of :meth:`table` (None for text).
    """

    def __init__(self, path: Path, draws: int, months: pd.PeriodIndex, summaries: pd.DataFrame, meta: dict,
                 owner: tempfile.TemporaryDirectory | None = None, inputs: pd.DataFrame | None = None,
                 units: dict | None = None):
        self.path = Path(path)
        self.count = draws
        self.months = months
        self.summaries = summaries
        self.inputs = inputs if inputs is not None else pd.DataFrame(index=summaries.index)
        self.meta = meta
        self.units = dict(units or {})
        self._owner = owner

    def table(self) -> pd.DataFrame:
        """One row per draw (index ``draw``): its sampled inputs, then its headline figures
        (``summary.csv``): regress the figures on the inputs in any tool."""
        return self.inputs.join(self.summaries).rename_axis("draw")

    @property
    def draws(self) -> pd.DataFrame:
        """Every draw's monthly table in long form (read from the Parquet file)."""
        frame = pd.read_parquet(self.path)
        frame["month"] = as_periods(frame["month"])
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
            out[column] = np.concatenate([quantiles_of(values), nanmean_rows(values)[None, :]]).T.reshape(-1)
        return out

    owner_draws: tuple[list[str], list[int], np.ndarray] | None = None
    """``(owners, years, values)`` when the scenario names owners: every draw's yearly figures by
    owner, ``values[draw, year, owner, column]`` over
    :data:`~fleetsim.accounting.owners.BAND_COLUMNS` (what ``Result.by_owner("Y")`` gives for
    that draw); None otherwise."""

    def owner_quantiles(self) -> pd.DataFrame:
        """P5, P10, P50, P90, P95 and mean over the draws of each owner's yearly figures
        (:data:`~fleetsim.accounting.owners.BAND_COLUMNS`: H100e at the year's end, mean IT and
        facility power, energy): long form ``year, owner, stat, <columns>`` (empty when the
        scenario names no owner). ``fleetsim run --draws`` writes it as ``owners_quantiles.csv``."""
        from fleetsim.accounting.owners import BAND_COLUMNS

        stats = [*QUANTILES, "mean"]
        if self.owner_draws is None:
            return pd.DataFrame(columns=["year", "owner", "stat", *BAND_COLUMNS])
        names, years, values = self.owner_draws
        flat = values.reshape(self.count, -1)  # draws × (years · owners · columns)
        table = np.concatenate([quantiles_of(flat), nanmean_rows(flat)[None, :]])  # stats × (...)
        table = table.reshape(len(stats), len(years), len(names), len(BAND_COLUMNS)).transpose(1, 2, 0, 3)
        index = pd.MultiIndex.from_product([years, names, stats], names=["year", "owner", "stat"])
        return pd.DataFrame(table.reshape(-1, len(BAND_COLUMNS)), index=index, columns=list(BAND_COLUMNS)) \
            .reset_index()

    def summary(self) -> pd.DataFrame:
        """P10, P50 and P90 over draws of each headline figure."""
        return self.summaries.quantile([0.1, 0.5, 0.9]).T.set_axis(["p10", "p50", "p90"], axis=1)

    def column_units(self) -> dict[str, dict]:
        """The unit of every column of each file ``run --draws`` writes (None for text)."""
        from fleetsim.tables import column_units, parquet_units

        quantiles = {"month": None, "stat": None, **{c: self.units.get(c, "") for c in COLUMNS}}
        files = {"summary.csv": column_units(self.table(), self.units), "draws.parquet": parquet_units(self.path),
                 "monthly_quantiles.csv": quantiles}
        if self.owner_draws is not None:
            from fleetsim.accounting.owners import BAND_COLUMNS

            files["owners_quantiles.csv"] = {"year": "", "owner": None, "stat": None,
                                             **{c: self.units.get(c, "") for c in BAND_COLUMNS}}
        return files

    def to_parquet(self, path: str | Path) -> Path:
        """Copy the draws to ``path``."""
        shutil.copyfile(self.path, path)
        return Path(path)

    @property
    def plot(self):
        """Fan charts of the draws, each a matplotlib Figure: ``ens.plot.fan("cash_burn_usd")``
        (see :func:`fleetsim.faces.plots.fan`; matplotlib is imported on first use)."""
        from fleetsim.faces.plots import EnsemblePlotAccessor

        return EnsemblePlotAccessor(self)

    def __repr__(self) -> str:
        return f"<Ensemble {self.meta.get('scenario')!r}: {self.count} draws, {len(self.months)} months>"


def quantiles_of(values: np.ndarray) -> np.ndarray:
    """:data:`QUANTILES` × months: each month's (column's) quantiles over the draws (rows), missing
    values left out, exactly as ``np.nanquantile(values, q, axis=0)`` computes them, but in one
    vectorised call per number of values present instead of a Python loop over months."""
    qs = list(QUANTILES.values())
    missing = np.isnan(values)
    if not missing.any():
        return np.quantile(values, qs, axis=0)
    out = np.full((len(qs), values.shape[1]), np.nan)
    present = (~missing).sum(axis=0)
    ordered = np.sort(values, axis=0)  # missing values sort last
    for n in np.unique(present):
        if n:  # a month missing in every draw stays missing
            columns = np.flatnonzero(present == n)
            out[:, columns] = np.quantile(ordered[:n, columns], qs, axis=0)
    return out


def nanmean_rows(values: np.ndarray) -> np.ndarray:
    """Each column's mean over the rows that are not missing (NaN when none is)."""
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return np.nanmean(values, axis=0)


def run_many(scenario, draws: int, executor: Any = "local", workers: int | None = None,
             path: str | Path | None = None, progress: Callable[[int], None] | None = None,
             chunk: int | None = None) -> Ensemble:
    """Simulate ``draws`` draws of ``scenario``; see the module's notes on seeds and memory.

    ``chunk``: draws per chunk sent to a worker (default: about four chunks per worker, at most
    64 draws each); the draws and the file do not depend on it, nor on the executor or workers.
    ``path``: where to write the draws' Parquet file (default: a temporary folder that lives as
    long as the Ensemble). Raises ``ValueError`` for ``draws < 1`` and
    :class:`~fleetsim.uncertainty.executors.DrawError` naming a failed draw.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from fleetsim.scenario.load import Scenario, load

    if draws < 1:
        raise ValueError(f"draws must be at least 1, got {draws}")
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    spec = scenario.spec
    months = month_index(spec.start, spec.months)
    owner = None
    if path is None:
        owner = tempfile.TemporaryDirectory(prefix="fleetsim-draws-")
        path = Path(owner.name) / "draws.parquet"
    path = Path(path)
    from fleetsim.tables import schema_with_units, unit_of

    columns = list(COLUMNS)
    inputs = {key: dist.column(key) for key, dist in scenario.uncertain.items()}
    input_types = [pa.float64() if unit is not None else pa.string() for _, unit in inputs.values()]
    schema = pa.schema([("draw", pa.int32()), ("month", pa.string()),
                        *[(name, kind) for (name, _), kind in zip(inputs.values(), input_types, strict=True)],
                        *[(c, pa.float64()) for c in columns]])
    units = {"draw": "", "month": None, **dict(inputs.values()), **{c: unit_of(c) for c in columns},
             **{k: unit_of(k) for k in SUMMARY_KEYS}}
    schema = schema_with_units(schema, units)
    month_text = [str(m) for m in months]
    summaries = np.zeros((draws, len(SUMMARY_KEYS)))
    sampled: list[list] = [[None] * draws for _ in inputs]
    jobs = [(i, None, (3, i)) for i in range(draws)]
    buffered: list[pa.Table] = []
    by_owner, owner_keys = None, None  # draws × years × owners × BAND_COLUMNS, when owners are named
    try:
        with pq.ParquetWriter(path, schema) as writer:
            for done in map_chunks(scenario, jobs, executor, workers, progress, chunk=chunk):
                arrays = {"draw": np.repeat([o.index for o in done], len(months)).astype(np.int32),
                          "month": month_text * len(done)}
                for n, (name, _) in enumerate(inputs.values()):
                    arrays[name] = np.repeat(np.array([o.inputs[n] for o in done], dtype=object), len(months))
                stacked = np.concatenate([o.monthly for o in done])
                arrays.update({c: stacked[:, k] for k, c in enumerate(columns)})
                buffered.append(pa.table(arrays, schema=schema))
                buffered = _flush(writer, buffered, ROW_GROUP_DRAWS * len(months), final=False)
                for o in done:
                    summaries[o.index] = o.summary
                    if o.owners is not None:
                        names, years, values = o.owners
                        if by_owner is None:
                            owner_keys, by_owner = (names, years), np.zeros((draws, *values.shape))
                        elif (names, years) != owner_keys:
                            raise DrawError(f"draw {o.index} has owners {names}, the others {owner_keys[0]}")
                        by_owner[o.index] = values
                    for n in range(len(inputs)):
                        sampled[n][o.index] = o.inputs[n]
            _flush(writer, buffered, ROW_GROUP_DRAWS * len(months), final=True)
    except BaseException:
        path.unlink(missing_ok=True)
        if owner is not None:
            owner.cleanup()
        raise
    meta = {"scenario": scenario.name, "scenario_hash": scenario.hash(), "seed": spec.seed, "draws": draws,
            "uncertain": [".".join(map(str, key)) for key in scenario.uncertain],
            "inputs": {".".join(map(str, key)): name for key, (name, _) in inputs.items()}}
    table = pd.DataFrame({name: values for (name, _), values in zip(inputs.values(), sampled, strict=True)},
                         index=pd.RangeIndex(draws, name="draw"))
    ensemble = Ensemble(path, draws, months, pd.DataFrame(summaries, columns=list(SUMMARY_KEYS)), meta, owner,
                        table, units)
    if by_owner is not None:
        ensemble.owner_draws = (owner_keys[0], owner_keys[1], by_owner)
    return ensemble


def _flush(writer, buffered: list, rows: int, final: bool) -> list:
    """Write whole row groups of ``rows`` rows from the buffered tables (and, when ``final``, the
    rest); return what is left buffered."""
    import pyarrow as pa

    if not buffered:
        return []
    table = pa.concat_tables(buffered) if len(buffered) > 1 else buffered[0]
    start = 0
    while table.num_rows - start >= rows or (final and start < table.num_rows):
        writer.write_table(table.slice(start, rows), row_group_size=rows)
        start += rows
    return [table.slice(start)] if start < table.num_rows else []


def simulate_draw(scenario, index: int):
    """Re-run draw ``index`` of an ensemble exactly (a full :class:`~fleetsim.result.Result`)."""
    from fleetsim.uncertainty.executors import run_job

    result = run_job(scenario, (index, None, (3, index)))
    result.meta["draw"] = index
    return result
