"""``fleetsim report``: one self-contained HTML file with the summary, every chart, the
assumptions with their sources, and the tables; with ``--draws``, an uncertainty section (the
uncertain inputs, P10/P50/P90 of the headline figures, fan charts).

The page needs nothing but itself: charts are PNG images inlined as ``data:`` URIs, the style
sheet is inline, there is no script, and a Content-Security-Policy forbids the browser to fetch
anything else. It is built from string templates with :func:`html.escape` and written
atomically (a temporary file, then a rename), so a failed run leaves any previous report intact.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING

from fleetsim import figures, formats
from fleetsim.faces import assumptions, html

if TYPE_CHECKING:
    import pandas as pd

    from fleetsim.result import Result
    from fleetsim.scenario.load import Scenario
    from fleetsim.uncertainty.montecarlo import Ensemble

STYLE = """
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #222; margin: 0;
       background: #fafafa; }
main { max-width: 1000px; margin: 0 auto; padding: 1.5em 2em 4em; background: #fff; }
h1 { margin-bottom: 0.2em; } h2 { margin-top: 2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; }
h3 { margin-top: 1.5em; }
.lead { font-size: 1.1em; color: #444; margin-top: 0; } .meta, footer, figcaption { color: #666; font-size: 0.9em; }
nav a { margin-right: 1em; }
figure { margin: 1.5em 0; } figure img { width: 100%; height: auto; border: 1px solid #eee; }
.scroll { overflow-x: auto; max-width: 100%; }
table.fleetsim { border-collapse: collapse; font-size: 0.85em; margin: 0.5em 0; }
table.fleetsim th, table.fleetsim td { border-bottom: 1px solid #e4e4e4; padding: 0.25em 0.6em; vertical-align: top; }
table.fleetsim th { background: #f3f3f3; position: sticky; top: 0; }
table.fleetsim td { font-variant-numeric: tabular-nums; }
.warning { background: #fff6e0; border-left: 4px solid #e6ab02; padding: 0.4em 0.8em; margin: 0.4em 0; }
details summary { cursor: pointer; font-weight: 600; margin: 1em 0 0.5em; }
code { background: #f3f3f3; padding: 0 0.25em; }
"""

CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'"
"""The page's Content-Security-Policy: no network, no scripts; only inline images and style."""


def caption(chart: Callable) -> str:
    """A chart's caption: the first paragraph of its function's docstring, on one line."""
    text = (chart.__doc__ or "").strip().split("\n\n")[0]
    return re.sub(r"\s+", " ", text)


def image(name: str, png: bytes, alt: str) -> str:
    """A figure with the PNG inlined as a data URI."""
    data = base64.b64encode(png).decode("ascii")
    return (f'<figure id="chart-{escape(name)}"><img src="data:image/png;base64,{data}" alt="{escape(alt)}">'
            f"<figcaption>{escape(alt)}</figcaption></figure>")


def _section(anchor: str, title: str, body: str) -> str:
    return f'<section id="{anchor}">\n<h2>{escape(title)}</h2>\n{body}\n</section>'


def _scroll(html: str) -> str:
    return f'<div class="scroll">{html}</div>'


def training_table(result: Result) -> str:
    """Training runs: dates, compute, H100e-hours, energy and attributed cost."""
    t = result.training
    rows = [[r.name, r.start, r.end or "not finished", "yes" if r.completed else "no",
             f"{r.compute_flop:.3g}", formats.scaled(r.h100e_hours, "million h", 2),
             formats.scaled(r.energy_mwh, "GWh", 1), formats.scaled(r.depreciation_usd, "MUSD", 1),
             formats.scaled(r.energy_cost_usd, "MUSD", 1), formats.scaled(r.cost_usd, "MUSD", 1)]
            for r in t.itertuples()]
    headers = ["run", "start", "end", "completed", "compute [FLOP]", "H100e-hours [million]", "energy [GWh]",
               "depreciation [MUSD]", "energy cost [MUSD]", "cost [MUSD]"]
    return html.table(headers, rows, numeric=range(4, 10))


def power_story_table(result: Result) -> str:
    """Per site and for the fleet: when power runs out, how much hardware waits, how long, why."""
    from fleetsim.accounting.sites import story_text

    story = result.power_story()
    rows = [[name, r.first_month_short or "never", formats.number(r.months_waiting),
             formats.number(r.accelerator_months_waiting), formats.number(r.peak_waiting),
             r.peak_month or "—", r.cause, formats.number(r.accelerator_months_waiting_power),
             formats.number(r.accelerator_months_waiting_install), formats.number(r.headroom_end_mw, 1)]
            for name, r in story.iterrows()]
    headers = ["site", "first month short of power", "months with hardware waiting", "accelerator-months waiting",
               "peak waiting", "peak month", "main cause", "accelerator-months waiting for power",
               "accelerator-months waiting for install rate", "headroom at the end [MW]"]
    sentences = "".join(f"<li>{escape(' — '.join(story_text(name, row)))}</li>" for name, row in story.iterrows())
    return (f"<h3>Power by site</h3>\n{_scroll(html.table(headers, rows, numeric=[2, 3, 4, 7, 8, 9]))}\n"
            f"<ul>{sentences}</ul>")


def ranges_table(ranges: pd.DataFrame) -> str:
    """P10, P50 and P90 of each headline figure (``Ensemble.summary()``), in display units."""
    rows = []
    for key, row in ranges.iterrows():
        figure = figures.FIGURES[str(key)]
        rows.append([figure.label, *(figure.text(value) for value in (row.p10, row.p50, row.p90)), figure.shown])
    return html.table(["figure", "P10", "P50", "P90", "unit"], rows, numeric=[1, 2, 3])


def owner_ranges_table(ensemble: Ensemble) -> str:
    """P10, P50 and P90 over the draws of each owner's H100e at the end of the horizon's last year
    and energy in that year (``Ensemble.owner_quantiles()``); ``""`` when fewer than two owners."""
    if ensemble.owner_draws is None or sum(1 for name in ensemble.owner_draws[0] if name) < 2:
        return ""
    bands = ensemble.owner_quantiles()
    year = bands.year.max()
    last = bands[bands.year == year]
    h100e, energy = figures.FIGURES["h100e_end"], figures.FIGURES["energy_mwh_total"]
    rows = []
    for name in dict.fromkeys(last.owner):
        row = last[last.owner == name].set_index("stat")
        rows.append([name or figures.NO_OWNER, *(h100e.text(row.loc[s, "h100e"]) for s in ("p10", "p50", "p90")),
                     *(energy.text(row.loc[s, "energy_mwh"]) for s in ("p10", "p50", "p90"))])
    headers = ["owner", *(f"H100e end {year} {s}" for s in ("P10", "P50", "P90")),
               *(f"energy {year} [{energy.shown}] {s}" for s in ("P10", "P50", "P90"))]
    return html.table(headers, rows, numeric=list(range(1, 7)))


def uncertain_inputs_table(scenario: Scenario) -> str:
    """Each uncertain input: its key, its distribution as written and its central value."""
    rows = []
    for key, distribution in scenario.uncertain.items():
        node = scenario.tree
        for part in key:
            node = node[part]
        central = distribution.central_value()
        shown = formats.short_value(central) if isinstance(central, (int, float, str)) else assumptions.inline(central)
        rows.append([".".join(map(str, key)), assumptions.inline(node), shown])
    return html.table(["input", "distribution (as written)", "central value"], rows)


def fan_caption(ensemble: Ensemble, column: str) -> str:
    from fleetsim.accounting.columns import UNITS

    label = formats.column_label(column, UNITS.get(column, ""))[0]
    return (f"{label[:1].upper()}{label[1:]} ({column}) month by month over {ensemble.count:,} draws: "
            "the median (P50) as a line, P10–P90 and P5–P95 as bands.")


def uncertainty_section(scenario: Scenario, ensemble: Ensemble, images: dict[str, bytes]) -> str:
    """The section ``--draws`` adds: the uncertain inputs, the ranges of the headline figures and
    the fan charts ``images`` (``fan_<column>`` → PNG)."""
    inputs = len(scenario.uncertain)
    what = (f"of the scenario's {inputs} uncertain input{'' if inputs == 1 else 's'}" if inputs else
            "(the scenario has no uncertain inputs: the draws differ only in the engine's own randomness, "
            "such as failures)")
    seed = escape(str(ensemble.meta.get("seed")))
    intro = (f"<p>{ensemble.count:,} Monte Carlo draws {what}, seed {seed}" + (
        ": each draw sets every distribution and the engine's randomness from streams of its own. The summary "
        "and charts above are the central case, every input at its central value.</p>" if inputs else ".</p>"))
    charts = "\n".join(image(name, png, fan_caption(ensemble, name.removeprefix("fan_")))
                       for name, png in images.items())
    parts = [intro]
    if inputs:
        parts += ["<h3>Uncertain inputs</h3>", _scroll(uncertain_inputs_table(scenario))]
    parts += ["<h3>Headline figures over the draws</h3>", _scroll(ranges_table(ensemble.summary()))]
    owners = owner_ranges_table(ensemble)
    if owners:
        parts += ["<h3>By owner over the draws</h3>", "<p>All years, all owners and IT and facility power too: "
                  "<code>owners_quantiles.csv</code> from <code>fleetsim run --draws</code>.</p>", _scroll(owners)]
    parts += ["<h3>Fan charts</h3>", charts]
    return "\n".join(parts)


def owner_section(result: Result) -> str | None:
    """The section "By owner" (scenarios naming two owners or more, else None): each owner's
    H100e at the end, peak facility power, energy and capex over the horizon."""
    owners = html.owner_table(result)
    if not owners:
        return None
    return ("<p>Each owner's figures from its own sites and orders (<code>Result.by_owner</code>): H100e at the "
            "horizon's end, the largest month's facility power at full load, energy and capex (hardware + facility) "
            "over the horizon. The empty owner holds fleet-wide rows (fixed opex, debt) and sites without an "
            f"owner.</p>\n{_scroll(owners)}")


def _header(scenario: Scenario, result: Result, uncertainty: bool = False, record: bool = False,
            owners: bool = False) -> str:
    m, meta = result.monthly, result.meta
    facts = [f"{m.index[0]} to {m.index[-1]} ({len(m)} months)", f"seed {meta.get('seed')}",
             f"scenario {meta.get('scenario_file') or '(text)'}", f"hash {str(meta.get('scenario_hash', ''))[:12]}",
             f"fleetsim {meta.get('fleetsim_version')}"]
    overrides = meta.get("overrides") or {}
    if overrides:
        facts.append("overrides " + ", ".join(f"{k}={assumptions.inline(v)}" for k, v in overrides.items()))
    sections = [("summary", "Summary"), ("charts", "Charts"), ("assumptions", "Assumptions"), ("tables", "Tables")]
    if owners:
        sections.insert(1, ("owners", "By owner"))
    if uncertainty:
        sections.insert(2 + owners, ("uncertainty", "Uncertainty"))
    if record:
        sections.insert(2 + owners, ("record", "Against the record"))
    links = " ".join(f'<a href="#{a}">{t}</a>' for a, t in sections)
    return (f"<header><h1>{escape(scenario.name)}</h1>\n<p class=\"lead\">{escape(scenario.spec.description)}</p>\n"
            f"<p class=\"meta\">{escape(' · '.join(facts))}</p>\n<nav>{links}</nav></header>")


def _assumptions(scenario: Scenario) -> str:
    parts = [html.table(["", ""], assumptions.scenario_facts(scenario))]
    for title, block in assumptions.assumption_blocks(scenario):
        parts.append(f"<h3>{escape(title)}</h3>\n{_scroll(block)}")
    return "\n".join(parts)


def _tables(result: Result) -> str:
    yearly = result.rollup("Y")
    parts = ["<h3>By year</h3>",
             "<p>Totals summed, means weighted by hours, month-end counts at the year's last month, "
             "peaks as maxima.</p>", _scroll(html.transposed_table(result, yearly, "year"))]
    if len(result.training):
        parts += ["<h3>Training runs</h3>", _scroll(training_table(result))]
    parts.append(f"<details><summary>Monthly table ({len(result.monthly)} months)</summary>\n"
                 f"{_scroll(html.monthly_table(result))}\n</details>")
    return "\n".join(parts)


def build(scenario: Scenario, result: Result, images: dict[str, bytes], uncertainty: str | None = None,
          record: str | None = None) -> str:
    """The report page for ``result`` of ``scenario``, with the charts ``images`` (name → PNG)
    and, when given, the section "Against the record" (:func:`fleetsim.faces.scoring_charts.section`) and
    the :func:`uncertainty_section` after the charts."""
    from fleetsim.faces.plots import CHARTS

    charts = "\n".join(image(name, png, caption(CHARTS[name]) if name in CHARTS else name)
                       for name, png in images.items())
    warnings = "".join(f'<p class="warning">{escape(w)}</p>' for w in result.warnings)
    cash = scenario.spec.finance.cash
    if cash.start or cash.raises:  # the balance is only meaningful with starting cash or raises
        story = html.cash_story(result.monthly)
        warnings = f"<p>{escape(story[:1].upper() + story[1:])}.</p>" + warnings
    owners = owner_section(result)
    body = "\n".join([
        _header(scenario, result, uncertainty is not None, record is not None, owners is not None),
        _section("summary", "Summary", html.summary_table(result) + power_story_table(result) + warnings),
        *([_section("owners", "By owner", owners)] if owners is not None else []),
        _section("charts", "Charts", charts),
        *([_section("record", "Against the record", record)] if record is not None else []),
        *([_section("uncertainty", "Uncertainty", uncertainty)] if uncertainty is not None else []),
        _section("assumptions", "Assumptions", _assumptions(scenario)),
        _section("tables", "Tables", _tables(result)),
        f"<footer><p>Made by fleetsim {escape(str(result.meta.get('fleetsim_version')))}. Every catalog value "
        "carries its source (<code>fleetsim catalog NAME</code>); notes beside scenario values are the "
        "comments written in the scenario file.</p></footer>",
    ])
    return (f'<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
            f'{GENERATOR}\n'
            f'<meta http-equiv="Content-Security-Policy" content="{CSP}">\n'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>fleetsim report: {escape(scenario.name)}</title>\n<style>{STYLE}</style>\n</head>\n"
            f"<body><main>\n{body}\n</main></body>\n</html>\n")


def render(scenario: Scenario, result: Result, on_step: Callable[[str], None] | None = None) -> str:
    """Draw every chart and build the page; ``on_step(name)`` after each chart."""
    from fleetsim.faces.plots import render_all

    return build(scenario, result, render_all(result, on_step))


GENERATOR = '<meta name="generator" content="fleetsim">'
"""Marks a report as fleetsim's own: only such a file is replaced without --overwrite."""


def is_report(head: bytes) -> bool:
    """Whether a file starting with ``head`` is a report fleetsim wrote."""
    return GENERATOR.encode() in head


def check_target(target: str | Path, *, overwrite: bool = False, protect=()) -> Path:
    """The report's path, refused at once (before any work) when :func:`write` would refuse it."""
    from fleetsim.output import check_file

    return check_file(target, is_ours=is_report, overwrite=overwrite, protect=protect, what="report")


def write(target: str | Path, page: str, *, overwrite: bool = False, protect=()) -> Path:
    """Write ``page`` to ``target`` atomically (a temporary file beside it, then a rename); an
    existing file is replaced only if fleetsim wrote it, or with ``overwrite``; inputs never."""
    from fleetsim.output import write_file

    return write_file(target, page.encode("utf-8"), is_ours=is_report, overwrite=overwrite, protect=protect,
                      what="report")
