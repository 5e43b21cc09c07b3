"""Charts, notebook display, ``run --plots`` / ``--json`` and progress: each chart is a Figure
with the expected title, labelled axes and series; matplotlib stays out of a plain run."""

import functools
import io
import json
import subprocess
import sys
import warnings
from html.parser import HTMLParser
from pathlib import Path

import pytest
from matplotlib.figure import Figure
from rich.console import Console

import fleetsim
from fleetsim import formats
from fleetsim.cli.main import main
from fleetsim.faces import assumptions, plots
from fleetsim.faces.console import Steps
from fleetsim.faces.plots import render
from fleetsim.output import MARKER

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "colossus.yaml"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def result():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fleetsim.FleetsimWarning)
        return fleetsim.simulate(FLAGSHIP)


@pytest.fixture
def small(make_scenario):
    """A 12-month, one-site fleet with no revenue, in MW rather than GW."""
    return fleetsim.simulate(make_scenario())


def labels(figure: Figure) -> set[str]:
    """Every series label in the figure's legend."""
    return {text.get_text() for legend in figure.legends for text in legend.get_texts()}


def y_labels(figure: Figure) -> list[str]:
    return [ax.get_ylabel() for ax in figure.axes]


EXPECTED = {
    "fleet": ("fleet size in H100 equivalents", {"installed H100e (end of month)", "working H100e (monthly mean)"}),
    "power": ("facility power against capacity", {"capacity (usable facility power)",
                                                  "full-load facility power of installed hardware",
                                                  "mean facility power drawn", "stranded accelerators (right axis)"}),
    "sites": ("power by site", {"capacity", "full-load power installed", "mean power drawn",
                                "waiting for power (right axis)", "waiting for install rate (right axis)"}),
    "energy": ("energy by source and emissions", {"grid", "gas turbine", "CO2 emissions (right axis)"}),
    "costs": ("monthly cost", {"energy: purchased", "energy: fuel", "depreciation (accrual)",
                               "opex (fixed + maintenance)"}),
    "cash": ("cash burn, revenue and cash", {"cash burn (spending − revenue)", "revenue",
                                             "cumulative cash, −Σ burn", "cash balance after raises",
                                             "cash runs out (2024-11)"}),
    "unit_costs": ("unit costs", {"depreciation (accrual)", "revenue per H100e-hour", "inference cost per Mtok",
                                  "break-even price per Mtok", "price realised per Mtok"}),
}


def test_every_chart_is_tested():
    assert set(EXPECTED) == set(plots.CHARTS)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_chart_has_title_axes_and_series(result, name):
    figure = getattr(result.plot, name)()
    assert isinstance(figure, Figure)
    title, series = EXPECTED[name]
    main_ax = figure.axes[0]
    assert main_ax.get_title(loc="left") == f"colossus: {title}"
    assert "month" in [ax.get_xlabel() for ax in figure.axes]
    assert all(label for label in y_labels(figure)), "every value axis is labelled"
    assert series <= labels(figure), labels(figure) - series
    figure.canvas.draw()  # renders without error; dates on the x axis
    ticks = [t.get_text() for t in main_ax.get_xticklabels() if t.get_text()]
    assert any(text.isdigit() and len(text) == 4 for text in ticks), ticks


def test_units_on_the_axes(result):
    assert y_labels(result.plot.power()) == ["power [GW]", "stranded accelerators [thousands]"]
    assert y_labels(result.plot.costs()) == ["cost [million USD per month]"]
    assert y_labels(result.plot.cash()) == ["billion USD per month", "cash [billion USD]"]  # two panels
    assert y_labels(result.plot.unit_costs()) == ["USD per available H100e-hour", "USD per million tokens"]
    assert y_labels(result.plot.energy()) == ["energy [GWh per month]", "CO2 emissions [thousand t per month]"]
    assert y_labels(result.plot.fleet()) == ["H100 equivalents [thousands]"]


def test_small_fleet_in_megawatts_without_revenue_or_emissions(small):
    assert y_labels(small.plot.power())[0] == "power [MW]"
    assert y_labels(small.plot.unit_costs()) == ["USD per available H100e-hour"], "no token panel without tokens"
    assert "cash balance after raises" not in labels(small.plot.cash())
    energy = small.plot.energy()
    assert len(energy.axes) == 1, "no emissions axis when nothing is emitted"
    assert "CO2 emissions (right axis)" not in labels(energy)
    for figure in small.plot.all().values():
        figure.canvas.draw()


