"""Calibration: closed-form posteriors, tempering, reproducibility, honest refusals."""

import math
from pathlib import Path

import pytest
from scipy import stats

import fleetsim
from fleetsim.cli.main import main
from fleetsim.uncertainty import tempering
from fleetsim.uncertainty.calibrate import CalibrationError, calibrate

# One uncertain input: the H100 price p ~ uniform(20,000, 40,000) USD. 1,000 H100 are bought in the
# first month and the site has no construction cost, so that month's hardware capex is exactly
# 1,000 × p. An observation y ± σ of it makes the posterior of p a normal N(y/1000, (σ/1000)²)
# truncated to [20,000, 40,000]: its mean and sd are scipy's truncnorm moments.
TOY = """\
name: toy
start: 2025-01
months: 1
seed: 11
hardware:
  H100:
    price: {uniform: [20000 USD, 40000 USD]}
sites:
  s1: {pue: 1.2, capacity: 100 MW, electricity: {price: 0.08 USD/kWh}}
orders:
  - {hardware: H100, count: 1000, site: s1, delivery: 2025-01}
"""
HEADER = "month,site,metric,value,unit,source,status,uncertainty\n"


def _files(tmp_path, sigma_musd, value_musd=31.0):
    scenario = tmp_path / "toy.yaml"
    scenario.write_text(TOY)
    observations = tmp_path / "toy.csv"
    observations.write_text(HEADER + f"2025-01,,hardware_capex_usd,{value_musd},MUSD,toy,observed,"
                                     f"{sigma_musd} MUSD\n")
    return scenario, observations


def _exact(y_usd, sigma_usd):
    mu, sd = y_usd / 1000, sigma_usd / 1000
    law = stats.truncnorm((20000 - mu) / sd, (40000 - mu) / sd, loc=mu, scale=sd)
    return law.mean(), law.std()


def test_the_linear_capex_is_exactly_count_times_price(tmp_path):
    scenario, _ = _files(tmp_path, 4)
    sc = fleetsim.load(scenario)
    res = fleetsim.simulate(sc.with_values({("hardware", "H100", "price"): "25000 USD"}))
    assert res.monthly["hardware_capex_usd"].iloc[0] == pytest.approx(25_000_000)


def test_wide_observation_plain_importance_sampling_matches_closed_form(tmp_path):
    scenario, observations = _files(tmp_path, 4)
    cal = calibrate(fleetsim.load(scenario), observations, draws=200, workers=1)
    assert len(cal.stages) == 1 and cal.stages["exponent"].iloc[0] == 1.0  # ESS ≈ 71 % of the draws: no tempering
    mean, sd = _exact(31e6, 4e6)  # ≈ 30,900 and 3,700 USD
    row = cal.inputs.iloc[0]
    error = 3 * sd / math.sqrt(cal.ess)  # three Monte Carlo standard errors
    assert abs(row["posterior_mean"] - mean) < error
    assert row["posterior_sd"] == pytest.approx(sd, rel=0.2)
    assert (row["prior_p10"], row["prior_p50"], row["prior_p90"]) == (22000, 30000, 38000)


def test_tempering_when_the_ess_collapses_still_matches_closed_form(tmp_path):
    scenario, observations = _files(tmp_path, 0.25)
    cal = calibrate(fleetsim.load(scenario), observations, draws=160, workers=2)
    # one-shot weights would keep an ESS of about σ√(4π)/range = 250 × 3.54 / 20,000 ≈ 4 % of the draws,
    # below the 10 % at which the weights count as collapsed
    assert len(cal.stages) >= 2
    assert list(cal.stages["exponent"])[-1] == 1.0 and cal.stages["exponent"].is_monotonic_increasing
    assert cal.stages["ess"].iloc[0] == pytest.approx(80, abs=1)  # each intermediate stage targets ESS = N/2
    assert 0 < cal.stages["acceptance"].iloc[0] <= 1
    mean, sd = _exact(31e6, 0.25e6)  # 31,000 and 250 USD (the prior's sd is 5,774)
    row = cal.inputs.iloc[0]
    assert abs(row["posterior_mean"] - mean) < 100
    assert row["posterior_sd"] == pytest.approx(sd, rel=0.35)
    fit = cal.fit.iloc[0]
    assert fit["posterior_p10"] < 31e6 < fit["posterior_p90"] and fit["posterior_p90"] - fit["posterior_p10"] < 1.2e6


