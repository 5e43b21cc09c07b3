"""Calibration: a scenario's distributions conditioned on dated observations.

The posterior of the uncertain inputs θ given observations y_j with one-sigma uncertainties σ_j
is ``p(θ | y) ∝ p(θ) · L(θ)``, ``log L(θ) = −½ Σ_j ((m_j(θ) − y_j) / σ_j)²``, where m_j(θ) is
fleetsim's value for observation j (:func:`fleetsim.scoring.series`). Draws come from the prior
exactly as ``run_many`` draws them; if the effective sample size of the likelihood weights has
collapsed below ``collapse`` × draws, the likelihood is brought in by adaptive tempering with systematic
resampling and one random-walk Metropolis move per particle and stage
(:mod:`fleetsim.uncertainty.tempering`, which cites the method). Each particle also carries the
engine's random stream, refreshed with every proposal: the sampler then targets the posterior
of inputs and engine randomness together, whose θ-marginal is the posterior above.

Seeds: prior draw *i* from ``SeedSequence(seed, spawn_key=(2, i))`` with engine stream
``(3, i)``; the proposal of particle *i* at stage *t* runs on engine stream ``(4, t, i)``;
resampling and proposals of stage *t* use ``(5, t)``. Memory: per particle only its inputs,
its values at the observations and where its monthly table lies; the monthly tables are
streamed to one Parquet file per stage and read back one column at a time for the quantiles.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from fleetsim.accounting.columns import COLUMNS
from fleetsim.errors import FleetsimError
from fleetsim.frame import Frame
from fleetsim.uncertainty import tempering
from fleetsim.uncertainty.executors import Outcome, map_chunks
from fleetsim.uncertainty.montecarlo import QUANTILES

PROBS = (0.1, 0.5, 0.9)


class CalibrationError(FleetsimError):
    """A scenario or observations that cannot be calibrated, or observations no draw can match."""


@dataclass
class Observe:
    """A chunk runner: each job's monthly table and its values at the observations.

    It takes the draws' engine passes in batches (:func:`~fleetsim.uncertainty.executors.traced_jobs`)
    and reads the values from the books' column tables, building no DataFrame: the numbers
    ``fleetsim.simulate`` gives for the job, bit for bit, at a third of the cost."""

    series: list[tuple[str, str]]          # (metric, site) of each distinct series
    points: list[tuple[int, int]]          # per observation: series number, month position

    def __call__(self, scenario, jobs) -> list[Outcome]:
        from fleetsim.accounting.books import build_books, monthly_arrays
        from fleetsim.uncertainty.executors import one_draw, plan_and_trace, stacked, traced_jobs

        tables = any(metric == "cumulative_capex_usd" or site for metric, site in self.series)
        out = []
        for job, made in traced_jobs(scenario, jobs):
            with one_draw(job):
                plan, trace = plan_and_trace(scenario, job, made)
                if tables:  # the ledger's capital spending or a site's series: the whole books
                    books = build_books(plan, trace)
                    monthly, ledger, sites = books.monthly, books.ledger, books.sites
                else:  # the monthly columns alone, as a Monte Carlo draw computes them
                    monthly = {"month": plan.month_numbers, **monthly_arrays(plan, trace)}
                    ledger = sites = None
                lines = self.lines(monthly, ledger, sites)
            values = np.array([lines[k][month] for k, month in self.points])
            out.append(Outcome(job[0], stacked(monthly), values))
        return out

    def lines(self, monthly: Frame | dict, ledger: Frame | None, sites: Frame | None) -> list[np.ndarray]:
        """Each series as :func:`fleetsim.scoring.series` gives it, from the books' column tables
        (``monthly`` may be a mapping of its columns; ``ledger`` and ``sites`` are needed only
        for ``cumulative_capex_usd`` and a site's series)."""
        from fleetsim.scoring import CAPEX_ACCOUNTS, PERIODS

        months = monthly["month"]
        capex = None
        out = []
        for metric, site in self.series:
            if metric == "cumulative_capex_usd":
                if capex is None:
                    capex = np.isin(ledger["account"], CAPEX_ACCOUNTS)
                rows = capex & (ledger["site"] == site) if site else capex
                line = np.bincount(ledger["month"][rows] - months[0], weights=ledger["amount_usd"][rows],
                                   minlength=len(months))[:len(months)].cumsum()
            elif site:
                rows = sites["site"] == site
                line = np.full(len(months), np.nan)
                line[sites["month"][rows] - months[0]] = sites[metric][rows]
            elif metric[-4:] in PERIODS and metric not in monthly:
                period = months // {"Y": 12, "Q": 3}[PERIODS[metric[-4:]]]  # month numbers are year × 12 + month − 1
                line = pd.Series(monthly[metric[:-4]]).groupby(period).cumsum().to_numpy(float)
            else:
                line = np.asarray(monthly[metric], dtype=float)
            out.append(line)
        return out


@dataclass
class Calibration:
    """What :func:`calibrate` returns; see ``docs/model.md`` (Calibration) for the method.

    ``inputs``: per uncertain input, prior and posterior P10/P50/P90, posterior mean and sd and
    the fitted posterior distribution. ``stages``: exponent, ESS and acceptance of each tempering
    stage. ``fit``: each observation with the prior and posterior predictive P10/P50/P90.
    ``monthly`` and ``prior_monthly``: P5…P95 and mean of every monthly column (index month,
    stat). ``particles``: the final particles' inputs and weights (the joint posterior).
    """

    inputs: pd.DataFrame
    stages: pd.DataFrame
    fit: pd.DataFrame
    monthly: pd.DataFrame
    prior_monthly: pd.DataFrame
    particles: pd.DataFrame
    fitted: dict = field(repr=False, default_factory=dict)   # the calibrated file's tree
    meta: dict = field(default_factory=dict)

    @property
    def ess(self) -> float:
        """The effective sample size of the final weights."""
        return float(self.stages["ess"].iloc[-1])

    def scenario_text(self, extends: str) -> str:
        """The calibrated scenario: ``extends`` the input and sets each input's fitted posterior."""
        return scenario_yaml(self, extends)

    def plot(self, metric: str | None = None):
        """Posterior-predictive bands of the observed metrics with the observations (a Figure)."""
        from fleetsim.faces.calibration_charts import predictive

        return predictive(self, metric)

    def _repr_html_(self) -> str:
        return self.inputs.to_html() + self.stages.to_html()


def _observations(scenario, observations):
    from fleetsim.scoring.observations import Observations, read

    obs = observations if isinstance(observations, Observations) else read(observations, scenario)
    table = obs.table[obs.table["status"] == "observed"].reset_index(drop=True)
    if table.empty:
        raise CalibrationError("the observations file has no 'observed' rows: projections are plans and are "
                               "not calibrated on")
    missing = table[table["band"].isna()]
    if len(missing):
        rows = ", ".join(str(r) for r in missing["row"][:8])
        raise CalibrationError(f"calibration needs an uncertainty on every observed row (the measurement "
                               f"error of the likelihood); rows without one: {rows}; e.g. 0.1 for ±10 %")
    return obs, table


def calibrate(scenario, observations, draws: int = 1000, executor: Any = "local", workers: int | None = None,
              progress: Callable[[int, int], None] | None = None, collapse: float = 0.1,
              ess_target: float = 0.5, max_stages: int = 20) -> Calibration:
    """Condition ``scenario``'s distributions on ``observations`` (a path or an ``Observations``).

    ``draws``: particles (the prior sample). If the likelihood weights keep an ESS of at least
    ``collapse`` × draws, they are the posterior; below it the ESS has collapsed and tempering
    stages follow, each exponent keeping ESS = ``ess_target`` × draws, each running ``draws`` more
    simulations (at most ``max_stages``).
    ``progress(done, planned)`` is called as simulations finish (``planned`` grows by ``draws``
    with each stage). Raises :class:`CalibrationError` for a scenario without distributions,
    unusable observations, or when no draw comes near the observations.
    """
    from fleetsim.scenario.load import Scenario, load

    if draws < 2:
        raise CalibrationError(f"calibration needs at least 2 draws, got {draws}")
    if not isinstance(scenario, Scenario):
        scenario = load(scenario)
    if not scenario.uncertain:
        raise CalibrationError(f"{scenario.path or scenario.name} has no distributions: nothing to calibrate; "
                               "write the uncertain inputs as distributions, e.g. utilization: "
                               "{triangular: [0.7, 0.85, 0.95]}")
    obs, table = _observations(scenario, observations)
    from fleetsim.months import period

    first = period(scenario.spec.start)
    series = list(dict.fromkeys(zip(table["metric"], table["site"], strict=True)))
    runner = Observe(series, [(series.index((m, s)), (p - first).n) for m, s, p in
                              zip(table["metric"], table["site"], table["month"], strict=True)])
    y, sigma = table["observed"].to_numpy(float), table["band"].to_numpy(float)
    dists = list(scenario.uncertain.values())
    seed = scenario.spec.seed
    counter = {"done": 0, "planned": draws}

    def advance(n: int) -> None:
        counter["done"] += n
        if progress:
            progress(counter["done"], counter["planned"])

    with tempfile.TemporaryDirectory(prefix="fleetsim-calibrate-") as folder:
        store = _Store(Path(folder), scenario.spec.months)
        u = np.array([np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(2, i))))
                      .random(len(dists)) for i in range(draws)])
        keys = [(3, i) for i in range(draws)]
        model = store.evaluate(scenario, runner, u, keys, 0, executor, workers, advance)
        loglik = _loglik(model, y, sigma)
        if loglik.max() < tempering.UNDERFLOW:
            raise CalibrationError(_no_match(table, model, y, sigma, draws))
        refs = np.column_stack([np.zeros(draws, int), np.arange(draws)])
        phi, stage, rows = 0.0, 0, []
        while True:
            if stage == 0 and tempering.ess(loglik) >= collapse * draws:
                new = 1.0  # plain importance sampling: the weights have not collapsed
            else:
                new = tempering.next_exponent(loglik, phi, ess_target * draws) if stage < max_stages else 1.0
            logw = (new - phi) * loglik
            rows.append({"stage": stage, "exponent": new, "ess": tempering.ess(logw),
                         "ess_fraction": tempering.ess(logw) / draws, "acceptance": math.nan,
                         "simulations": draws * (stage + 1)})
            phi = new
            if phi >= 1.0:
                break
            rng = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(5, stage))))
            pick = tempering.systematic(tempering.normalized(logw), rng)
            u, loglik, model, refs = u[pick], loglik[pick], model[pick], refs[pick]
            proposal = tempering.propose(u, rng)
            counter["planned"] += draws
            stage += 1
            moved = store.evaluate(scenario, runner, proposal, [(4, stage, i) for i in range(draws)], stage,
                                   executor, workers, advance)
            new_loglik = _loglik(moved, y, sigma)
            with np.errstate(invalid="ignore"):
                accept = np.log(rng.random(draws)) < phi * (new_loglik - loglik)
            rows[-1]["acceptance"] = float(accept.mean())
            u[accept], loglik[accept], model[accept] = proposal[accept], new_loglik[accept], moved[accept]
            refs[accept] = np.column_stack([np.full(accept.sum(), stage), np.flatnonzero(accept)])
        weights = tempering.normalized(logw)
        monthly = store.quantiles(refs, weights)
        prior_monthly = store.quantiles(np.column_stack([np.zeros(draws, int), np.arange(draws)]),
                                        np.full(draws, 1.0 / draws), stages=1)
    prior_model = store.prior_model
    return _assemble(scenario, obs, table, u, weights, model, prior_model, rows, monthly, prior_monthly)


