"""Commands for uncertainty: ``run --draws/--draw``, ``sweep`` and ``sensitivity``."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

from fleetsim import figures, formats
from fleetsim.cli.common import load_scenario, output_folder
from fleetsim.faces.console import print_json, print_warnings, terminal


@contextmanager
def progress_bar(total: int, description: str, enabled: bool):
    """A rich progress bar with ETA on stderr (only when stderr is a terminal); yields ``advance(n)``."""
    console = terminal(stderr=True)
    if not enabled or not console.is_terminal:
        yield lambda n: None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    with Progress(TextColumn(description), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=console, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.update(task, advance=n)


def _executor(args):
    return args.scheduler if args.scheduler else args.executor


def run_draws(args, overrides) -> int:
    """``run --draws N``: ensemble quantiles, draws and headline ranges (``--draw K`` is a plain run)."""
    from fleetsim.output import write_folder
    from fleetsim.uncertainty.montecarlo import run_many

    scenario = load_scenario(args.scenario, overrides)
    target, protect = output_folder(scenario, args.output, "-draws", args.overwrite)
    with progress_bar(args.draws, f"{args.draws} draws", not (args.quiet or args.as_json)) as advance:
        ensemble = run_many(scenario, args.draws, _executor(args), args.workers, progress=advance)

    def write(folder: Path) -> None:
        table = ensemble.quantiles()
        quantiles = table.reset_index()
        quantiles["month"] = quantiles["month"].astype(str)
        quantiles.to_csv(folder / "monthly_quantiles.csv", index=False)
        ensemble.table().to_csv(folder / "summary.csv")
        if ensemble.owner_draws is not None:  # the scenario names owners: their yearly bands
            ensemble.owner_quantiles().to_csv(folder / "owners_quantiles.csv", index=False)
        ensemble.to_parquet(folder / "draws.parquet")
        _write_meta(folder, {**ensemble.meta, "fleetsim_command": "run --draws"}, ensemble.column_units())
        if args.plots:  # fan charts of plots.FAN_COLUMNS: fan_<column>.png
            from fleetsim.faces.plots import render_fans

            for name, image in render_fans(ensemble, workers=args.workers, quantiles=table).items():
                (folder / f"{name}.png").write_bytes(image)

    write_folder(target, write, overwrite=args.overwrite, protect=protect)
    ranges = ensemble.summary()
    if args.as_json:
        print_json({"scenario": scenario.name, "draws": args.draws, "output": str(target),
                     "files": _files(target), "inputs": ensemble.meta["inputs"],
                     "units": {k: ensemble.units.get(k) for k in ranges.index},
                     "summary": ranges.to_dict(orient="index")})
    elif not args.quiet:
        _print_ranges(ranges, f"{scenario.name}: {args.draws} draws ({len(scenario.uncertain)} uncertain inputs)")
        owners = "owners_quantiles.csv, " if ensemble.owner_draws is not None else ""
        terminal().print(f"wrote monthly_quantiles.csv, {owners}summary.csv, draws.parquet and meta.json to {target}/")
        if args.plots:
            charts = sorted(p.name for p in target.glob("fan_*.png"))
            terminal().print(f"charts: {', '.join(charts)}")
    return 0


def _print_ranges(ranges, title: str) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in ("figure", "P10", "P50", "P90"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    for key, row in ranges.iterrows():
        figure = figures.FIGURES[str(key)]
        table.add_row(figure.heading, *(formats.compact(v * figure.scale) for v in row))
    terminal().print(table)


def _write_meta(folder: Path, meta: dict, columns: dict) -> None:
    """meta.json: the run's provenance and, under ``columns``, each file's columns with their units
    (pint strings; "" for plain numbers, null for text)."""
    from fleetsim.tables import json_ready

    (folder / "meta.json").write_text(json.dumps(json_ready({**meta, "columns": columns}), indent=2,
                                                 allow_nan=False) + "\n")


def _files(target: Path) -> list[str]:
    from fleetsim.output import written_files

    return written_files(target)


def sweep(args, overrides) -> int:
    """Every case of the --vary grid; sweep.csv and sweep_monthly.parquet."""
    import pandas as pd

    from fleetsim.output import write_folder
    from fleetsim.tables import column_units, schema_with_units
    from fleetsim.uncertainty.executors import SUMMARY_KEYS
    from fleetsim.uncertainty.montecarlo import run_many
    from fleetsim.uncertainty.sweep import case_columns, cases, parse_vary
    from fleetsim.uncertainty.sweep import sweep as run_sweep

    scenario = load_scenario(args.scenario, overrides)
    varies = [parse_vary(text) for text in args.vary]
    grid = cases(varies)
    target, protect = output_folder(scenario, args.output, "-sweep", args.overwrite)
    enabled = not (args.quiet or args.as_json)
    values, units = case_columns(grid)
    if args.draws:
        variants = [scenario.override(case, origin="--vary") for case in grid]
        rows, frames = [], []
        with progress_bar(len(grid) * args.draws, f"{len(grid)} cases × {args.draws} draws", enabled) as advance:
            for n, variant in enumerate(variants):
                ensemble = run_many(variant, args.draws, _executor(args), args.workers, progress=advance)
                rows.append({"case": n, **values.iloc[n].to_dict(), **ensemble.summary()["p50"].to_dict()})
                quantiles = ensemble.quantiles().reset_index()
                quantiles.insert(0, "case", n)
                frames.append(quantiles)
        table, monthly = pd.DataFrame(rows), pd.concat(frames, ignore_index=True)
    else:
        with progress_bar(len(grid), f"{len(grid)} cases", enabled) as advance:
            result = run_sweep(scenario, varies, _executor(args), args.workers, progress=advance)
        table, monthly = result.table, result.monthly
    monthly["month"] = monthly["month"].astype(str)
    files = {"sweep.csv": column_units(table, units), "sweep_monthly.parquet": column_units(monthly, units)}

    def write(folder: Path) -> None:
        import pyarrow as pa
        import pyarrow.parquet as pq

        table.to_csv(folder / "sweep.csv", index=False)
        arrow = pa.Table.from_pandas(monthly, preserve_index=False)
        pq.write_table(arrow.cast(schema_with_units(arrow.schema, files["sweep_monthly.parquet"])),
                       folder / "sweep_monthly.parquet")
        _write_meta(folder, {"scenario": scenario.name, "scenario_hash": scenario.hash(), "seed": scenario.spec.seed,
                             "vary": dict(varies), "draws": args.draws, "fleetsim_command": "sweep"}, files)

    write_folder(target, write, overwrite=args.overwrite, protect=protect)
    what = f", P50 of {args.draws} draws" if args.draws else ""
    if args.as_json:
        print_json({"scenario": scenario.name, "cases": len(grid), "draws": args.draws, "output": str(target),
                     "files": _files(target), "units": files["sweep.csv"],
                     "rows": table.to_dict(orient="records")})
    elif not args.quiet:
        _print_cases(table, list(values.columns), [k for k in SUMMARY_KEYS if k in table.columns],
                     f"{scenario.name}: {len(grid)} cases{what}")
        terminal().print(f"wrote sweep.csv, sweep_monthly.parquet and meta.json to {target}/")
    return 0


def _print_cases(table, varied: list[str], keys: list[str], title: str) -> None:
    """The sweep as figures down and cases across (as ``compare`` prints), money in MUSD, in as
    many tables as it takes to fit the terminal's width."""
    from rich.table import Table

    rows = [(column, [formats.short_value(v) for v in table[column]]) for column in varied]
    for key in keys:
        figure = figures.FIGURES[key]
        rows.append((figure.heading, [formats.compact(v * figure.scale) for v in table[key]]))
    console = terminal()
    label_width = min(max(len(label) for label, _ in rows), 36)  # longer labels fold
    widths = [max(len(f"case {n}"), *(len(cells[n]) for _, cells in rows)) for n in range(len(table))]
    groups, group, used = [], [], label_width + 4
    for n, width in enumerate(widths):
        if group and used + width + 3 > console.width:
            groups.append(group)
            group, used = [], label_width + 4
        group.append(n)
        used += width + 3
    groups.append(group)
    for number, cases in enumerate(groups):
        part = f" ({number + 1}/{len(groups)})" if len(groups) > 1 else ""
        shown = Table(title=title + part, title_justify="left")
        shown.add_column("figure" if number == 0 else "", overflow="fold")
        for n in cases:
            shown.add_column(f"case {n}", justify="right", no_wrap=True)
        for label, cells in rows:
            shown.add_row(label, *(cells[n] for n in cases))
        console.print(shown)


