"""Distributions, Monte Carlo ensembles, sweeps, sensitivity and executors."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fleetsim
from fleetsim.cli.main import main
from fleetsim.errors import FleetsimError, ScenarioError
from fleetsim.output import MARKER
from fleetsim.uncertainty import distributions
from fleetsim.uncertainty.executors import DrawError, run_job
from fleetsim.uncertainty.montecarlo import QUANTILES, run_many, simulate_draw
from fleetsim.uncertainty.sensitivity import sensitivity
from fleetsim.uncertainty.sweep import parse_vary, sweep

UNCERTAIN = """\
name: unc
start: 2024-07
months: 18
seed: 5
sites:
  s1:
    pue: {normal: [1.25, 0.05], truncate: [1.1, 1.4]}
    capacity: {uniform: [100 MW, 0.2 GW]}
    electricity: {price: {lognormal: [0.075 USD/kWh, 1.25]}}
orders:
  - {hardware: {choice: {values: [H100, H200], weights: [0.7, 0.3]}}, count: {triangular: [10000, 50000, 90000]},
     site: s1, delivery: 2024-07, lead_time: {triangular: [0 months, 1 month, 4 months]}}
revenue:
  inference: {tokens_per_h100e_hour: 1.0e6, price: 2 USD/Mtok}
"""


@pytest.fixture
def scenario(tmp_path):
    path = tmp_path / "unc.yaml"
    path.write_text(UNCERTAIN)
    return fleetsim.load(path)


def sample(text, n=20000):
    dist = distributions.parse(text)
    u = np.random.default_rng(1).random(n)
    values = dist.ppf_many(u)
    assert [dist.ppf(x) for x in u[:50]] == list(values[:50])  # the scalar path gives the same values
    return values, dist


def test_triangular_moments():
    values, _ = sample({"triangular": [1, 3, 8]})
    assert values.mean() == pytest.approx((1 + 3 + 8) / 3, rel=0.01)
    variance = (1 + 9 + 64 - 3 - 8 - 24) / 18
    assert values.var() == pytest.approx(variance, rel=0.03)


@pytest.mark.parametrize("node", [
    {"triangular": [1, 3, 8]}, {"triangular": [0.0, 0.0, 2.0]}, {"triangular": [-5.0, 7.0, 7.0]},
    {"triangular": ["10 MUSD/MW", "13 MUSD/MW", "16 MUSD/MW"]}, {"normal": [1.25, 0.05]},
    {"normal": [-3.0, 40.0]}, {"lognormal": ["3.5 USD/MMBtu", 1.3]}, {"lognormal": [0.075, 4.0]},
    {"normal": [1.25, 0.05], "truncate": [1.1, 1.4]},
])
def test_quantile_functions_are_scipy_stats_bit_for_bit(node):
    """The triangular, normal and lognormal quantile functions are written out (triang's own
    expression, scipy.special.ndtri) so that a draw does not import scipy.stats (1.1 s); they give
    scipy.stats' values exactly, at the ends of (0, 1) too."""
    from scipy import stats

    dist = distributions.parse(node)
    u = np.concatenate([np.random.default_rng(3).random(20_000), [1e-300, 1e-12, 0.5, 1 - 1e-12, 1 - 2**-53]])
    p = dist.params
    if dist.name == "triangular":
        expected = stats.triang.ppf(u, (p[1] - p[0]) / (p[2] - p[0]), loc=p[0], scale=p[2] - p[0])
    elif dist.name == "lognormal":
        expected = p[0] * np.exp(np.log(p[1]) * stats.norm.ppf(u))
    elif dist.truncate is None:
        expected = stats.norm.ppf(u, loc=p[0], scale=p[1])
    else:
        lo, hi = ((b - p[0]) / p[1] for b in dist.truncate)
        expected = stats.truncnorm.ppf(u, lo, hi, loc=p[0], scale=p[1])
    np.testing.assert_array_equal(dist.ppf_many(u), expected)


