"""Holding a run against the record: :func:`score` sets each observation beside fleetsim's value.

>>> import fleetsim, fleetsim.data, warnings
>>> sc = fleetsim.load_text(fleetsim.data.site_scenario("xAI Colossus 2"))
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore")
...     res = fleetsim.simulate(sc)
>>> card = fleetsim.score(res, fleetsim.data.site_observations("xAI Colossus 2", "observed"))
>>> row = card.table[(card.table.metric == "h100e") & (card.table.month == "2025-10")].iloc[0]
>>> round(row.observed), round(row.fleetsim)  # 110,000 GB200 at Epoch's 2.5265 H100e each
(277918, 277915)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from fleetsim.months import as_periods
from fleetsim.scoring.observations import DERIVED, PERIODS, Observations, ObservationsError, from_frame, read, unit_of

__all__ = ["Observations", "ObservationsError", "Scorecard", "read", "score"]

CAPEX_ACCOUNTS = ("hardware_capex", "facility_capex", "generation_capex")
"""Ledger accounts summed into ``cumulative_capex_usd``."""

TABLE_COLUMNS = ["month", "site", "metric", "status", "observed", "fleetsim", "unit", "error", "relative_error",
                 "uncertainty", "within", "source"]


@dataclass
class Scorecard:
    """What :func:`score` returns.

    ``table``: one row per observation: ``month, site`` (blank = fleet), ``metric, status``,
    ``observed`` and ``fleetsim`` in the metric's ``unit``, ``error`` (fleetsim − observed),
    ``relative_error`` (error ÷ |observed|; NaN where the record is zero), ``uncertainty``
    (absolute, in the unit; NaN if none given), ``within`` (|error| ≤ uncertainty; NaN if none)
    and ``source``. ``summary``: by metric and status, the ``count`` of observations, how many
    have a relative error (``scored``: the record is not zero), the ``median`` and ``largest``
    absolute relative error, and how many with an uncertainty lie ``within`` it (of ``with_band``).
    """

    table: pd.DataFrame
    summary: pd.DataFrame
    meta: dict = field(default_factory=dict)

    def _repr_html_(self) -> str:
        return self.summary.to_html() + self.table.to_html()


def _series(result, metric: str, site: str) -> pd.Series:
    """fleetsim's monthly series of ``metric`` for ``site`` (blank: the fleet)."""
    index = result.monthly.index
    if metric in DERIVED:
        ledger = result.ledger[result.ledger["account"].isin(CAPEX_ACCOUNTS)]
        if site:
            ledger = ledger[ledger["site"] == site]
        monthly = ledger.groupby("month")["amount_usd"].sum().reindex(index, fill_value=0.0)
        return monthly.cumsum()
    if metric[-4:] in PERIODS and metric not in result.monthly.columns:  # a flow summed over the period to date
        flow = result.monthly[metric[:-4]]
        return flow.groupby(flow.index.asfreq(PERIODS[metric[-4:]])).cumsum()
    if site:
        rows = result.sites[result.sites["site"] == site]
        return pd.Series(rows[metric].to_numpy(float), index=as_periods(rows["month"])).reindex(index)
    return result.monthly[metric]


def series(result, metric: str, site: str = "") -> pd.Series:
    """fleetsim's monthly series of an observable ``metric`` (for charts beside observations)."""
    return _series(result, metric, site)


def score(result, observations) -> Scorecard:
    """Each observation beside fleetsim's value for its month, site and metric.

    ``observations`` is an :class:`Observations` (from :func:`read`), a path to an observations
    file, or a DataFrame with its columns; a path or a table is checked against ``result`` (its
    horizon and sites) and raises :class:`ObservationsError` when it does not fit.
    """
    path = None
    if isinstance(observations, (str, Path)):
        path = Path(observations)
        observations = read(path, result)
    elif isinstance(observations, pd.DataFrame):
        observations = from_frame(observations, result)
    path = path or observations.path
    frame = observations.table
    cache: dict[tuple[str, str], pd.Series] = {}
    values = []
    for row in frame.itertuples():
        key = (row.metric, row.site)
        if key not in cache:
            cache[key] = _series(result, row.metric, row.site)
        values.append(float(cache[key].loc[row.month]))
    observed = frame["observed"].to_numpy(float)
    model = np.asarray(values, dtype=float)
    error = model - observed
    with np.errstate(divide="ignore", invalid="ignore"):
        relative = np.where(observed != 0, error / np.abs(observed), np.nan)
    band = frame["band"].to_numpy(float)
    within = np.where(np.isnan(band), np.nan, (np.abs(error) <= band + 1e-9 * np.abs(observed)).astype(float))
    table = pd.DataFrame({
        "month": frame["month"].astype(str), "site": frame["site"], "metric": frame["metric"],
        "status": frame["status"], "observed": observed, "fleetsim": model,
        "unit": [unit_of(m) for m in frame["metric"]], "error": error,
        "relative_error": relative, "uncertainty": band, "within": within, "source": frame["source"]},
        columns=TABLE_COLUMNS)
    return Scorecard(table, summarize(table), {"observations": str(path) if path else None,
                                               "scenario": result.meta.get("scenario"),
                                               "scenario_hash": result.meta.get("scenario_hash")})


def summarize(table: pd.DataFrame) -> pd.DataFrame:
    """The scorecard's summary (see :class:`Scorecard`), observed and projected rows apart."""
    records = []
    for (metric, status), group in table.groupby(["metric", "status"], sort=True):
        errors = group["relative_error"].abs().dropna()
        banded = group["within"].dropna()
        records.append({"metric": metric, "status": status, "count": len(group), "scored": len(errors),
                        "median": float(errors.median()) if len(errors) else np.nan,
                        "largest": float(errors.max()) if len(errors) else np.nan,
                        "within": int(banded.sum()), "with_band": len(banded)})
    order = {"observed": 0, "projected": 1}
    summary = pd.DataFrame.from_records(records, columns=["metric", "status", "count", "scored", "median", "largest",
                                                          "within", "with_band"])
    return summary.sort_values(["status", "metric"], key=lambda s: s.map(order) if s.name == "status" else s,
                               kind="stable").reset_index(drop=True)
