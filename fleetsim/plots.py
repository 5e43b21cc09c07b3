"""Charts of a :class:`~fleetsim.result.Result`, of a Monte Carlo ensemble and of a sensitivity
analysis: one function per chart, each returning a Figure.

``res.plot.power()`` and friends call these functions; ``fleetsim report`` and ``fleetsim run
--plots`` render every chart in :data:`CHARTS`. ``ens.plot.fan("cash_burn_usd")`` draws a fan
chart of an :class:`~fleetsim.uncertainty.montecarlo.Ensemble` (:func:`fan`; ``report --draws``
and ``run --draws --plots`` draw those of :data:`FAN_COLUMNS`) and ``sens.plot.tornado()`` the
tornado of a :class:`~fleetsim.uncertainty.sensitivity.Sensitivity` (:func:`tornado`). Only this
module imports matplotlib, and nothing in the core imports this module (``Result.plot``,
``Ensemble.plot`` and ``Sensitivity.plot`` import it on first use), so a plain ``fleetsim run``
never pays for matplotlib.

Figures are built with :class:`matplotlib.figure.Figure` directly, not through pyplot: they hold
no global state and are freed when dropped. In IPython and Jupyter they display as PNG images
(once: pyplot's inline backend does not know them). Every chart has a
title, axis labels with units, a legend and dates on its x axis; megawatts switch to gigawatts
and counts to thousands or millions when the numbers are large.

A new chart of a Result is one more function taking a Result and returning a Figure, registered
in :data:`CHARTS` and exposed on :class:`PlotAccessor`.
"""

from __future__ import annotations

import io
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

import matplotlib
import numpy as np
import pandas as pd

from fleetsim import display


def _in_ipython() -> bool:
    shell = sys.modules.get("IPython")
    return shell is not None and getattr(shell, "get_ipython", lambda: None)() is not None


if "MPLBACKEND" not in os.environ and not _in_ipython():
    matplotlib.use("Agg")  # headless: tests, the CLI and servers have no display

from matplotlib import dates as mdates  # noqa: E402
from matplotlib.axes import Axes  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import Formatter  # noqa: E402

if TYPE_CHECKING:
    from fleetsim.result import Result
    from fleetsim.uncertainty.montecarlo import Ensemble
    from fleetsim.uncertainty.sensitivity import Sensitivity

FIGSIZE = (9.0, 5.0)
"""Width and height of every chart, in inches (at :data:`DPI`, 900 × 500 pixels)."""
DPI = 100
"""Resolution of the PNG files written by the report and ``run --plots``, in dots per inch."""

COLORS = {
    "capacity": "#222222", "peak": "#d95f02", "drawn": "#1b9e77", "stranded": "#e7298a",
    "installed": "#7570b3", "available": "#1b9e77", "energy": "#e6ab02", "depreciation": "#7570b3",
    "revenue": "#1b9e77", "burn": "#d95f02", "cash": "#222222",
}
"""One colour per series, the same in every chart."""


# --------------------------------------------------------------------------- helpers
class _Thousands(Formatter):
    """Tick labels with thousands separators and just enough decimals to tell the ticks apart
    exactly (2.5 stays 2.5; 1,000 has none).

    >>> f = _Thousands(); f.set_locs([0.0, 2.5, 5.0, 7.5]); [f(x) for x in (0.0, 2.5, 5.0, 7.5)]
    ['0.0', '2.5', '5.0', '7.5']
    >>> f.set_locs([0.0, 500.0, 1000.0]); f(1000.0)
    '1,000'
    """

    decimals = 0

    def set_locs(self, locs) -> None:
        values = [float(v) for v in locs]
        self.decimals = next((d for d in range(5) if all(abs(round(v, d) - v) <= 1e-9 * max(1.0, abs(v))
                                                         for v in values)), 4)

    def __call__(self, x: float, pos: int | None = None) -> str:
        text = f"{x:,.{self.decimals}f}"
        return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def _months(result: Result) -> pd.DatetimeIndex:
    """The first day of each simulated month, for the x axis."""
    return result.monthly.index.to_timestamp()


def _hours(result: Result) -> np.ndarray:
    """Hours in each calendar month."""
    return result.monthly.index.days_in_month.to_numpy() * 24.0


