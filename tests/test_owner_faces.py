"""The by-owner table ``fleetsim run`` prints and the report's "By owner" section: the numbers
shown are Result.by_owner's (over the horizon), in the display units of fleetsim.figures."""

import re

import pytest

import fleetsim
from fleetsim.cli.main import main

TWO_OWNERS = """\
name: two
start: 2024-11
months: 14
seed: 3
sites:
  a1: {owner: Alpha, pue: 1.2, capacity: 90 MW, electricity: {price: 0.07 USD/kWh}}
  b1: {owner: Beta, pue: 1.4, capacity: 60 MW, electricity: {price: 0.08 USD/kWh}}
orders:
  - {hardware: H100, count: 30000, site: a1, delivery: 2024-11}
  - {hardware: H200, count: 20000, site: b1, delivery: 2025-03}
  - {hardware: H100, count: 4000, site: b1, owner: Alpha, delivery: 2025-06}
"""


@pytest.fixture
def two(tmp_path):
    path = tmp_path / "two.yaml"
    path.write_text(TWO_OWNERS)
    return path


def expected_cells(result) -> dict[str, list[str]]:
    """Each owner's four figures from Result.by_owner over the horizon, formatted by hand:
    H100e (count), peak facility MW, energy in GWh, capex in MUSD, no decimals."""
    horizon = result.by_owner(None).set_index("owner")
    return {name: [f"{row.h100e:,.0f}", f"{row.peak_facility_power_mw:,.0f}", f"{row.energy_mwh / 1e3:,.0f}",
                   f"{(row.hardware_capex_usd + row.facility_capex_usd) / 1e6:,.0f}"]
            for name, row in horizon.iterrows() if name}


def test_run_prints_each_owners_figures(two, tmp_path, capsys):
    result = fleetsim.simulate(fleetsim.load(two))
    expected = expected_cells(result)
    assert list(expected) == ["Alpha", "Beta"]
    # by hand: Alpha ends with 30,000 + 4,000 H100 (1 H100e each), Beta with 20,000 H200 (1 H100e each)
    assert expected["Alpha"][0] == "34,000" and expected["Beta"][0] == "20,000"
    assert main(["run", str(two), "-o", str(tmp_path / "out")]) == 0
    lines = capsys.readouterr().out.splitlines()
    start = lines.index(next(line for line in lines if line.startswith("By owner")))
    shown = {}
    for line in lines[start:]:
        cells = [c.strip() for c in line.strip("│ ").split("│")]
        if len(cells) == 5 and cells[0] in ("Alpha", "Beta", "(no owner)"):
            shown[cells[0]] = cells[1:]
        if line.startswith("└"):
            break
    assert {k: v for k, v in shown.items() if k != "(no owner)"} == expected
    # the owners' capex adds up to the fleet's (fleet-wide rows hold no capex here)
    horizon = result.by_owner(None)
    capex = (horizon.hardware_capex_usd + horizon.facility_capex_usd).sum()
    assert capex == pytest.approx(result.summary()["capex_usd_total"], rel=1e-12)


def test_report_has_a_by_owner_section(two):
    from fleetsim.faces.report import build

    result = fleetsim.simulate(fleetsim.load(two))
    page = build(fleetsim.load(two), result, {})
    assert '<a href="#owners">By owner</a>' in page
    section = page[page.index('<section id="owners">'):]
    section = section[:section.index("</section>")]
    for name, cells in expected_cells(result).items():
        row = section[section.index(f'left">{name}</td>'):].split("</tr>")[0]
        assert re.findall(r'right">([^<]*)</td>', row) == cells


def test_one_owner_shows_no_by_owner_table(two, tmp_path, capsys):
    one = tmp_path / "one.yaml"
    one.write_text(TWO_OWNERS.replace("owner: Beta", "owner: Alpha"))
    from fleetsim.faces.report import build

    assert main(["run", str(one), "-o", str(tmp_path / "out")]) == 0
    assert "By owner" not in capsys.readouterr().out
    assert 'id="owners"' not in build(fleetsim.load(one), fleetsim.simulate(fleetsim.load(one)), {})


def test_report_draws_show_each_owners_bands(two, tmp_path):
    """The uncertainty section's by-owner table shows owner_quantiles' P10/P50/P90 of the last year."""
    from fleetsim.faces.report import uncertainty_section
    from fleetsim.uncertainty.montecarlo import run_many

    uncertain = tmp_path / "two-unc.yaml"
    uncertain.write_text(TWO_OWNERS.replace("count: 30000", "count: {triangular: [20000, 30000, 50000]}"))
    scenario = fleetsim.load(uncertain)
    ensemble = run_many(scenario, 5, workers=1)
    section = uncertainty_section(scenario, ensemble, {})
    assert "By owner over the draws" in section and "H100e end 2025 P50" in section
    bands = ensemble.owner_quantiles()
    alpha = bands[(bands.year == 2025) & (bands.owner == "Alpha")].set_index("stat")
    row = section[section.index('left">Alpha</td>'):].split("</tr>")[0]
    expected = [f"{alpha.loc[s, 'h100e']:,.0f}" for s in ("p10", "p50", "p90")] + \
        [f"{alpha.loc[s, 'energy_mwh'] / 1e3:,.0f}" for s in ("p10", "p50", "p90")]
    assert re.findall(r'right">([^<]*)</td>', row) == expected
    assert alpha.loc["p10", "h100e"] < alpha.loc["p90", "h100e"]  # Alpha's order count varies
    assert alpha.loc["p10", "h100e"] >= 20000 + 4000 and alpha.loc["p90", "h100e"] <= 50000 + 4000