def sensitivity(args, overrides) -> int:
    """Tornado and Sobol indices of --metric; tornado.csv and sobol.csv."""
    from fleetsim.output import write_folder
    from fleetsim.uncertainty.sensitivity import _check
    from fleetsim.uncertainty.sensitivity import sensitivity as analyse

    scenario = load_scenario(args.scenario, overrides)
    inputs = _check(scenario, args.metric)
    target, protect = output_folder(scenario, args.output, "-sensitivity", args.overwrite)
    runs = 1 + 2 * len(inputs) + (args.samples * (len(inputs) + 2) if args.samples else 0)
    from fleetsim.tables import column_units, unit_of

    with progress_bar(runs, f"{runs} runs", not (args.quiet or args.as_json)) as advance:
        result = analyse(scenario, args.metric, args.samples, _executor(args), args.workers, progress=advance)
    metric_unit = unit_of(args.metric)
    files = {"tornado.csv": column_units(result.tornado, {"central": metric_unit, "swing": metric_unit})}
    if result.sobol is not None:
        files["sobol.csv"] = column_units(result.sobol)

    def write(folder: Path) -> None:
        result.tornado.to_csv(folder / "tornado.csv", index=False)
        if result.sobol is not None:
            result.sobol.to_csv(folder / "sobol.csv", index=False)
        if args.plots:
            from fleetsim.faces.plots import png

            (folder / "tornado.png").write_bytes(png(result.plot.tornado()))
        _write_meta(folder, {"scenario": scenario.name, "scenario_hash": scenario.hash(), "seed": scenario.spec.seed,
                             "metric": args.metric, "metric_unit": metric_unit, "samples": args.samples,
                             "fleetsim_command": "sensitivity"}, files)

    write_folder(target, write, overwrite=args.overwrite, protect=protect)
    if args.as_json:
        print_json({"scenario": scenario.name, "metric": args.metric, "unit": metric_unit, "output": str(target),
                     "files": _files(target), "units": files, "tornado": result.tornado.to_dict(orient="records"),
                     "sobol": None if result.sobol is None else result.sobol.to_dict(orient="records")})
    elif not args.quiet:
        shown, unit = result.tornado.drop(columns=["input"]).rename(columns={"label": "input"}), ""
        if args.metric.endswith("_usd"):  # money in MUSD keeps the table readable
            numeric = [c for c in shown.columns if shown[c].dtype.kind == "f"]
            shown[numeric] = shown[numeric] * formats.scale("MUSD")
            shown = shown.rename(columns={c: c.replace(args.metric, "metric") for c in shown.columns})
            unit = " (MUSD)"
        _print_frame(shown, f"Tornado: {args.metric}{unit} with each input at its P10 and P90")
        if result.sobol is not None:
            _print_frame(result.sobol.drop(columns=["input"]).rename(columns={"label": "input"}),
                         f"Sobol indices of {args.metric} ({args.samples} base samples)")
        terminal().print(f"wrote tornado.csv{', sobol.csv' if result.sobol is not None else ''} and meta.json "
                         f"to {target}/")
    print_warnings([])
    return 0


def _print_frame(frame, title: str) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in frame.columns:
        table.add_column(str(column).replace("_usd", " (USD)").replace("_", " "), overflow="fold",
                         justify="right" if frame[column].dtype.kind in "fi" else "left")
    for _, row in frame.iterrows():
        table.add_row(*(_cell(value) for value in row))
    terminal().print(table)


def _cell(value) -> str:
    """Numbers short (4 significant digits, thousands separated); quantity text likewise."""
    if isinstance(value, float):
        return formats.significant(value)
    if isinstance(value, str):
        number, _, unit = value.partition(" ")
        try:
            magnitude = float(number)
        except ValueError:
            return value
        return f"{formats.significant(magnitude)} {unit}".strip()
    return str(value)