def test_draws_import_scipy_stats_only_for_truncated_normals():
    from fleetsim.uncertainty.executors import imports

    flagship = fleetsim.load("scenarios/colossus-uncertain.yaml")
    assert "scipy.stats" not in imports(flagship) and "scipy.special" in imports(flagship)
    assert "scipy.stats" in imports(fleetsim.load("scenarios/colossus-calibrated.yaml"))
    assert not any(m.startswith("scipy") for m in imports(fleetsim.load("scenarios/world.yaml")))  # triangular, uniform
    code = ("import sys, fleetsim; from fleetsim.uncertainty.montecarlo import run_many; "
            "run_many(fleetsim.load('scenarios/colossus-uncertain.yaml'), 3, workers=1); "
            "print('scipy.stats' in sys.modules)")
    out = subprocess.run([sys.executable, "-W", "ignore", "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_uniform_normal_lognormal_moments():
    values, _ = sample({"uniform": [2.0, 6.0]})
    assert values.mean() == pytest.approx(4.0, rel=0.01) and values.var() == pytest.approx(16 / 12, rel=0.03)
    values, _ = sample({"normal": [10.0, 2.0]})
    assert values.mean() == pytest.approx(10.0, rel=0.01) and values.std() == pytest.approx(2.0, rel=0.02)
    values, _ = sample({"normal": [10.0, 2.0], "truncate": [9.0, 12.0]})
    assert values.min() >= 9.0 and values.max() <= 12.0
    values, dist = sample({"lognormal": ["0.075 USD/kWh", 1.25]})
    assert np.median(values) == pytest.approx(0.075, rel=0.02)
    assert np.exp(np.log(values).std()) == pytest.approx(1.25, rel=0.02)
    assert dist.value(0.075) == "0.075 USD/kWh"


def test_choice_frequencies_and_central_values():
    values, dist = sample({"choice": {"values": ["H100", "GB200"], "weights": [0.3, 0.7]}})
    assert (values == "GB200").mean() == pytest.approx(0.7, abs=0.02)
    assert dist.central_value() == "GB200"
    assert distributions.parse({"triangular": ["0 months", "1 month", "4 months"]}).central_value() == "1.0 months"
    assert distributions.parse({"uniform": [100, 300]}).central_value() == 200
    assert distributions.parse({"lognormal": ["2 MW", 1.5]}).central_value() == "2.0 MW"


@pytest.mark.parametrize(("node", "fragment"), [
    ({"triangular": [5, 3, 8]}, "low ≤ mode ≤ high"),
    ({"triangular": [1, 2]}, "takes 3 parameters"),
    ({"uniform": ["2 MW", "1 MW"]}, "low < high"),
    ({"uniform": ["1 MW", "2 kg"]}, "share a dimension"),
    ({"lognormal": ["1 MW", "1.2 MW"]}, "plain geometric sd above 1"),
    ({"normal": [1, -1]}, "positive sd"),
    ({"choice": {"values": [1, 2], "weights": [1]}}, "as many weights"),
    ({"gamma": [1, 2]}, "unknown distribution 'gamma'"),
    ({"triangle": [1, 2, 3]}, "did you mean 'triangular'"),
])
def test_bad_distributions(node, fragment):
    with pytest.raises(distributions.DistributionProblem, match=fragment):
        distributions.parse(node)


def test_distribution_mistakes_are_located(tmp_path):
    text = UNCERTAIN.replace("{uniform: [100 MW, 0.2 GW]}", "{uniform: [0.2 GW, 100 MW]}").replace(
        "{lognormal: [0.075 USD/kWh, 1.25]}", "{lognormal: [0.075, 1.25]}")
    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(ScenarioError) as info:
        fleetsim.load(tmp_path / "bad.yaml")
    message = str(info.value)
    assert "bad.yaml:8:5: sites.s1.capacity" in message and "low < high" in message
    text = UNCERTAIN.replace("{lognormal: [0.075 USD/kWh, 1.25]}", "{lognormal: [0.075, 1.25]}")
    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(ScenarioError, match=r"sites\.s1\.electricity\.price: an energy price needs its unit"):
        fleetsim.load(tmp_path / "bad.yaml")


def test_deterministic_run_uses_central_values(scenario):
    spec = scenario.spec
    assert spec.orders[0].count == 50000 and spec.orders[0].hardware == "H100"
    assert spec.sites["s1"].capacity.points[0][1] == pytest.approx(150.0)
    assert spec.orders[0].lead_time == pytest.approx(1.0)
    assert len(scenario.uncertain) == 6


def test_ensemble_quantiles_are_monotone_and_draws_reproducible(scenario):
    ensemble = run_many(scenario, 24, workers=1)
    q = ensemble.quantiles()
    assert set(q.index.get_level_values("stat")) == {*QUANTILES, "mean"}
    for column in q.columns:
        table = q[column].unstack("stat")
        ok = table.isna().all(axis=1) | ((table.p5 <= table.p10 + 1e-9) & (table.p10 <= table.p50 + 1e-9)
                                         & (table.p50 <= table.p90 + 1e-9) & (table.p90 <= table.p95 + 1e-9))
        assert ok.all(), column
    draws = ensemble.draws
    assert len(draws) == 24 * 18 and sorted(draws.draw.unique()) == list(range(24))
    assert draws.groupby("draw").accelerators.max().nunique() > 1          # the draws do differ
    again = simulate_draw(scenario, 9).monthly
    np.testing.assert_array_equal(again.to_numpy(), draws[draws.draw == 9][list(again.columns)].to_numpy())


def test_worker_counts_give_identical_draws(scenario):
    one = run_many(scenario, 16, workers=1).draws
    two = run_many(scenario, 16, workers=2).draws
    pd.testing.assert_frame_equal(one, two, check_exact=True)


def test_chunk_sizes_give_identical_draws_and_summaries(scenario):
    """Workers take chunks of draws; neither the chunk size nor the worker count changes a bit."""
    base = run_many(scenario, 13, workers=1, chunk=1)
    for workers, chunk in ((1, 5), (2, 3), (2, 13)):
        other = run_many(scenario, 13, workers=workers, chunk=chunk)
        pd.testing.assert_frame_equal(base.draws, other.draws, check_exact=True)
        pd.testing.assert_frame_equal(base.table(), other.table(), check_exact=True)
        pd.testing.assert_frame_equal(base.quantiles(), other.quantiles(), check_exact=True)


def test_default_chunks_shrink_to_the_end_and_give_identical_draws(scenario):
    """The default chunks (full ones, then smaller and smaller ones so the workers end together)
    change no bit: 90 draws on 2 workers go out as 11 seven times (90 // 8), then 13/2 -> 7, at
    least 8, and the 5 left."""
    from fleetsim.uncertainty.executors import chunk_sizes

    assert chunk_sizes(90, 2) == [11] * 7 + [8, 5]
    assert chunk_sizes(300, 2) == [37] * 7 + [21, 10, 8, 2]
    base = run_many(scenario, 90, workers=1, chunk=90)
    guided = run_many(scenario, 90, workers=2)
    pd.testing.assert_frame_equal(base.draws, guided.draws, check_exact=True)


def test_a_draw_without_tables_gives_the_full_runs_numbers(scenario):
    """The array-only path of a draw (no DataFrames) gives exactly Result.monthly and summary()."""
    from fleetsim.uncertainty.executors import SUMMARY_KEYS, run_figures, run_job

    for index in (0, 5):
        job = (index, None, (3, index))
        monthly, summary = run_figures(scenario, job)
        result = run_job(scenario, job)
        np.testing.assert_array_equal(monthly, result.monthly.to_numpy())
        expected = result.summary()
        np.testing.assert_array_equal(summary, [expected[k] for k in SUMMARY_KEYS])


def test_a_chunks_parameters_drawn_together_equal_each_draws_own(scenario):
    """One quantile-function call per distribution for a whole chunk gives each draw's own values."""
    from fleetsim.uncertainty.executors import draw_magnitudes, draw_magnitudes_many

    indices = [0, 3, 4, 17, 250]
    together = draw_magnitudes_many(scenario, indices)
    for index, values in zip(indices, together, strict=True):
        alone = draw_magnitudes(scenario, index)
        assert list(values) == list(alone)
        assert all(type(values[k]) is type(alone[k]) and values[k] == alone[k] for k in alone)
    assert len({tuple(map(str, v.values())) for v in together}) == len(indices)  # the draws differ


def test_vectorised_quantiles_equal_numpys_nanquantile():
    """quantiles_of skips missing values per month exactly as np.nanquantile does (same bits)."""
    from fleetsim.uncertainty.montecarlo import nanmean_rows, quantiles_of

    rng = np.random.default_rng(7)
    values = rng.lognormal(size=(57, 9))
    values[rng.random(values.shape) < 0.2] = np.nan
    values[:, 3] = np.nan                       # missing in every draw: stays missing
    values[:-1, 5], values[-1, 5] = np.nan, 2.5  # one value present
    with np.errstate(invalid="ignore"), pytest.warns(RuntimeWarning):
        expected = np.nanquantile(values, list(QUANTILES.values()), axis=0)
    np.testing.assert_array_equal(quantiles_of(values), expected)
    assert quantiles_of(values)[:, 5].tolist() == [values[-1, 5]] * len(QUANTILES)
    full = rng.normal(size=(40, 4))
    np.testing.assert_array_equal(quantiles_of(full), np.quantile(full, list(QUANTILES.values()), axis=0))
    assert np.isnan(nanmean_rows(values)[3]) and nanmean_rows(values)[5] == values[-1, 5]


def test_dask_local_cluster_is_bit_identical(scenario):
    pytest.importorskip("dask.distributed", reason="dask.distributed is a runtime dependency; install it")
    local = run_many(scenario, 12, workers=1).draws
    dask = run_many(scenario, 12, executor="dask", workers=2).draws
    pd.testing.assert_frame_equal(local, dask, check_exact=True)


def test_unreachable_scheduler_is_a_message(scenario, monkeypatch):
    """A refused address is a message with advice (the deadline itself: tests/test_faults.py, which
    checks the 5 s users get; here a 1 s one, to wait less)."""
    import fleetsim.uncertainty.executors as executors

    monkeypatch.setattr(executors, "CONNECT_SECONDS", 1.0)
    with pytest.raises(FleetsimError, match=r"cannot reach the Dask scheduler at tcp://127\.0\.0\.1:9 within 1 s "
                                            r".*start one with 'dask scheduler'"):
        run_many(scenario, 4, executor="tcp://127.0.0.1:9", workers=2)


@pytest.mark.parametrize(("workers", "failing", "error"), [(1, 3, RuntimeError("disk on fire")),
                                                        (2, 5, ValueError("bad luck"))])
def test_a_failing_draw_is_named_and_writes_nothing(scenario, tmp_path, monkeypatch, workers, failing, error):
    """In this process (1 worker) or in a forked worker process (2), which inherits the patch."""
    import fleetsim.uncertainty.executors as executors

    real = executors.run_figures  # what each draw of an ensemble runs

    def broken(scenario, job, *shared):
        if job[0] == failing:
            raise error
        return real(scenario, job, *shared)

    monkeypatch.setattr(executors, "run_figures", broken)
    target = tmp_path / "draws.parquet"
    with pytest.raises(DrawError, match=f"draw {failing} failed: {type(error).__name__}: {error}"):
        run_many(scenario, 12, workers=workers, path=target)
    assert not target.exists()


def test_cli_draws_and_draw(scenario, tmp_path, capsys):
    out = tmp_path / "ens"
    assert main(["run", str(scenario.path), "--draws", "8", "--workers", "1", "-o", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {"monthly_quantiles.csv", "summary.csv", "draws.parquet", "meta.json",
                                               MARKER}
    quantiles = pd.read_csv(out / "monthly_quantiles.csv")
    assert quantiles.month.iloc[0] == "2024-07" and set(quantiles.stat) == {*QUANTILES, "mean"}
    assert main(["run", str(scenario.path), "--draw", "3", "-o", str(tmp_path / "d3"), "--quiet"]) == 0
    draw3 = pd.read_csv(tmp_path / "d3" / "monthly.csv")
    draws = pd.read_parquet(out / "draws.parquet")
    np.testing.assert_array_equal(draw3.accelerators, draws[draws.draw == 3].accelerators)
    for bad in (["--draws", "0"], ["--draws", "2", "--draw", "1"], ["--workers", "0", "--draws", "2"]):
        with pytest.raises(SystemExit) as info:
            main(["run", str(scenario.path), *bad])
        assert info.value.code == 2


def test_sweep_grid(scenario, tmp_path, capsys):
    result = sweep(scenario, [parse_vary("sites.s1.pue=1.1:1.4:4"), parse_vary("orders.0.count=1000,2000")],
                   workers=1)
    assert len(result.table) == 8 and list(result.table["orders.0.count"]) == [1000, 2000] * 4
    peaks = result.table.set_index(["sites.s1.pue", "orders.0.count"]).peak_facility_power_mw
    assert peaks[(1.4, 2000)] == pytest.approx(2 * peaks[(1.4, 1000)])
    assert peaks[(1.4, 1000)] / peaks[(1.1, 1000)] == pytest.approx(1.4 / 1.1)
    assert set(result.monthly.case) == set(range(8))
    out = tmp_path / "sw"
    assert main(["sweep", str(scenario.path), "--vary", "sites.s1.pue=1.2,1.3", "-o", str(out), "--workers", "1",
                 "--quiet"]) == 0
    assert pd.read_csv(out / "sweep.csv").shape[0] == 2
    assert main(["sweep", str(scenario.path), "--vary", "sites.s1.pue=1.2,1.3", "--draws", "3", "-o",
                 str(tmp_path / "swd"), "--workers", "1", "--quiet"]) == 0


@pytest.mark.parametrize(("vary", "fragment"), [
    ("sites.s1.puee=1.2", "unknown key 'puee'"),
    ("sites.s1.pue=0.5,1.2", "out of range"),
    ("sites.s9.pue=1.2", "s9"),
])  # --vary without '=' is a usage error (exit 2): tests/test_hostile_input.py
def test_bad_vary(scenario, tmp_path, capsys, vary, fragment):
    out = tmp_path / "sw"
    assert main(["sweep", str(scenario.path), "--vary", vary, "-o", str(out), "--workers", "1"]) == 1
    assert fragment in capsys.readouterr().err
    assert not out.exists()


def test_sensitivity_tornado_and_sobol(scenario, tmp_path, capsys):
    result = sensitivity(scenario, "energy_mwh", samples=4, workers=1)  # 4 × (6 + 2) Saltelli runs
    top = result.tornado.iloc[0]
    assert top["input"] == "orders.0.count"                       # the fleet's size drives its energy
    assert result.tornado.swing.is_monotonic_decreasing
    assert set(result.sobol.input) == {".".join(map(str, k)) for k in scenario.uncertain}
    sobol = result.sobol.set_index("input").ST
    assert sobol.idxmax() == "orders.0.count"                     # the Sobol ranking agrees with the tornado
    # the site's capacity (100-200 MW for at most 90,000 accelerators) never gates, the price and the
    # H100/H200 choice (same power) do not touch energy: their runs are identical, their indices exactly 0
    assert sobol[["sites.s1.capacity", "sites.s1.electricity.price", "orders.0.hardware"]].tolist() == [0, 0, 0]
    # the central run's figure is its Result's horizon (one rule: fleetsim.result.horizon_values)
    central = {key: dist.central_value() for key, dist in scenario.uncertain.items()}
    assert result.tornado.central.iloc[0] == run_job(scenario, (0, central, None)).horizon()["energy_mwh"]
    out = tmp_path / "sens"
    assert main(["sensitivity", str(scenario.path), "--metric", "energy_mwh", "--samples", "2", "--workers", "1",
                 "-o", str(out)]) == 0
    assert {p.name for p in out.iterdir()} == {"tornado.csv", "sobol.csv", "meta.json", MARKER}
    assert main(["sensitivity", str(scenario.path), "--metric", "energy", "-o", str(tmp_path / "x")]) == 1
    assert "did you mean" in capsys.readouterr().err and not (tmp_path / "x").exists()


def test_sensitivity_needs_distributions(tmp_path, capsys):
    root = Path(__file__).resolve().parents[1] / "scenarios" / "neocloud-10k.yaml"
    assert main(["sensitivity", str(root), "--metric", "energy_mwh", "-o", str(tmp_path / "s")]) == 1
    assert "no uncertain inputs" in capsys.readouterr().err


def test_hash_changes_with_distributions(scenario):
    other = scenario.override({"orders.0.count": {"triangular": [10000, 50000, 95000]}})
    assert other.hash() != scenario.hash() and other.spec.orders[0].count == 50000


def test_draw_with_plots_and_ensemble_with_plots(scenario, tmp_path, capsys, stand_in_charts):  # fan charts drawn
    assert main(["run", str(scenario.path), "--draw", "2", "--plots", "-o", str(tmp_path / "d2")]) == 0
    names = {p.name for p in (tmp_path / "d2").iterdir()}
    assert "power.png" in names and "monthly.csv" in names
    assert "draw 2 of seed 5" in capsys.readouterr().out
    assert main(["run", str(scenario.path), "--draws", "4", "--workers", "1", "--plots", "-o",
                 str(tmp_path / "e")]) == 0
    assert "fan_cash_burn_usd.png" in capsys.readouterr().out


@pytest.mark.parametrize("workers", [1, 2])
def test_interrupt_stops_cleanly_without_output(scenario, tmp_path, workers):
    seen = []

    def interrupt(done):  # Ctrl-C arrives while draws are coming in
        seen.append(done)
        if len(seen) == 2:
            raise KeyboardInterrupt

    target = tmp_path / "draws.parquet"
    with pytest.raises(KeyboardInterrupt):
        run_many(scenario, 40, workers=workers, path=target, progress=interrupt)
    assert not target.exists()


def test_cli_interrupt_writes_nothing(scenario, tmp_path, monkeypatch, capsys):
    import fleetsim.uncertainty.montecarlo as montecarlo

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(montecarlo, "run_many", interrupted)
    out = tmp_path / "ens"
    assert main(["run", str(scenario.path), "--draws", "5", "-o", str(out)]) == 130
    assert "interrupted" in capsys.readouterr().err and not out.exists()


OWNED = """\
name: owned
start: 2024-07
months: 18
seed: 9
sites:
  a1:
    owner: Alpha
    pue: {normal: [1.25, 0.05], truncate: [1.1, 1.4]}
    capacity: {uniform: [60 MW, 120 MW]}
    electricity: {price: 0.07 USD/kWh}
  b1:
    owner: Beta
    pue: 1.3
    capacity: 80 MW
    electricity: {price: 0.08 USD/kWh}
orders:
  - {hardware: H100, count: {triangular: [10000, 30000, 60000]}, site: a1, delivery: 2024-07,
     lead_time: {triangular: [0 months, 1 month, 4 months]}}
  - {hardware: H200, count: 20000, site: b1, delivery: 2025-02}
  - {hardware: H100, count: 5000, site: b1, owner: Alpha, delivery: 2024-10}
"""


@pytest.fixture
def owned(tmp_path):
    path = tmp_path / "owned.yaml"
    path.write_text(OWNED)
    return fleetsim.load(path)


def test_owner_bands_are_each_draws_by_owner(owned):
    """Every draw's yearly figures by owner are the numbers Result.by_owner("Y") gives for it."""
    from fleetsim.accounting.owners import BAND_COLUMNS

    ens = run_many(owned, 6, workers=1)
    names, years, values = ens.owner_draws
    assert names == ["Alpha", "Beta"] and years == [2024, 2025] and values.shape == (6, 2, 2, len(BAND_COLUMNS))
    for index in (0, 4):
        table = simulate_draw(owned, index).by_owner("Y").set_index(["period", "owner"])
        for y, year in enumerate(years):
            for o, name in enumerate(names):
                expected = table.loc[(str(year), name), list(BAND_COLUMNS)].to_numpy(dtype=float)
                np.testing.assert_allclose(values[index, y, o], expected, rtol=1e-12, atol=1e-9)
    assert values[:, 1, 0, 0].std() > 0  # Alpha's H100e varies with its uncertain order
    q = ens.owner_quantiles()
    assert list(q.columns) == ["year", "owner", "stat", *BAND_COLUMNS] and len(q) == 2 * 2 * (len(QUANTILES) + 1)
    beta_2025 = q[(q.year == 2025) & (q.owner == "Beta")].set_index("stat")
    assert beta_2025.loc["p50", "h100e"] == pytest.approx(np.quantile(values[:, 1, 1, 0], 0.5))
    assert beta_2025.loc["mean", "energy_mwh"] == pytest.approx(values[:, 1, 1, 3].mean())


def test_owner_bands_are_bit_identical_across_workers_and_chunks(owned):
    base = run_many(owned, 9, workers=1, chunk=2)
    for workers, chunk in ((1, 9), (2, 4)):
        other = run_many(owned, 9, workers=workers, chunk=chunk)
        np.testing.assert_array_equal(base.owner_draws[2], other.owner_draws[2])
        pd.testing.assert_frame_equal(base.owner_quantiles(), other.owner_quantiles(), check_exact=True)


def test_no_owner_bands_without_named_owners(scenario):
    ens = run_many(scenario, 3, workers=1)
    assert ens.owner_draws is None and ens.owner_quantiles().empty
    assert "owners_quantiles.csv" not in ens.column_units()


def test_cli_draws_write_owner_bands(owned, tmp_path):
    import json

    out = tmp_path / "ens"
    assert main(["run", str(owned.path), "--draws", "4", "--workers", "1", "-o", str(out), "--quiet"]) == 0
    written = pd.read_csv(out / "owners_quantiles.csv")
    expected = run_many(owned, 4, workers=1).owner_quantiles()
    shown = ["h100e", "energy_mwh"]
    np.testing.assert_allclose(written[shown].to_numpy(), expected[shown].to_numpy(), rtol=1e-15)
    assert written.owner.tolist() == expected.owner.tolist()
    meta = json.loads((out / "meta.json").read_text())
    assert meta["columns"]["owners_quantiles.csv"] == {"year": "", "owner": None, "stat": None, "h100e": "",
                                                       "it_power_mw": "MW", "facility_power_mw": "MW",
                                                       "energy_mwh": "MWh"}
