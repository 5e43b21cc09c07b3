"""The report's section "Against the record": the scorecard and, for each observed metric, a chart
of fleetsim's monthly series with the observations on it (matplotlib, imported here only)."""

from __future__ import annotations

import io
from html import escape

import pandas as pd

from fleetsim import formats
from fleetsim.formats import axis_scale

LABELS = {"peak_facility_power_mw": "Full-load facility power", "h100e": "H100 equivalents",
          "cumulative_capex_usd": "Capex to date (hardware + facility)"}


def chart(result, card, metric: str):
    """A Figure: fleetsim's series of ``metric`` for each site (or the fleet) observed, as lines;
    observations as dots (filled: observed, hollow: projected)."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from fleetsim.scoring import series

    rows = card.table[card.table["metric"] == metric]
    unit = rows["unit"].iloc[0]
    factor, shown = axis_scale(unit, float(rows["observed"].abs().max()))
    scale = 1.0 / factor
    figure = Figure(figsize=(8, 3.6), dpi=100)
    axes = figure.add_subplot()
    for index, (site, group) in enumerate(rows.groupby("site", sort=False)):
        colour = f"C{index % 10}"
        line = series(result, metric, site)
        axes.plot(line.index.to_timestamp(), line.to_numpy() / scale, color=colour, label=f"fleetsim {site or 'fleet'}")
        months = pd.PeriodIndex(group["month"], freq="M").to_timestamp()
        for status, face in (("observed", colour), ("projected", "none")):
            part = group["status"].to_numpy() == status
            if part.any():
                axes.scatter(months[part], group["observed"].to_numpy()[part] / scale, s=28, facecolors=face,
                             edgecolors=colour, zorder=3, label=f"{status} {site or 'fleet'}")
    axes.set_title(f"{LABELS.get(metric, metric)}: fleetsim against the record")
    axes.set_ylabel(f"{metric}" + (f" ({shown})" if shown else ""))
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, loc="upper left")
    figure.tight_layout()
    return figure


def section(result, card) -> str:
    """The HTML of the section (tables and inlined charts), for :func:`fleetsim.faces.report.build`."""
    from fleetsim.faces import html
    from fleetsim.faces.report import _scroll, image

    summary = card.summary.copy()
    for column in ("median", "largest"):
        summary[column] = [formats.percent(v) for v in summary[column]]
    table = card.table.copy()
    table["relative_error"] = [formats.percent(v, signed=True) for v in table["relative_error"]]
    table["within"] = [("" if pd.isna(v) else ("yes" if v else "no")) for v in table["within"]]
    for column in ("observed", "fleetsim", "error", "uncertainty"):
        table[column] = [("" if pd.isna(v) else f"{v:,.6g}") for v in table[column]]
    parts = [f"<p>{len(table)} observations from <code>{escape(str(card.meta.get('observations') or ''))}</code>, "
             "each beside fleetsim's value for its month (relative error = (fleetsim − observed) ÷ |observed|; "
             "observed and projected rows apart).</p>",
             "<h3>Summary by metric</h3>",
             _scroll(html.table(list(summary.columns), summary.astype(str).values.tolist())),
             "<h3>Charts</h3>"]
    for metric in dict.fromkeys(card.table["metric"]):
        figure = chart(result, card, metric)
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
        parts.append(image(f"record-{metric}", buffer.getvalue(), f"{LABELS.get(metric, metric)}: fleetsim's "
                                                                   "monthly series and the observations"))
    parts += ["<h3>Every observation</h3>",
              _scroll(html.table(list(table.columns), table.astype(str).values.tolist()))]
    return "\n".join(parts)
