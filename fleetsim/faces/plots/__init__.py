"""Charts of a :class:`~fleetsim.result.Result`, of a Monte Carlo ensemble and of a sensitivity
analysis: one function per chart, each returning a Figure.

``res.plot.power()`` and friends call these functions; ``fleetsim report`` and ``fleetsim run
--plots`` render every chart in :data:`CHARTS`. ``ens.plot.fan("cash_burn_usd")`` draws a fan
chart of an :class:`~fleetsim.uncertainty.montecarlo.Ensemble` (:func:`fan`; ``report --draws``
and ``run --draws --plots`` draw those of :data:`FAN_COLUMNS`) and ``sens.plot.tornado()`` the
tornado of a :class:`~fleetsim.uncertainty.sensitivity.Sensitivity` (:func:`tornado`). Only this
package imports matplotlib, and nothing in the core imports this module (``Result.plot``,
``Ensemble.plot`` and ``Sensitivity.plot`` import it on first use), so a plain ``fleetsim run``
never pays for matplotlib.

Figures are built with :class:`matplotlib.figure.Figure` directly, not through pyplot: they hold
no global state and are freed when dropped. In IPython and Jupyter they display as PNG images
(once: pyplot's inline backend does not know them). Every chart has a
title, axis labels with units, a legend and dates on its x axis; megawatts switch to gigawatts
and counts to thousands or millions when the numbers are large.

A new chart of a Result is one more function taking a Result and returning a Figure (in
``physical.py`` or ``money.py``), registered in :data:`CHARTS` and exposed on
:class:`PlotAccessor` (``charts.py``). The package: ``style`` (size, colours, axes, scales, PNG;
imported first, it selects the backend), ``physical``, ``money``, ``charts`` (the registry and
``result.plot``), ``uncertainty`` (fan charts, tornado), ``render`` (several charts to PNG at once,
in forked processes).
"""

from __future__ import annotations

import sys

from matplotlib.figure import Figure

from fleetsim.faces.plots.charts import CHARTS, PlotAccessor, render_all
from fleetsim.faces.plots.money import COST_COLORS, COST_PARTS, FINANCING, cash, cost_parts, costs, unit_costs
from fleetsim.faces.plots.physical import SOURCE_COLORS, WAITING, energy, energy_by_source, fleet, power, site_power
from fleetsim.faces.plots.style import (
    COLORS,
    DPI,
    FIGSIZE,
    _in_ipython,
    count_scale,
    money_scale,
    per_available_hour,
    png,
    power_scale,
)
from fleetsim.faces.plots.uncertainty import (
    FAN_BANDS,
    FAN_COLUMNS,
    TORNADO_COLORS,
    EnsemblePlotAccessor,
    SensitivityPlotAccessor,
    _wrap_key,
    column_axis,
    fan,
    fans,
    render_fans,
    tornado,
)

__all__ = [
    "CHARTS",
    "COLORS",
    "COST_COLORS",
    "COST_PARTS",
    "DPI",
    "FAN_BANDS",
    "FAN_COLUMNS",
    "FIGSIZE",
    "FINANCING",
    "SOURCE_COLORS",
    "TORNADO_COLORS",
    "WAITING",
    "EnsemblePlotAccessor",
    "PlotAccessor",
    "SensitivityPlotAccessor",
    "_wrap_key",
    "cash",
    "column_axis",
    "cost_parts",
    "costs",
    "count_scale",
    "energy",
    "energy_by_source",
    "fan",
    "fans",
    "fleet",
    "money_scale",
    "per_available_hour",
    "png",
    "power",
    "power_scale",
    "render_all",
    "render_fans",
    "site_power",
    "tornado",
    "unit_costs",
]

def _show_figures_in_notebooks() -> None:  # pragma: no cover - exercised by the notebooks
    """Display Figures as PNG images in IPython, unless a matplotlib backend already does."""
    formatter = sys.modules["IPython"].get_ipython().display_formatter.formatters["image/png"]
    try:
        formatter.lookup_by_type(Figure)
    except KeyError:
        formatter.for_type(Figure, png)


if _in_ipython():  # pragma: no cover
    _show_figures_in_notebooks()