def _new(result: Result | Ensemble, title: str, rows: int = 1) -> tuple[Figure, Axes]:
    """A figure titled with the scenario's name (of a Result or an Ensemble); with ``rows`` > 1,
    more axes below the first, sharing its dates (``figure.axes``)."""
    width, height = FIGSIZE
    figure = Figure(figsize=(width, height + 2.6 * (rows - 1)), layout="constrained")
    axes = figure.subplots(rows, 1, sharex=True, squeeze=False)[:, 0]
    name = result.meta.get("scenario")
    axes[0].set_title(f"{name}: {title}" if name else title, loc="left", fontsize=12)
    for ax in axes:
        _date_axis(ax)
    for ax in axes[:-1]:
        ax.set_xlabel("")
    return figure, axes[0]


def _date_axis(ax: Axes) -> None:
    locator = mdates.AutoDateLocator(minticks=4, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.set_xlabel("month")
    ax.grid(True, axis="y", alpha=0.3)
    ax.tick_params(labelbottom=True)


def _value_axis(ax: Axes, label: str) -> None:
    ax.set_ylabel(label)
    ax.yaxis.set_major_formatter(_Thousands())


def power_scale(peak_mw: float) -> tuple[float, str]:
    """Factor and unit to show megawatts in: GW from 2,000 MW up, else MW.

    >>> power_scale(1500.0), power_scale(2400.0)
    ((1.0, 'MW'), (0.001, 'GW'))
    """
    return (1e-3, "GW") if peak_mw >= 2000 else (1.0, "MW")


def count_scale(peak: float) -> tuple[float, str]:
    """Factor and word to show a count in: trillions, billions or millions from 2 of them,
    thousands from 20,000.

    >>> count_scale(150_000), count_scale(3e6), count_scale(900), count_scale(5e14)
    ((0.001, 'thousands'), (1e-06, 'millions'), (1.0, ''), (1e-12, 'trillions'))
    """
    if peak >= 2e12:
        return 1e-12, "trillions"
    if peak >= 2e9:
        return 1e-9, "billions"
    if peak >= 2e6:
        return 1e-6, "millions"
    if peak >= 2e4:
        return 1e-3, "thousands"
    return 1.0, ""


def money_scale(peak_usd: float) -> tuple[float, str]:
    """Factor and unit to show US dollars in: billion USD from 2 billion, else million USD.

    >>> money_scale(5e8), money_scale(3e10)
    ((1e-06, 'million USD'), (1e-09, 'billion USD'))
    """
    return (1e-9, "billion USD") if peak_usd >= 2e9 else (1e-6, "million USD")


def _peak(*series: pd.Series) -> float:
    values = np.concatenate([np.abs(np.nan_to_num(s.to_numpy(dtype=float))) for s in series])
    return float(values.max()) if len(values) else 0.0


def _legend(*axes: Axes) -> None:
    """One legend for the series of one or two (twin) axes, below the plot, where it hides nothing."""
    handles, labels = [], []
    for ax in axes:
        h, lab = ax.get_legend_handles_labels()
        handles += h
        labels += lab
    axes[0].figure.legend(handles, labels, loc="outside lower center", ncols=min(len(labels), 3), fontsize=9,
                          frameon=False)


def per_available_hour(result: Result, column: str) -> pd.Series:
    """A money column divided by the month's available H100e-hours (USD per H100e-hour; NaN
    in months with no working hardware)."""
    hours = result.monthly.h100e_available.to_numpy() * _hours(result)
    values = result.monthly[column].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return pd.Series(np.where(hours > 0, values / hours, np.nan), index=result.monthly.index)


# --------------------------------------------------------------------------- charts
def fleet(result: Result) -> Figure:
    """Installed H100 equivalents (end of month) and the working ones (mean over the month).

    The monthly table holds fleet totals only, so the chart shows totals; a split by hardware
    generation needs per-hardware counts, which a Result does not carry yet.
    """
    m = result.monthly
    figure, ax = _new(result, "fleet size in H100 equivalents")
    factor, word = count_scale(_peak(m.h100e, m.h100e_available))
    t = _months(result)
    ax.fill_between(t, m.h100e * factor, step="post", color=COLORS["installed"], alpha=0.35,
                    label="installed H100e (end of month)")
    ax.step(t, m.h100e_available * factor, where="post", color=COLORS["available"], linewidth=2,
            label="working H100e (monthly mean)")
    _value_axis(ax, f"H100 equivalents{f' [{word}]' if word else ''}")
    ax.set_ylim(bottom=0)
    _legend(ax)
    return figure


def power(result: Result) -> Figure:
    """Site capacity, full-load facility power of the installed hardware, mean power drawn, and
    stranded accelerators (delivered but not energised) shaded on a second axis."""
    m = result.monthly
    figure, ax = _new(result, "facility power against capacity")
    factor, unit = power_scale(_peak(m.capacity_mw, m.peak_facility_power_mw))
    t = _months(result)
    stranded_ax = ax.twinx()
    counts, word = count_scale(_peak(m.stranded))
    stranded_ax.fill_between(t, m.stranded * counts, step="post", color=COLORS["stranded"], alpha=0.18,
                             linewidth=0, label="stranded accelerators (right axis)")
    _value_axis(stranded_ax, f"stranded accelerators{f' [{word}]' if word else ''}")
    stranded_ax.set_ylim(bottom=0, top=max(float(m.stranded.max()) * counts * 1.1, 1.0))
    stranded_ax.grid(False)
    ax.set_zorder(stranded_ax.get_zorder() + 1)
    ax.patch.set_visible(False)
    ax.step(t, m.capacity_mw * factor, where="post", color=COLORS["capacity"], linewidth=2,
            label="capacity (usable facility power)")
    ax.step(t, m.peak_facility_power_mw * factor, where="post", color=COLORS["peak"], linewidth=2,
            label="full-load facility power of installed hardware")
    ax.step(t, m.facility_power_mw * factor, where="post", color=COLORS["drawn"], linewidth=1.5,
            linestyle="--", label="mean facility power drawn")
    _value_axis(ax, f"power [{unit}]")
    ax.set_ylim(bottom=0)
    _legend(ax, stranded_ax)
    return figure


WAITING = {"waiting_power": ("waiting for power", "#e7298a"),
           "waiting_install": ("waiting for install rate", "#7570b3")}
"""The two causes of waiting hardware in the site panels: legend label and colour."""


def site_power(result: Result, site: str | None = None) -> Figure:
    """Power site by site, one panel per site: capacity, full-load facility power of the installed
    hardware and mean power drawn, with the accelerators waiting shaded on a second axis by cause
    (for power, for the install rate). Sites are gated separately, so one can be short while
    another has headroom; the fleet chart's sums hide that."""
    table = result.sites
    names = list(dict.fromkeys(table.site)) if site is None else [site]
    if site is not None and site not in set(table.site):
        raise ValueError(f"no site {site!r}; sites: {', '.join(dict.fromkeys(table.site))}")
    title = "power by site" if site is None else f"power at {site}"
    figure, _ = _new(result, title, rows=max(len(names), 1))
    panels = list(figure.axes)
    t = _months(result)
    frames = {name: table[table.site == name].set_index("month").reindex(result.monthly.index, fill_value=0.0)
              for name in names}
    factor, unit = power_scale(max((_peak(f.capacity_mw, f.peak_facility_power_mw) for f in frames.values()),
                                   default=0.0))
    counts, word = count_scale(max((_peak(f.stranded) for f in frames.values()), default=0.0))
    for ax, name in zip(panels, names, strict=False):
        frame = frames[name]
        waiting_ax = ax.twinx()
        below = np.zeros(len(frame))
        for column, (label, color) in WAITING.items():
            values = frame[column].to_numpy(dtype=float) * counts
            waiting_ax.fill_between(t, below, below + values, step="post", color=color, alpha=0.25, linewidth=0,
                                    label=f"{label} (right axis)")
            below = below + values
        waiting_ax.set_ylim(bottom=0, top=max(float(frame.stranded.max()) * counts * 1.15, 1.0))
        waiting_ax.grid(False)
        _value_axis(waiting_ax, f"accelerators waiting{f' [{word}]' if word else ''}")
        ax.set_zorder(waiting_ax.get_zorder() + 1)
        ax.patch.set_visible(False)
        ax.step(t, frame.capacity_mw * factor, where="post", color=COLORS["capacity"], linewidth=2,
                label="capacity")
        ax.step(t, frame.peak_facility_power_mw * factor, where="post", color=COLORS["peak"], linewidth=2,
                label="full-load power installed")
        ax.step(t, frame.facility_power_mw * factor, where="post", color=COLORS["drawn"], linewidth=1.5,
                linestyle="--", label="mean power drawn")
        ax.set_ylim(bottom=0)
        _value_axis(ax, f"facility power [{unit}]")
        ax.text(0.01, 0.95, name, transform=ax.transAxes, va="top", fontsize=10, fontweight="bold")
    if names:
        _legend(panels[0], panels[0].figure.axes[len(panels)])
    return figure


COST_PARTS = {"purchased_energy_cost_usd": "energy: purchased", "fuel_cost_usd": "energy: fuel",
              "demand_charge_usd": "energy: demand charges", "generation_om_usd": "energy: generation O&M",
              "depreciation_usd": "depreciation (accrual)", "opex_usd": "opex (fixed + maintenance)",
              "lease_usd": "leases"}
"""The parts of ``operating_cost_usd``, stacked bottom to top, with their legend labels; the first
four make up the total energy cost, ``energy_cost_usd``."""
FINANCING = {"interest_usd": "interest (financing)"}
"""Costs outside operating cost that the cost chart stacks on top of it."""
COST_COLORS = {"purchased_energy_cost_usd": "#e6ab02", "fuel_cost_usd": "#a6761d", "demand_charge_usd": "#e7298a",
               "generation_om_usd": "#1b9e77",
               "depreciation_usd": "#7570b3", "opex_usd": "#999999", "lease_usd": "#66a61e",
               "interest_usd": "#d95f02"}


def cost_parts(result: Result, parts: dict[str, str] = COST_PARTS) -> list[str]:
    """The cost columns of ``parts`` this result has, leaving out those that are zero throughout."""
    m = result.monthly
    present = [c for c in parts if c in m.columns]
    return [c for c in present if m[c].abs().sum() > 0] or present[:1]


def costs(result: Result) -> Figure:
    """The monthly operating cost stacked by part: energy (purchased energy, fuel, demand
    charges), depreciation, opex and leases, with interest on debt on top when there is any."""
    m = result.monthly
    figure, ax = _new(result, "monthly cost")
    parts = cost_parts(result) + [c for c in FINANCING if c in m.columns and m[c].abs().sum() > 0]
    factor, unit = money_scale(_peak(m[parts].sum(axis=1)))
    labels = {**COST_PARTS, **FINANCING}
    ax.stackplot(_months(result), *[m[c].to_numpy(dtype=float) * factor for c in parts],
                 labels=[labels[c] for c in parts], colors=[COST_COLORS[c] for c in parts], step="post", alpha=0.85)
    _value_axis(ax, f"cost [{unit} per month]")
    ax.set_ylim(bottom=0)
    _legend(ax)
    return figure


def cash(result: Result) -> Figure:
    """Monthly cash burn (energy + capex + opex + debt service − revenue − debt drawn) and revenue
    above; below, on an axis of its own with its zero drawn, cumulative cash and the cash balance
    after raises when the scenario has one, with the month the balance first falls below zero
    marked."""
    m = result.monthly
    figure, ax = _new(result, "cash burn, revenue and cash", rows=2)
    below = figure.axes[1]
    factor, unit = money_scale(_peak(m.cash_burn_usd, m.revenue_usd))
    t = _months(result)
    ax.bar(t, m.cash_burn_usd * factor, width=25, align="edge", color=COLORS["burn"], alpha=0.7,
           label="cash burn (spending − revenue)")
    ax.step(t, m.revenue_usd * factor, where="post", color=COLORS["revenue"], linewidth=2, label="revenue")
    ax.axhline(0.0, color="black", linewidth=0.8)
    _value_axis(ax, f"{unit} per month")
    balance = "cash_balance_usd" in m.columns and not np.allclose(m.cash_balance_usd, m.cumulative_cash_usd)
    cash_factor, cash_unit = money_scale(_peak(m.cumulative_cash_usd, *([m.cash_balance_usd] if balance else [])))
    below.plot(t, m.cumulative_cash_usd * cash_factor, color=COLORS["cash"], linewidth=2,
               label="cumulative cash, −Σ burn")
    if balance:
        below.plot(t, m.cash_balance_usd * cash_factor, color=COLORS["cash"], linewidth=1.5, linestyle="--",
                   label="cash balance after raises")
        out = display.cash_shortfall(m)["runs_out"]
        if out is not None:
            below.axvline(pd.Period(out, freq="M").to_timestamp(), color=COLORS["burn"], linewidth=1.5,
                          linestyle=":", label=f"cash runs out ({out})")
    below.axhline(0.0, color="black", linewidth=0.8)
    _value_axis(below, f"cash [{cash_unit}]")
    _legend(ax, below)
    return figure


def unit_costs(result: Result) -> Figure:
    """Operating cost per available H100e-hour, stacked by part, against revenue per H100e-hour;
    below, when the fleet serves tokens, the cost and break-even price of a million tokens against
    the price it sells at."""
    m = result.monthly
    per_token = "cost_per_mtok_usd" in m.columns and bool(m.tokens.sum() > 0)
    figure, ax = _new(result, "unit costs", rows=2 if per_token else 1)
    t = _months(result)
    parts = cost_parts(result)
    ax.stackplot(t, *[np.nan_to_num(per_available_hour(result, c).to_numpy()) for c in parts],
                 labels=[COST_PARTS[c] for c in parts], colors=[COST_COLORS[c] for c in parts], step="post",
                 alpha=0.85)
    ax.step(t, per_available_hour(result, "revenue_usd"), where="post", color=COLORS["revenue"], linewidth=2,
            label="revenue per H100e-hour")
    _value_axis(ax, "USD per available H100e-hour")
    ax.set_ylim(bottom=0)
    axes = [ax]
    if per_token:
        tokens = figure.axes[1]
        mtok = m.tokens.to_numpy() / 1e6
        with np.errstate(divide="ignore", invalid="ignore"):
            price = np.where(mtok > 0, m.inference_revenue_usd.to_numpy() / mtok, np.nan)
        tokens.step(t, m.cost_per_mtok_usd, where="post", color=COLORS["burn"], linewidth=2,
                    label="inference cost per Mtok")
        tokens.step(t, m.breakeven_price_per_mtok_usd, where="post", color=COLORS["cash"], linewidth=1.5,
                    linestyle="--", label="break-even price per Mtok")
        tokens.step(t, price, where="post", color=COLORS["revenue"], linewidth=2, label="price realised per Mtok")
        _value_axis(tokens, "USD per million tokens")
        tokens.set_ylim(bottom=0)
        axes.append(tokens)
    _legend(*axes)
    return figure


SOURCE_COLORS = {"grid": "#1f78b4", "gas_turbine": "#a6761d", "battery": "#6a3d9a", "ppa": "#33a02c",
                 "unserved": "#e31a1c"}
"""One colour per kind of power source (``Result.energy``'s ``kind``)."""


def energy_by_source(result: Result) -> pd.DataFrame:
    """Facility energy per month by kind of source, in MWh (one column, ``facility``, when the
    result carries no energy table)."""
    table = getattr(result, "energy", None)
    if table is None or len(table) == 0 or "kind" not in table.columns:
        return pd.DataFrame({"facility": result.monthly.energy_mwh})
    wide = table.pivot_table(index="month", columns="kind", values="energy_mwh", aggfunc="sum", fill_value=0.0)
    wide = wide.reindex(result.monthly.index, fill_value=0.0)
    order = [k for k in SOURCE_COLORS if k in wide.columns] + [k for k in wide.columns if k not in SOURCE_COLORS]
    return wide[order]


def energy(result: Result) -> Figure:
    """Monthly facility energy stacked by kind of source (grid, turbines, battery, PPA, unserved),
    with CO2 emissions on a second axis when the result has them."""
    m = result.monthly
    figure, ax = _new(result, "energy by source and emissions")
    wide = energy_by_source(result)
    ax.stackplot(_months(result), *[wide[k].to_numpy(dtype=float) * 1e-3 for k in wide.columns],
                 labels=[str(k).replace("_", " ") for k in wide.columns],
                 colors=[SOURCE_COLORS.get(str(k), "#999999") for k in wide.columns], step="post", alpha=0.85)
    _value_axis(ax, "energy [GWh per month]")
    ax.set_ylim(bottom=0)
    axes = [ax]
    if "emissions_tco2" in m.columns and m.emissions_tco2.abs().sum() > 0:
        emissions = ax.twinx()
        emissions.step(_months(result), m.emissions_tco2 * 1e-3, where="post", color="black", linewidth=1.5,
                       label="CO2 emissions (right axis)")
        _value_axis(emissions, "CO2 emissions [thousand t per month]")
        emissions.set_ylim(bottom=0)
        axes.append(emissions)
    _legend(*axes)
    return figure


CHARTS: dict[str, Callable[[Result], Figure]] = {
    "fleet": fleet, "power": power, "sites": site_power, "energy": energy, "costs": costs, "cash": cash,
    "unit_costs": unit_costs,
}
"""Every chart of a Result, by name, in the order of the report."""


def png(figure: Figure, dpi: int = DPI) -> bytes:
    """The figure as PNG bytes (no timestamps: the same figure gives the same bytes)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, metadata={"Software": None})
    return buffer.getvalue()


def render_all(result: Result, on_chart: Callable[[str], None] | None = None) -> dict[str, bytes]:
    """Every chart of :data:`CHARTS` as PNG bytes, by name; ``on_chart(name)`` after each one."""
    images = {}
    for name, chart in CHARTS.items():
        images[name] = png(chart(result))
        if on_chart is not None:
            on_chart(name)
    return images


class PlotAccessor:
    """``result.plot``: each method draws one chart of the result and returns its Figure, such as
    ``res.plot.power()`` or ``res.plot.costs().savefig("costs.png")``."""

    def __init__(self, result: Result):
        self._result = result

    def fleet(self) -> Figure:
        """Installed and working H100 equivalents (see :func:`fleetsim.plots.fleet`)."""
        return fleet(self._result)

    def power(self) -> Figure:
        """Capacity, full-load and mean facility power, stranded accelerators (:func:`fleetsim.plots.power`)."""
        return power(self._result)

    def sites(self) -> Figure:
        """One power panel per site (:func:`fleetsim.plots.site_power`)."""
        return site_power(self._result)

    def site_power(self, site: str | None = None) -> Figure:
        """Capacity, full-load and mean power and waiting accelerators by cause, one panel per site
        (or only ``site``) (:func:`fleetsim.plots.site_power`)."""
        return site_power(self._result, site)

    def energy(self) -> Figure:
        """Energy by kind of source and CO2 emissions (:func:`fleetsim.plots.energy`)."""
        return energy(self._result)

    def costs(self) -> Figure:
        """Monthly operating cost stacked by part (:func:`fleetsim.plots.costs`)."""
        return costs(self._result)

    def cash(self) -> Figure:
        """Cash burn, revenue and cumulative cash (:func:`fleetsim.plots.cash`)."""
        return cash(self._result)

    def unit_costs(self) -> Figure:
        """Cost and revenue per available H100e-hour (:func:`fleetsim.plots.unit_costs`)."""
        return unit_costs(self._result)

    def all(self) -> dict[str, Figure]:
        """Every chart, by name."""
        return {name: chart(self._result) for name, chart in CHARTS.items()}

    def __repr__(self) -> str:
        return f"<plots of {self._result.meta.get('scenario')!r}: {', '.join(f'.{n}()' for n in CHARTS)}>"


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
        from fleetsim.scenario.hardware import did_you_mean

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
    from fleetsim.display import column_label

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
    from fleetsim.display import column_label

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
                on_chart: Callable[[str], None] | None = None) -> dict[str, bytes]:
    """Fan charts of ``columns`` as PNG bytes, named ``fan_<column>``; ``on_chart(name)`` after each."""
    quantiles = ensemble.quantiles()
    images = {}
    for column in columns:
        name = f"fan_{column}"
        images[name] = png(fan(ensemble, column, quantiles))
        if on_chart is not None:
            on_chart(name)
    return images


def _metric_label(metric: str, peak: float) -> tuple[float, str]:
    """Factor and axis label of a metric taken over the whole horizon (as sensitivity does)."""
    from fleetsim.display import column_label

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
    from fleetsim.display import column_label

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
            ax.text(value * factor, y, f" {display.short_value(text)} ", va="center", ha="left" if right else "right",
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
        """P5–P95 and P10–P90 bands and the median of one monthly column (:func:`fleetsim.plots.fan`)."""
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
        """Each input at its P10 and P90, largest swing on top (:func:`fleetsim.plots.tornado`)."""
        return tornado(self._sensitivity)

    def __repr__(self) -> str:
        return f"<plots of the sensitivity of {self._sensitivity.metric}: .tornado()>"


def _show_figures_in_notebooks() -> None:  # pragma: no cover - exercised by the notebooks
    """Display Figures as PNG images in IPython, unless a matplotlib backend already does."""
    formatter = sys.modules["IPython"].get_ipython().display_formatter.formatters["image/png"]
    try:
        formatter.lookup_by_type(Figure)
    except KeyError:
        formatter.for_type(Figure, png)


if _in_ipython():  # pragma: no cover
    _show_figures_in_notebooks()
