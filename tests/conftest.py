"""Shared helpers: a small scenario built in code, loaded through the real scenario language; the
shipped scenarios' results simulated once per session; the ``--regen-golden`` option."""

from __future__ import annotations

import contextlib
import os
import textwrap
import warnings
from pathlib import Path

import pytest

import fleetsim

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"

BASE = """\
name: test
start: 2024-01
months: {months}
seed: {seed}
hardware:
  TEST:
    like: H100
    price: 40000 USD
    life: {life}
    failure_rate: {failure_rate}
sites:
  s1:
    pue: 1.25
    capacity: {capacity}
    electricity: {{price: 0.08 USD/kWh}}
{site_extra}
orders:
{orders}
operations:
  utilization: 0.8
  training_share: 0.5
  power_draw: {{busy: 0.75, idle: 0.25}}
  repair_time: {repair}
{tail}
"""


def make_text(months=12, seed=1, life="4 years", failure_rate=0.0, capacity="1 GW", site_extra="",
              orders="  - {hardware: TEST, count: 1000, site: s1, delivery: 2024-01}", repair="5 days",
              tail="") -> str:
    return BASE.format(months=months, seed=seed, life=life, failure_rate=failure_rate, capacity=capacity,
                       site_extra=textwrap.indent(site_extra, "    ") if site_extra else "",
                       orders=orders, repair=repair, tail=tail)


@pytest.fixture
def make_scenario(tmp_path):
    """Build a Scenario from keyword overrides of the base text (written to a file in tmp_path)."""

    def build(**kwargs):
        path = tmp_path / "scenario.yaml"
        path.write_text(make_text(**kwargs))
        return fleetsim.load(path)

    return build


# --------------------------------------------------------------------------- shared across the session
def pytest_configure(config):
    """The terminal width under pytest-xdist: its workers start with COLUMNS=80, which a plain
    ``pytest`` run (no terminal: fleetsim prints 120 columns) does not have. The workers get the
    width the user ran pytest with, so the suite prints the same with and without xdist."""
    if os.environ.get("PYTEST_XDIST_WORKER") is None:
        os.environ["FLEETSIM_TESTS_COLUMNS"] = os.environ.get("COLUMNS", "")
    elif "FLEETSIM_TESTS_COLUMNS" in os.environ:
        if os.environ["FLEETSIM_TESTS_COLUMNS"]:
            os.environ["COLUMNS"] = os.environ["FLEETSIM_TESTS_COLUMNS"]
        else:
            os.environ.pop("COLUMNS", None)
            os.environ.pop("LINES", None)


def pytest_addoption(parser):
    parser.addoption("--regen-golden", action="store_true", default=False,
                     help="rewrite tests/golden/ from the current code instead of comparing with it "
                          "(python tests/golden/regen.py does this; review the diff before committing)")


@pytest.fixture(scope="session")
def regen_golden(request) -> bool:
    return request.config.getoption("--regen-golden")


@pytest.fixture
def stand_in_charts(monkeypatch):
    """The result's charts (``fleetsim.faces.plots.render_all``) replaced by a stand-in PNG each,
    with ``on_chart`` still called after each one: for tests about files, messages, progress or
    JSON, not the drawing, which is most of a report's or ``--plots`` run's time. Drawing every
    chart of every shipped scenario is tested in test_report.py and test_plots.py."""
    import fleetsim.faces.plots

    def render_all(result, on_chart=None):
        images = {}
        for name in fleetsim.faces.plots.CHARTS:
            images[name] = b"\x89PNG\r\n\x1a\n stand-in"
            if on_chart is not None:
                on_chart(name)
        return images

    monkeypatch.setattr(fleetsim.faces.plots, "render_all", render_all)


@pytest.fixture(scope="session")
def shipped_result():
    """The result of a shipped scenario, simulated once per test session (per xdist worker) and
    shared by every test that only reads it: ``shipped_result("colossus")``."""
    cache: dict[str, fleetsim.Result] = {}

    def get(name: str) -> fleetsim.Result:
        if name not in cache:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", fleetsim.FleetsimWarning)
                cache[name] = fleetsim.simulate(fleetsim.load(SCENARIOS / f"{name}.yaml"))
        return cache[name]

    return get


@pytest.fixture(scope="session")
def once(tmp_path_factory):
    """``once(name, write)``: a folder that ``write(folder)`` filled once for the whole test run.
    Under pytest-xdist the first worker to ask writes it, under a lock, and the others wait and
    read the same files (xdist's recipe for session fixtures that run once); without xdist it is an
    ordinary session-scoped folder. For slow outputs that tests only read (a report, say)."""
    base = tmp_path_factory.getbasetemp()
    shared = os.environ.get("PYTEST_XDIST_WORKER") is not None and _flock is not None
    root = base.parent if shared else base  # the workers' base folders share this run's parent

    def get(name: str, write) -> Path:
        folder = root / f"once-{name}"
        with _locked(root / f"once-{name}.lock") if shared else contextlib.nullcontext():
            if not (folder / ".complete").exists():
                folder.mkdir(exist_ok=True)
                write(folder)
                (folder / ".complete").write_text("")
        return folder

    return get


try:
    from fcntl import LOCK_EX, LOCK_UN
    from fcntl import flock as _flock
except ImportError:  # not POSIX: each worker writes its own copy
    _flock = None


@contextlib.contextmanager
def _locked(path: Path):
    with open(path, "w") as handle:
        _flock(handle, LOCK_EX)
        try:
            yield
        finally:
            _flock(handle, LOCK_UN)
