"""Entry point of the ``fleetsim`` command.

Only argparse is imported at start, so ``fleetsim --help`` answers at once; pandas, pint, the
engine and rich are imported by the command that needs them.
"""

from __future__ import annotations

import argparse
import sys

EXIT_OK, EXIT_INVALID, EXIT_USAGE, EXIT_INTERRUPTED, EXIT_TERMINATED = 0, 1, 2, 130, 143

EPILOG = """exit codes: 0 success, 1 invalid input (message on stderr, nothing written), 2 usage error,
130 interrupted (Ctrl-C), 143 terminated (SIGTERM); interrupted commands write nothing.
outputs: fleetsim replaces only folders and files it wrote (--overwrite replaces others), never
the scenario or a file it reads.
docs: README.md; docs/ (scenario reference, CLI reference, model, validation)"""


def _parser() -> argparse.ArgumentParser:
    from fleetsim import __version__

    parser = argparse.ArgumentParser(
        prog="fleetsim", description="Datacenter power and GPU-fleet cost, month by month.",
        epilog=EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"fleetsim {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    run = commands.add_parser("run", help="simulate a scenario, print its summary, write its outputs",
                              description="Simulate SCENARIO, print a summary table and write monthly, "
                                          "ledger, training and energy tables plus meta.json to OUTDIR "
                                          "(with --plots, every chart as a PNG file too).")
    run.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    run.add_argument("-o", "--output", metavar="OUTDIR",
                     help="output folder (default out/<scenario name>/), replaced atomically")
    _overwrite_option(run, "folder")
    _set_option(run, "override one field, e.g. --set sites.colossus-1.pue=1.3 or orders.0.count=1000 "
                     "(VALUE is read as YAML; repeatable)")
    run.add_argument("--format", choices=("csv", "parquet"), default="csv", help="output format (default csv)")
    run.add_argument("--period", choices=("quarter", "year"), action="append", default=[],
                     help="also write quarterly.csv / yearly.csv roll-ups (repeatable)")
    run.add_argument("--plots", action="store_true",
                     help="also write every chart as a PNG file beside the tables (needs matplotlib); with "
                          "--draws, fan charts (fan_<column>.png)")
    run.add_argument("--quiet", action="store_true", help="print nothing on success")
    run.add_argument("--json", dest="as_json", action="store_true",
                     help="print a machine-readable JSON summary instead of the table")
    run.add_argument("--draws", type=int, metavar="N",
                     help="Monte Carlo: N draws of the scenario's distributions; writes monthly_quantiles.csv, "
                          "draws.parquet, summary.csv (and owners_quantiles.csv when the scenario names owners)")
    run.add_argument("--draw", type=int, metavar="K", help="re-run draw K of an ensemble exactly (full outputs)")
    _executor_options(run)

    validate = commands.add_parser("validate", help="check scenario files without simulating",
                                   description="Check each SCENARIO; report every problem with its location.")
    validate.add_argument("scenarios", metavar="SCENARIO", nargs="+", help="scenario YAML files")
    _set_option(validate, "override one field before validating (repeatable)")
    _json_option(validate, "print a machine-readable JSON summary of each file instead")

    report = commands.add_parser(
        "report", help="write one self-contained HTML report: summary, charts, assumptions, tables",
        description="Simulate SCENARIO and write a single HTML file that opens offline: the summary, "
                    "every chart, the assumptions with their sources, yearly and monthly tables; with "
                    "--draws, the P10/P50/P90 of the headline figures and fan charts too.")
    report.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    report.add_argument("-o", "--output", metavar="FILE",
                        help="report file (default out/<scenario name>.html), replaced atomically")
    _overwrite_option(report, "file")
    _set_option(report, "override one field, as for run (repeatable)")
    report.add_argument("--draws", type=int, metavar="N",
                        help="also run N Monte Carlo draws of the scenario's distributions and add their "
                             "P10/P50/P90 and fan charts (local process pool)")
    report.add_argument("--workers", type=int, metavar="N",
                        help="worker processes for --draws and for drawing the charts (default: all cores; "
                             "1 runs in this process)")
    report.add_argument("--quiet", action="store_true", help="print nothing on success")
    _json_option(report, "print a machine-readable JSON summary (the file, headline figures, warnings) instead")
    report.add_argument("--observations", metavar="FILE",
                        help="add a section 'Against the record': the scorecard of FILE and a chart of each "
                             "observed metric beside fleetsim's series")

    catalog = commands.add_parser("catalog", help="print the built-in hardware catalog with sources")
    catalog.add_argument("name", metavar="NAME", nargs="?", help="one entry, with every source (e.g. H100)")
    _json_option(catalog, "print the entries (values in internal units, with sources) as JSON instead")

    commands.add_parser("schema", help="print the JSON Schema of the scenario language")

    sites = commands.add_parser(
        "sites", help="the shipped Epoch AI data-center sites; one site's timeline, or its scenario",
        description="List the sites of Epoch AI's Frontier Data Centers hub shipped with fleetsim (owner, latest "
                    "observed facility power and H100e, vintage, licence); with NAME, the site's dated rows, "
                    "observed and projected apart; with -o FILE, a runnable scenario built from them.")
    sites.add_argument("name", metavar="NAME", nargs="?", help="a site, e.g. \"xAI Colossus 2\" (a unique start "
                                                               "of its name is enough)")
    sites.add_argument("-o", "--output", metavar="FILE", help="write the site's scenario YAML to FILE")
    _overwrite_option(sites, "file")

    score = commands.add_parser(
        "score", help="hold a run against dated observations: a scorecard of errors",
        description="Simulate SCENARIO and set each row of OBSERVATIONS (a CSV of dated figures) beside "
                    "fleetsim's value: the error, whether it lies within the stated uncertainty, and the median "
                    "and largest error by metric; writes scorecard.csv and meta.json.")
    score.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    score.add_argument("observations", metavar="OBSERVATIONS", help="observations CSV file")
    score.add_argument("-o", "--output", metavar="DIR", help="output folder (default out/<scenario name>-score/)")
    _overwrite_option(score, "folder")
    _set_option(score, "override one field first, as for run (repeatable)")
    _json_option(score, "print the scorecard as JSON instead of tables")

    calibrate = commands.add_parser(
        "calibrate", help="condition a scenario's distributions on dated observations (posterior, ESS, chart)",
        description="Importance sampling from SCENARIO's distributions with a Gaussian measurement-error "
                    "likelihood from each observed row's uncertainty (one sigma), and adaptive likelihood tempering "
                    "with resampling and Metropolis moves when the effective sample size collapses. Writes "
                    "inputs.csv (prior and posterior P10/P50/P90), stages.csv (ESS per stage), fit.csv, posterior "
                    "and prior monthly quantiles, particles.csv, predictive.png and <name>-calibrated.yaml, a "
                    "scenario that extends SCENARIO with the posterior distributions.")
    calibrate.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file with distributions")
    calibrate.add_argument("observations", metavar="OBSERVATIONS", help="observations CSV file (as for score)")
    calibrate.add_argument("--draws", type=int, default=1000, metavar="N",
                           help="particles drawn from the prior (default 1000); each tempering stage runs N more")
    calibrate.add_argument("-o", "--output", metavar="DIR",
                           help="output folder (default out/<scenario name>-calibration/)")
    _overwrite_option(calibrate, "folder")
    _json_option(calibrate, "print inputs and stages as JSON instead of tables")
    calibrate.add_argument("--quiet", action="store_true", help="print nothing on success")
    _executor_options(calibrate)

    compare = commands.add_parser("compare", help="headline figures of scenarios side by side",
                                  description="Simulate each SCENARIO and print headline figures side by side, "
                                              "with differences and ratios to the first.")
    compare.add_argument("scenarios", metavar="SCENARIO", nargs="+", help="two or more scenario files")
    compare.add_argument("-o", "--output", metavar="DIR", help="also write DIR/compare.csv and meta.json")
    _json_option(compare, "print the comparison as JSON instead of the table")
    _overwrite_option(compare, "folder")
    sweep = commands.add_parser("sweep", help="a grid of what-ifs: one row of headline figures per case",
                                description="Simulate every combination of the --vary values; writes sweep.csv "
                                            "(one row per case) and sweep_monthly.parquet (every case's series).")
    sweep.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    sweep.add_argument("--vary", metavar="KEY=VALUES", action="append", required=True,
                       help="KEY=a,b,c (values read as YAML) or KEY=start:stop:n; repeat to cross several keys")
    sweep.add_argument("--draws", type=int, metavar="N", help="also run N Monte Carlo draws per case")
    sweep.add_argument("-o", "--output", metavar="DIR", help="output folder (default out/<scenario name>-sweep/)")
    _overwrite_option(sweep, "folder")
    _set_option(sweep, "override one field first (repeatable)")
    sweep.add_argument("--quiet", action="store_true", help="print nothing on success")
    _json_option(sweep, "print a machine-readable JSON summary (one record per case) instead of the table")
    _executor_options(sweep)

    sensitivity = commands.add_parser(
        "sensitivity", help="which uncertain input matters most for one output: tornado and Sobol indices",
        description="Tornado (each uncertain input at its P10 and P90) and variance-based Sobol indices "
                    "(SALib) of METRIC over the horizon; writes tornado.csv and sobol.csv (with --plots, "
                    "tornado.png).")
    sensitivity.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file with distributions")
    sensitivity.add_argument("--metric", required=True, help="a monthly column, e.g. cumulative_cash_usd")
    sensitivity.add_argument("--samples", type=int, default=64, metavar="N",
                             help="Sobol base samples (runs = N × (inputs + 2); 0 skips Sobol; default 64)")
    sensitivity.add_argument("-o", "--output", metavar="DIR",
                             help="output folder (default out/<scenario name>-sensitivity/)")
    _overwrite_option(sensitivity, "folder")
    _set_option(sensitivity, "override one field first (repeatable)")
    sensitivity.add_argument("--plots", action="store_true", help="also write the tornado chart as tornado.png")
    sensitivity.add_argument("--quiet", action="store_true", help="print nothing on success")
    _json_option(sensitivity, "print the tornado and Sobol tables as JSON instead")
    _executor_options(sensitivity)
    parser.set_defaults(_commands=commands.choices)
    return parser


