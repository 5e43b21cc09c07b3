"""Charts of uncertainty: fan charts of an Ensemble's monthly columns, the tornado of a Sensitivity."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from fleetsim import formats
from fleetsim.faces.plots.render import pngs
from fleetsim.faces.plots.style import (
    COLORS,
    FIGSIZE,
    _legend,
    _new,
    _peak,
    _Thousands,
    _value_axis,
    count_scale,
    money_scale,
    power_scale,
)

if TYPE_CHECKING:
    from fleetsim.uncertainty.montecarlo import Ensemble
    from fleetsim.uncertainty.sensitivity import Sensitivity


# --------------------------------------------------------------------------- uncertainty
FAN_COLUMNS = ("facility_power_mw", "cash_burn_usd", "cumulative_cash_usd", "cost_per_h100e_hour_usd")
"""The monthly columns whose fan charts ``fleetsim report --draws`` and ``run --draws --plots`` draw."""

FAN_BANDS = (("p5", "p95", "P5–P95 (90 % of draws)", 0.18), ("p10", "p90", "P10–P90 (80 % of draws)", 0.35))
"""The fan chart's bands, outer first: lower and upper statistic, legend label, opacity."""

TORNADO_COLORS = {"p10": "#8da0cb", "p90": "#fc8d62"}
"""Bars of the tornado: the metric with an input at its P10, and at its P90."""


def _column(column: str) -> tuple[str, str]:
    """A monthly column's pint unit and kind; a clear error for an unknown column."""
    from fleetsim.accounting.columns import COLUMNS

    if column not in COLUMNS:
        from fleetsim.errors import did_you_mean

        raise ValueError(f"unknown monthly column {column!r}{did_you_mean(column, COLUMNS)}; "
                         f"use one of {', '.join(COLUMNS)}")
    return COLUMNS[column]


def column_axis(column: str, peak: float, per_month: bool = True) -> tuple[float, str]:
    """Factor and axis label, with units, to show a monthly column in; ``per_month`` adds
    "per month" to monthly totals (money, energy).

    >>> column_axis("cash_burn_usd", 6e9), column_axis("facility_power_mw", 1500.0)
    ((1e-09, 'cash burn [billion USD per month]'), (1.0, 'facility power [MW]'))
    >>> column_axis("cumulative_cash_usd", 3e10, per_month=False)
    (1e-09, 'cumulative cash [billion USD]')
    >>> column_axis("cost_per_h100e_hour_usd", 0.8)
    (1.0, 'USD per available H100e-hour')
    """
    from fleetsim.formats import column_label

    unit, kind = _column(column)
    label = column_label(column, unit)[0]
    if unit == "USD/hour":
        return 1.0, "USD per available H100e-hour"
    if unit == "USD/Mtok":
        return 1.0, "USD per million tokens"
    factor, shown = 1.0, unit
    if unit == "MW":
        factor, shown = power_scale(peak)
    elif unit == "USD":
        factor, shown = money_scale(peak)
    elif unit == "MWh":
        factor, shown = (1e-3, "GWh") if peak >= 2000 else (1.0, "MWh")
    elif unit == "t":
        factor, shown = (1e-3, "thousand t CO2") if peak >= 2e4 else (1.0, "t CO2")
    elif unit == "m**3":
        factor, word = count_scale(peak)
        shown = f"{word} of m³" if word else "m³"
    elif unit == "month":
        shown = "months"
    elif unit in ("", "hour", "tok"):
        factor, word = count_scale(peak)
        noun = {"hour": "H100e-hours", "tok": "tokens"}.get(unit, "")
        shown = f"{word} of {noun}" if word and noun and noun != label else (word or noun)
    if per_month and kind == "total":
        shown = f"{shown} per month" if shown else "per month"
    return factor, f"{label} [{shown}]" if shown else label


