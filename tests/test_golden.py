"""Every shipped scenario pins its headline figures in tests/golden/<scenario>.json: the summary
``fleetsim run`` prints, the horizon and the totals of the money columns, compared with a
tolerance of 1e-9 (the runs are deterministic). Regenerate on purpose with
``python tests/golden/regen.py`` and review the diff (tests/golden/README.md)."""

from pathlib import Path

import pytest
from goldens import GOLDEN, REGENERATE, differences, read, write

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
TOTALS = ("revenue_usd", "operating_cost_usd", "hardware_capex_usd", "facility_capex_usd", "cash_burn_usd",
          "energy_cost_usd", "depreciation_usd", "opex_usd", "stranded_accelerator_months")


def headline(result) -> dict:
    """The figures a golden file pins for one result."""
    m = result.monthly
    return {
        "horizon": {"first_month": str(m.index[0]), "last_month": str(m.index[-1]), "months": len(m)},
        "summary": result.summary(),
        "totals": {column: float(m[column].sum()) for column in TOTALS},
    }


def golden_path(scenario: Path) -> Path:
    return GOLDEN / f"{scenario.stem}.json"


def test_the_golden_files_cover_the_flagship():
    assert ROOT / "scenarios" / "colossus.yaml" in SCENARIOS
    assert GOLDEN.is_dir()


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenario_keeps_its_headline_figures(scenario, shipped_result, regen_golden):
    figures = headline(shipped_result(scenario.stem))
    path = golden_path(scenario)
    if regen_golden:
        write(path, {"scenario": f"scenarios/{scenario.name}", "regenerate": REGENERATE, **figures})
    if not path.is_file():
        pytest.fail(f"scenarios/{scenario.name} has no golden file tests/golden/{path.name}: run "
                    f"`{REGENERATE}`, check the figures it writes and commit the file", pytrace=False)
    pinned = read(path)
    found = differences(figures, {k: v for k, v in pinned.items() if k not in ("scenario", "regenerate")})
    assert not found, (f"scenarios/{scenario.name} no longer gives the figures pinned in tests/golden/{path.name}:\n  "
                       + "\n  ".join(found) + f"\nIf the change is intended, run `{REGENERATE}` and commit the diff.")


def test_every_golden_file_has_its_scenario(regen_golden):
    stale = sorted(p for p in GOLDEN.glob("*.json") if not (ROOT / "scenarios" / f"{p.stem}.yaml").is_file())
    if regen_golden:
        for path in stale:
            if read(path).get("regenerate") == REGENERATE:  # written by the regeneration, nothing else
                path.unlink()
        stale = [p for p in stale if p.exists()]
    assert not stale, (f"golden files without a scenario in scenarios/: {[p.name for p in stale]}; "
                       f"run `{REGENERATE}` to remove them")


def test_a_moved_figure_fails_with_its_name_and_both_values(shipped_result):
    """The comparison can fail: a figure moved by 1e-6 is reported, with the regeneration command."""
    pinned = read(golden_path(ROOT / "scenarios" / "colossus.yaml"))
    figures = headline(shipped_result("colossus"))
    figures["summary"]["capex_usd_total"] *= 1 + 1e-6
    found = differences(figures, {k: pinned[k] for k in ("horizon", "summary", "totals")})
    assert len(found) == 1 and found[0].startswith("summary.capex_usd_total: ") and "(+0.0001 %)" in found[0]