def _overwrite_option(command: argparse.ArgumentParser, kind: str) -> None:
    command.add_argument("--overwrite", action="store_true",
                         help=f"replace the output {kind} even if fleetsim did not write it (never an input "
                              "of the run nor the current folder)")


def _set_option(command: argparse.ArgumentParser, help_text: str) -> None:
    command.add_argument("--set", dest="overrides", metavar="KEY=VALUE", action="append", default=[], help=help_text)


def _json_option(command: argparse.ArgumentParser, help_text: str) -> None:
    command.add_argument("--json", dest="as_json", action="store_true", help=help_text)


def _executor_options(command: argparse.ArgumentParser) -> None:
    command.add_argument("--executor", choices=("local", "dask"), default="local",
                         help="local process pool (default) or a local Dask cluster")
    command.add_argument("--scheduler", metavar="ADDRESS",
                         help="use an existing dask.distributed scheduler, e.g. tcp://scheduler:8786")
    command.add_argument("--workers", type=int, metavar="N", help="worker processes (default: all cores)")


def _refuse_unknown(extra: list[str], command: argparse.ArgumentParser) -> None:
    """Usage error for arguments ``command`` does not take, naming a close option if there is one."""
    import difflib

    options = [o for action in command._actions for o in action.option_strings]
    hints = [f"; did you mean {close[0]}?" for word in extra if word.startswith("-")
             for close in [difflib.get_close_matches(word.split("=")[0], options, n=1, cutoff=0.6)] if close]
    command.error(f"unrecognized arguments: {' '.join(extra)}{hints[0] if hints else ''}")


