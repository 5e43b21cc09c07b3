"""``fleetsim run`` and ``fleetsim report``: simulate, print, write; errors propagate as
FleetsimError to :mod:`fleetsim.cli.main`. The other commands live beside this module
(:mod:`~fleetsim.cli.compare`, :mod:`~fleetsim.cli.lookup`, :mod:`~fleetsim.cli.uncertain`,
:mod:`~fleetsim.cli.records`, :mod:`~fleetsim.cli.calibrate`); what they print goes through
:mod:`fleetsim.faces.console`."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from fleetsim.cli.common import load_scenario, output_folder
from fleetsim.faces.console import Steps, plural, power_story_text, print_json, print_warnings, summary_table, terminal


def _story_json(row) -> dict:
    """A power-story row as JSON values: numbers as Python numbers, no month as null."""
    return {key: None if value == "" else value.item() if hasattr(value, "item") else value
            for key, value in row.items()}


def run(path: str, output: str | None, overrides: list[tuple[str, str]], fmt: str, quiet: bool,
        periods: tuple[str, ...] = (), plots: bool = False, as_json: bool = False, draw: int | None = None,
        overwrite: bool = False, workers: int | None = None) -> int:
    """Simulate (or, with ``draw``, re-run one Monte Carlo draw), print the summary, write outputs
    (with ``plots``, the charts drawn by ``workers`` processes)."""
    import warnings

    from fleetsim.errors import FleetsimWarning
    from fleetsim.simulation import simulate

    scenario = load_scenario(path, overrides)
    target, protect = output_folder(scenario, output, "" if draw is None else f"-draw-{draw}", overwrite)
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
            images = _draw_charts(result, steps, "writing", workers)
        else:
            steps.advance("writing")
        charts = {f"{name}.png": png for name, png in images.items()}
        write = result.to_parquet if fmt == "parquet" else result.to_csv
        write(target, periods, extra_files=charts, overwrite=overwrite, protect=protect)
    if as_json:
        print_json(run_summary(scenario, result, target))
    elif not quiet:
        console = terminal()
        first, last, count = result.span()
        which = f"seed {scenario.spec.seed}" if draw is None else f"draw {draw} of seed {scenario.spec.seed}"
        console.print(summary_table(result, f"{scenario.name}: {first} to {last} ({count} months, {which})"))
        from fleetsim.faces.console import owner_table

        owners = owner_table(result)  # None unless the scenario names two owners or more
        if owners is not None:
            console.print(owners)
        console.print(power_story_text(result), markup=False)
        rollups = [{"quarter": "quarterly", "year": "yearly"}[p] for p in periods]
        from fleetsim.io import TABLES

        tables = [*TABLES, *(["contracts"] if result.table_rows("contracts") else []), *rollups]
        console.print(f"wrote {', '.join(f'{t}.{fmt}' for t in tables)} and meta.json to {target}/")
        if charts:
            console.print(f"charts: {', '.join(charts)}")
        cash = scenario.spec.finance.cash
        if cash.start or cash.raises:
            from fleetsim.faces.html import cash_story

            console.print(cash_story(result.monthly_columns()))
    print_warnings(result.warnings)
    return 0


def _draw_charts(result, steps: Steps, then: str, workers: int | None = None) -> dict[str, bytes]:
    """Every chart of the result as PNG bytes (``workers`` at once), one progress step each;
    ``then`` names the next step."""
    from fleetsim.faces.plots import CHARTS, render_all

    return render_all(result, _chart_steps(steps, "drawing charts", len(CHARTS), then, finished=1), workers)


def _chart_steps(steps: Steps, label: str, total: int, then: str, finished: int = 0) -> Callable[[str], None]:
    """Add ``total`` steps (after marking ``finished`` steps done), and say what the next one is
    each time a chart is done: ``label (k/total)``, then ``then``."""
    steps.add(total)
    steps.advance(f"{label} (1/{total})", finished)
    done = iter(range(2, total + 2))
    return lambda name: steps.advance(f"{label} ({k}/{total})" if (k := next(done)) <= total else then)


def run_summary(scenario, result, target: Path) -> dict:
    """What ``run --json`` prints: the scenario, the output folder and files, the headline figures
    (NaN and infinity as null) and the warnings."""
    import math

    from fleetsim.output import written_files

    first, last, count = result.span()
    figures = {key: (value if math.isfinite(value) else None) for key, value in result.summary().items()}
    story = result.story_rows()
    return {"scenario": scenario.name, "file": str(scenario.path) if scenario.path else None,
            "start": first, "end": last, "months": count, "seed": scenario.spec.seed,
            "overrides": result.meta.get("overrides", {}), "output": str(target),
            "files": written_files(target), "summary": figures,
            "power": {"sites": {name: _story_json(row) for name, row in story[:-1]},
                      "fleet": _story_json(story[-1][1])},
            "warnings": list(result.warnings)}


def report(path: str, output: str | None, overrides: list[tuple[str, str]], quiet: bool, draws: int | None = None,
           workers: int | None = None, as_json: bool = False, overwrite: bool = False,
           observations: str | None = None) -> int:
    """Simulate, draw every chart and write one self-contained HTML report; with ``draws``, also run
    that many Monte Carlo draws (local process pool of ``workers``) and add their ranges and fan charts."""
    import warnings

    from fleetsim.errors import FleetsimWarning
    from fleetsim.faces.report import build, check_target, uncertainty_section, write
    from fleetsim.output import default_folder
    from fleetsim.simulation import simulate

    scenario = load_scenario(path, overrides)
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
        images = _draw_charts(result, steps, f"{draws:,} draws" if draws else "writing the report", workers)
        if draws:
            from fleetsim.faces.plots import FAN_COLUMNS, render_fans
            from fleetsim.uncertainty.montecarlo import run_many

            steps.add(draws)
            done = [0]

            def advance(count: int) -> None:
                done[0] += count
                steps.advance(f"draws ({done[0]:,}/{draws:,})" if done[0] < draws else "drawing fan charts", count)

            ensemble = run_many(scenario, draws, "local", workers, progress=advance)
            fans = render_fans(ensemble, on_chart=_chart_steps(steps, "drawing fan charts", len(FAN_COLUMNS),
                                                                 "writing the report"), workers=workers)
            uncertainty = uncertainty_section(scenario, ensemble, fans)
        record = None
        if checked is not None:
            from fleetsim.faces.scoring_charts import section
            from fleetsim.scoring import score

            record = section(result, score(result, checked))
        write(target, build(scenario, result, images, uncertainty, record), overwrite=overwrite, protect=protect)
        steps.advance("done")
    if as_json:
        summary = run_summary(scenario, result, target.parent)
        del summary["files"]
        print_json({**summary, "output": str(target), "bytes": target.stat().st_size, "charts": sorted(images),
                     "draws": draws, "ranges": ensemble.summary().to_dict(orient="index") if draws else None})
    elif not quiet:
        size = target.stat().st_size / 1024
        extra = f", {draws:,} draws with {plural(len(fans), 'fan chart')}" if draws else ""
        terminal().print(f"wrote {target} ({size:,.0f} KB): summary, {plural(len(images), 'chart')}{extra}, "
                         "assumptions with sources, yearly and monthly tables")
    print_warnings(result.warnings)
    return 0
