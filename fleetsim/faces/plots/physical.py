"""Charts of the physical fleet: installed and working H100e, power against capacity (fleet and
per site, waiting hardware by cause), energy by kind of source."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from fleetsim.faces.plots.style import (
    COLORS,
    _legend,
    _months,
    _new,
    _peak,
    _value_axis,
    count_scale,
    power_scale,
)

if TYPE_CHECKING:
    from fleetsim.result import Result


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
    _power_lines(ax, t, m, factor, ("capacity (usable facility power)",
                                    "full-load facility power of installed hardware", "mean facility power drawn"))
    _value_axis(ax, f"power [{unit}]")
    ax.set_ylim(bottom=0)
    _legend(ax, stranded_ax)
    return figure


def _power_lines(ax: Axes, t, frame: pd.DataFrame, factor: float, labels: tuple[str, str, str]) -> None:
    """Capacity, full-load facility power of the installed hardware and mean power drawn, as steps
    (the fleet chart and each site panel), labelled ``labels`` in that order."""
    capacity, peak, drawn = labels
    ax.step(t, frame.capacity_mw * factor, where="post", color=COLORS["capacity"], linewidth=2, label=capacity)
    ax.step(t, frame.peak_facility_power_mw * factor, where="post", color=COLORS["peak"], linewidth=2, label=peak)
    ax.step(t, frame.facility_power_mw * factor, where="post", color=COLORS["drawn"], linewidth=1.5,
            linestyle="--", label=drawn)


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
        _power_lines(ax, t, frame, factor, ("capacity", "full-load power installed", "mean power drawn"))
        ax.set_ylim(bottom=0)
        _value_axis(ax, f"facility power [{unit}]")
        ax.text(0.01, 0.95, name, transform=ax.transAxes, va="top", fontsize=10, fontweight="bold")
    if names:
        _legend(panels[0], panels[0].figure.axes[len(panels)])
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