def _check_counts(args: argparse.Namespace, parser: argparse.ArgumentParser) -> None:
    """Usage errors for counts that cannot be right (--draws 0, --workers 0, ...)."""
    for name, low in (("draws", 1), ("draw", 0), ("workers", 1), ("samples", 0)):
        value = getattr(args, name, None)
        if value is not None and value < low:
            parser.error(f"--{name} must be at least {low}; got {value}")
    if getattr(args, "draws", None) is not None and getattr(args, "draw", None) is not None:
        parser.error("use --draws N for an ensemble or --draw K to re-run one draw, not both")


def _split_override(text: str, parser: argparse.ArgumentParser) -> tuple[str, str]:
    if "=" not in text:
        parser.error(f"--set expects KEY=VALUE, such as sites.colossus-1.pue=1.3; got {text!r}")
    key, value = text.split("=", 1)
    if not key.strip():
        parser.error(f"--set expects KEY=VALUE with a key before '='; got {text!r}")
    return key.strip(), value


def main(argv: list[str] | None = None) -> int:
    from fleetsim import interrupts

    previous = interrupts.install()
    try:
        return _main(argv)
    finally:
        interrupts.restore(previous)


def _main(argv: list[str] | None) -> int:
    from fleetsim import interrupts

    parser = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        _refuse_unknown(extra, args._commands[args.command])
    overrides = [_split_override(o, parser) for o in getattr(args, "overrides", [])]
    for vary in getattr(args, "vary", None) or []:
        if "=" not in vary or not vary.split("=", 1)[0].strip():
            parser.error(f"--vary expects KEY=a,b,c or KEY=start:stop:n, such as sites.colossus-2.pue=1.1:1.4:4; "
                         f"got {vary!r}")
    from fleetsim.errors import FleetsimError

    try:
        if args.command in ("run", "sweep", "sensitivity", "report", "calibrate"):
            _check_counts(args, parser)
        if args.command == "run" and args.draws is not None:
            from fleetsim.cli.uncertain import run_draws

            return run_draws(args, overrides)
        if args.command == "calibrate":
            from fleetsim.cli.calibrate import calibrate

            return calibrate(args)
        if args.command == "sweep":
            from fleetsim.cli.uncertain import sweep

            return sweep(args, overrides)
        if args.command == "sensitivity":
            from fleetsim.cli.uncertain import sensitivity

            return sensitivity(args, overrides)
        if args.command == "run":
            from fleetsim.cli.commands import run

            return run(args.scenario, args.output, overrides, args.format, args.quiet, tuple(args.period),
                       args.plots, args.as_json, args.draw, args.overwrite, args.workers)
        if args.command == "report":
            from fleetsim.cli.commands import report

            return report(args.scenario, args.output, overrides, args.quiet, args.draws, args.workers, args.as_json,
                          args.overwrite, args.observations)
        if args.command == "validate":
            from fleetsim.cli.lookup import validate

            return validate(args.scenarios, overrides, args.as_json)
        if args.command == "compare":
            from fleetsim.cli.compare import compare

            if len(args.scenarios) < 2:
                parser.error("compare needs at least two scenarios")
            return compare(args.scenarios, args.output, args.as_json, args.overwrite)
        if args.command == "catalog":
            from fleetsim.cli.lookup import catalog

            return catalog(args.name, args.as_json)
        if args.command == "sites":
            from fleetsim.cli.records import sites

            return sites(args.name, args.output, args.overwrite)
        if args.command == "score":
            from fleetsim.cli.records import score

            return score(args.scenario, args.observations, args.output, args.as_json, args.overwrite, overrides)
        from fleetsim.cli.lookup import schema

        return schema()
    except FleetsimError as exc:
        from fleetsim.errors import show  # quoted user text never drives the terminal

        print("fleetsim: error: " + "\n".join(show(line) for line in str(exc).split("\n")), file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt as exc:
        return _interrupted(exc, interrupts.written())
    except OSError as exc:  # a disk full or vanished folder outside the writers' own checks
        import errno
        import tempfile

        where = f" ({exc.filename})" if exc.filename else ""
        hint = ""
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            hint = (f"; free some space, or set TMPDIR to a folder with room (draws are kept in "
                    f"{tempfile.gettempdir()} until written)")
        print(f"fleetsim: error: {exc.strerror or exc}{where}; nothing was written{hint}", file=sys.stderr)
        return EXIT_INVALID
    except MemoryError:
        print("fleetsim: error: out of memory; try fewer draws, a shorter horizon or fewer orders", file=sys.stderr)
        return EXIT_INVALID
    except Exception:
        if interrupts.interrupted() is None:
            raise
        try:  # an interrupt that a C extension turned into another error (an ImportError mid-import)
            interrupts.raise_if_interrupted()
        except KeyboardInterrupt as exc:
            return _interrupted(exc, interrupts.written())
        raise  # pragma: no cover - raise_if_interrupted always raises once an interrupt is recorded


def _interrupted(exc: KeyboardInterrupt, written: list) -> int:
    from fleetsim.interrupts import Terminated

    what = "terminated" if isinstance(exc, Terminated) else "interrupted"
    if written:
        print(f"fleetsim: {what} after writing {', '.join(map(str, written))}", file=sys.stderr)
    else:
        print(f"fleetsim: {what}; nothing was written", file=sys.stderr)
    return EXIT_TERMINATED if isinstance(exc, Terminated) else EXIT_INTERRUPTED


def entry() -> None:  # pragma: no cover - thin wrapper for the console script
    try:
        code = main()
    except KeyboardInterrupt as exc:  # an interrupt while argparse runs, before main's own guard
        from fleetsim import interrupts

        code = _interrupted(exc, interrupts.written())
    sys.exit(code)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main(sys.argv[1:]))
