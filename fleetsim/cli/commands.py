"""The work behind each command; errors propagate as FleetsimError to :mod:`fleetsim.cli.main`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from fleetsim.errors import FleetsimError


def _console(stderr: bool = False):
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False, soft_wrap=False)
    if not console.is_terminal and not os.environ.get("COLUMNS", "").isdigit():
        console.width = max(console.width, 120)  # files and pipes: no truncated columns (unless COLUMNS says)
    return console


def _load(path: str, overrides: list[tuple[str, str]]):
    from fleetsim.errors import Location, Problem, ScenarioError
    from fleetsim.scenario.load import load
    from fleetsim.scenario.yamlread import read_text

    scenario = load(path)
    if not overrides:
        return scenario
    changes = {}
    for key, text in overrides:
        origin = f"--set {key}={text}"
        try:
            changes[key] = read_text(text, origin).data
        except ScenarioError as exc:
            raise ScenarioError([Problem(f"the value is not valid YAML: {p.message}", tuple(key.split(".")),
                                         Location(origin), text, True) for p in exc.problems]) from None
    return scenario.override(changes, origin="--set")


def _folder(scenarios, output: str | None, suffix: str, overwrite: bool) -> tuple[Path, tuple[Path, ...]]:
    """The output folder (``-o`` or ``out/<name><suffix>``) and the inputs it must never replace,
    checked before any work so that a refused folder costs nothing."""
    from fleetsim.output import check_folder, default_folder

    scenarios = scenarios if isinstance(scenarios, list) else [scenarios]
    target = Path(output) if output is not None else default_folder(scenarios[0].name, suffix)
    protect = tuple(p for scenario in scenarios for p in scenario.input_files())
    check_folder(target, overwrite=overwrite, protect=protect)
    return target, protect


SUMMARY_ROWS = [
    ("peak_facility_power_mw", "Peak facility power (full load)", "MW", "{:,.0f}"),
    ("mean_facility_power_mw", "Mean facility power", "MW", "{:,.0f}"),
    ("accelerators_end", "Accelerators at the end", "", "{:,.0f}"),
    ("h100e_end", "H100 equivalents at the end", "H100e", "{:,.0f}"),
    ("stranded_peak", "Stranded accelerators, peak", "", "{:,.0f}"),
    ("energy_mwh_total", "Energy, total", "GWh", "{:,.0f}"),
    ("unserved_energy_mwh_total", "Unserved energy, total", "MWh", "{:,.0f}"),
    ("emissions_tco2_total", "Emissions, total", "ktCO2", "{:,.0f}"),
    ("energy_cost_usd_total", "Energy cost, total (purchased + fuel + demand + generation O&M)", "MUSD",
     "{:,.0f}"),
    ("capex_usd_total", "Capex, total (hardware + facility)", "MUSD", "{:,.0f}"),
    ("cash_burn_usd_mean_monthly", "Cash burn, mean per month", "MUSD", "{:,.1f}"),
    ("cumulative_cash_usd_end", "Cumulative cash at the end", "MUSD", "{:,.0f}"),
    ("cost_per_h100e_hour_usd", "Operating cost per H100e-hour", "USD/h", "{:,.3f}"),
    ("tco_per_h100e_hour_usd", "TCO per H100e-hour (capital charge + energy + opex + lease)", "USD/h",
     "{:,.3f}"),
]
_SCALE = {"GWh": 1e-3, "MUSD": 1e-6, "ktCO2": 1e-3}


def summary_table(result, title: str):
    from rich.table import Table

    figures = result.summary()
    table = Table(title=title, title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("unit")
    for key, label, unit, fmt in SUMMARY_ROWS:
        value = figures[key] * _SCALE.get(unit, 1.0)
        table.add_row(label, fmt.format(value) if abs(value) < float("inf") else "n/a", unit)
    return table


def power_story_text(result) -> str:
    """The lines after the summary table: when each site (and the fleet) runs short of power, how
    much hardware waits, for how long, and why."""
    from fleetsim.accounting.sites import story_text

    story = result.power_story()
    lines = ["Power by site (waiting: delivered accelerators not energised, for lack of power or of "
             "install rate):"]
    for name, row in story.iterrows():
        headline, detail = story_text(name, row)
        lines += [f"  {headline}", f"    {detail}"]
    return "\n".join(lines)


def _story_json(row) -> dict:
    """A power-story row as JSON values: numbers as Python numbers, no month as null."""
    return {key: None if value == "" else value.item() if hasattr(value, "item") else value
            for key, value in row.items()}


def run(path: str, output: str | None, overrides: list[tuple[str, str]], fmt: str, quiet: bool,
        periods: tuple[str, ...] = (), plots: bool = False, as_json: bool = False, draw: int | None = None,
        overwrite: bool = False) -> int:
    """Simulate (or, with ``draw``, re-run one Monte Carlo draw), print the summary, write outputs."""
    import warnings

    from fleetsim.errors import FleetsimWarning
    from fleetsim.simulation import simulate

    scenario = _load(path, overrides)
    target, protect = _folder(scenario, output, "" if draw is None else f"-draw-{draw}", overwrite)
    images: dict[str, bytes] = {}
    with Steps(plots and not (quiet or as_json), 2, "simulating") as steps:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FleetsimWarning)  # printed below from result.warnings
            if draw is None:
                result = simulate(scenario)
            else:
                from fleetsim.uncertainty.montecarlo import simulate_draw

                result = simulate_draw(scenario, draw)
        if plots:
            images = _draw_charts(result, steps, then="writing")
        else:
            steps.advance("writing")
        charts = {f"{name}.png": png for name, png in images.items()}
        write = result.to_parquet if fmt == "parquet" else result.to_csv
        write(target, periods, extra_files=charts, overwrite=overwrite, protect=protect)
    if as_json:
        _print_json(run_summary(scenario, result, target))
    elif not quiet:
        console = _console()
        m = result.monthly
        which = f"seed {scenario.spec.seed}" if draw is None else f"draw {draw} of seed {scenario.spec.seed}"
        console.print(summary_table(result, f"{scenario.name}: {m.index[0]} to {m.index[-1]} "
                                            f"({len(m)} months, {which})"))
        console.print(power_story_text(result), markup=False)
        rollups = [{"quarter": "quarterly", "year": "yearly"}[p] for p in periods]
        from fleetsim.io import TABLES

        tables = [*TABLES, *(["contracts"] if len(result.contracts) else []), *rollups]
        console.print(f"wrote {', '.join(f'{t}.{fmt}' for t in tables)} and meta.json to {target}/")
        if charts:
            console.print(f"charts: {', '.join(charts)}")
        cash = scenario.spec.finance.cash
        if cash.start or cash.raises:
            from fleetsim.display import cash_story

            console.print(cash_story(m))
    _print_warnings(result.warnings)
    return 0



class Steps:
    """Progress of a long command: a rich bar on stderr when stderr is a terminal, else nothing.

    ``advance(description)`` marks one step done and names the next; a disabled Steps (``--quiet``,
    ``--json``, or output to a file or pipe) does nothing.
    """

    def __init__(self, enabled: bool, total: int, first: str, console=None):
        self._bar = None
        console = console or (_console(stderr=True) if enabled else None)
        if enabled and console.is_terminal:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn("{task.description:<24}"), BarColumn(), TimeElapsedColumn(),
                                 console=console, transient=True)
            self._task = self._bar.add_task(first, total=total)

    def __enter__(self) -> Steps:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()

    def add(self, steps: int) -> None:
        """Announce ``steps`` more steps than planned."""
        if self._bar is not None:
            self._bar.update(self._task, total=self._bar.tasks[0].total + steps)

    def advance(self, description: str, steps: int = 1) -> None:
        """Mark ``steps`` steps done and name the next."""
        if self._bar is not None:
            self._bar.update(self._task, advance=steps, description=description)


def _draw_charts(result, steps: Steps, then: str) -> dict[str, bytes]:
    """Every chart of the result as PNG bytes, one progress step each; ``then`` names the next step."""
    from fleetsim.plots import CHARTS, render_all

    total = len(CHARTS)
    steps.add(total)
    steps.advance(f"drawing charts (1/{total})")
    done = iter(range(2, total + 2))
    return render_all(result, lambda name: steps.advance(
        f"drawing charts ({k}/{total})" if (k := next(done)) <= total else then))


def run_summary(scenario, result, target: Path) -> dict:
    """What ``run --json`` prints: the scenario, the output folder and files, the headline figures
    (NaN and infinity as null) and the warnings."""
    import math

    from fleetsim.output import written_files

    m = result.monthly
    figures = {key: (value if math.isfinite(value) else None) for key, value in result.summary().items()}
    story = result.power_story()
    return {"scenario": scenario.name, "file": str(scenario.path) if scenario.path else None,
            "start": str(m.index[0]), "end": str(m.index[-1]), "months": len(m), "seed": scenario.spec.seed,
            "overrides": result.meta.get("overrides", {}), "output": str(target),
            "files": written_files(target), "summary": figures,
            "power": {"sites": {name: _story_json(row) for name, row in story.iloc[:-1].iterrows()},
                      "fleet": _story_json(story.iloc[-1])},
            "warnings": list(result.warnings)}


def _print_json(document: dict) -> None:
    """A machine-readable summary on stdout: NaN and infinities as null, never invalid JSON."""
    from fleetsim.tables import json_ready

    print(json.dumps(json_ready(document), indent=2, allow_nan=False, default=str))


def report(path: str, output: str | None, overrides: list[tuple[str, str]], quiet: bool, draws: int | None = None,
           workers: int | None = None, as_json: bool = False, overwrite: bool = False,
           observations: str | None = None) -> int:
    """Simulate, draw every chart and write one self-contained HTML report; with ``draws``, also run
    that many Monte Carlo draws (local process pool of ``workers``) and add their ranges and fan charts."""
    import warnings

    from fleetsim.errors import FleetsimWarning
    from fleetsim.output import default_folder
    from fleetsim.report import build, check_target, uncertainty_section, write
    from fleetsim.simulation import simulate

    scenario = _load(path, overrides)
    protect = scenario.input_files()
    checked = None
    if observations is not None:
        from fleetsim.scoring import read

        checked = read(observations, scenario)  # a bad file stops here, before any work
        protect = (*protect, Path(observations).resolve())
    target = check_target(Path(output) if output is not None else default_folder(scenario.name, ".html"),
                          overwrite=overwrite, protect=protect)
    uncertainty = None
    fans: dict[str, bytes] = {}
    with Steps(not (quiet or as_json), 2, "simulating") as steps:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FleetsimWarning)  # printed below from result.warnings
            result = simulate(scenario)
        images = _draw_charts(result, steps, then=f"{draws:,} draws" if draws else "writing the report")
        if draws:
            from fleetsim.plots import FAN_COLUMNS, render_fans
            from fleetsim.uncertainty.montecarlo import run_many

            steps.add(draws + len(FAN_COLUMNS))
            done = [0]

            def advance(count: int) -> None:
                done[0] += count
                steps.advance(f"draws ({done[0]:,}/{draws:,})" if done[0] < draws else "drawing fan charts", count)

            ensemble = run_many(scenario, draws, "local", workers, progress=advance)
            fans = render_fans(ensemble, on_chart=lambda name: steps.advance(
                "writing the report" if name == f"fan_{FAN_COLUMNS[-1]}" else "drawing fan charts"))
            uncertainty = uncertainty_section(scenario, ensemble, fans)
        record = None
        if checked is not None:
            from fleetsim.scoring import score
            from fleetsim.scoring.charts import section

            record = section(result, score(result, checked))
        write(target, build(scenario, result, images, uncertainty, record), overwrite=overwrite, protect=protect)
        steps.advance("done")
    if as_json:
        summary = run_summary(scenario, result, target.parent)
        del summary["files"]
        _print_json({**summary, "output": str(target), "bytes": target.stat().st_size, "charts": sorted(images),
                     "draws": draws, "ranges": ensemble.summary().to_dict(orient="index") if draws else None})
    elif not quiet:
        size = target.stat().st_size / 1024
        extra = f", {draws:,} draws with {_plural(len(fans), 'fan chart')}" if draws else ""
        _console().print(f"wrote {target} ({size:,.0f} KB): summary, {_plural(len(images), 'chart')}{extra}, "
                         "assumptions with sources, yearly and monthly tables")
    _print_warnings(result.warnings)
    return 0


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _print_warnings(messages: list[str]) -> None:
    """Warnings go to stderr, even with --quiet: they are never silently dropped."""
    if messages:
        console = _console(stderr=True)
        for message in messages:
            console.print(f"[yellow]warning:[/] {message}", markup=True, soft_wrap=True)


def compare(paths: list[str], output: str | None, as_json: bool = False, overwrite: bool = False) -> int:
    """Print the comparison table; with ``output``, write ``compare.csv`` there atomically."""
    import math

    from rich.table import Table

    from fleetsim.comparison import compare as compare_scenarios
    from fleetsim.scenario.load import load

    scenarios = [load(path) for path in paths]
    if output is not None:
        target, protect = _folder(scenarios, output, "", overwrite)
    table = compare_scenarios(scenarios)
    units = {"figure": None, "unit": None, **{str(c): "row's unit" for c in table.columns if c != "unit"}}
    units.update({str(c): "" for c in table.columns if " / " in str(c)})
    if output is not None:
        from fleetsim.output import write_folder

        def write(folder: Path) -> None:
            from fleetsim.tables import json_ready

            table.to_csv(folder / "compare.csv")
            meta = {"scenarios": {s.name: str(s.path) for s in scenarios}, "fleetsim_command": "compare",
                    "row_units": table["unit"].to_dict(), "columns": {"compare.csv": units}}
            (folder / "meta.json").write_text(json.dumps(json_ready(meta), indent=2, allow_nan=False) + "\n")

        write_folder(target, write, overwrite=overwrite, protect=protect)
    if as_json:
        _print_json({"output": output, "units": table["unit"].to_dict(),
                     "figures": table.drop(columns="unit").to_dict(orient="index")})
        return 0
    shown = Table(title="Comparison (differences and ratios to the first scenario; money in MUSD)",
                  title_justify="left")
    shown.add_column("figure", no_wrap=True)
    for column in table.columns:
        shown.add_column(str(column), justify="left" if column == "unit" else "right")
    for figure, row in table.iterrows():
        scale = 1e-6 if row["unit"] == "USD" else 1.0
        cells = []
        for column, value in row.items():
            if column == "unit":
                cells.append("MUSD" if scale != 1.0 else str(value))
            elif isinstance(value, float) and math.isnan(value):
                cells.append("")
            elif isinstance(value, float) and " / " in str(column):
                cells.append(f"{value:.3f}")
            elif isinstance(value, float):
                cells.append(_compact(value * scale))
            else:
                cells.append(str(value))
        shown.add_row(str(figure), *cells)
    _console().print(shown)
    return 0


def _compact(value: float) -> str:
    """Large numbers in thousands-separated form with 3 significant decimals for small ones."""
    return f"{value:,.0f}" if abs(value) >= 100 else f"{value:,.3f}"


def validate(paths: list[str], overrides: list[tuple[str, str]], as_json: bool = False) -> int:
    failures, records = [], []
    for path in paths:
        try:
            scenario = _load(path, overrides)
        except FleetsimError as exc:
            failures.append(str(exc))
            problems = getattr(exc, "problems", None) or []
            records.append({"file": path, "valid": False, "error": str(exc),
                            "problems": [{"message": p.message, "key": ".".join(map(str, p.path)),
                                          "location": str(p.location) if p.location else None} for p in problems]})
            continue
        from fleetsim.consistency import scenario_warnings

        spec = scenario.spec
        if as_json:
            records.append({"file": path, "valid": True, "name": scenario.name, "sites": len(spec.sites),
                            "orders": len(spec.orders), "months": spec.months,
                            "uncertain": [".".join(map(str, k)) for k in scenario.uncertain],
                            "warnings": scenario_warnings(scenario)})
            continue
        print(f"{path}: valid ({_plural(len(spec.sites), 'site')}, {_plural(len(spec.orders), 'order')}, "
              f"{_plural(spec.months, 'month')})")
        _print_warnings([f"{path}: {message}" for message in scenario_warnings(scenario)])
    if as_json:
        _print_json({"valid": not failures, "files": records})
    if failures:
        print("fleetsim: error: " + "\n".join(failures), file=sys.stderr)
        return 1
    return 0


def catalog(name: str | None, as_json: bool = False) -> int:
    from rich.table import Table

    from fleetsim.catalog import catalog_sources, catalog_values
    from fleetsim.errors import FleetsimError as Error
    from fleetsim.scenario.hardware import did_you_mean
    from fleetsim.scenario.load import _catalog

    values, sources = catalog_values(), catalog_sources()
    console = _console()
    if name is not None and name not in values:
        raise Error(f"no catalog entry {name!r}{did_you_mean(name, values)} (entries: {', '.join(values)})")
    if as_json:
        entries = _catalog()
        units = {"power": "W", "system_overhead": "", "flops": "FLOP/s", "h100e": "", "price": "USD",
                 "life": "month", "failure_rate": "1/year"}
        _print_json({"internal_units": units, "entries": {
            entry: {"values": values[entry], "internal": vars(entries[entry]), "sources": sources[entry]}
            for entry in ([name] if name else values)}})
        return 0
    if name is not None:
        table = Table(title=f"{name}: {values[name].get('description', '')}", show_lines=True)
        for column in ("field", "value", "source", "date"):
            table.add_column(column, overflow="fold")
        for field, value in values[name].items():
            if field == "description":
                continue
            info = sources[name].get(field, {})
            note = " [estimate]" if info.get("estimate") else ""
            text = info.get("source", "") + (f"\nnote: {info['note']}" if info.get("note") else "")
            table.add_row(field, f"{value}{note}", text, str(info.get("date", "")))
        console.print(table)
        return 0
    entries = _catalog()
    table = Table(title="Built-in hardware catalog (H100e = dense BF16 over the H100's 989 TFLOP/s; "
                        "* = estimate)", title_justify="left")
    headers = ("name", "power W", "overhead", "BF16 TFLOP/s", "H100e", "price USD", "life y", "fail/yr")
    for column in headers:
        table.add_column(column, justify="left" if column == "name" else "right", no_wrap=True)
    for entry_name, entry in entries.items():
        star = {f: "*" if info.get("estimate") else "" for f, info in sources[entry_name].items()}
        cells = [(entry.power, "power", "{:,.0f}"), (entry.system_overhead, "system_overhead", "{:.2f}"),
                 (entry.flops / 1e12, "flops", "{:,.0f}"), (entry.flops / 989e12, "", "{:.2f}"),
                 (entry.price, "price", "{:,.0f}"), (entry.life / 12, "life", "{:g}"),
                 (entry.failure_rate, "failure_rate", "{:.2f}")]
        table.add_row(entry_name, *[fmt.format(v) + star.get(f, "") for v, f, fmt in cells])
    console.print(table)
    console.print("Sources: fleetsim catalog NAME")
    return 0


def schema() -> int:
    from fleetsim.scenario.editor_schema import json_schema

    print(json.dumps(json_schema(), indent=2))
    return 0
