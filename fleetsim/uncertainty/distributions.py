"""Distributions written in place of a value: ``{triangular: [2 months, 3 months, 6 months]}``.

A distribution may stand wherever a number or a quantity can. It is found in the raw scenario
tree before validation; a deterministic run uses its central value (triangular: mode;
lognormal: median; normal and uniform: mean; choice: the heaviest weight), which the schema then
checks like any value, so units and ranges are validated once, at the field. A draw maps
uniform numbers ``u`` in (0, 1) through each distribution's quantile function (``ppf``), so the
same ``u`` gives the same value on every machine and executor.

>>> d = parse({"triangular": ["1 MW", "2 MW", "4 MW"]})
>>> d.central_value(), d.value(d.ppf(0.5))
('2.0 MW', '2.2679491924311224 MW')
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

NAMES = ("triangular", "uniform", "normal", "lognormal", "choice")
EXAMPLES = {
    "triangular": "{triangular: [0 months, 1 month, 4 months]}",
    "uniform": "{uniform: [0.06 USD/kWh, 0.09 USD/kWh]}",
    "normal": "{normal: [1.25, 0.05], truncate: [1.1, 1.4]}",
    "lognormal": "{lognormal: [0.075 USD/kWh, 1.25]}",
    "choice": "{choice: {values: [H100, GB200], weights: [0.3, 0.7]}}",
}


class DistributionProblem(ValueError):
    """A distribution written wrongly; the message says how to write it."""


def is_distribution(node: Any) -> bool:
    """A mapping whose first key names a distribution."""
    return isinstance(node, dict) and bool(node) and next(iter(node)) in NAMES


def _split(value: Any) -> tuple[float, str | None]:
    """A number, or a quantity string split into magnitude and unit text."""
    if isinstance(value, bool):
        raise DistributionProblem(f"expected a number or a quantity, got {value!r}")
    if isinstance(value, (int, float)):
        return float(value), None
    if isinstance(value, str):
        parts = value.strip().split(maxsplit=1)
        try:
            return float(parts[0]), (parts[1] if len(parts) > 1 else None)
        except ValueError:
            pass
    raise DistributionProblem(f"expected a number or a quantity such as '2 months', got {value!r}")


def _common_unit(values: list[Any], name: str) -> tuple[list[float], str | None]:
    """Magnitudes of ``values`` in the unit of the first (all must share its dimension)."""
    from fleetsim.units import ureg

    first, unit = _split(values[0])
    out = [first]
    for value in values[1:]:
        magnitude, other = _split(value)
        if (unit is None) != (other is None):
            raise DistributionProblem(f"{name} parameters must all carry a unit or none: {values!r}; "
                                      f"for example {EXAMPLES[name]}")
        if unit is not None and other != unit:
            try:
                magnitude = float(ureg.Quantity(magnitude, other).to(unit).magnitude)
            except Exception as exc:  # pint raises several kinds for unknown or mismatched units
                raise DistributionProblem(f"{name} parameters must share a dimension: {value!r} cannot be "
                                          f"written in {unit}; for example {EXAMPLES[name]}") from exc
        out.append(magnitude)
    if unit is not None:
        try:
            ureg.parse_units(unit)
        except Exception as exc:
            raise DistributionProblem(f"unknown unit {unit!r} in {values!r}") from exc
    return out, unit


@dataclass(frozen=True)
class Distribution:
    """A parsed distribution: parameters as magnitudes in ``unit`` (None for plain numbers)."""

    name: str
    params: tuple[float, ...]
    unit: str | None = None
    integer: bool = False
    truncate: tuple[float, float] | None = None
    choices: tuple[Any, ...] = ()
    weights: tuple[float, ...] = ()

    def central(self) -> float | Any:
        """Mode, median, mean or heaviest choice."""
        if self.name == "choice":
            return self.choices[int(np.argmax(self.weights))]
        if self.name == "triangular":
            return self.params[1]
        if self.name == "uniform":
            return (self.params[0] + self.params[1]) / 2
        return self.params[0]

    def central_value(self) -> Any:
        """The central value written as the scenario would write it."""
        return self.value(self.central()) if self.name != "choice" else self.central()

    def ppf(self, u: float) -> float | Any:
        """The value at cumulative probability ``u`` (0 < u < 1)."""
        value = self.ppf_many(np.array([u], dtype=float))[0]
        return value if self.name == "choice" else float(value)

    def ppf_many(self, u: np.ndarray) -> np.ndarray:
        """The values at cumulative probabilities ``u`` (an array), in one vectorised call: what
        :meth:`ppf` gives for each element, bit for bit."""
        u = np.asarray(u, dtype=float)
        p = self.params
        if self.name == "choice":
            edges = np.cumsum(self.weights) / np.sum(self.weights)
            picks = np.searchsorted(edges, u, side="right").clip(0, len(self.choices) - 1)
            out = np.empty(len(u), dtype=object)
            out[:] = [self.choices[int(k)] for k in picks]
            return out
        if self.name == "triangular":  # scipy.stats.triang.ppf's own expression, bit for bit
            low, mode, high = p
            c, scale = (mode - low) / (high - low), high - low
            return np.where(u < c, np.sqrt(c * u), 1 - np.sqrt((1 - c) * (1 - u))) * scale + low
        if self.name == "uniform":
            return p[0] + u * (p[1] - p[0])
        from scipy import special  # ndtri: scipy.stats.norm.ppf's own quantile function

        if self.name == "lognormal":
            return p[0] * np.exp(math.log(p[1]) * special.ndtri(u))
        mean, sd = p
        if self.truncate is None:
            return special.ndtri(u) * sd + mean
        from scipy import stats

        lo, hi = ((bound - mean) / sd for bound in self.truncate)
        return stats.truncnorm.ppf(u, lo, hi, loc=mean, scale=sd)

    def number(self, magnitude: Any) -> Any:
        """``magnitude`` as the number recorded for a draw: in :attr:`unit`, whole for counts (a
        choice as it is)."""
        if self.name == "choice":
            return magnitude
        return int(np.rint(magnitude)) if self.integer else float(magnitude)

    def column(self, key: tuple) -> tuple[str, str | None]:
        """The column recording this input's draws and its unit: the key path, with the unit in the
        name when there is one (``hardware.GB200.price_usd``: ``USD``); a choice of text has no unit."""
        from fleetsim.tables import unit_slug

        path = ".".join(map(str, key))
        if self.name == "choice":
            numeric = all(isinstance(c, (int, float)) and not isinstance(c, bool) for c in self.choices)
            return path, "" if numeric else None
        return (f"{path}_{unit_slug(self.unit)}", self.unit) if self.unit else (path, "")

    def value(self, magnitude: Any) -> Any:
        """``magnitude`` written for the scenario tree: a quantity string, an int or a float."""
        if self.name == "choice":
            return magnitude
        if self.integer:
            magnitude = int(np.rint(magnitude))
            return f"{magnitude} {self.unit}" if self.unit else magnitude
        return f"{float(magnitude)!r} {self.unit}" if self.unit else float(magnitude)


def parse(node: dict) -> Distribution:
    """Read a distribution mapping; raise :class:`DistributionProblem` with an example."""
    unknown = unknown_distribution(node)
    if unknown:
        raise DistributionProblem(unknown)
    name = next(iter(node))
    extra = set(node) - {name} - ({"truncate"} if name == "normal" else set())
    if extra:
        raise DistributionProblem(f"unknown key {sorted(extra)[0]!r} beside {name}; for example {EXAMPLES[name]}")
    args = node[name]
    if name == "choice":
        return _parse_choice(args)
    sizes = {"triangular": 3, "uniform": 2, "normal": 2, "lognormal": 2}
    if not isinstance(args, list) or len(args) != sizes[name]:
        raise DistributionProblem(f"{name} takes {sizes[name]} parameters in a list; for example {EXAMPLES[name]}")
    integer = all(isinstance(a, int) and not isinstance(a, bool) for a in args)  # counts stay whole
    if name == "lognormal":
        median, unit = _common_unit([args[0]], name)
        gsd, gsd_unit = _split(args[1])
        if gsd_unit is not None or gsd <= 1:
            raise DistributionProblem("a lognormal is [median, geometric sd] with a plain geometric sd above 1; "
                                      f"for example {EXAMPLES[name]}")
        if median[0] <= 0:
            raise DistributionProblem(f"a lognormal median must be positive; for example {EXAMPLES[name]}")
        return Distribution(name, (median[0], gsd), unit)
    params, unit = _common_unit(args, name)
    _check_order(name, params, args)
    truncate = None
    if "truncate" in node:
        bounds = node["truncate"]
        if not isinstance(bounds, list) or len(bounds) != 2:
            raise DistributionProblem(f"truncate takes [low, high]; for example {EXAMPLES['normal']}")
        values, _ = _common_unit([args[0], *bounds], name)
        if values[1] >= values[2]:
            raise DistributionProblem(f"truncate bounds are in the wrong order: {bounds!r}; write [low, high]")
        truncate = (values[1], values[2])
    return Distribution(name, tuple(params), unit, integer=bool(integer) and name != "normal", truncate=truncate)


def _check_order(name: str, params: list[float], given: list) -> None:
    if name == "triangular":
        low, mode, high = params
        if not low <= mode <= high or low == high:
            raise DistributionProblem(f"triangular parameters are [low, mode, high] with low ≤ mode ≤ high and "
                                      f"low < high; got {given!r}; for example {EXAMPLES[name]}")
    elif name == "uniform" and params[0] >= params[1]:
        raise DistributionProblem(f"uniform parameters are [low, high] with low < high; got {given!r}; "
                                  f"for example {EXAMPLES[name]}")
    elif name == "normal" and params[1] <= 0:
        raise DistributionProblem(f"a normal is [mean, sd] with a positive sd; for example {EXAMPLES[name]}")


def _parse_choice(args: Any) -> Distribution:
    if isinstance(args, list) and args:
        values, weights = args, [1.0] * len(args)
    elif isinstance(args, dict) and set(args) <= {"values", "weights"} and "values" in args:
        values = args["values"]
        weights = args.get("weights", [1.0] * len(values) if isinstance(values, list) else [])
    else:
        raise DistributionProblem(f"choice takes a list of values or {{values, weights}}; for example "
                                  f"{EXAMPLES['choice']}")
    if not isinstance(values, list) or not values or not isinstance(weights, list) or len(weights) != len(values):
        raise DistributionProblem(f"choice needs as many weights as values; for example {EXAMPLES['choice']}")
    if any(isinstance(w, bool) or not isinstance(w, (int, float)) or w < 0 for w in weights) or sum(weights) <= 0:
        raise DistributionProblem("choice weights are non-negative numbers with a positive sum")
    return Distribution("choice", (), choices=tuple(values), weights=tuple(float(w) for w in weights))


OTHER_NAMES = ("gamma", "beta", "pert", "poisson", "weibull", "exponential", "loguniform", "lognorm", "norm",
               "triang", "triangle", "gaussian", "discrete", "choose")


def unknown_distribution(node: Any) -> str | None:
    """The message for a one-key mapping of parameters that names no known distribution."""
    import difflib

    if not (isinstance(node, dict) and len(node) == 1):
        return None
    name, args = next(iter(node.items()))
    if not isinstance(args, list) or name in NAMES:
        return None
    close = difflib.get_close_matches(str(name), NAMES, n=1, cutoff=0.6)
    if name in OTHER_NAMES or close:
        hint = f"; did you mean {close[0]!r}?" if close else ""
        return (f"unknown distribution {name!r}{hint} (distributions: {', '.join(NAMES)}; for example "
                f"{EXAMPLES['triangular']})")
    return None


def iter_distributions(tree: Any, path: tuple = ()) -> Iterator[tuple[tuple, dict]]:
    """Every distribution node in ``tree`` with its key path, in document order."""
    if is_distribution(tree) or unknown_distribution(tree):
        yield path, tree
    elif isinstance(tree, dict):
        for key, value in tree.items():
            yield from iter_distributions(value, (*path, key))
    elif isinstance(tree, list):
        for index, value in enumerate(tree):
            yield from iter_distributions(value, (*path, index))


def substitute(tree: Any, values: dict[tuple, Any]) -> Any:
    """A copy of ``tree`` with the value at each path of ``values`` replaced.

    Only the mappings and lists along those paths are copied; the rest is shared with ``tree``
    (a scenario's tree is never changed in place once read), which costs a few containers per
    draw instead of a copy of the whole scenario.
    """
    out = _shallow(tree)
    for path, value in values.items():
        node, original = out, tree
        for part in path[:-1]:
            original = original[part]
            child = node[part]
            if child is original:  # still shared with ``tree``: copy it before writing below it
                child = node[part] = _shallow(child)
            node = child
        node[path[-1]] = value
    return out


def _shallow(node: Any) -> Any:
    return dict(node) if isinstance(node, dict) else list(node) if isinstance(node, list) else node
    return node
