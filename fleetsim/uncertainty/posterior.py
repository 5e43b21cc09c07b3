"""Posterior summaries of calibrated inputs and the calibrated scenario file.

Each particle holds every input as a cumulative probability ``u`` of its prior; an input's value
is ``ppf(u)``, monotone in ``u``, so the posterior quantiles of the value are ``ppf`` of the
weighted quantiles of ``u``. The calibrated scenario writes each input's **marginal** posterior
as a fleetsim distribution (correlations between inputs are not kept; ``particles.csv`` has the
joint posterior):

* ``choice`` → ``choice`` with the posterior weight of each value;
* ``lognormal`` → ``lognormal`` with the posterior geometric mean and geometric sd;
* ``triangular``, ``uniform``, ``normal`` → ``normal`` with the posterior mean and sd, truncated
  to the prior's support (the prior's bounds, or its own ``truncate``).
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from fleetsim.uncertainty import tempering

PROBS = (0.1, 0.5, 0.9)


def _text(magnitude: float, unit: str | None):
    number = float(f"{magnitude:.6g}")
    return f"{number:g} {unit}" if unit else number


def _bounds(dist) -> tuple[float, float] | None:
    if dist.name in ("triangular", "uniform"):
        return dist.params[0], dist.params[-1]
    return dist.truncate


def fitted_node(dist, u: np.ndarray, weights: np.ndarray) -> dict:
    """The posterior of one input as a distribution mapping for the scenario file."""
    if dist.name == "choice":
        picks = np.array([dist.choices.index(dist.ppf(float(x))) for x in u])
        mass = np.bincount(picks, weights=weights, minlength=len(dist.choices))
        return {"choice": {"values": list(dist.choices), "weights": [round(float(m), 4) for m in mass]}}
    values = np.array([dist.ppf(float(x)) for x in u])
    if dist.name == "lognormal":
        logs = np.log(values)
        mean = float(np.sum(weights * logs))
        sd = math.sqrt(max(float(np.sum(weights * (logs - mean) ** 2)), 0.0))
        return {"lognormal": [_text(math.exp(mean), dist.unit), float(f"{max(math.exp(sd), 1.0001):.6g}")]}
    mean = float(np.sum(weights * values))
    sd = math.sqrt(max(float(np.sum(weights * (values - mean) ** 2)), 0.0)) or 1e-9 * max(abs(mean), 1.0)
    node: dict = {"normal": [_text(mean, dist.unit), _text(sd, dist.unit)]}
    bounds = _bounds(dist)
    if bounds is not None:
        node["truncate"] = [_text(bounds[0], dist.unit), _text(bounds[1], dist.unit)]
    return node


def fit_inputs(scenario, u: np.ndarray, weights: np.ndarray) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Per input: prior and posterior P10/P50/P90, posterior mean and sd, the fitted distribution;
    the particles' values and weights; the fitted nodes by key path."""
    rows, columns, fitted = [], {}, {}
    for k, (key, dist) in enumerate(scenario.uncertain.items()):
        name = ".".join(map(str, key))
        post_u = tempering.weighted_quantiles(u[:, k], weights, PROBS)
        row = {"input": name, "unit": dist.unit or "", "prior": _inline(_prior_node(dist))}
        row.update({f"prior_p{int(q * 100)}": dist.ppf(q) for q in PROBS})
        row.update({f"posterior_p{int(q * 100)}": dist.ppf(float(x)) for q, x in zip(PROBS, post_u, strict=True)})
        values = [dist.ppf(float(x)) for x in u[:, k]]
        if dist.name != "choice":
            values = np.array(values, float)
            mean = float(np.sum(weights * values))
            row.update({"posterior_mean": mean,
                        "posterior_sd": math.sqrt(max(float(np.sum(weights * (values - mean) ** 2)), 0.0))})
        else:
            row.update({"posterior_mean": math.nan, "posterior_sd": math.nan})
        fitted[key] = fitted_node(dist, u[:, k], weights)
        row["posterior"] = _inline(fitted[key])
        rows.append(row)
        columns[name] = values
    particles = pd.DataFrame(columns)
    particles["weight"] = weights
    return pd.DataFrame(rows), particles, fitted


def _prior_node(dist) -> dict:
    if dist.name == "choice":
        return {"choice": {"values": list(dist.choices), "weights": list(dist.weights)}}
    node: dict = {dist.name: [_text(p, dist.unit) if not (dist.name == "lognormal" and i == 1) else p
                              for i, p in enumerate(dist.params)]}
    if dist.truncate:
        node["truncate"] = [_text(b, dist.unit) for b in dist.truncate]
    return node


def _inline(node) -> str:
    from fleetsim.scenario.errormap import flow

    return flow(node)


def overlay(scenario, fitted: dict) -> dict:
    """The part of the scenario tree the calibrated file sets: each fitted distribution at its
    path; a list on the path (``orders``) is written whole, as ``extends`` replaces lists."""
    from fleetsim.scenario.errormap import value_at
    from fleetsim.uncertainty.distributions import substitute

    full = substitute(scenario.tree, fitted)
    out: dict = {}
    for key in fitted:
        cut = next((i for i, part in enumerate(key) if isinstance(part, int)), len(key))
        node = out
        for part in key[:cut - 1]:
            node = node.setdefault(part, {})
        node[key[cut - 1]] = value_at(full, key[:cut])
    return out


def _block(node, indent: int = 0) -> list[str]:
    from fleetsim.scenario.errormap import flow

    pad = " " * indent
    lines = []
    for key, value in node.items():
        if isinstance(value, dict) and not _is_leaf(value):
            lines.append(f"{pad}{key}:")
            lines.extend(_block(value, indent + 2))
        elif isinstance(value, list) and value and not _is_leaf(value):
            lines.append(f"{pad}{key}:")
            lines.extend(f"{pad}  - {flow(item)}" for item in value)
        else:
            lines.append(f"{pad}{key}: {flow(value)}")
    return lines


def _is_leaf(value) -> bool:
    from fleetsim.uncertainty.distributions import is_distribution

    return is_distribution(value) or (isinstance(value, list) and not any(isinstance(v, dict) for v in value))


def overlay_text(calibration, extends: str) -> str:
    """YAML of the calibrated scenario: provenance comments, ``extends``, the fitted inputs."""
    meta, stages = calibration.meta, calibration.stages
    head = [f"# {meta['scenario']} calibrated by `fleetsim calibrate` on {meta.get('observations') or 'observations'}",
            f"# {meta['draws']} draws, seed {meta['seed']}, {len(stages)} stage(s); final effective sample size "
            f"{stages['ess'].iloc[-1]:,.0f}.",
            "# Each input's marginal posterior, fitted as documented in docs/model.md (Calibration):",
            "# triangular/uniform/normal -> normal truncated to the prior's bounds, lognormal -> lognormal,",
            "# choice -> choice with posterior weights. Correlations between inputs are not kept.",
            f"extends: {extends}", f"name: {meta['scenario']}-calibrated",
            f"description: {meta['scenario']} conditioned on dated observations"]
    return "\n".join(head + _block(calibration.fitted)) + "\n"
