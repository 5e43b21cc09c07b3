"""Charts of a :class:`~fleetsim.uncertainty.calibrate.Calibration` (matplotlib, imported here only):
posterior-predictive bands of each observed fleet metric with the observations on them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from fleetsim.formats import axis_scale


def _scale(unit: str, values: np.ndarray) -> tuple[float, str]:
    """The factor to divide by and the axis unit (see :func:`fleetsim.formats.axis_scale`)."""
    top = np.nanmax(np.abs(values)) if np.isfinite(values).any() else 1.0
    factor, shown = axis_scale(unit, float(top))
    return 1.0 / factor, shown


def predictive(calibration, metric: str | None = None):
    """A Figure with one panel per observed metric (or just ``metric``): each observation with its
    one-sigma bar, beside the prior's (grey) and the posterior's (blue) predictive P10–P90 and P50
    for that month and site; for a monthly column of the fleet, the bands of every month too."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
    from matplotlib.figure import Figure

    from fleetsim.scoring.observations import unit_of

    fit = calibration.fit
    metrics = [metric] if metric else list(dict.fromkeys(fit["metric"]))
    all_months = pd.PeriodIndex(fit["month"], freq="M")
    span = ((all_months.min() - 2).to_timestamp(), (all_months.max() + 2).to_timestamp())
    figure = Figure(figsize=(8, 2.6 * len(metrics)), dpi=100, layout="constrained")
    for n, name in enumerate(metrics):
        axes = figure.add_subplot(len(metrics), 1, n + 1)
        rows = fit[fit["metric"] == name]
        scale, shown = _scale(unit_of(name), rows["observed"].to_numpy(float))
        if name in calibration.monthly.columns and (rows["site"] == "").any():
            for frame, colour, label in ((calibration.prior_monthly, "0.8", "prior P10–P90"),
                                         (calibration.monthly, "C0", "posterior P10–P90")):
                band = frame[name].unstack("stat")
                when = band.index.to_timestamp()
                axes.fill_between(when, band["p10"] / scale, band["p90"] / scale, color=colour,
                                  alpha=0.35 if colour == "C0" else 0.6, label=label, linewidth=0)
        months = pd.PeriodIndex(rows["month"], freq="M").to_timestamp()
        shift = pd.Timedelta(days=6)
        for kind, colour, offset in (("prior", "0.55", -shift), ("posterior", "C0", shift)):
            middle = rows[f"{kind}_p50"].to_numpy(float) / scale
            spread = [middle - rows[f"{kind}_p10"].to_numpy(float) / scale,
                      rows[f"{kind}_p90"].to_numpy(float) / scale - middle]
            axes.errorbar(months + offset, middle, yerr=spread, fmt="x", color=colour, markersize=5, capsize=2,
                          label=f"{kind} predictive P50, P10–P90")
        axes.errorbar(months, rows["observed"] / scale, yerr=rows["uncertainty"] / scale, fmt="o", color="C3",
                      markersize=4, capsize=3, label="observed ± 1σ")
        axes.set_xlim(*span)
        axes.set_title(f"{name}: predictive against the record", fontsize=10)
        axes.set_ylabel(shown)
        axes.set_xlabel("month")
        locator = AutoDateLocator(maxticks=8)
        axes.xaxis.set_major_locator(locator)
        axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))
        axes.legend(fontsize=7, loc="best")
    return figure