def _loglik(model: np.ndarray, y: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    z = (model - y) / sigma
    out = -0.5 * np.sum(z ** 2, axis=1)
    return np.where(np.isfinite(out), out, -np.inf)


def _no_match(table: pd.DataFrame, model: np.ndarray, y: np.ndarray, sigma: np.ndarray, draws: int) -> str:
    distance = np.abs((model - y) / sigma)
    closest = np.nanmin(np.where(np.isfinite(distance), distance, np.inf), axis=0)
    lines = []
    for j in np.argsort(-closest)[:5]:
        row = table.iloc[j]
        factor = row["observed"] / row["value"] if row["value"] else 1.0
        best = model[np.nanargmin(np.where(np.isfinite(distance[:, j]), distance[:, j], np.inf)), j] / factor
        lines.append(f"  {row['month']} {row['site'] or 'fleet'} {row['metric']}: observed {row['value']:,.6g} "
                     f"{row['unit']} ± {row['band'] / factor:,.3g} {row['unit']}; the closest draw gives "
                     f"{best:,.6g} {row['unit']} "
                     f"({closest[j]:,.1f} σ away)")
    return (f"no draw can match the observations: all {draws} likelihood weights underflow to zero. The "
            "observations furthest from every draw:\n" + "\n".join(lines) +
            "\nwiden the scenario's distributions, or check these figures and their uncertainties")


class _Store:
    """Each stage's monthly tables in a Parquet file; values at the observations in memory."""

    def __init__(self, folder: Path, months: int):
        self.folder, self.months, self.prior_model = folder, months, None

    def evaluate(self, scenario, runner, u, seeds, stage, executor, workers, advance) -> np.ndarray:
        import pyarrow as pa
        import pyarrow.parquet as pq

        dists = list(scenario.uncertain.items())
        jobs = [(i, {key: d.value(d.ppf(float(x))) for (key, d), x in zip(dists, row, strict=True)}, seeds[i])
                for i, row in enumerate(u)]
        schema = pa.schema([(c, pa.float64()) for c in COLUMNS])
        model = np.empty((len(u), len(runner.points)))
        with pq.ParquetWriter(self.folder / f"stage-{stage}.parquet", schema) as writer:
            for chunk in map_chunks(scenario, jobs, executor, workers, advance, runner=runner):
                stacked = np.concatenate([o.monthly for o in chunk])
                writer.write_table(pa.table({c: stacked[:, k] for k, c in enumerate(COLUMNS)}, schema=schema))
                for o in chunk:
                    model[o.index] = o.summary
        if stage == 0:
            self.prior_model = model.copy()
        return model

    def quantiles(self, refs: np.ndarray, weights: np.ndarray, stages: int | None = None) -> pd.DataFrame:
        import pyarrow.parquet as pq

        used = sorted(set(refs[:, 0].tolist())) if stages is None else list(range(stages))
        files = {s: pq.ParquetFile(self.folder / f"stage-{s}.parquet") for s in used}
        qs = list(QUANTILES.values())
        out = {}
        for column in COLUMNS:
            values = np.empty((len(refs), self.months))
            for s in used:
                table = files[s].read(columns=[column]).column(0).to_numpy().reshape(-1, self.months)
                mine = refs[:, 0] == s
                values[mine] = table[refs[mine, 1]]
            stats = tempering.weighted_quantiles(values, weights, qs)
            with np.errstate(invalid="ignore"):
                mean = np.nansum(values * weights[:, None], axis=0) / np.sum(weights)
            out[column] = np.vstack([stats, mean[None, :]]).T.reshape(-1)
        return pd.DataFrame(out)


def _assemble(scenario, obs, table, u, weights, model, prior_model, rows, monthly, prior_monthly) -> Calibration:
    from fleetsim.months import month_index
    from fleetsim.uncertainty.posterior import fit_inputs, overlay

    months = month_index(scenario.spec.start, scenario.spec.months)
    index = pd.MultiIndex.from_product([months, [*QUANTILES, "mean"]], names=["month", "stat"])
    monthly.index, prior_monthly.index = index, index.copy()
    inputs, particles, fitted = fit_inputs(scenario, u, weights)
    prior = tempering.weighted_quantiles(prior_model, np.full(len(prior_model), 1.0), PROBS)
    post = tempering.weighted_quantiles(model, weights, PROBS)
    fit = pd.DataFrame({"month": table["month"].astype(str), "site": table["site"], "metric": table["metric"],
                        "observed": table["observed"], "uncertainty": table["band"],
                        **{f"prior_p{int(q * 100)}": prior[k] for k, q in enumerate(PROBS)},
                        **{f"posterior_p{int(q * 100)}": post[k] for k, q in enumerate(PROBS)},
                        "source": table["source"]})
    meta = {"scenario": scenario.name, "scenario_file": str(scenario.path) if scenario.path else None,
            "scenario_hash": scenario.hash(), "observations": str(obs.path) if obs.path else None,
            "seed": scenario.spec.seed, "draws": len(u), "stages": len(rows), "final_ess": rows[-1]["ess"],
            "method": "importance sampling from the prior; adaptive likelihood tempering with systematic "
                      "resampling and random-walk Metropolis moves when the ESS collapses"}
    return Calibration(inputs, pd.DataFrame(rows), fit, monthly, prior_monthly, particles, overlay(scenario, fitted),
                       meta)


def scenario_yaml(calibration: Calibration, extends: str) -> str:
    """YAML text of the calibrated scenario (see :func:`fleetsim.uncertainty.posterior.overlay`)."""
    from fleetsim.uncertainty.posterior import overlay_text

    return overlay_text(calibration, extends)
