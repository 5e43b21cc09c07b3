"""Per-site power: waiting hardware by cause, the sites table, the power story, roll-ups by kind.

Numbers are computed by hand. TEST is an H100 (700 W × 1.82 system overhead = 1.274 kW of IT
power) at PUE 1.25: 1.5925 kW of facility power each, so 1 MW energises floor(1000 / 1.5925) =
627 of them and 2 MW 1,255.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import fleetsim
from fleetsim.accounting.columns import COLUMNS, KINDS, ROLLUP, SITE_COLUMNS
from fleetsim.cli.main import main
from fleetsim.io import TABLES
from fleetsim.result import aggregate

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "colossus.yaml"
UNIT_FACILITY_MW = 700e-6 * 1.82 * 1.25  # 1.5925 kW
UNIT_IT_MW = 700e-6 * 1.82
DRAW = 0.8 * 0.75 + 0.2 * 0.25  # utilization × busy + idle share × idle

TEXT = """\
name: two-sites
start: 2024-01
months: {months}
seed: 1
hardware:
  TEST: {{like: H100, price: 40000 USD, life: 4 years, failure_rate: 0.0}}
sites:
{sites}
orders:
{orders}
operations:
  utilization: 0.8
  training_share: 0.5
  power_draw: {{busy: 0.75, idle: 0.25}}
{tail}
"""


def simulate(tmp_path, sites: str, orders: str, months: int = 6, tail: str = "") -> fleetsim.Result:
    path = tmp_path / "scenario.yaml"
    path.write_text(TEXT.format(months=months, sites=sites, orders=orders, tail=tail))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fleetsim.FleetsimWarning)
        return fleetsim.simulate(path)


TWO_SITES = """\
  short:
    pue: 1.25
    capacity: 1 MW
    electricity: {price: 0.08 USD/kWh}
  roomy:
    pue: 1.25
    capacity: 2 MW
    electricity: {price: 0.08 USD/kWh}
    install_rate: 300
"""
TWO_ORDERS = """\
  - {hardware: TEST, count: 1000, site: short, delivery: 2024-01}
  - {hardware: TEST, count: 1000, site: roomy, delivery: 2024-01}