def test_a_fleet_with_no_hardware_still_plots(make_scenario):
    empty = fleetsim.simulate(make_scenario(orders="  []"))
    for name, figure in empty.plot.all().items():
        figure.canvas.draw()
        assert figure.axes, name


def test_thousands_separators_on_value_axes(result):
    figure = result.plot.power()
    figure.canvas.draw()
    texts = [t.get_text() for t in figure.axes[0].get_yticklabels()] + \
            [t.get_text() for t in figure.axes[1].get_yticklabels()]
    assert all("e+" not in t for t in texts)
    fleet = result.plot.fleet()
    fleet.canvas.draw()
    assert "1,000" in [t.get_text() for t in fleet.axes[0].get_yticklabels()]


def test_png_is_deterministic(result):
    first, second = plots.png(result.plot.costs()), plots.png(result.plot.costs())
    assert first.startswith(PNG) and first == second


def test_charts_drawn_in_worker_processes_are_the_bytes_drawn_here(result):
    """(The report's tests draw every chart of every shipped scenario through the workers.)"""
    called = []
    charts = {name: functools.partial(plots.CHARTS[name], result) for name in ("fleet", "costs")}
    apart = render.pngs(charts, called.append, workers=2)
    assert list(apart) == ["fleet", "costs"] and sorted(called) == ["costs", "fleet"]
    assert all(apart[name] == plots.png(chart()) for name, chart in charts.items())


def _warns_its_pid() -> Figure:
    import os

    warnings.warn(f"drawn by process {os.getpid()}", UserWarning, stacklevel=1)
    return Figure()


def _fails() -> Figure:
    raise ValueError("no column named 'x' to draw")


@pytest.mark.skipif(not render.can_fork(), reason="charts are drawn in forked processes on Linux only")
def test_a_chart_drawn_in_a_worker_hands_back_its_warnings_and_its_error():
    import os

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        images = render.pngs({"a": _warns_its_pid, "b": _warns_its_pid}, workers=2)
    assert list(images) == ["a", "b"] and all(image.startswith(PNG) for image in images.values())
    pids = {str(w.message) for w in caught if w.category is UserWarning}
    assert len(pids) == 2 and f"drawn by process {os.getpid()}" not in pids  # drawn elsewhere, told here
    with pytest.raises(ValueError, match="no column named 'x'"):
        render.pngs({"a": _warns_its_pid, "b": _fails}, workers=2)


def test_accessor_lists_every_chart(result):
    assert set(result.plot.all()) == set(plots.CHARTS)
    assert ".power()" in repr(result.plot)


# --------------------------------------------------------------------------- notebook display
class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)

    def handle_data(self, data):
        self.text.append(data)


def parse(html: str) -> Tags:
    parser = Tags()
    parser.feed(html)
    parser.close()
    return parser


def test_result_displays_as_html(result):
    page = parse(result._repr_html_())
    text = " ".join(page.text)
    assert page.tags.count("table") == 2
    assert "Peak facility power (full load)" in text and "energy cost [MUSD]" in text
    assert "2024-07" in text and "2029-06" in text and "…" in text


def test_scenario_displays_as_html_with_notes_and_sources():
    scenario = fleetsim.load(FLAGSHIP)
    page = parse(scenario._repr_html_())
    text = " ".join(page.text)
    assert "100k H100 online 2024-09-02 (Epoch hub; Musk)" in text, "the comment beside an order is its note"
    assert "NVIDIA H100 Tensor Core GPU datasheet" in text, "catalog values carry their source"
    assert "scenario file: estimate: custom silicon" in text, "scenario overrides carry their comment"
    assert "colossus-1.pue" in text and "{2025-09: 20, 2026-01: 65}" in text


def test_comment_notes_follow_yaml_rules(tmp_path):
    path = tmp_path / "s.yaml"
    path.write_text("a: 'x # not a comment'  # the note\n"
                    "  # continued\n"
                    "# above b\n"
                    "b: 1\n"
                    "c: 2\n")
    assert assumptions.comment_note(str(path), 1, 1) == "the note"
    assert assumptions.comment_note(str(path), 4, 1) == "above b"
    assert assumptions.comment_note(str(path), 5, 1) == ""


