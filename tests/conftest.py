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


# The slowest tests, slowest first (measured with --durations; a name that no longer exists is
# ignored). They run before the rest: with pytest-xdist handing out a few tests at a time
# (--maxschedchunk in pyproject.toml) a long test never starts last on one worker while the other
# waits, which is most of what two workers can lose. Order only: every test still runs.
RUN_FIRST = [
    "tests/test_calibrate.py::test_tempering_when_the_ess_collapses_still_matches_closed_form",
    "tests/test_notebooks.py::test_notebook_runs_and_prints_its_pinned_figures[uncertainty]",
    "tests/test_calibrate.py::test_wide_observation_plain_importance_sampling_matches_closed_form",
    "tests/test_calibrate.py::test_same_seed_same_bytes_whatever_the_workers",
    "tests/test_notebooks.py::test_notebook_runs_and_prints_its_pinned_figures",
    # the first readers of the two reports `once` writes: written early, while the other worker is
    # busy, the report tests later find them done instead of waiting on the lock
    "tests/test_report.py::test_report_with_draws_adds_fan_charts",
    "tests/test_report.py::test_report_is_one_well_formed_page",
    "tests/test_properties.py::test_invariants_and_the_same_result_in_gw_mw_or_kw",
    "tests/test_outputs.py::test_kill_9_of_fleetsim_does_not_leave_its_pool_workers_running",
    "tests/test_outputs.py::test_sigterm_during_draws_exits_143_and_leaves_no_temporary_files",
    "tests/test_hostile_input.py::test_unit_text_is_never_evaluated",
    "tests/test_hostile_input.py::test_alias_bomb_is_refused_by_counting_values",
    "tests/test_snippets.py::test_page_snippets_run[tutorial.md]",
    "tests/test_architecture.py::test_simulating_and_writing_imports_no_face_and_no_command",
    "tests/test_faces.py::test_every_command_has_json",
    "tests/test_faults.py::test_a_scheduler_without_workers_is_a_message",
    "tests/test_uncertainty.py::test_draw_with_plots_and_ensemble_with_plots",
    "tests/test_uncertainty.py::test_sensitivity_tornado_and_sobol",
    "tests/test_plots.py::test_uncertainty_core_never_imports_matplotlib",
    "tests/test_plots.py::test_run_plots_writes_pngs_beside_the_tables",
    "tests/test_calibrate.py::test_no_draw_can_match_says_which_observation",
    "tests/test_hostile_input.py::test_fifo_is_refused_without_blocking",
    "tests/test_hostile_input.py::test_device_is_refused",
    "tests/test_cli_errors.py::test_mistake_through_a_process",
    "tests/test_properties.py::test_deterministic",
]


def pytest_collection_modifyitems(session, config, items):
    """Move RUN_FIRST's tests to the front, in its order (see RUN_FIRST)."""
    def rank(item) -> int:
        for position, name in enumerate(RUN_FIRST):
            if item.nodeid == name or item.nodeid.startswith(name + "["):
                return position
        return len(RUN_FIRST)

    items[:] = sorted(items, key=rank)  # stable: the rest keep pytest's order


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

    def render_all(result, on_chart=None, workers=None):
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