"""


@pytest.fixture
def two(tmp_path):
    """`short` has 1 MW for 1,000 accelerators: 627 fit, 373 wait for power for ever. `roomy` has
    2 MW (room for 1,255) but energises 300 a month: 700, 400, 100 wait for the install rate."""
    return simulate(tmp_path, TWO_SITES, TWO_ORDERS)


def site(result, name: str) -> pd.DataFrame:
    return result.sites[result.sites.site == name].set_index("month")


def test_one_site_short_of_power_the_other_limited_by_install_rate(two):
    short, roomy = site(two, "short"), site(two, "roomy")
    assert short.accelerators.tolist() == [627] * 6
    assert short.stranded.tolist() == [373] * 6
    assert short.waiting_power.tolist() == [373] * 6 and short.waiting_install.tolist() == [0] * 6
    assert roomy.accelerators.tolist() == [300, 600, 900, 1000, 1000, 1000]
    assert roomy.waiting_install.tolist() == [700, 400, 100, 0, 0, 0]
    assert roomy.waiting_power.tolist() == [0] * 6
    np.testing.assert_allclose(short.peak_facility_power_mw, 627 * UNIT_FACILITY_MW, rtol=1e-12)
    np.testing.assert_allclose(roomy.peak_facility_power_mw, roomy.accelerators * UNIT_FACILITY_MW, rtol=1e-12)
    np.testing.assert_allclose(short.capacity_shortfall_mw, 1000 * UNIT_FACILITY_MW - 1.0, rtol=1e-12)
    assert (roomy.capacity_shortfall_mw == 0).all()
    hours = short.index.days_in_month.to_numpy() * 24.0
    np.testing.assert_allclose(short.energy_mwh, 627 * UNIT_IT_MW * DRAW * 1.25 * hours, rtol=1e-12)
    np.testing.assert_allclose(roomy.facility_power_mw, roomy.accelerators * UNIT_IT_MW * DRAW * 1.25, rtol=1e-12)
    # the fleet sums hide it: 3 MW against 2.59 MW of full-load power, yet 373 accelerators wait
    fleet = two.monthly.iloc[-1]
    assert fleet.capacity_mw == 3.0 and fleet.peak_facility_power_mw == pytest.approx(1627 * UNIT_FACILITY_MW)
    assert fleet.stranded == 373 and fleet.waiting_power == 373


def test_power_story_by_hand(two):
    story = two.power_story()
    assert list(story.index) == ["short", "roomy", "fleet"]
    short, roomy, fleet = (story.loc[name].to_dict() for name in story.index)
    assert short == {"first_month_short": "2024-01", "months_waiting": 6, "first_month_waiting": "2024-01",
                     "last_month_waiting": "2024-06", "accelerator_months_waiting": 6 * 373,
                     "accelerator_months_waiting_power": 6 * 373, "accelerator_months_waiting_install": 0,
                     "peak_waiting": 373, "peak_month": "2024-01", "cause": "power",
                     "headroom_end_mw": pytest.approx(1.0 - 627 * UNIT_FACILITY_MW)}
    assert roomy == {"first_month_short": "", "months_waiting": 3, "first_month_waiting": "2024-01",
                     "last_month_waiting": "2024-03", "accelerator_months_waiting": 1200,
                     "accelerator_months_waiting_power": 0, "accelerator_months_waiting_install": 1200,
                     "peak_waiting": 700, "peak_month": "2024-01", "cause": "install rate",
                     "headroom_end_mw": pytest.approx(2.0 - 1000 * UNIT_FACILITY_MW)}
    assert fleet["first_month_short"] == "2024-01" and fleet["months_waiting"] == 6
    assert fleet["peak_waiting"] == 1073 and fleet["accelerator_months_waiting"] == 2238 + 1200
    assert fleet["accelerator_months_waiting_install"] == 1200 and fleet["cause"] == "power"


def test_both_causes_in_one_month(tmp_path):
    """1 MW, 500 a month, 1,000 delivered: month 1 energises 500 (the rate); the 0.20375 MW left
    would take 127 more, so 127 wait for the rate and 373 for power. Month 2 energises those 127."""
    sites = "  s1:\n    pue: 1.25\n    capacity: 1 MW\n    electricity: {price: 0.08 USD/kWh}\n    install_rate: 500\n"
    res = simulate(tmp_path, sites, "  - {hardware: TEST, count: 1000, site: s1, delivery: 2024-01}\n", months=3)
    m = res.monthly
    assert m.accelerators.tolist() == [500, 627, 627]
    assert m.waiting_install.tolist() == [127, 0, 0]
    assert m.waiting_power.tolist() == [373, 373, 373]
    assert m.stranded.tolist() == [500, 373, 373]
    assert m.stranded_accelerator_months.tolist() == [500, 373, 373]


def test_first_come_first_served_blocks_on_power_not_rate(tmp_path):
    """A cohort that cannot fit blocks later ones: all that wait behind it wait for power."""
    sites = ("  s1:\n    pue: 1.25\n    capacity: {2024-01: 1 MW, 2024-02: 2 MW}\n"
             "    electricity: {price: 0.08 USD/kWh}\n")
    orders = ("  - {hardware: TEST, count: 1000, site: s1, delivery: 2024-01}\n"
              "  - {hardware: TEST, count: 10, site: s1, delivery: 2024-01}\n")
    m = simulate(tmp_path, sites, orders, months=2).monthly
    assert m.waiting_power.tolist() == [383, 0] and m.waiting_install.tolist() == [0, 0]


def test_sites_table_sums_to_the_fleet_and_is_long_form(two):
    table = two.sites
    assert list(table.columns) == ["month", "site", *SITE_COLUMNS]
    assert len(table) == 2 * len(two.monthly)
    assert table.site.tolist()[:4] == ["short", "roomy", "short", "roomy"]
    summed = table.groupby("month")[SITE_COLUMNS].sum()
    np.testing.assert_allclose(summed.to_numpy(), two.monthly[SITE_COLUMNS].to_numpy(), rtol=1e-12, atol=1e-9)
    assert set(SITE_COLUMNS) <= set(COLUMNS)


def test_breakdown_accepts_physical_columns(two):
    by_site = two.breakdown("site", "stranded")
    assert list(by_site.columns) == ["short", "roomy"]
    assert by_site.iloc[0].tolist() == [373, 700]
    np.testing.assert_allclose(by_site.sum(axis=1), two.monthly.stranded)
    power = two.breakdown("site", "peak_facility_power_mw")
    assert power["short"].iloc[0] == pytest.approx(627 * UNIT_FACILITY_MW)
    energy = two.breakdown("site", "energy_cost_usd")  # money still comes from the ledger
    np.testing.assert_allclose(energy.sum(axis=1), two.monthly.energy_cost_usd, rtol=1e-12)
    with pytest.raises(ValueError, match="physical column, kept by site, owner and user"):
        two.breakdown("hardware", "stranded")
    with pytest.raises(KeyError, match="neither a money column nor a physical one"):
        two.breakdown("site", "nonsense")


def test_sites_table_is_written_and_read_back(two, tmp_path):
    assert "sites" in TABLES
    for fmt in ("csv", "parquet"):
        folder = two.to_csv(tmp_path / fmt) if fmt == "csv" else two.to_parquet(tmp_path / fmt)
        assert (folder / f"sites.{fmt}").is_file()
        back = fleetsim.read_result(folder)
        pd.testing.assert_frame_equal(back.sites, two.sites)


# --------------------------------------------------------------------------- roll-ups by kind
FEBRUARY = """\
  s1:
    pue: 1.25
    capacity: {2024-03: 2 MW}
    electricity: {price: 0.08 USD/kWh}