def fan(ensemble: Ensemble, column: str, quantiles: pd.DataFrame | None = None) -> Figure:
    """A fan chart of one monthly column over the draws of an ensemble: the P5–P95 and P10–P90
    bands and the median (P50) month by month.

    ``quantiles`` is ``ensemble.quantiles()`` when already computed (it reads every draw).
    """
    from fleetsim.formats import column_label

    label = column_label(column, _column(column)[0])[0]
    table = (ensemble.quantiles() if quantiles is None else quantiles)[column].unstack("stat")
    table = table.reindex(ensemble.months)
    named = label if label == column else f"{label} ({column})"
    figure, ax = _new(ensemble, f"{named}, {ensemble.count:,} draws")
    factor, axis_label = column_axis(column, _peak(table["p5"], table["p95"]))
    t = ensemble.months.to_timestamp()
    for low, high, band, alpha in FAN_BANDS:
        ax.fill_between(t, table[low].to_numpy(dtype=float) * factor, table[high].to_numpy(dtype=float) * factor,
                        step="post", color=COLORS["burn"], alpha=alpha, linewidth=0, label=band)
    ax.step(t, table["p50"].to_numpy(dtype=float) * factor, where="post", color=COLORS["cash"], linewidth=2,
            label="P50 (median)")
    values = table[["p5", "p95"]].to_numpy(dtype=float)
    if np.nanmin(values, initial=0.0) < 0 < np.nanmax(values, initial=0.0):
        ax.axhline(0.0, color="black", linewidth=0.8)
    _value_axis(ax, axis_label)
    _legend(ax)
    return figure


def fans(ensemble: Ensemble, columns: tuple[str, ...] = FAN_COLUMNS) -> dict[str, Figure]:
    """Fan charts of ``columns``, by column, reading the draws once."""
    quantiles = ensemble.quantiles()
    return {column: fan(ensemble, column, quantiles) for column in columns}


def render_fans(ensemble: Ensemble, columns: tuple[str, ...] = FAN_COLUMNS,
                on_chart: Callable[[str], None] | None = None, workers: int | None = None,
                quantiles: pd.DataFrame | None = None) -> dict[str, bytes]:
    """Fan charts of ``columns`` as PNG bytes, named ``fan_<column>``; ``on_chart(name)`` after each;
    ``workers`` charts at once (:func:`~fleetsim.faces.plots.render.pngs`); ``quantiles``: the
    ensemble's :meth:`~fleetsim.uncertainty.montecarlo.Ensemble.quantiles`, when already read."""
    table = ensemble.quantiles() if quantiles is None else quantiles
    return pngs({f"fan_{column}": partial(fan, ensemble, column, table) for column in columns}, on_chart, workers)


def _metric_label(metric: str, peak: float) -> tuple[float, str]:
    """Factor and axis label of a metric taken over the whole horizon (as sensitivity does)."""
    from fleetsim.formats import column_label

    unit, kind = _column(metric)
    factor, label = column_axis(metric, peak, per_month=False)
    name = column_label(metric, unit)[0]
    over = {"total": f"{name} over the horizon", "end": f"{name} at the end",
            "mean": f"mean {name} over the horizon", "ratio": f"{name} over the horizon",
            "peak": name if name.startswith("peak") else f"peak {name}"}[kind]
    return factor, label.replace(name, over, 1) if label.startswith(name) else f"{over} [{label}]"


def _wrap_key(key: str, width: int = 26) -> str:
    """An input's name broken after dots or spaces onto lines of about ``width`` characters.

    >>> print(_wrap_key("orders[4] (GB200 → colossus-2, 2025-09 to 2026-06).lead_time"))
    orders[4] (GB200 →
    colossus-2, 2025-09 to
    2026-06).lead_time
    """
    import re

    lines, line = [], ""
    for part in re.split(r"(?<=[. ])", key):
        if line and len(line + part) > width:
            lines.append(line.rstrip())
            line = part
        else:
            line += part
    return "\n".join([*lines, line])