# --------------------------------------------------------------------------- run --plots, --json, progress
def test_run_plots_writes_pngs_beside_the_tables(make_scenario, tmp_path, capsys):
    # the small scenario draws fastest; the flagship's charts are drawn in test_report.py's report_file
    scenario = make_scenario().path
    out = tmp_path / "out"
    assert main(["run", str(scenario), "-o", str(out), "--plots"]) == 0
    names = {p.name for p in out.iterdir()}
    assert {f"{name}.png" for name in plots.CHARTS} <= names and "monthly.csv" in names
    assert all((out / f"{name}.png").read_bytes().startswith(PNG) for name in plots.CHARTS)
    assert "charts: fleet.png" in capsys.readouterr().out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "scenario.yaml"], "no temporary folder left behind"


def test_run_json_prints_a_machine_readable_summary(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", str(FLAGSHIP), "-o", str(out), "--json"]) == 0
    printed = capsys.readouterr()
    document = json.loads(printed.out)
    assert document["scenario"] == "colossus" and document["output"] == str(out)
    assert document["months"] == 60 and "monthly.csv" in document["files"]
    assert document["summary"]["peak_facility_power_mw"] > 1000
    assert isinstance(document["warnings"], list)


def test_json_has_null_for_undefined_figures(make_scenario, tmp_path, capsys):
    path = tmp_path / "empty.yaml"
    path.write_text(Path(make_scenario().path).read_text().replace(
        "  - {hardware: TEST, count: 1000, site: s1, delivery: 2024-01}", "  []"))
    assert main(["run", str(path), "-o", str(tmp_path / "o"), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["summary"]["cost_per_h100e_hour_usd"] is None


def test_plain_run_never_imports_matplotlib(tmp_path):
    probe = ("import sys; from fleetsim.cli.main import main;"
             f"main(['run', {str(FLAGSHIP)!r}, '-o', {str(tmp_path / 'o')!r}, '--quiet']);"
             "import fleetsim; fleetsim.simulate(" + repr(str(FLAGSHIP)) + ");"
             "print('matplotlib' in sys.modules, 'fleetsim.faces.plots' in sys.modules)")
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_progress_shows_on_a_terminal_only():
    screen = io.StringIO()
    terminal = Console(file=screen, force_terminal=True, width=100)
    with Steps(True, 2, "simulating", console=terminal) as steps:
        steps.add(1)
        steps.advance("drawing charts")
        steps.advance("writing")
        steps.advance("done")
    assert "simulating" in screen.getvalue() or "writing" in screen.getvalue()
    pipe = io.StringIO()
    with Steps(True, 2, "simulating", console=Console(file=pipe, force_terminal=False)) as steps:
        steps.advance("writing")
    with Steps(False, 2, "simulating") as steps:
        steps.advance("writing")
    assert pipe.getvalue() == ""


def test_quiet_and_json_print_no_progress(make_scenario, tmp_path, capsys, stand_in_charts):
    scenario = make_scenario().path  # the flags do not depend on the scenario: the small one draws fastest
    assert main(["run", str(scenario), "-o", str(tmp_path / "a"), "--plots", "--quiet"]) == 0
    quiet = capsys.readouterr()
    assert quiet.out == "" and "drawing" not in quiet.err
    assert main(["run", str(scenario), "-o", str(tmp_path / "b"), "--plots", "--json"]) == 0
    assert "drawing" not in capsys.readouterr().err


# --------------------------------------------------------------------------- fan charts and tornado
UNCERTAIN = ROOT / "scenarios" / "colossus-uncertain.yaml"


@pytest.fixture(scope="module")
def ensemble():
    from fleetsim.uncertainty.montecarlo import run_many

    return run_many(fleetsim.load(UNCERTAIN), draws=6, workers=1)


@pytest.fixture(scope="module")
def sens():
    from fleetsim.uncertainty.sensitivity import sensitivity

    return sensitivity(fleetsim.load(UNCERTAIN), "cumulative_cash_usd", samples=0, workers=1)


def bands(ax) -> list:
    """The filled bands of an axes (PolyCollections from fill_between)."""
    from matplotlib.collections import PolyCollection

    return [c for c in ax.collections if isinstance(c, PolyCollection)]


FAN_AXES = {"facility_power_mw": "facility power [MW]", "cash_burn_usd": "cash burn [billion USD per month]",
            "cumulative_cash_usd": "cumulative cash [billion USD]",
            "cost_per_h100e_hour_usd": "USD per available H100e-hour"}


def test_every_fan_column_is_tested():
    assert set(FAN_AXES) == set(plots.FAN_COLUMNS)


@pytest.mark.parametrize("column", list(FAN_AXES))
def test_fan_chart_has_two_bands_and_the_median(ensemble, column):
    figure = ensemble.plot.fan(column)
    assert isinstance(figure, Figure) and len(figure.axes) == 1
    ax = figure.axes[0]
    title = ax.get_title(loc="left")
    assert title.startswith("colossus-uncertain: ") and f"({column})" in title and title.endswith(", 6 draws")
    assert ax.get_ylabel() == FAN_AXES[column] and ax.get_xlabel() == "month"
    assert [b.get_label() for b in bands(ax)] == ["P5–P95 (90 % of draws)", "P10–P90 (80 % of draws)"]
    median = [line for line in ax.get_lines() if line.get_label() == "P50 (median)"]
    assert len(median) == 1 and len(median[0].get_xdata()) == 60
    assert labels(figure) == {"P5–P95 (90 % of draws)", "P10–P90 (80 % of draws)", "P50 (median)"}
    figure.canvas.draw()
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert any(text.isdigit() and len(text) == 4 for text in ticks), ticks


def test_fan_bands_hold_the_quantiles(ensemble):
    q = ensemble.quantiles()["cash_burn_usd"].unstack("stat")
    ax = ensemble.plot.fan("cash_burn_usd").axes[0]
    outer, inner = (band.get_paths()[0].vertices[:, 1] for band in bands(ax))
    assert outer.min() == pytest.approx(q.p5.min() * 1e-9) and outer.max() == pytest.approx(q.p95.max() * 1e-9)
    assert inner.min() == pytest.approx(q.p10.min() * 1e-9) and inner.max() == pytest.approx(q.p90.max() * 1e-9)
    median = next(line for line in ax.get_lines() if line.get_label() == "P50 (median)")
    assert median.get_ydata()[-1] == pytest.approx(q.p50.iloc[-1] * 1e-9)


def test_fan_takes_precomputed_quantiles_and_refuses_unknown_columns(ensemble):
    figures = plots.fans(ensemble)
    assert list(figures) == list(plots.FAN_COLUMNS)
    with pytest.raises(ValueError, match="did you mean 'cash_burn_usd'"):
        ensemble.plot.fan("cash_burn")
    assert "fan(column)" in repr(ensemble.plot)


def test_tornado_has_two_bars_per_input_largest_swing_on_top(sens):
    figure = sens.plot.tornado()
    assert isinstance(figure, Figure) and len(figure.axes) == 1
    ax = figure.axes[0]
    table = sens.tornado
    count = len(table)
    assert ax.get_title(loc="left") == ("what moves cumulative cash (cumulative_cash_usd): each input at its P10 "
                                        "and P90")
    assert ax.get_xlabel() == "cumulative cash at the end [billion USD]"
    assert [len(c) for c in ax.containers] == [count, count], "one P10 and one P90 bar per input"
    assert labels(figure) == {"input at its P10", "input at its P90", "central value (every input central)"}
    names = [t.get_text() for t in ax.get_yticklabels()]
    ticks = sorted(zip(ax.get_yticks(), names, strict=True), reverse=True)
    ordered = table.sort_values("swing", ascending=False, kind="stable")
    assert [text for _, text in ticks] == [plots._wrap_key(label) for label in ordered.label]
    assert "orders[6] (GB200 → colossus-2, 2025-11 to 2026-02).lead_time" in list(ordered.label)
    p10, p90 = ax.containers
    for n, row in table.iterrows():  # bars run from the central value to the metric at P10 / P90
        assert p10[n].get_x() == pytest.approx(row.central * 1e-9)
        assert p10[n].get_x() + p10[n].get_width() == pytest.approx(row.cumulative_cash_usd_at_p10 * 1e-9)
        assert p90[n].get_x() + p90[n].get_width() == pytest.approx(row.cumulative_cash_usd_at_p90 * 1e-9)
    texts = {t.get_text().strip() for t in ax.texts}
    assert {formats.short_value(v) for v in (*table.p10_value, *table.p90_value)} <= texts
    assert "165 MUSD/month" in texts and "275 MUSD/month" in texts  # fixed costs from 2025 at P10 and P90
    figure.canvas.draw()


def test_tornado_sorts_by_swing_whatever_the_table_order():
    import pandas as pd

    from fleetsim.uncertainty.sensitivity import Sensitivity

    table = pd.DataFrame({"input": ["small", "large"], "p10_value": ["1 USD", "0.2"], "p90_value": ["2 USD", "0.8"],
                          "cash_burn_usd_at_p10": [9.9e8, 5e8], "cash_burn_usd_at_p90": [1.01e9, 1.6e9],
                          "central": [1e9, 1e9], "swing": [2e7, 1.1e9]})
    figure = Sensitivity("cash_burn_usd", table, None).plot.tornado()
    ax = figure.axes[0]
    top = max(zip(ax.get_yticks(), [t.get_text() for t in ax.get_yticklabels()], strict=True))
    assert top[1] == "large"
    assert ax.get_xlabel() == "cash burn over the horizon [million USD]"
    assert "tornado()" in repr(Sensitivity("cash_burn_usd", table, None).plot)


def test_uncertainty_core_never_imports_matplotlib(make_scenario):
    # one uncertain input on the small scenario: the same code paths as the flagship's seven, in 3 runs
    scenario = make_scenario(capacity="{uniform: [100 MW, 0.2 GW]}").path
    probe = ("import sys, fleetsim; from fleetsim.uncertainty.montecarlo import run_many;"
             "from fleetsim.uncertainty.sensitivity import sensitivity;"
             f"sc = fleetsim.load({str(scenario)!r}); e = run_many(sc, 2, workers=1); e.quantiles(); e.summary();"
             "sensitivity(sc, 'cash_burn_usd', samples=2, workers=1);"
             "print('matplotlib' in sys.modules, 'fleetsim.faces.plots' in sys.modules)")
    done = subprocess.run([sys.executable, "-W", "ignore", "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.split() == ["False", "False"]


def test_run_draws_plots_writes_fan_charts(tmp_path):
    out = tmp_path / "draws"
    assert main(["run", str(UNCERTAIN), "--draws", "4", "--workers", "1", "-o", str(out), "--plots",
                 "--quiet"]) == 0
    names = {p.name for p in out.iterdir()}
    assert {f"fan_{column}.png" for column in plots.FAN_COLUMNS} <= names and "monthly_quantiles.csv" in names
    assert all((out / f"fan_{c}.png").read_bytes().startswith(PNG) for c in plots.FAN_COLUMNS)
    assert main(["run", str(UNCERTAIN), "--draws", "2", "--workers", "1", "-o", str(tmp_path / "plain"),
                 "--quiet"]) == 0
    assert not list((tmp_path / "plain").glob("*.png")), "no charts without --plots"


def test_sensitivity_plots_writes_the_tornado(tmp_path):
    out = tmp_path / "sens"
    assert main(["sensitivity", str(UNCERTAIN), "--metric", "cumulative_cash_usd", "--samples", "0",
                 "--workers", "1", "-o", str(out), "--plots", "--quiet"]) == 0
    assert sorted(p.name for p in out.iterdir()) == [MARKER, "meta.json", "tornado.csv", "tornado.png"]
    assert (out / "tornado.png").read_bytes().startswith(PNG)


def test_progress_advances_by_many_steps():
    terminal = Console(file=io.StringIO(), force_terminal=True, width=100)
    with Steps(True, 2, "simulating", console=terminal) as steps:
        steps.add(10)
        steps.advance("draws (10/10)", 10)
        assert steps._bar.tasks[0].completed == 10 and steps._bar.tasks[0].total == 12


def test_the_cost_chart_stacks_every_part_of_the_energy_cost():
    """A new part of energy_cost_usd left out of the chart would silently drop out of the stack."""
    from fleetsim.accounting.columns import ENERGY_COST_PARTS
    from fleetsim.faces.plots.money import COST_COLORS, COST_PARTS

    assert list(COST_PARTS)[:len(ENERGY_COST_PARTS)] == list(ENERGY_COST_PARTS)
    assert set(COST_PARTS) <= set(COST_COLORS)