def test_the_observed_values_are_the_scorecards(tmp_path):
    """Calibration's fast extraction gives exactly fleetsim score's values (the flagship's record)."""
    import numpy as np

    from fleetsim.uncertainty.calibrate import Observe, _observations

    root = Path(__file__).resolve().parents[1] / "scenarios"
    sc = fleetsim.load(root / "colossus.yaml")
    _, table = _observations(sc, root / "colossus.observations.csv")
    series = list(dict.fromkeys(zip(table["metric"], table["site"], strict=True)))
    first = fleetsim.simulate(sc).monthly.index[0]
    runner = Observe(series, [(series.index((m, s)), (p - first).n)
                              for m, s, p in zip(table["metric"], table["site"], table["month"], strict=True)])
    (outcome,) = runner(sc, [(0, {}, None)])
    card = fleetsim.score(fleetsim.simulate(sc), root / "colossus.observations.csv").table
    assert np.allclose(outcome.summary, card.loc[card["status"] == "observed", "fleetsim"].to_numpy())


def _reference_lines(result, series):
    """Each series read from a full Result's DataFrames, as calibration read them before it took
    its draws in batches from the books' column tables (the reference the fast path must equal)."""
    import numpy as np
    import pandas as pd

    from fleetsim.months import as_periods
    from fleetsim.scoring import CAPEX_ACCOUNTS, PERIODS

    monthly, n = result.monthly, len(result.monthly)
    out = []
    for metric, site in series:
        if metric == "cumulative_capex_usd":
            ledger = result.ledger[result.ledger["account"].isin(CAPEX_ACCOUNTS)]
            ledger = ledger[ledger["site"] == site] if site else ledger
            at = as_periods(ledger["month"]).asi8 - monthly.index[0].ordinal
            line = np.bincount(at, weights=ledger["amount_usd"].to_numpy(float), minlength=n)[:n].cumsum()
        elif site:
            rows = result.sites[result.sites["site"] == site]
            line = pd.Series(rows[metric].to_numpy(float), index=as_periods(rows["month"])).reindex(monthly.index)
        elif metric[-4:] in PERIODS and metric not in monthly.columns:
            flow = monthly[metric[:-4]]
            line = flow.groupby(flow.index.asfreq(PERIODS[metric[-4:]])).cumsum()
        else:
            line = monthly[metric]
        out.append(np.asarray(line, dtype=float))
    return out


@pytest.mark.parametrize(("name", "draws"), [("colossus-uncertain", 6), ("world", 2)])
def test_observe_gives_the_full_runs_numbers_bit_for_bit(name, draws):
    """Calibration takes its draws' engine passes in batches and reads the books' column tables
    (the world's monthly-only series from the monthly arrays alone): each draw's monthly table
    and values at the observations are those of its own full ``simulate`` read through
    DataFrames, bit for bit. The flagship's observations cover every kind of series: a monthly
    column, a site's, cumulative capital spending and flows to date (_ytd, _qtd)."""
    import numpy as np

    from fleetsim.months import period
    from fleetsim.uncertainty.calibrate import Observe, _observations
    from fleetsim.uncertainty.executors import run_job

    root = Path(__file__).resolve().parents[1] / "scenarios"
    sc = fleetsim.load(root / f"{name}.yaml")
    _, table = _observations(sc, root / f"{name.split('-')[0]}.observations.csv")
    series = list(dict.fromkeys(zip(table["metric"], table["site"], strict=True)))
    first = period(sc.spec.start)
    points = [(series.index((m, s)), (p - first).n)
              for m, s, p in zip(table["metric"], table["site"], table["month"], strict=True)]
    dists = list(sc.uncertain.items())
    u = np.random.default_rng(8).random((draws, len(dists)))
    jobs = [(i, {key: d.value(d.ppf(float(x))) for (key, d), x in zip(dists, row, strict=True)}, (3, i))
            for i, row in enumerate(u)]
    outcomes = Observe(series, points)(sc, jobs)
    for job, outcome in zip(jobs, outcomes, strict=True):
        result = run_job(sc, job)
        lines = _reference_lines(result, series)
        np.testing.assert_array_equal(outcome.monthly, result.monthly.to_numpy())
        np.testing.assert_array_equal(outcome.summary, [lines[k][month] for k, month in points])
    if name == "colossus-uncertain":
        kinds = {"capex" if m == "cumulative_capex_usd" else ("site" if s else m[-4:]) for m, s in series}
        assert {"site", "capex", "_ytd", "_qtd"} <= kinds


def test_next_exponent_keeps_the_target_ess():
    loglik = -0.5 * (stats.norm.ppf((0.5 + __import__("numpy").arange(400)) / 400) * 10) ** 2
    phi = tempering.next_exponent(loglik, 0.0, 200)
    assert 0 < phi < 1 and tempering.ess(phi * loglik) == pytest.approx(200, rel=1e-6)
    assert tempering.next_exponent(loglik * 1e-6, 0.0, 200) == 1.0


