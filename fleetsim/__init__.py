"""fleetsim: datacenter power and GPU-fleet capacity and cost, month by month.

Example::

    import fleetsim
    res = fleetsim.simulate("scenarios/colossus.yaml")
    res.monthly[["energy_cost_usd", "depreciation_usd"]]

The public names are imported lazily, so ``import fleetsim`` (and ``fleetsim --help``) stay fast.
"""

from __future__ import annotations

__version__ = "0.1.0"

_LAZY = {
    "load": ("fleetsim.scenario.load", "load"),
    "load_text": ("fleetsim.scenario.load", "load_text"),
    "Scenario": ("fleetsim.scenario.load", "Scenario"),
    "simulate": ("fleetsim.simulation", "simulate"),
    "Result": ("fleetsim.result", "Result"),
    "read_result": ("fleetsim.result", "read_result"),
    "compare": ("fleetsim.compare", "compare"),
    "score": ("fleetsim.scoring", "score"),
    "Scorecard": ("fleetsim.scoring", "Scorecard"),
    "calibrate": ("fleetsim.uncertainty.calibrate", "calibrate"),
    "Calibration": ("fleetsim.uncertainty.calibrate", "Calibration"),
    "run_many": ("fleetsim.uncertainty.montecarlo", "run_many"),
    "Ensemble": ("fleetsim.uncertainty.montecarlo", "Ensemble"),
    "FleetsimError": ("fleetsim.errors", "FleetsimError"),
    "ScenarioError": ("fleetsim.errors", "ScenarioError"),
    "FleetsimWarning": ("fleetsim.errors", "FleetsimWarning"),
    "ureg": ("fleetsim.units", "ureg"),
}

__all__ = ["__version__", *_LAZY]


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        module, attribute = _LAZY[name]
        value = getattr(importlib.import_module(module), attribute)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'fleetsim' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
