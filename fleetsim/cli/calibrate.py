"""``fleetsim calibrate``: a scenario's distributions conditioned on an observations file."""

from __future__ import annotations

import json
import os
from contextlib import contextmanager
from pathlib import Path

from fleetsim import formats
from fleetsim.cli.common import load_scenario, output_folder
from fleetsim.faces.console import print_json, terminal


@contextmanager
def _bar(draws: int, enabled: bool):
    """A rich progress bar on stderr whose total grows with each tempering stage."""
    console = terminal(stderr=True)
    if not enabled or not console.is_terminal:
        yield lambda done, planned: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn("calibrating: {task.fields[stage]}"), BarColumn(), MofNCompleteColumn(),
                  TimeRemainingColumn(), console=console, transient=True) as bar:
        task = bar.add_task("calibrate", total=draws, stage="prior draws")

        def update(done: int, planned: int) -> None:
            stage = "prior draws" if planned == draws else f"tempering stage {planned // draws - 1}"
            bar.update(task, completed=done, total=planned, stage=stage)

        yield update


def calibrate(args) -> int:
    """Calibrate, print the inputs' prior and posterior and the stages, write the folder."""
    from fleetsim.output import write_folder
    from fleetsim.uncertainty.calibrate import CalibrationError
    from fleetsim.uncertainty.calibrate import calibrate as run

    scenario = load_scenario(args.scenario, [])
    if not scenario.uncertain:
        raise CalibrationError(f"{args.scenario} has no distributions: nothing to calibrate; write the uncertain "
                               "inputs as distributions, e.g. utilization: {triangular: [0.7, 0.85, 0.95]}")
    from fleetsim.scoring import read

    observations = read(args.observations, scenario)
    target, protect = output_folder(scenario, args.output, "-calibration", args.overwrite)
    protect = (*protect, Path(args.observations).resolve())
    from fleetsim.output import check_folder

    check_folder(target, overwrite=args.overwrite, protect=protect)
    executor = args.scheduler or args.executor
    with _bar(args.draws, not (args.quiet or args.as_json)) as advance:
        result = run(scenario, observations, args.draws, executor, args.workers, advance)
    name = f"{scenario.name}-calibrated.yaml"
    extends = os.path.relpath(scenario.path.resolve(), target.resolve()) if scenario.path else None

    def write(folder: Path) -> None:
        result.inputs.to_csv(folder / "inputs.csv", index=False)
        result.stages.to_csv(folder / "stages.csv", index=False)
        result.fit.to_csv(folder / "fit.csv", index=False)
        for frame, file in ((result.monthly, "monthly_quantiles.csv"), (result.prior_monthly, "prior_quantiles.csv")):
            table = frame.reset_index()
            table["month"] = table["month"].astype(str)
            table.to_csv(folder / file, index=False)
        result.particles.to_csv(folder / "particles.csv", index_label="particle")
        if extends:
            (folder / name).write_text(result.scenario_text(extends))
        from fleetsim.faces.plots import png

        (folder / "predictive.png").write_bytes(png(result.plot()))
        (folder / "meta.json").write_text(json.dumps({**result.meta, "fleetsim_command": "calibrate"}, indent=2,
                                                     default=str) + "\n")

    write_folder(target, write, overwrite=args.overwrite, protect=protect)
    if args.as_json:
        print_json({"scenario": scenario.name, "output": str(target), "meta": result.meta,
                     "inputs": json.loads(result.inputs.to_json(orient="records")),
                     "stages": json.loads(result.stages.to_json(orient="records"))})
        return 0
    if not args.quiet:
        _print(result, scenario.name)
        files = "inputs.csv, stages.csv, fit.csv, monthly_quantiles.csv, prior_quantiles.csv, particles.csv, " \
                f"predictive.png{f', {name}' if extends else ''} and meta.json"
        terminal().print(f"wrote {files} to {target}/", markup=False)
    return 0


def _print(result, name: str) -> None:
    from rich.table import Table

    console = terminal()
    table = Table(title=f"{name}: prior → posterior ({result.meta['draws']} draws)", title_justify="left")
    for column in ("input", "prior P10", "P50", "P90", "posterior P10", "P50 ", "P90 "):
        table.add_column(column, justify="left" if column == "input" else "right", overflow="fold",
                         min_width=24 if column == "input" else None)
    for row in result.inputs.itertuples():
        unit = f" ({row.unit})" if row.unit else ""
        cells = [row.prior_p10, row.prior_p50, row.prior_p90, row.posterior_p10, row.posterior_p50,
                 row.posterior_p90]
        table.add_row(f"{row.input}{unit}", *(_short(c) for c in cells))
    console.print(table)
    stages = Table(title="Tempering stages (ESS: effective sample size after reweighting)", title_justify="left")
    for column in ("stage", "exponent", "ESS", "ESS / draws", "move acceptance", "simulations"):
        stages.add_column(column, justify="right")
    for row in result.stages.itertuples():
        stages.add_row(str(row.stage), f"{row.exponent:.4g}", formats.number(row.ess),
                       formats.number(row.ess_fraction, 2),
                       "" if row.acceptance != row.acceptance else formats.number(row.acceptance, 2),
                       f"{row.simulations:,}")
    console.print(stages)


def _short(value) -> str:
    """4 significant digits; very large or small numbers in scientific notation."""
    return formats.significant(value, scientific=True) if isinstance(value, float) else str(value)