def tornado(sensitivity: Sensitivity) -> Figure:
    """A tornado: the metric with each uncertain input at its P10 and at its P90 (the others at
    their central values), as bars from the central value; the largest swing on top, each bar
    labelled with the input's value."""
    table = sensitivity.tornado.sort_values("swing", ascending=False, kind="stable").reset_index(drop=True)
    metric = sensitivity.metric
    low, high = table[f"{metric}_at_p10"].to_numpy(dtype=float), table[f"{metric}_at_p90"].to_numpy(dtype=float)
    central = float(table["central"].iloc[0]) if len(table) else 0.0
    factor, axis_label = _metric_label(metric, _peak(pd.Series(low), pd.Series(high), pd.Series([central])))
    count = len(table)
    width, _ = FIGSIZE
    figure = Figure(figsize=(width, max(3.5, 1.6 + 0.75 * count)), layout="constrained")
    ax = figure.subplots()
    from fleetsim.formats import column_label

    ax.set_title(f"what moves {column_label(metric, _column(metric)[0])[0]} ({metric}): each input at its P10 "
                 "and P90", loc="left", fontsize=12)
    rows = np.arange(count)[::-1].astype(float)  # the largest swing on top
    bar = 0.38
    formatter = _Thousands()
    for values, stat, offset, column in ((low, "p10", bar / 2, "p10_value"), (high, "p90", -bar / 2, "p90_value")):
        ax.barh(rows + offset, (values - central) * factor, left=central * factor, height=bar,
                color=TORNADO_COLORS[stat], label=f"input at its {stat.upper()}")
        for y, value, text in zip(rows + offset, values, table[column], strict=True):
            right = value >= central if value != central else stat == "p90"
            ax.text(value * factor, y, f" {formats.short_value(text)} ", va="center", ha="left" if right else "right",
                    fontsize=8, color="#333333")
    ax.axvline(central * factor, color=COLORS["cash"], linewidth=1.2,
               label="central value (every input central)")
    handles, labels = ax.get_legend_handles_labels()
    order = sorted(range(len(labels)), key=lambda n: not labels[n].startswith("input"))  # bars first
    names = table["label"] if "label" in table.columns else table["input"]  # readable names, key paths kept
    ax.set_yticks(rows, [_wrap_key(key) for key in names], fontsize=9)
    ax.set_ylim(-0.7, count - 0.3 if count else 0.7)
    ax.set_xlabel(axis_label)
    ax.xaxis.set_major_formatter(formatter)
    ax.margins(x=0.3)
    ax.grid(True, axis="x", alpha=0.3)
    figure.legend([handles[n] for n in order], [labels[n] for n in order], loc="outside lower center", ncols=3,
                  fontsize=9, frameon=False)
    return figure


class EnsemblePlotAccessor:
    """``ensemble.plot``: fan charts of a Monte Carlo ensemble, such as
    ``ens.plot.fan("cash_burn_usd")``."""

    def __init__(self, ensemble: Ensemble):
        self._ensemble = ensemble

    def fan(self, column: str) -> Figure:
        """P5–P95 and P10–P90 bands and the median of one monthly column (:func:`fleetsim.faces.plots.fan`)."""
        return fan(self._ensemble, column)

    def all(self, columns: tuple[str, ...] = FAN_COLUMNS) -> dict[str, Figure]:
        """Fan charts of ``columns`` (default :data:`FAN_COLUMNS`), by column."""
        return fans(self._ensemble, columns)

    def __repr__(self) -> str:
        return f"<plots of {self._ensemble.count} draws of {self._ensemble.meta.get('scenario')!r}: .fan(column)>"


class SensitivityPlotAccessor:
    """``sensitivity.plot``: the tornado of a sensitivity analysis, ``sens.plot.tornado()``."""

    def __init__(self, sensitivity: Sensitivity):
        self._sensitivity = sensitivity

    def tornado(self) -> Figure:
        """Each input at its P10 and P90, largest swing on top (:func:`fleetsim.faces.plots.tornado`)."""
        return tornado(self._sensitivity)

    def __repr__(self) -> str:
        return f"<plots of the sensitivity of {self._sensitivity.metric}: .tornado()>"
