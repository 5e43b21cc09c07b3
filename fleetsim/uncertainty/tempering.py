"""The numerical steps of adaptive likelihood tempering (an SMC sampler), free of any model.

The target of stage *t* is ``prior(θ) · L(θ)^φ_t`` with ``0 = φ_0 < φ_1 < … < φ_T = 1``
(Del Moral, Doucet & Jasra 2006, "Sequential Monte Carlo samplers", JRSS B 68(3)). Each
exponent is the largest that keeps the effective sample size of the incremental weights at a
target fraction of the particles (Jasra, Stephens, Doucet & Tsagaris 2011, Scand. J. Stat.
38(1); Chopin & Papaspiliopoulos 2020, *An Introduction to Sequential Monte Carlo*, ch. 17).
Resampling is systematic; the move is one random-walk Metropolis step per particle on the unit
cube of the inputs' cumulative probabilities, reflected at its faces.
"""

from __future__ import annotations

import numpy as np

UNDERFLOW = float(np.log(np.finfo(float).tiny))
"""Below this log-likelihood, ``exp`` underflows to zero in double precision (about −708)."""


def normalized(logw: np.ndarray) -> np.ndarray:
    """Weights summing to one from log weights (−inf: weight zero); all −inf gives NaN."""
    top = np.max(logw)
    if not np.isfinite(top):
        return np.full(len(logw), np.nan)
    w = np.exp(logw - top)
    return w / w.sum()


def ess(logw: np.ndarray) -> float:
    """Effective sample size (Σw)² / Σw² (Kong 1992); 0 when every weight is zero."""
    w = normalized(np.asarray(logw, float))
    return 0.0 if np.isnan(w).any() else float(1.0 / np.sum(w ** 2))


def next_exponent(loglik: np.ndarray, phi: float, target: float) -> float:
    """The next exponent after ``phi``: 1 if the remaining step keeps ESS ≥ ``target`` (a count
    of particles, which carry equal weights), else the step found by bisection that gives
    ESS = ``target`` (to 1e-10 in the exponent)."""
    loglik = np.where(np.isfinite(loglik), loglik, -np.inf)
    if ess((1.0 - phi) * loglik) >= target:
        return 1.0
    low, high = 0.0, 1.0 - phi
    while high - low > 1e-10:
        middle = (low + high) / 2
        if ess(middle * loglik) >= target:
            low = middle
        else:
            high = middle
    return phi + max(low, 1e-10)


def systematic(weights: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Indices drawn by systematic resampling (Kitagawa 1996): one uniform, ``n`` even strata."""
    n = len(weights)
    edges = np.cumsum(weights)
    edges[-1] = 1.0
    return np.searchsorted(edges, (rng.random() + np.arange(n)) / n, side="right").clip(0, n - 1)


def reflect(u: np.ndarray) -> np.ndarray:
    """Points folded back into [0, 1] by mirror reflection (a symmetric map of a random walk),
    kept strictly inside so that quantile functions stay finite."""
    folded = np.abs(np.mod(u + 1.0, 2.0) - 1.0)
    return np.clip(folded, 1e-12, 1.0 - 1e-12)


def propose(u: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random-walk proposal around each row of ``u`` with the particles' covariance scaled by
    2.38²/d (Roberts, Gelman & Gilks 1997), reflected into the unit cube."""
    d = u.shape[1]
    cov = np.atleast_2d(np.cov(u, rowvar=False)) + 1e-12 * np.eye(d)
    step = rng.multivariate_normal(np.zeros(d), cov * (2.38 ** 2 / d), size=len(u), method="cholesky")
    return reflect(u + step)


def weighted_quantiles(values: np.ndarray, weights: np.ndarray, qs) -> np.ndarray:
    """Quantiles ``qs`` along axis 0 of ``values`` (draws × …) under ``weights`` (inverse of the
    weighted empirical distribution, interpolated at mid-points; NaN values are skipped)."""
    values = np.asarray(values, float)
    flat = values.reshape(len(values), -1)
    out = np.full((len(qs), flat.shape[1]), np.nan)
    for j in range(flat.shape[1]):
        column = flat[:, j]
        keep = ~np.isnan(column) & (weights > 0)
        if not keep.any():
            continue
        order = np.argsort(column[keep], kind="stable")
        x, w = column[keep][order], weights[keep][order]
        cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
        out[:, j] = np.interp(qs, cdf, x)
    return out.reshape((len(qs), *values.shape[1:]))
