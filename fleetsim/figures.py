"""The headline figures of a run, each defined once: key, label, unit, display unit, decimals and
how it is aggregated from the monthly table.

:meth:`fleetsim.result.Result.summary` computes :data:`SUMMARY`; ``fleetsim run`` prints them
(table and ``--json``), the notebook view and the report show them, Monte Carlo ensembles, sweeps
and sensitivity runs record :data:`ENSEMBLE`, and :func:`fleetsim.compare` sets :data:`COMPARED`
side by side. A new headline figure is one more :class:`Figure` in :data:`FIGURES` (and its key in
the tuples that show it); every face picks it up from here. Numbers are formatted by
:mod:`fleetsim.formats`.

>>> FIGURES["capex_usd_total"].text(38.2e9), FIGURES["capex_usd_total"].shown
('38,200', 'MUSD')
>>> FIGURES["cost_per_h100e_hour_usd"].text(float("nan"))
'—'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from fleetsim import formats

if TYPE_CHECKING:
    import pandas as pd

AGGREGATIONS = {
    "peak": "the largest month",
    "mean": "the mean over months, weighted by hours",
    "mean_monthly": "the plain mean of the months",
    "end": "the last month",
    "total": "the sum over months",
    "per_h100e_hour": "the sum over months ÷ the available H100e-hours",
    "per_mtok": "the sum over months ÷ the million tokens served",
    "first_below_zero": "the first month below zero (text; blank if never)",
    "npv": "net present value of the negated column at the scenario's discount rate",
}
"""How a figure is made from its monthly columns (summed first when there are several)."""


@dataclass(frozen=True)
class Figure:
    """One headline figure."""

    key: str
    """Its name in :meth:`Result.summary`, JSON, CSV files and tables (ends in its unit)."""
    label: str
    """As printed beside the value."""
    unit: str
    """Its pint unit (``""`` for counts; ``"month"`` for a month as text)."""
    shown: str
    """The unit it is shown in (see :data:`fleetsim.formats.SHOWN`)."""
    decimals: int
    """Decimals shown."""
    how: str
    """How it is aggregated (a key of :data:`AGGREGATIONS`)."""
    columns: tuple[str, ...]
    """The monthly columns it is made of."""

    @property
    def scale(self) -> float:
        """Factor from :attr:`unit` to :attr:`shown`."""
        return formats.scale(self.shown)

    @property
    def heading(self) -> str:
        """The label with the display unit, such as ``Energy, total (GWh)``."""
        return f"{self.label} ({self.shown})" if self.shown else self.label

    def text(self, value) -> str:
        """``value`` in the display unit with thousands separators (``—`` when missing)."""
        if isinstance(value, str):
            return value
        return formats.scaled(value, self.shown, self.decimals)

    def compute(self, monthly, discount_rate: float | None = None):
        """The figure of a monthly table (see :data:`AGGREGATIONS`): a DataFrame indexed by month,
        or the monthly column table (:class:`~fleetsim.frame.Frame`; no pandas needed). Missing
        values are skipped in sums, maxima and means, as pandas skips them."""
        m = monthly if isinstance(monthly, _Monthly) else _Monthly(monthly)
        parts = [m[column] for column in self.columns]
        values = np.nansum(np.column_stack(parts), axis=1) if len(parts) > 1 else parts[0]
        if self.how == "peak":
            return _skipping(np.nanmax, values)
        if self.how == "mean":
            return float(np.average(values, weights=m.days))
        if self.how == "mean_monthly":
            count = int((~np.isnan(values)).sum())
            return float(np.nansum(values) / count) if count else float("nan")
        if self.how == "end":
            return float(values[-1])
        if self.how == "total":
            return float(np.nansum(values))
        if self.how == "per_h100e_hour":
            hours = float(np.nansum(m["h100e_available"] * m.days * 24.0))
            return float(np.nansum(values) / hours) if hours > 0 else float("nan")
        if self.how == "per_mtok":
            mtok = float(np.nansum(m["tokens"])) / 1e6
            return float(np.nansum(values) / mtok) if mtok > 0 else float("nan")
        if self.how == "first_below_zero":
            below = np.flatnonzero(values < 0)
            return m.text(below[0]) if len(below) else ""
        if self.how == "npv":
            from fleetsim.accounting import finance_rules

            if discount_rate is None:
                raise ValueError(f"{self.key} needs a discount rate")
            return finance_rules.npv(-values, discount_rate)
        raise ValueError(f"figure {self.key!r}: unknown aggregation {self.how!r}; use one of {sorted(AGGREGATIONS)}")


def _skipping(reduce, values: np.ndarray) -> float:
    """``reduce`` of the values that are not NaN (NaN when there are none), as pandas reduces."""
    kept = values[~np.isnan(values)]
    return float(reduce(kept)) if len(kept) else float("nan")


class _Monthly:
    """A monthly table's columns as float arrays, its months' days and their ``YYYY-MM`` text,
    from a DataFrame (``PeriodIndex``) or a :class:`~fleetsim.frame.Frame` (month numbers)."""

    def __init__(self, monthly):
        from fleetsim.frame import Frame

        self._table = monthly
        if isinstance(monthly, Frame):
            self.months = np.asarray(monthly[monthly.index], dtype=np.int64)
        else:
            from fleetsim.months import month_numbers

            self.months = month_numbers(monthly.index)
        self.days = _days(self.months)

    def __getitem__(self, column: str) -> np.ndarray:
        values = self._table[column]
        return np.asarray(values.to_numpy() if hasattr(values, "to_numpy") else values, dtype=float)

    def text(self, position: int) -> str:
        from fleetsim.months import to_text

        return to_text(int(self.months[position]))


def _days(months: np.ndarray) -> np.ndarray:
    """Days in each month (month numbers), as int64 (what ``PeriodIndex.days_in_month`` gives)."""
    from fleetsim.months import hours_in_month

    return np.array([int(hours_in_month(int(m))) // 24 for m in months], dtype=np.int64)


def _figures(*figures: Figure) -> dict[str, Figure]:
    return {f.key: f for f in figures}


FIGURES: dict[str, Figure] = _figures(
    Figure("peak_facility_power_mw", "Peak facility power (full load)", "MW", "MW", 0, "peak",
           ("peak_facility_power_mw",)),
    Figure("mean_facility_power_mw", "Mean facility power", "MW", "MW", 0, "mean", ("facility_power_mw",)),
    Figure("accelerators_end", "Accelerators at the end", "", "", 0, "end", ("accelerators",)),
    Figure("h100e_end", "H100 equivalents at the end", "", "H100e", 0, "end", ("h100e",)),
    Figure("stranded_peak", "Stranded accelerators, peak", "", "", 0, "peak", ("stranded",)),
    Figure("stranded_accelerator_months_total", "Stranded accelerator-months, total", "", "", 0, "total",
           ("stranded_accelerator_months",)),
    Figure("energy_mwh_total", "Energy, total", "MWh", "GWh", 0, "total", ("energy_mwh",)),
    Figure("unserved_energy_mwh_total", "Unserved energy, total", "MWh", "MWh", 0, "total",
           ("unserved_energy_mwh",)),
    Figure("emissions_tco2_total", "Emissions, total", "t", "ktCO2", 0, "total", ("emissions_tco2",)),
    Figure("energy_cost_usd_total", "Energy cost, total (purchased + fuel + demand + generation O&M)", "USD",
           "MUSD", 0, "total", ("energy_cost_usd",)),
    Figure("capex_usd_total", "Capex, total (hardware + facility)", "USD", "MUSD", 0, "total",
           ("hardware_capex_usd", "facility_capex_usd")),
    Figure("cash_burn_usd_mean_monthly", "Cash burn, mean per month", "USD", "MUSD", 1, "mean_monthly",
           ("cash_burn_usd",)),
    Figure("cumulative_cash_usd_end", "Cumulative cash at the end", "USD", "MUSD", 0, "end",
           ("cumulative_cash_usd",)),
    Figure("cost_per_h100e_hour_usd", "Operating cost per H100e-hour", "USD/hour", "USD/h", 3, "per_h100e_hour",
           ("operating_cost_usd",)),
    Figure("tco_per_h100e_hour_usd", "TCO per H100e-hour (capital charge + energy + opex + lease)", "USD/hour",
           "USD/h", 3, "per_h100e_hour", ("tco_usd",)),
    Figure("cash_out_month", "Cash runs out (first month below zero)", "month", "month", 0, "first_below_zero",
           ("cash_balance_usd",)),
    Figure("cost_per_mtok_usd", "Inference cost per million tokens", "USD/Mtok", "USD/Mtok", 3, "per_mtok",
           ("inference_cost_usd",)),
    Figure("npv_usd", "NPV of the cash flows", "USD", "MUSD", 0, "npv", ("cash_burn_usd",)),
)
"""Every headline figure by key."""

SUMMARY: tuple[str, ...] = (
    "peak_facility_power_mw", "mean_facility_power_mw", "accelerators_end", "h100e_end", "stranded_peak",
    "stranded_accelerator_months_total", "energy_mwh_total", "unserved_energy_mwh_total", "emissions_tco2_total",
    "energy_cost_usd_total", "capex_usd_total", "cash_burn_usd_mean_monthly", "cumulative_cash_usd_end",
    "cost_per_h100e_hour_usd", "tco_per_h100e_hour_usd")
"""The figures of :meth:`Result.summary` (``fleetsim run`` prints them), in order."""

ENSEMBLE: tuple[str, ...] = (
    "peak_facility_power_mw", "h100e_end", "capex_usd_total", "cash_burn_usd_mean_monthly",
    "cumulative_cash_usd_end", "cost_per_h100e_hour_usd", "energy_mwh_total", "emissions_tco2_total")
"""The figures recorded for each Monte Carlo draw and sweep case (``summary.csv``, ``sweep.csv``)."""

COMPARED: tuple[str, ...] = (
    "peak_facility_power_mw", "h100e_end", "capex_usd_total", "cash_burn_usd_mean_monthly", "cash_out_month",
    "cost_per_h100e_hour_usd", "cost_per_mtok_usd", "npv_usd")
"""The figures :func:`fleetsim.compare` sets side by side."""


OWNER: tuple[str, ...] = ("h100e_end", "peak_facility_power_mw", "energy_mwh_total", "capex_usd_total")
"""The figures shown by owner (``fleetsim run``'s by-owner table, the report's by-owner section)."""
OWNER_HEADINGS = {"h100e_end": "H100e at the end", "peak_facility_power_mw": "Peak facility power",
                  "energy_mwh_total": "Energy, total", "capex_usd_total": "Capex, total"}
"""Short column headings of the by-owner tables (the figures' full labels are in :data:`FIGURES`)."""
NO_OWNER = "(no owner)"
"""How the empty owner (fleet-wide rows, sites without an owner) is shown."""


def by_owner(owners: pd.DataFrame, keys: tuple[str, ...] = OWNER) -> pd.DataFrame:
    """The figures ``keys`` of each owner of an owners table (``Result.owners``), computed from
    the owner's own monthly columns (summed over users) as :func:`summary` does from the fleet's:
    one row per owner (index ``owner``, in order of first appearance; ``""`` holds fleet-wide
    rows and sites without an owner), one column per figure."""
    import pandas as pd

    names = list(dict.fromkeys(owners["owner"]))
    columns = sorted({c for key in keys for c in FIGURES[key].columns})
    months = pd.PeriodIndex(owners["month"].unique(), freq="M")
    rows = {}
    for name in names:
        monthly = owners[owners["owner"] == name].groupby("month", sort=False)[columns].sum().reindex(months,
                                                                                                      fill_value=0.0)
        rows[name] = summary(monthly, keys)
    return pd.DataFrame.from_dict(rows, orient="index", columns=list(keys)).rename_axis("owner")


def owner_rows(owners, keys: tuple[str, ...] = OWNER) -> list[tuple[str, dict[str, object]]]:
    """(owner, figures) of each owner of the owners column table (:class:`~fleetsim.frame.Frame`,
    ``Result.frame("owners")``): :func:`by_owner`'s rows, computed with numpy alone."""
    from fleetsim.frame import Frame

    names = list(dict.fromkeys(owners["owner"].tolist()))
    columns = sorted({c for key in keys for c in FIGURES[key].columns})
    months, where = np.unique(owners["month"], return_inverse=True)  # month numbers sort as months do
    where = where.reshape(-1)
    out = []
    for name in names:
        mine = owners["owner"] == name
        monthly = {column: np.bincount(where[mine], weights=np.asarray(owners[column], dtype=float)[mine],
                                       minlength=len(months)) for column in columns}
        table = Frame({"month": months, **monthly}, months=("month",), index="month")
        out.append((name, summary(table, keys)))
    return out


def summary(monthly: pd.DataFrame, keys: tuple[str, ...] = SUMMARY,
            discount_rate: float | None = None) -> dict[str, object]:
    """The figures ``keys`` of a monthly table, in order (the table's months read once)."""
    table = _Monthly(monthly)
    return {key: FIGURES[key].compute(table, discount_rate) for key in keys}


def rows(figures: dict[str, object]) -> list[tuple[str, str, str]]:
    """(label, formatted value, display unit) of each figure, for tables."""
    return [(FIGURES[key].label, FIGURES[key].text(value), FIGURES[key].shown) for key, value in figures.items()]
