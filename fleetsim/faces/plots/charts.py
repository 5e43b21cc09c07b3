"""Every chart of a Result by name (:data:`CHARTS`), rendering them, and ``result.plot``."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import TYPE_CHECKING

from matplotlib.figure import Figure

from fleetsim.faces.plots.money import cash, costs, unit_costs
from fleetsim.faces.plots.physical import energy, fleet, power, site_power
from fleetsim.faces.plots.render import pngs

if TYPE_CHECKING:
    from fleetsim.result import Result


CHARTS: dict[str, Callable[[Result], Figure]] = {
    "fleet": fleet, "power": power, "sites": site_power, "energy": energy, "costs": costs, "cash": cash,
    "unit_costs": unit_costs,
}
"""Every chart of a Result, by name, in the order of the report."""



def render_all(result: Result, on_chart: Callable[[str], None] | None = None,
               workers: int | None = None) -> dict[str, bytes]:
    """Every chart of :data:`CHARTS` as PNG bytes, by name; ``on_chart(name)`` after each one.
    ``workers``: charts drawn at once (:func:`~fleetsim.faces.plots.render.pngs`; default one per core)."""
    return pngs({name: partial(chart, result) for name, chart in CHARTS.items()}, on_chart, workers)


class PlotAccessor:
    """``result.plot``: each method draws one chart of the result and returns its Figure, such as
    ``res.plot.power()`` or ``res.plot.costs().savefig("costs.png")``."""

    def __init__(self, result: Result):
        self._result = result

    def fleet(self) -> Figure:
        """Installed and working H100 equivalents (see :func:`fleetsim.faces.plots.fleet`)."""
        return fleet(self._result)

    def power(self) -> Figure:
        """Capacity, full-load and mean facility power, stranded accelerators (:func:`fleetsim.faces.plots.power`)."""
        return power(self._result)

    def sites(self) -> Figure:
        """One power panel per site (:func:`fleetsim.faces.plots.site_power`)."""
        return site_power(self._result)

    def site_power(self, site: str | None = None) -> Figure:
        """Capacity, full-load and mean power and waiting accelerators by cause, one panel per site
        (or only ``site``) (:func:`fleetsim.faces.plots.site_power`)."""
        return site_power(self._result, site)

    def energy(self) -> Figure:
        """Energy by kind of source and CO2 emissions (:func:`fleetsim.faces.plots.energy`)."""
        return energy(self._result)

    def costs(self) -> Figure:
        """Monthly operating cost stacked by part (:func:`fleetsim.faces.plots.costs`)."""
        return costs(self._result)

    def cash(self) -> Figure:
        """Cash burn, revenue and cumulative cash (:func:`fleetsim.faces.plots.cash`)."""
        return cash(self._result)

    def unit_costs(self) -> Figure:
        """Cost and revenue per available H100e-hour (:func:`fleetsim.faces.plots.unit_costs`)."""
        return unit_costs(self._result)

    def all(self) -> dict[str, Figure]:
        """Every chart, by name."""
        return {name: chart(self._result) for name, chart in CHARTS.items()}

    def __repr__(self) -> str:
        return f"<plots of {self._result.meta.get('scenario')!r}: {', '.join(f'.{n}()' for n in CHARTS)}>"