"""


@pytest.fixture
def february(tmp_path):
    """1,000 accelerators delivered in February 2024 to a site whose power arrives in March: they
    wait in February only. Revenue: 1e6 tokens per inference H100e-hour at 2 USD/Mtok."""
    tail = "revenue:\n  inference: {tokens_per_h100e_hour: 1.0e6, price: 2 USD/Mtok}\n"
    return simulate(tmp_path, FEBRUARY, "  - {hardware: TEST, count: 1000, site: s1, delivery: 2024-02}\n",
                    months=12, tail=tail)


def test_a_year_with_waiting_only_in_february(february):
    m = february.monthly
    assert m.stranded.tolist() == [0, 1000] + [0] * 10
    year = february.rollup("Y").iloc[0]
    assert year.stranded == 1000            # the year's peak, not December's 0
    assert year.waiting_power == 1000 and year.waiting_install == 0
    assert year.stranded_accelerator_months == 1000  # a flow: summed
    quarters = february.rollup("Q")
    assert quarters.stranded.tolist() == [1000, 0, 0, 0]
    assert quarters.stranded_accelerator_months.tolist() == [1000, 0, 0, 0]
    assert february.horizon().stranded == 1000
    assert february.summary()["stranded_accelerator_months_total"] == 1000


def test_every_kind_rolls_up_as_computed_by_hand(february):
    year = february.rollup("Y").iloc[0]
    running_hours = (366 - 31 - 29) * 24.0      # March to December 2024
    year_hours = 366 * 24.0
    energy = 1000 * UNIT_IT_MW * DRAW * 1.25 * running_hours
    assert year.energy_mwh == pytest.approx(energy, rel=1e-12)                           # total
    assert year.facility_power_mw == pytest.approx(energy / year_hours, rel=1e-12)      # mean (hour-weighted)
    assert year.capacity_mw == pytest.approx(2.0 * running_hours / year_hours, rel=1e-12)
    assert year.accelerators == 1000                                                     # end
    depreciation = 11 * 1000 * 40000 / 48                                                # February to December
    energy_cost = energy * 80.0
    burn = energy_cost + 1000 * 40000 - 1000 * running_hours * 0.8 * 0.5 * 2.0
    assert year.cumulative_cash_usd == pytest.approx(-burn, rel=1e-12)                   # end
    assert year.peak_facility_power_mw == pytest.approx(1000 * UNIT_FACILITY_MW)         # peak
    operating = energy_cost + depreciation
    assert year.cost_per_h100e_hour_usd == pytest.approx(operating / (1000 * running_hours), rel=1e-12)  # ratio
    revenue = 1000 * running_hours * 0.8 * 0.5 * 2.0
    # inference's half of operating cost, month by month: February's depreciation ran no hours
    inference_cost = (operating - 1000 * 40000 / 48) / 2
    assert year.inference_cost_usd == pytest.approx(inference_cost, rel=1e-12)                # total
    assert year.gross_margin == pytest.approx((revenue - inference_cost) / revenue, rel=1e-12)  # ratio
    # a mean of the monthly ratios would differ (February's hardware depreciates without hours)
    assert february.monthly.cost_per_h100e_hour_usd.mean() != pytest.approx(year.cost_per_h100e_hour_usd)


def test_every_column_states_its_kind():
    assert set(KINDS) == set(COLUMNS)
    assert set(KINDS.values()) <= set(ROLLUP)
    assert KINDS["stranded"] == KINDS["waiting_power"] == KINDS["waiting_install"] == "peak"
    assert KINDS["stranded_accelerator_months"] == "total"
    frame = pd.DataFrame({"accelerators": [1.0, 2.0], "mystery": [1.0, 2.0]},
                         index=pd.period_range("2024-01", periods=2, freq="M", name="month"))
    with pytest.raises(KeyError, match="'mystery' has no roll-up kind"):
        aggregate(frame, np.zeros(2, dtype=int))


# --------------------------------------------------------------------------- the flagship and the CLI
@pytest.fixture(scope="module")
def flagship():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fleetsim.FleetsimWarning)
        return fleetsim.simulate(FLAGSHIP)


def test_flagship_per_site_story(flagship):
    story = flagship.power_story()
    one, two, fleet = story.loc["colossus-1"], story.loc["colossus-2"], story.loc["fleet"]
    # Colossus 1's halls (Epoch AI's facility MW ÷ 1.34) hold 130 MW of IT until 2024-12: 100,000 H100 at
    # 0.7 kW × 1.82 = 127.4 MW leave room for 2.6 MW ÷ 1.274 kW = 2,040 of November's 25,000 deliveries
    assert (one.first_month_short, one.peak_waiting, one.peak_month, one.cause) == ("2024-11", 22960, "2024-11",
                                                                                    "power")
    assert one.months_waiting == 1 and one.accelerator_months_waiting == 22960
    assert (two.first_month_short, two.peak_waiting, two.peak_month, two.months_waiting) == ("2025-11", 207339,
                                                                                            "2025-12", 3)
    assert two.accelerator_months_waiting == two.accelerator_months_waiting_power == 346027
    assert two.cause == "power"
    assert fleet.peak_waiting == 207339 and fleet.first_month_short == "2024-11" and fleet.months_waiting == 4
    # December 2025: colossus-2 is short while colossus-1 has headroom, which the fleet sums hide
    dec = flagship.sites[flagship.sites.month == pd.Period("2025-12", "M")].set_index("site")
    assert dec.loc["colossus-2", "waiting_power"] == 207339
    assert dec.loc["colossus-2", "capacity_mw"] - dec.loc["colossus-2", "peak_facility_power_mw"] < 0.01
    assert dec.loc["colossus-1", "capacity_mw"] - dec.loc["colossus-1", "peak_facility_power_mw"] > 200
    assert dec.loc["colossus-1", "stranded"] == 0
    assert flagship.rollup("Y").loc[pd.Period("2025", "Y"), "stranded"] == 207339


def test_site_panels_match_single_site_runs(flagship):
    """Sites are gated independently: each site's rows equal a run of that site alone."""
    sc = fleetsim.load(FLAGSHIP)
    tree = sc.tree
    for name in ("colossus-1", "colossus-2"):
        alone = sc.override({"sites": {name: tree["sites"][name]},
                             "orders": [o for o in tree["orders"] if o["site"] == name]})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", fleetsim.FleetsimWarning)
            m = fleetsim.simulate(alone).monthly
        rows = site(flagship, name)
        for column in ("capacity_mw", "peak_facility_power_mw", "stranded", "waiting_power", "waiting_install"):
            np.testing.assert_allclose(rows[column].to_numpy(), m[column].to_numpy(), rtol=1e-12, err_msg=column)


