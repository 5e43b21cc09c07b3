"""fleetsim: datacenter power and GPU-fleet capacity and cost, month by month.

Example::

    import fleetsim
    res = fleetsim.simulate("scenarios/colossus.yaml")
    res.monthly[["energy_cost_usd", "depreciation_usd"]]

The public names are imported lazily, so ``import fleetsim`` (and ``fleetsim --help``) stay fast.
"""

from __future__ import annotations

import sys as _sys


def _leave(signum, frame):  # pragma: no cover - exercised in subprocess tests
    import _signal
    import os

    interrupted = signum == _signal.SIGINT
    os.write(2, b"fleetsim: interrupted; nothing was written\n" if interrupted else
             b"fleetsim: terminated; nothing was written\n")
    os._exit(130 if interrupted else 143)


def _install_early_handlers() -> None:
    """Leave at once on Ctrl-C or SIGTERM until the command installs its own handlers.

    Called first thing, for the command line only (``fleetsim ...`` or ``python -m fleetsim``,
    which shows "-m" as ``argv[0]`` while the package loads), never for a library import: nothing
    can have been written yet, so exit 130 (143 for SIGTERM) with one line, never a traceback from
    the middle of an import. ``_signal`` is the built-in module: importing ``signal`` takes long
    enough to be interrupted itself. Signals the parent ignored (``nohup``) stay ignored.
    """
    import _signal

    for signum in (_signal.SIGINT, _signal.SIGTERM):
        if _signal.getsignal(signum) != _signal.SIG_IGN:
            _signal.signal(signum, _leave)


_command = _sys.argv[0].replace("\\", "/") if _sys.argv else ""
if _command in ("fleetsim", "-m") or _command.endswith(("/fleetsim", "fleetsim/__main__.py")):
    _install_early_handlers()

__version__ = "0.1.0"

# fleetsim's matrices are small (months × cohorts @ cohorts × sites): OpenBLAS's worker threads cost
# far more than they save, 11 ms instead of 0.2 ms for a 108 × 644 @ 644 × 9 product on a busy
# 2-core machine, and made the world's Monte Carlo draw 3× slower. One thread, unless the user
# chose otherwise; it takes effect only if numpy is not imported yet. Each output element is
# summed by one thread either way, so the figures are the same bits.
_environ = __import__("os").environ
for _variable in ("OPENBLAS_NUM_THREADS",):
    _environ.setdefault(_variable, "1")

_LAZY = {
    "load": ("fleetsim.scenario.load", "load"),
    "load_text": ("fleetsim.scenario.load", "load_text"),
    "Scenario": ("fleetsim.scenario.load", "Scenario"),
    "simulate": ("fleetsim.simulation", "simulate"),
    "Result": ("fleetsim.result", "Result"),
    "read_result": ("fleetsim.result", "read_result"),
    "compare": ("fleetsim.comparison", "compare"),
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
