"""Commands for uncertainty: ``run --draws/--draw``, ``sweep`` and ``sensitivity``."""

from __future__ import annotations

import json
from contextlib import contextmanager
from pathlib import Path

from fleetsim.cli.commands import _console, _folder, _load, _print_warnings


@contextmanager
def progress_bar(total: int, description: str, enabled: bool):
    """A rich progress bar with ETA on stderr (only when stderr is a terminal); yields ``advance(n)``."""
    console = _console(stderr=True)
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
    from fleetsim.io import write_atomically
    from fleetsim.uncertainty.montecarlo import run_many

    scenario = _load(args.scenario, overrides)
    target, protect = _folder(scenario, args.output, "-draws", args.overwrite)
    with progress_bar(args.draws, f"{args.draws} draws", not (args.quiet or args.as_json)) as advance:
        ensemble = run_many(scenario, args.draws, _executor(args), args.workers, progress=advance)

    def write(folder: Path) -> None:
        table = ensemble.quantiles()
        quantiles = table.reset_index()
        quantiles["month"] = quantiles["month"].astype(str)
        quantiles.to_csv(folder / "monthly_quantiles.csv", index=False)
        ensemble.summaries.rename_axis("draw").to_csv(folder / "summary.csv")
        ensemble.to_parquet(folder / "draws.parquet")
        (folder / "meta.json").write_text(json.dumps({**ensemble.meta, "fleetsim_command": "run --draws"},
                                                     indent=2) + "\n")
        if args.plots:  # fan charts of plots.FAN_COLUMNS: fan_<column>.png
            from fleetsim.plots import FAN_COLUMNS, fan, png

            for column in FAN_COLUMNS:
                (folder / f"fan_{column}.png").write_bytes(png(fan(ensemble, column, table)))

    write_atomically(target, write, overwrite=args.overwrite, protect=protect)
    ranges = ensemble.summary()
    if args.as_json:
        print(json.dumps({"scenario": scenario.name, "draws": args.draws, "output": str(target),
                          "summary": json.loads(ranges.to_json(orient="index"))}, indent=2))
    elif not args.quiet:
        _print_ranges(ranges, f"{scenario.name}: {args.draws} draws ({len(scenario.uncertain)} uncertain inputs)")
        _console().print(f"wrote monthly_quantiles.csv, summary.csv, draws.parquet and meta.json to {target}/")
        if args.plots:
            charts = sorted(p.name for p in target.glob("fan_*.png"))
            _console().print(f"charts: {', '.join(charts)}")
    return 0


def _print_ranges(ranges, title: str) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in ("figure", "P10", "P50", "P90"):
        table.add_column(column, justify="left" if column == "figure" else "right")
    for figure, row in ranges.iterrows():
        scale, unit = (1e-6, "MUSD") if figure.endswith("_usd") or "_usd_" in figure else (1.0, "")
        if figure.startswith("cost_per"):
            scale, unit = 1.0, "USD"
        cells = [f"{v * scale:,.3f}" if abs(v * scale) < 100 else f"{v * scale:,.0f}" for v in row]
        table.add_row(f"{figure} {f'({unit})' if unit else ''}".strip(), *cells)
    _console().print(table)


