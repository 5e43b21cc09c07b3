"""fleetsim benchmarks: one command, figures and ratios. Run: ``python benchmarks/run.py``.

Targets (design §7 and issue 15, 2-core machine): simulate(flagship) < 0.1 s after import;
``fleetsim run`` end to end < 1 s; 10,000 Monte Carlo draws on 2 local workers < 60 s with memory
flat, Dask within 1.1× the local pool; 100× accelerators changes run time < 10 %; 1,000 orders × 10 sites × 240
months < 5 s and < 300 MB. Speed is measured here, never asserted in the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # what `import fleetsim` sets, here before numpy can load

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "colossus.yaml"


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


PEAK = """\
import resource


def peak():
    \"\"\"This process's peak resident memory in MB: VmHWM, which starts again at exec; Linux's
    ru_maxrss keeps the peak of the process that started it (a benchmark run holding 480 MB
    made every later subprocess report at least 480 MB).\"\"\"
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmHWM"))
    except (OSError, StopIteration):
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
"""


def in_subprocess(code: str) -> dict:
    """Run ``code`` in a fresh interpreter (:data:`PEAK`'s ``peak()`` defined); it prints one JSON
    line, which is returned."""
    done = subprocess.run([sys.executable, "-c", PEAK + code], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def command_time(args: list[str], repeat: int) -> float:
    return best(lambda: subprocess.run(args, capture_output=True, check=True), repeat)


HARDWARE = ["H100", "H200", "B200", "GB200", "GB300", "MI300X"]


def big_scenario(orders: int = 1000, sites: int = 10, months: int = 240, failures: bool = True) -> str:
    """A synthetic scenario: ``orders`` orders spread over ``sites`` sites and the horizon
    (``failures=False``: every hardware's failure rate set to 0, the floor's case)."""
    lines = ["name: big", "start: 2025-01", f"months: {months}", "seed: 3", "sites:"]
    for s in range(sites):
        lines += [f"  s{s}:", "    pue: 1.2", "    capacity: {2025-01: 200 MW, 2030-01: 600 MW, 2035-01: 1.2 GW}",
                  "    electricity: {price: 0.07 USD/kWh, escalation: 0.02}", "    install_rate: 20000",
                  "    construction_cost: 10 MUSD/MW"]
    lines.append("orders:")
    hardware = HARDWARE
    for i in range(orders):
        year, month = divmod(i * (months - 12) // orders, 12)
        when = f"{2025 + year}-{month + 1:02d}"
        delivery = f"{{from: {when}, to: {2025 + year + 1}-{month + 1:02d}}}" if i % 4 == 0 else when
        lines.append(f"  - {{hardware: {hardware[i % len(hardware)]}, count: {1000 + 37 * i}, "
                     f"site: s{i % sites}, delivery: {delivery}}}")
    lines += ["operations: {utilization: 0.8, training_share: 0.5, power_draw: {busy: 0.75, idle: 0.25}}",
              "finance: {opex: {fixed: 10 MUSD/month, maintenance: 0.03}}",
              "revenue: {inference: {tokens_per_h100e_hour: 3.0e6, price: 1 USD/Mtok}}"]
    if not failures:
        lines.append("hardware: {" + ", ".join(f"{name}: {{failure_rate: 0}}" for name in hardware) + "}")
    return "\n".join(lines) + "\n"


def scaled(tree, factor: float):
    """The scenario ``tree`` with every count, capacity (of supplies and of halls) and install rate
    multiplied by ``factor``: the same fleet, power-gated in the same months, ``factor`` times larger."""
    if isinstance(tree, dict):
        out = {}
        for key, value in tree.items():
            if key in ("count", "install_rate", "units") and not isinstance(value, (dict, str)):
                out[key] = value * factor
            elif key == "units" and isinstance(value, dict):
                out[key] = {k: v * factor for k, v in value.items()}
            elif key in ("capacity", "power", "energy", "halls"):
                out[key] = _scale_quantity(value, factor)
            else:
                out[key] = scaled(value, factor)
        return out
    if isinstance(tree, list):
        return [scaled(item, factor) for item in tree]
    return tree


def _scale_quantity(value, factor: float):
    if isinstance(value, dict):
        return {k: _scale_quantity(v, factor) for k, v in value.items()}
    number, unit = str(value).split(maxsplit=1)
    return f"{float(number) * factor!r} {unit}"


UNCERTAIN = ROOT / "scenarios" / "colossus-uncertain.yaml"
ENSEMBLE = ("import json,time,resource,warnings;warnings.simplefilter('ignore');import fleetsim;"
            "from fleetsim.uncertainty.montecarlo import run_many;"
            "sc=fleetsim.load({path!r});t=time.perf_counter();"
            "exec('import dask.distributed') if {executor!r}=='dask' else None;di=time.perf_counter()-t;"
            "t=time.perf_counter();e=run_many(sc,{draws},executor={executor!r},workers=2);"
            "d=time.perf_counter()-t;q=e.quantiles();dq=time.perf_counter()-t-d;"
            "print(json.dumps({{'time':d,'quantiles':dq,'import':di,"
            "'rss':peak(),"
            "'child':resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024}}))")
"""One ensemble in a fresh interpreter; ``dask.distributed`` (0.4-0.6 s to import, once per
process) is imported before the clock starts and its time reported apart, so that the ratio
compares the executors, not a one-time import."""


def ensemble(draws: int, executor: str) -> dict:
    code = ENSEMBLE.format(path=str(UNCERTAIN), draws=draws, executor=executor)
    return in_subprocess(f"if __name__ == '__main__':\n    exec({code!r})")


def best_ensemble(draws: int, executor: str, repeat: int) -> dict:
    """The fastest of ``repeat`` ensembles (each in a fresh interpreter; peak memory of the largest)."""
    return _best([ensemble(draws, executor) for _ in range(max(1, repeat))])


def _best(runs: list[dict]) -> dict:
    out = min(runs, key=lambda r: r["time"])
    return {**out, "rss": max(r["rss"] for r in runs), "child": max(r["child"] for r in runs)}


def monte_carlo(draws: int, memory_draws: int, repeat: int = 1, scale_draws: int = 0,
                scale_pairs: int = 3) -> list[tuple[str, str, str]]:
    """Issue 15, part 3: ensembles of the uncertain flagship on 2 workers: the local pool and a
    Dask LocalCluster at ``draws`` (ratio target ≤ 1.1), and ``memory_draws`` on the local pool
    (target < 60 s at 10,000, memory flat: the peaks at ``draws`` and ``memory_draws`` close).

    The two executors run by turns (local, Dask, local, ...), so that a machine that slows down
    or speeds up during the benchmark weighs on both alike; the ratio is of the best of each,
    and the median and range of the ratios of each pair are printed beside it. With
    ``scale_draws``, ``scale_pairs`` more pairs of that many draws: Dask's cost is mostly fixed
    per ensemble (its cluster's start and close, about 0.5 s on 2 cores), so its ratio at a larger
    ensemble shows what it costs per draw."""
    pairs = [(ensemble(draws, "local"), ensemble(draws, "dask")) for _ in range(max(1, repeat))]
    local, dask = _best([p[0] for p in pairs]), _best([p[1] for p in pairs])
    rows = [(f"{draws:,} draws of colossus-uncertain, local pool, 2 workers", f"{local['time']:.1f} s",
             f"+ quantiles {local['quantiles']:.2f} s")]
    ratios = [d["time"] / lo["time"] for lo, d in pairs]
    rows.append((f"{draws:,} draws, Dask LocalCluster, 2 workers", f"{dask['time']:.1f} s",
                 f"ratio to local {dask['time'] / local['time']:.2f} (target ≤ 1.1; median of {len(pairs)} "
                 f"pairs {statistics.median(ratios):.2f}, pairs {min(ratios):.2f}-{max(ratios):.2f}, Dask "
                 f"slower by a median {statistics.median(d['time'] - lo['time'] for lo, d in pairs):.2f} s); "
                 f"with the one-time import of dask.distributed ({dask['import']:.2f} s) "
                 f"{(dask['time'] + dask['import']) / local['time']:.2f}"))
    rows.append(("  peak memory: main process / largest worker", f"{local['rss']:.0f} MB",
                 f"/ {local['child']:.0f} MB"))
    if scale_draws:
        big_pairs = [(ensemble(scale_draws, "local"), ensemble(scale_draws, "dask")) for _ in range(scale_pairs)]
        ratios = [d["time"] / lo["time"] for lo, d in big_pairs]
        fastest = (min(lo["time"] for lo, _ in big_pairs), min(d["time"] for _, d in big_pairs))
        rows.append((f"{scale_draws:,} draws, Dask / local", f"{statistics.median(ratios):.2f}",
                     f"median of {scale_pairs} pairs (pairs {min(ratios):.2f}-{max(ratios):.2f}; best local "
                     f"{fastest[0]:.1f} s, Dask {fastest[1]:.1f} s): Dask's cost per draw"))
    if memory_draws:
        big = best_ensemble(memory_draws, "local", 1)
        target = f"target < 60 s: {big['time'] / 60:.2f}x" if memory_draws == 10000 else ""
        rows.append((f"{memory_draws:,} draws, local pool, 2 workers", f"{big['time']:.1f} s",
                     f"{target + '; ' if target else ''}+ quantiles {big['quantiles']:.2f} s"))
        rows.append(("  peak memory: main process / largest worker", f"{big['rss']:.0f} MB",
                     f"/ {big['child']:.0f} MB (flat: {big['rss'] / local['rss']:.2f}x / "
                     f"{big['child'] / local['child']:.2f}x the {draws:,}-draw run's)"))
    return rows


def cli(repeat: int) -> list[tuple[str, str, str]]:
    """Issue 15, part 4: ``fleetsim run colossus`` end to end (target < 1 s) and where its start
    goes (``python -X importtime``: the import time of each top-level package, its modules' own)."""
    exe = str(Path(sys.executable).with_name("fleetsim"))
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        run_t = command_time([exe, "run", str(FLAGSHIP), "-o", f"{tmp}/out", "--quiet"], repeat)
        rows.append(("fleetsim run colossus (end to end, --quiet)", f"{run_t:.3f} s",
                     f"target < 1 s: {run_t:.2f}x"))
        shown = command_time([exe, "run", str(FLAGSHIP), "-o", f"{tmp}/out2"], repeat)
        rows.append(("fleetsim run colossus (end to end, summary printed)", f"{shown:.3f} s",
                     f"target < 1 s: {shown:.2f}x"))
        times = []
        for _ in range(repeat):
            done = subprocess.run([sys.executable, "-X", "importtime", "-m", "fleetsim", "run", str(FLAGSHIP), "-o",
                                   f"{tmp}/out3", "--quiet"], capture_output=True, text=True, check=True)
            top: dict[str, int] = {}
            for line in done.stderr.splitlines():  # "import time: self | cumulative | name"
                parts = line.split("|")
                if len(parts) == 3 and parts[1].strip().isdigit():
                    key = parts[2].strip().split(".")[0]
                    top[key] = top.get(key, 0) + int(parts[0].split(":")[1])
            times.append(top)
    fastest = {key: min(t.get(key, 0) for t in times) / 1e6 for key in times[0]}
    heavy = sorted(fastest.items(), key=lambda kv: -kv[1])[:6]
    rows.append(("  imports (by package, best of runs)", f"{sum(fastest.values()):.3f} s",
                 ", ".join(f"{k} {v:.2f}" for k, v in heavy)))
    return rows


OBSERVATIONS = ROOT / "scenarios" / "colossus.observations.csv"
CALIBRATE = ("import json,time,resource,warnings;warnings.simplefilter('ignore');import fleetsim;"
             "sc=fleetsim.load({path!r});t=time.perf_counter();"
             "c=fleetsim.calibrate(sc,{observations!r},draws={draws},workers=2);d=time.perf_counter()-t;"
             "print(json.dumps({{'time':d,'rss':peak(),"
             "'child':resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss/1024,'stages':len(c.stages),"
             "'simulations':int(c.stages.simulations.iloc[-1]),'ess':c.ess}}))")


def calibration(draws: int) -> list[tuple[str, str, str]]:
    """Issue 12: calibrate the uncertain flagship on its observations (2 workers), and memory at a
    quarter of the draws: flat in draws means the two peaks are close."""
    rows = []
    for n in (draws // 4, draws):
        code = CALIBRATE.format(path=str(UNCERTAIN), observations=str(OBSERVATIONS), draws=n)
        out = in_subprocess(f"if __name__ == '__main__':\n    exec({code!r})")
        note = f"target < 120 s: {out['time'] / 120:.2f}x" if n == draws else ""
        rows.append((f"calibrate colossus-uncertain, {n:,} draws, 2 workers ({out['stages']} stage(s), "
                     f"{out['simulations']:,} runs)", f"{out['time']:.1f} s", note))
        rows.append(("  peak memory: main process / largest worker", f"{out['rss']:.0f} MB",
                     f"/ {out['child']:.0f} MB; final ESS {out['ess']:,.0f}"))
    return rows


def records(repeat: int) -> list[tuple[str, str, str]]:
    """Issue 12: fleetsim sites NAME and score end to end, and every shipped site scored."""
    rows = []
    exe = str(Path(sys.executable).with_name("fleetsim"))
    with tempfile.TemporaryDirectory() as tmp:
        sites_t = command_time([exe, "sites", "xAI Colossus 2"], repeat)
        rows.append(("fleetsim sites 'xAI Colossus 2' (end to end)", f"{sites_t:.3f} s",
                     f"target < 2 s: {sites_t / 2:.2f}x"))
        scenario, observations = Path(tmp) / "c1.yaml", Path(tmp) / "c1.csv"
        subprocess.run([exe, "sites", "xAI Colossus 1", "-o", str(scenario)], capture_output=True, check=True)
        subprocess.run([sys.executable, "-c", "import fleetsim.data as d; d.site_observations('xAI Colossus 1')"
                        f".to_csv({str(observations)!r}, index=False)"], check=True)
        score_t = command_time([exe, "score", str(scenario), str(observations), "-o", f"{tmp}/card"], repeat)
        rows.append(("fleetsim score (Colossus 1 site, 28 rows; end to end)", f"{score_t:.3f} s",
                     f"target < 2 s: {score_t / 2:.2f}x"))
        run_t = command_time([exe, "run", str(scenario), "-o", f"{tmp}/run", "--quiet"], repeat)
        rows.append(("  for reference: fleetsim run of the same scenario", f"{run_t:.3f} s", ""))
    every = in_subprocess("import json,time;t=time.perf_counter();from fleetsim.data import validation;"
                          "table=validation.score_all();print(json.dumps({'time':time.perf_counter()-t,"
                          "'rows':len(table)}))")
    rows.append((f"all 16 Epoch AI sites: generate, run, score ({every['rows']} rows)", f"{every['time']:.3f} s",
                 f"target < 60 s: {every['time'] / 60:.2f}x"))
    return rows


FLOOR_CASES = (("1,000 orders x 10 sites x 240 months", 10), ("1,000 orders x 100 sites x 240 months", 100))


def floor_ratios(repeat: int) -> list[tuple[str, str, str]]:
    """Issue 15: fleetsim's simulate (in process, scenario loaded) over the floor, an independent
    vectorised numpy implementation of the same outputs (benchmarks/floor.py), failures off. The
    two are first checked to agree; targets: ≤ 3× the floor at 10 sites, ≤ 5× at 100 sites."""
    import warnings

    import numpy as np

    import fleetsim

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from floor import floor

    rows = []
    with tempfile.TemporaryDirectory() as tmp, warnings.catch_warnings():
        warnings.simplefilter("ignore", fleetsim.FleetsimWarning)
        for (label, sites), target in zip(FLOOR_CASES, (3.0, 5.0), strict=True):
            path = Path(tmp) / f"floor{sites}.yaml"
            path.write_text(big_scenario(sites=sites, failures=False))
            scenario = fleetsim.load(path)
            result, low = fleetsim.simulate(scenario), floor(scenario)
            ours, theirs = result.monthly.to_numpy(float), low.monthly[list(result.monthly.columns)].to_numpy(float)
            scale = np.nanmax(np.abs(ours), axis=0, initial=0.0) + 1e-300
            gap = np.nanmax(np.abs(ours - theirs) / scale, initial=0.0)
            if len(result.ledger) != len(low.ledger) or not gap < 1e-9:
                raise SystemExit(f"the floor disagrees with fleetsim on {label}: ledger rows "
                                 f"{len(result.ledger)} vs {len(low.ledger)}, monthly gap {gap:.2e}")
            # interleave the two timings so that load from other processes hits both alike; CPU
            # time (process_time) as well, steadier than wall time on a shared machine
            sim_t = floor_t = sim_cpu = floor_cpu = float("inf")
            for _ in range(repeat):
                for fn, slot in ((lambda: fleetsim.simulate(scenario), 0), (lambda: floor(scenario), 1)):  # noqa: B023
                    wall, cpu = time.perf_counter(), time.process_time()
                    fn()
                    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
                    if slot == 0:
                        sim_t, sim_cpu = min(sim_t, wall), min(sim_cpu, cpu)
                    else:
                        floor_t, floor_cpu = min(floor_t, wall), min(floor_cpu, cpu)
            rows.append((f"{label}, failures off: simulate (in process)", f"{sim_t:.3f} s",
                         f"{sim_t / floor_t:.1f}x the floor (CPU time {sim_cpu / floor_cpu:.1f}x; "
                         f"target ≤ {target:.0f}x)"))
            rows.append(("  the floor (benchmarks/floor.py), same outputs", f"{floor_t:.3f} s",
                         f"agrees to {gap:.0e} (monthly, relative to each column's scale)"))
    return rows


def commands(repeat: int) -> list[tuple[str, str, str]]:
    """The commands that draw charts or run many simulations, end to end: ``report`` (seven charts,
    drawn by one worker per core) and ``sensitivity`` (tornado and Sobol indices, 591 runs)."""
    exe = str(Path(sys.executable).with_name("fleetsim"))
    with tempfile.TemporaryDirectory() as tmp:
        report_t = command_time([exe, "report", str(FLAGSHIP), "-o", f"{tmp}/colossus.html", "--quiet"], repeat)
        sens_t = command_time([exe, "sensitivity", str(UNCERTAIN), "--metric", "cumulative_cash_usd", "-o",
                               f"{tmp}/sens", "--quiet", "--workers", "2"], max(1, repeat // 3))
    return [("fleetsim report colossus (end to end)", f"{report_t:.3f} s", f"target < 5 s: {report_t / 5:.2f}x"),
            ("fleetsim sensitivity colossus-uncertain (64 samples: 591 runs, 2 workers)", f"{sens_t:.1f} s", "")]


def bytecode() -> None:
    """Compile fleetsim's modules into their ``__pycache__`` first, as Python does on a first import
    and pip on install: every timing is then of a second run. Where ``PYTHONDONTWRITEBYTECODE`` is
    set (this project's 2-core sandbox) Python never writes them, and every command compiled all
    of fleetsim again (0.15-0.2 s of ``fleetsim run``)."""
    import compileall

    compileall.compile_dir(ROOT / "fleetsim", quiet=1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5, help="repetitions; the best time is reported")
    parser.add_argument("--draws", type=int, default=1000, help="Monte Carlo draws timed (default 1000)")
    parser.add_argument("--memory-draws", type=int, default=10000,
                        help="draws of the memory measurement (default 10000; 0 skips it)")
    parser.add_argument("--scale-draws", type=int, default=5000,
                        help="draws of the second Dask/local comparison, 3 pairs (default 5000; 0 skips it)")
    parser.add_argument("--calibrate-draws", type=int, default=2000,
                        help="draws of the calibration benchmark (default 2000, also a quarter of it; 0 skips)")
    parser.add_argument("--only", choices=("records", "calibrate", "floor", "montecarlo", "cli", "commands"),
                        help="run one group only: records (sites, score), calibrate, floor (ratios to the floor), "
                             "montecarlo, cli or commands (report, sensitivity)")
    args = parser.parse_args()
    bytecode()
    rows: list[tuple[str, str, str]] = []
    if args.only:
        rows = {"records": lambda: records(args.repeat), "calibrate": lambda: calibration(args.calibrate_draws),
                "floor": lambda: floor_ratios(args.repeat),
                "montecarlo": lambda: monte_carlo(args.draws, args.memory_draws, args.repeat, args.scale_draws),
                "cli": lambda: cli(args.repeat), "commands": lambda: commands(args.repeat)}[args.only]()
        width = max(len(r[0]) for r in rows)
        for label, value, note in rows:
            print(f"  {label:<{width}}  {value:>10}  {note}")
        return 0

    imports = in_subprocess(
        "import json,time;t=time.perf_counter();import pandas;a=time.perf_counter();"
        "import fleetsim.units;b=time.perf_counter();import fleetsim.simulation;c=time.perf_counter();"
        "print(json.dumps({'pandas':a-t,'units':b-a,'rest':c-b}))")
    rows.append(("import pandas", f"{imports['pandas']:.3f} s", ""))
    rows.append(("import fleetsim.units (pint registry)", f"{imports['units']:.3f} s", ""))
    rows.append(("import rest of fleetsim (simpy, pydantic, ...)", f"{imports['rest']:.3f} s", ""))

    import warnings

    import fleetsim

    warnings.simplefilter("ignore", fleetsim.FleetsimWarning)
    from fleetsim.scenario.load import build
    scenario = fleetsim.load(FLAGSHIP)
    fleetsim.simulate(scenario)  # warm caches
    load_t = best(lambda: fleetsim.load(FLAGSHIP), args.repeat)
    big_counts = build(scaled(scenario.tree, 100), {}, None)
    # 20 ms runs: best of at least 25, alternating, or the 100x ratio reads the machine's jitter (0.7-1.5)
    times = [(best(lambda: fleetsim.simulate(scenario), 1), best(lambda: fleetsim.simulate(big_counts), 1))
             for _ in range(max(25, args.repeat))]
    sim_t, sim_100 = min(t[0] for t in times), min(t[1] for t in times)
    rows.append(("load(colossus)", f"{load_t:.3f} s", ""))
    rows.append(("simulate(colossus) after import", f"{sim_t:.3f} s", f"target < 0.100 s: {sim_t / 0.1:.2f}x"))

    rows.append(("simulate(colossus, 100x accelerators)", f"{sim_100:.3f} s",
                 f"ratio {sim_100 / sim_t:.3f} (target change < 10%)"))

    with tempfile.TemporaryDirectory() as tmp:
        exe = str(Path(sys.executable).with_name("fleetsim"))
        help_t = command_time([exe, "--help"], args.repeat)
        rows.append(("fleetsim --help", f"{help_t:.3f} s", ""))
        path = Path(tmp) / "big.yaml"
        path.write_text(big_scenario())
        big = in_subprocess(
            "import json,time,resource,warnings;import fleetsim;warnings.simplefilter('ignore');"
            "base=peak();"
            f"t=time.perf_counter();r=fleetsim.simulate({str(path)!r});d=time.perf_counter()-t;"
            "print(json.dumps({'time':d,'rss':peak(),"
            "'base':base,'ledger':len(r.ledger)}))")
    rows.append(("1,000 orders x 10 sites x 240 months (load+simulate)", f"{big['time']:.3f} s",
                 f"target < 5 s: {big['time'] / 5:.2f}x"))
    rows.append(("  peak memory of that process (RSS)", f"{big['rss']:.0f} MB",
                 f"target < 300 MB: {big['rss'] / 300:.2f}x (after imports: {big['base']:.0f} MB)"))
    rows += floor_ratios(args.repeat)

    rows += cli(max(5, args.repeat))  # 0.6-1 s commands: best of 3 read the machine, not the code
    rows += commands(max(3, args.repeat // 2))
    rows += records(args.repeat)
    # single pairs read 0.86-1.54 for the same code on this machine: the ratio is a median of 7+
    rows += monte_carlo(args.draws, args.memory_draws, max(7, args.repeat), args.scale_draws)
    if args.calibrate_draws:
        rows += calibration(args.calibrate_draws)

    width = max(len(r[0]) for r in rows)
    print(f"fleetsim {fleetsim.__version__} benchmarks (best of {args.repeat}; Python {sys.version.split()[0]})")
    for label, value, note in rows:
        print(f"  {label:<{width}}  {value:>10}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