def test_same_seed_same_bytes_whatever_the_workers(tmp_path):
    scenario, observations = _files(tmp_path, 0.25)
    outputs = []
    # 12 draws (12 chunks of one draw over the 2 workers) temper in 4 stages here: the resampling and the
    # proposals of every stage are compared, at a quarter of the simulations 40 draws cost
    for n, workers in enumerate(("1", "2")):
        target = tmp_path / f"out{n}"
        assert main(["calibrate", str(scenario), str(observations), "--draws", "12", "--workers", workers, "-o",
                     str(target), "--quiet"]) == 0
        outputs.append(target)
    assert len((outputs[0] / "stages.csv").read_text().splitlines()) >= 3, "tempered: a header and 2+ stages"
    names = ["inputs.csv", "stages.csv", "fit.csv", "monthly_quantiles.csv", "particles.csv", "toy-calibrated.yaml"]
    for name in names:
        assert (outputs[0] / name).read_bytes() == (outputs[1] / name).read_bytes(), name
    assert (outputs[0] / "predictive.png").stat().st_size > 10_000
    calibrated = fleetsim.load(outputs[0] / "toy-calibrated.yaml")  # extends the input, runs
    (key, dist), = calibrated.uncertain.items()
    assert key == ("hardware", "H100", "price") and dist.name == "normal" and dist.truncate == (20000, 40000)
    assert fleetsim.simulate(calibrated).monthly["hardware_capex_usd"].iloc[0] == pytest.approx(
        1000 * dist.params[0], rel=1e-6)


def test_no_draw_can_match_says_which_observation(tmp_path, capsys):
    scenario, observations = _files(tmp_path, 1, value_musd=500)
    match = r"(?s)no draw can match.*hardware_capex_usd: observed 500 MUSD ± 1 MUSD; the closest draw gives 3"
    with pytest.raises(CalibrationError, match=match):
        calibrate(fleetsim.load(scenario), observations, draws=20, workers=1)
    target = tmp_path / "out"
    assert main(["calibrate", str(scenario), str(observations), "--draws", "20", "--workers", "1", "-o",
                 str(target)]) == 1
    err = capsys.readouterr().err
    assert "underflow" in err and "σ away" in err and not target.exists()


def test_a_scenario_without_distributions_is_refused(tmp_path, capsys):
    scenario, observations = _files(tmp_path, 1)
    scenario.write_text(TOY.replace("{uniform: [20000 USD, 40000 USD]}", "30000 USD"))
    target = tmp_path / "out"
    assert main(["calibrate", str(scenario), str(observations), "-o", str(target)]) == 1
    assert "no distributions: nothing to calibrate" in capsys.readouterr().err and not target.exists()


def test_observed_rows_need_an_uncertainty(tmp_path):
    scenario, observations = _files(tmp_path, 1)
    observations.write_text(HEADER + "2025-01,,hardware_capex_usd,31,MUSD,toy,observed,\n")
    with pytest.raises(CalibrationError, match=r"uncertainty on every observed row.*rows without one: 2"):
        calibrate(fleetsim.load(scenario), observations, draws=10, workers=1)


def test_a_distribution_in_an_extending_file_replaces_the_one_it_extends(tmp_path):
    _files(tmp_path, 1)
    child = tmp_path / "child.yaml"
    child.write_text("extends: toy.yaml\nhardware:\n  H100:\n    price: {normal: [30000 USD, 1000 USD]}\n")
    (dist,) = fleetsim.load(child).uncertain.values()
    assert dist.name == "normal" and dist.params == (30000, 1000)


def test_period_to_date_metrics_sum_a_flow_from_the_year_or_quarter_start(tmp_path):
    """Reported money is often 'January to September' or 'in Q3': <flow>_ytd and <flow>_qtd."""
    scenario, observations = _files(tmp_path, 1)
    text = TOY.replace("months: 1", "months: 6").replace("start: 2025-01", "start: 2024-12")
    scenario.write_text(text.replace("delivery: 2025-01", "delivery: 2025-03"))
    observations.write_text(HEADER + "2025-05,,hardware_capex_usd_ytd,30,MUSD,hand,observed,0.1\n"
                                     "2025-05,,hardware_capex_usd_qtd,0,MUSD,hand,observed,1 MUSD\n"
                                     "2025-03,,hardware_capex_usd_qtd,30,MUSD,hand,observed,0.1\n")
    card = fleetsim.score(fleetsim.simulate(fleetsim.load(scenario)), observations).table
    # 1,000 H100 at the central 30,000 USD in 2025-03: in 2025's year to date from March on, in Q1 only
    assert card["fleetsim"].tolist() == [30e6, 0.0, 30e6] and card["unit"].tolist() == ["USD"] * 3