def sweep(args, overrides) -> int:
    """Every case of the --vary grid; sweep.csv and sweep_monthly.parquet."""
    import pandas as pd

    from fleetsim.io import write_atomically
    from fleetsim.uncertainty.montecarlo import run_many
    from fleetsim.uncertainty.sweep import cases, parse_vary
    from fleetsim.uncertainty.sweep import sweep as run_sweep

    scenario = _load(args.scenario, overrides)
    varies = [parse_vary(text) for text in args.vary]
    grid = cases(varies)
    target, protect = _folder(scenario, args.output, "-sweep", args.overwrite)
    enabled = not args.quiet
    if args.draws:
        variants = [scenario.override(case, origin="--vary") for case in grid]
        rows, frames = [], []
        with progress_bar(len(grid) * args.draws, f"{len(grid)} cases × {args.draws} draws", enabled) as advance:
            for n, (case, variant) in enumerate(zip(grid, variants, strict=True)):
                ensemble = run_many(variant, args.draws, _executor(args), args.workers, progress=advance)
                rows.append({"case": n, **case, **ensemble.summary()["p50"].to_dict()})
                quantiles = ensemble.quantiles().reset_index()
                quantiles.insert(0, "case", n)
                frames.append(quantiles)
        table, monthly = pd.DataFrame(rows), pd.concat(frames, ignore_index=True)
    else:
        with progress_bar(len(grid), f"{len(grid)} cases", enabled) as advance:
            result = run_sweep(scenario, varies, _executor(args), args.workers, progress=advance)
        table, monthly = result.table, result.monthly
    monthly["month"] = monthly["month"].astype(str)

    def write(folder: Path) -> None:
        table.to_csv(folder / "sweep.csv", index=False)
        monthly.to_parquet(folder / "sweep_monthly.parquet", index=False)

    write_atomically(target, write, overwrite=args.overwrite, protect=protect)
    if not args.quiet:
        _print_frame(table, f"{scenario.name}: {len(grid)} cases" + (f", P50 of {args.draws} draws" if args.draws
                                                                       else ""))
        _console().print(f"wrote sweep.csv and sweep_monthly.parquet to {target}/")
    return 0


def sensitivity(args, overrides) -> int:
    """Tornado and Sobol indices of --metric; tornado.csv and sobol.csv."""
    from fleetsim.io import write_atomically
    from fleetsim.uncertainty.sensitivity import _check
    from fleetsim.uncertainty.sensitivity import sensitivity as analyse

    scenario = _load(args.scenario, overrides)
    inputs = _check(scenario, args.metric)
    target, protect = _folder(scenario, args.output, "-sensitivity", args.overwrite)
    runs = 1 + 2 * len(inputs) + (args.samples * (len(inputs) + 2) if args.samples else 0)
    with progress_bar(runs, f"{runs} runs", not args.quiet) as advance:
        result = analyse(scenario, args.metric, args.samples, _executor(args), args.workers, progress=advance)

    def write(folder: Path) -> None:
        result.tornado.to_csv(folder / "tornado.csv", index=False)
        if result.sobol is not None:
            result.sobol.to_csv(folder / "sobol.csv", index=False)
        if args.plots:
            from fleetsim.plots import png

            (folder / "tornado.png").write_bytes(png(result.plot.tornado()))

    write_atomically(target, write, overwrite=args.overwrite, protect=protect)
    if not args.quiet:
        shown, unit = result.tornado.copy(), ""
        if args.metric.endswith("_usd"):  # money in MUSD keeps the table readable
            numeric = [c for c in shown.columns if shown[c].dtype.kind == "f"]
            shown[numeric] = shown[numeric] / 1e6
            shown = shown.rename(columns={c: c.replace(args.metric, "metric") for c in shown.columns})
            unit = " (MUSD)"
        _print_frame(shown, f"Tornado: {args.metric}{unit} with each input at its P10 and P90")
        if result.sobol is not None:
            _print_frame(result.sobol, f"Sobol indices of {args.metric} ({args.samples} base samples)")
        _console().print(f"wrote tornado.csv{' and sobol.csv' if result.sobol is not None else ''} to {target}/")
    _print_warnings([])
    return 0


def _print_frame(frame, title: str) -> None:
    from rich.table import Table

    table = Table(title=title, title_justify="left")
    for column in frame.columns:
        table.add_column(str(column).replace("_usd", " (USD)").replace("_", " "), overflow="fold",
                         justify="right" if frame[column].dtype.kind in "fi" else "left")
    for _, row in frame.iterrows():
        table.add_row(*(_cell(value) for value in row))
    _console().print(table)


def _cell(value) -> str:
    """Numbers short (4 significant digits, thousands separated); quantity text likewise."""
    if isinstance(value, float):
        return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"
    if isinstance(value, str):
        number, _, unit = value.partition(" ")
        try:
            magnitude = float(number)
        except ValueError:
            return value
        shown = f"{magnitude:,.0f}" if abs(magnitude) >= 1000 else f"{magnitude:.4g}"
        return f"{shown} {unit}".strip()
    return str(value)