def test_run_prints_and_json_gives_the_story(two, tmp_path, capsys):
    path = tmp_path / "scenario.yaml"
    assert main(["run", str(path), "-o", str(tmp_path / "o")]) == 0
    out = capsys.readouterr().out
    assert "short: short of power from 2024-01; peak 373 waiting in 2024-01; cause: power (100%)" in out
    assert "roomy: never short of power; peak 700 waiting in 2024-01; cause: install rate (100%)" in out
    assert "waited 3 months (2024-01 to 2024-03), 1,200 accelerator-months" in out
    assert (tmp_path / "o" / "sites.csv").is_file()
    assert main(["run", str(path), "-o", str(tmp_path / "o"), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert list(document["power"]["sites"]) == ["short", "roomy"]
    assert document["power"]["sites"]["roomy"]["first_month_short"] is None
    assert document["power"]["sites"]["roomy"]["cause"] == "install rate"
    assert document["power"]["fleet"]["peak_waiting"] == 1073
    assert document["summary"]["stranded_accelerator_months_total"] == 3438


def test_site_power_chart_has_one_panel_per_site(two):
    figure = two.plot.site_power()
    power_axes = [ax for ax in figure.axes if ax.get_ylabel().startswith("facility power")]
    assert len(power_axes) == 2
    assert [ax.get_ylabel() for ax in figure.axes].count("accelerators waiting") == 2
    labels = {t.get_text() for legend in figure.legends for t in legend.get_texts()}
    assert {"capacity", "waiting for power (right axis)", "waiting for install rate (right axis)"} <= labels
    assert len([ax for ax in two.plot.site_power("roomy").axes if ax.get_ylabel().startswith("facility")]) == 1
    with pytest.raises(ValueError, match="no site 'nowhere'"):
        two.plot.site_power("nowhere")
