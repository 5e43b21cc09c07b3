"""Figures that read right and outputs that describe themselves (issue 10, parts 5 and 7): every
expected string or number here is computed independently of the code under test."""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest
from test_uncertainty import UNCERTAIN

import fleetsim
from fleetsim.cli.main import main
from fleetsim.uncertainty import montecarlo
from fleetsim.uncertainty.executors import draw_values
from fleetsim.uncertainty.montecarlo import run_many

ROOT = Path(__file__).resolve().parents[1]
FLAGSHIP = ROOT / "scenarios" / "colossus.yaml"
NEOCLOUD = ROOT / "scenarios" / "neocloud-10k.yaml"


def _strict_json(text: str):
    """JSON that refuses NaN and Infinity (what allow_nan=False guarantees)."""
    def refuse(constant):
        raise AssertionError(f"not JSON: {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="module")
def flagship():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fleetsim.FleetsimWarning)
        return fleetsim.simulate(FLAGSHIP)


@pytest.fixture
def uncertain(tmp_path):
    path = tmp_path / "unc.yaml"
    path.write_text(UNCERTAIN.replace("months: 18", "months: 6"))
    return fleetsim.load(path)


# --------------------------------------------------------------------------- part 5: figures
def test_gross_margin_is_a_percentage_in_the_report_tables(flagship):
    from fleetsim.faces.html import transposed_table

    yearly = flagship.rollup("Y")
    html = transposed_table(flagship, yearly, "year")
    row = html[html.index("gross margin [%]"):].split("</tr>")[0]
    expected = [f"{100 * v:,.1f}" for v in yearly.gross_margin]
    assert [cell.split("</td>")[0] for cell in row.split('right">')[1:]] == expected
    assert all(50 < float(v) < 90 for v in expected[1:])  # 0.54–0.83 was printed as "1"


def _cash_story(monthly: pd.DataFrame) -> str:
    balance = monthly.cash_balance_usd
    below = balance[balance < 0]
    low = balance.idxmin()
    return (f"cash runs out in {below.index[0]}: balance below zero for {len(below)} of {len(balance)} months, "
            f"lowest −{-balance.min() / 1e6:,.0f} MUSD in {low}")


def test_run_summary_says_usd_per_hour_and_tells_the_cash_story(flagship, tmp_path, capsys):
    assert main(["run", str(FLAGSHIP), "-o", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    row = next(line for line in out.splitlines() if "Operating cost per H100e-hour" in line)
    cells = [cell.strip() for cell in row.strip("│ ").split("│")]
    assert cells == ["Operating cost per H100e-hour", f"{flagship.summary()['cost_per_h100e_hour_usd']:,.3f}", "USD/h"]
    story = _cash_story(flagship.monthly)
    assert story == "cash runs out in 2024-11: balance below zero for 48 of 60 months, lowest −36,478 MUSD in 2029-06"
    assert story in out.splitlines()


def test_the_report_tells_the_cash_story(flagship):
    from fleetsim.faces.report import build

    page = build(fleetsim.load(FLAGSHIP), flagship, {})
    story = _cash_story(flagship.monthly)
    assert f"<p>{story[0].upper()}{story[1:]}.</p>" in page


def test_cash_chart_has_one_zero_per_axis_and_marks_the_month_cash_runs_out(flagship):
    figure = flagship.plot.cash()
    top, below = figure.axes
    assert not [ax for ax in figure.axes if ax.get_shared_y_axes().get_siblings(ax) != [ax]]
    lines = {line.get_label(): line for line in below.get_lines()}
    cumulative = lines["cumulative cash, −Σ burn"].get_ydata()
    np.testing.assert_allclose(cumulative, flagship.monthly.cumulative_cash_usd.to_numpy() * 1e-9)
    assert cumulative.max() < 0  # between −6 and −53 GUSD: it never turns positive
    low, high = below.get_ylim()
    assert low < cumulative.min() and high >= 0  # the panel's zero is in view
    zero = [line for line in below.get_lines() if list(line.get_ydata()) == [0, 0]]
    assert len(zero) == 1
    mark = lines["cash runs out (2024-11)"]
    assert pd.Timestamp(mark.get_xdata()[0]) == pd.Timestamp("2024-11-01")
    assert [line.get_label() for line in top.get_lines() if not line.get_label().startswith("_")] == ["revenue"]


def test_sweep_fits_80_columns_in_musd_and_writes_numbers_with_their_unit(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    out = tmp_path / "sw"
    assert main(["sweep", str(NEOCLOUD), "--vary", "orders.0.price=40000 USD:60000 USD:5", "--workers", "1", "-o",
                 str(out), "--set", "months=12"]) == 0
    printed = capsys.readouterr().out
    assert max(len(line) for line in printed.splitlines()) <= 80
    table = pd.read_csv(out / "sweep.csv")
    assert list(table.columns[:2]) == ["case", "orders.0.price_usd"]
    assert table["orders.0.price_usd"].tolist() == [40000.0, 45000.0, 50000.0, 55000.0, 60000.0]
    assert "40000.0 USD" not in (out / "sweep.csv").read_text()
    capex = [f"{v / 1e6:,.0f}" for v in table.capex_usd_total]
    capex_rows = [line for line in printed.splitlines() if "Capex" in line]
    assert all(any(value in line for line in capex_rows) for value in capex)
    assert str(round(table.capex_usd_total[0])) not in printed  # no whole dollars
    meta = json.loads((out / "meta.json").read_text())
    assert meta["columns"]["sweep.csv"]["orders.0.price_usd"] == "USD"
    assert meta["columns"]["sweep.csv"]["cost_per_h100e_hour_usd"] == "USD/hour"
    fields = pq.read_schema(out / "sweep_monthly.parquet")
    assert fields.field("energy_mwh").metadata[b"unit"] == b"MWh" and fields.field("month").metadata is None


def test_sweep_value_columns_convert_to_the_first_unit():
    from fleetsim.uncertainty.sweep import value_column

    assert value_column("sites.s1.electricity.price", ["0.08 USD/kWh", "90 USD/MWh"]) == \
        ("sites.s1.electricity.price_usd_per_kwh", "USD/kWh", [0.08, pytest.approx(0.09)])


def test_tornado_inputs_are_named_by_order_with_the_key_path_kept(uncertain):
    from fleetsim.uncertainty.sensitivity import input_label

    assert input_label(uncertain, ("orders", 0, "lead_time")) == "orders[0] (H100 → s1, 2024-07).lead_time"
    assert input_label(uncertain, ("sites", "s1", "pue")) == "sites.s1.pue"
    named = uncertain.override({"orders.0.name": "first batch"})
    assert input_label(named, ("orders", 0, "count")) == "orders[0] (first batch).count"
    window = uncertain.override({"orders.0.delivery": {"from": "2024-08", "to": "2024-10"}})
    assert input_label(window, ("orders", 0, "count")) == "orders[0] (H100 → s1, 2024-08 to 2024-10).count"


# --------------------------------------------------------------------------- part 7: self-describing outputs
def _number(value):
    return float(str(value).split()[0]) if not isinstance(value, str) or value[0].isdigit() else value


def test_each_draw_records_its_sampled_inputs(uncertain, tmp_path):
    out = tmp_path / "d"
    assert main(["run", str(uncertain.path), "--draws", "5", "--workers", "1", "-o", str(out), "--quiet"]) == 0
    summary = pd.read_csv(out / "summary.csv", index_col="draw")
    draws = pd.read_parquet(out / "draws.parquet")
    names = {"sites.s1.pue": "sites.s1.pue", "sites.s1.capacity": "sites.s1.capacity_mw",
             "sites.s1.electricity.price": "sites.s1.electricity.price_usd_per_kwh",
             "orders.0.hardware": "orders.0.hardware", "orders.0.count": "orders.0.count",
             "orders.0.lead_time": "orders.0.lead_time_months"}
    assert list(summary.columns[:6]) == list(names.values())
    for draw in range(5):
        values = draw_values(uncertain, draw)
        for key, column in names.items():
            expected = _number(values[tuple(int(p) if p.isdigit() else p for p in key.split("."))])
            assert summary.loc[draw, column] == (pytest.approx(expected) if not isinstance(expected, str) else expected)
            in_parquet = draws.loc[draws.draw == draw, column]
            assert len(in_parquet) == 6 and set(in_parquet) == {summary.loc[draw, column]}
    meta = json.loads((out / "meta.json").read_text())
    assert meta["inputs"]["sites.s1.electricity.price"] == "sites.s1.electricity.price_usd_per_kwh"
    units = meta["columns"]["summary.csv"]
    assert (units["sites.s1.electricity.price_usd_per_kwh"], units["orders.0.hardware"], units["capex_usd_total"],
            units["draw"]) == ("USD/kWh", None, "USD", "")
    fields = pq.read_schema(out / "draws.parquet")
    assert fields.field("orders.0.lead_time_months").metadata[b"unit"] == b"months"
    assert fields.field("cost_per_h100e_hour_usd").metadata[b"unit"] == b"USD/hour"
    assert meta["columns"]["draws.parquet"]["month"] is None


def test_draws_parquet_bytes_do_not_depend_on_workers(uncertain, tmp_path, monkeypatch):
    monkeypatch.setattr(montecarlo, "ROW_GROUP_DRAWS", 4)
    one = run_many(uncertain, 10, workers=1, path=tmp_path / "one.parquet")
    two = run_many(uncertain, 10, workers=2, path=tmp_path / "two.parquet")
    assert one.path.read_bytes() == two.path.read_bytes()
    groups = pq.ParquetFile(one.path).metadata
    assert [groups.row_group(i).num_rows for i in range(groups.num_row_groups)] == [4 * 6, 4 * 6, 2 * 6]


def test_run_writes_every_tables_units_in_meta_and_parquet(tmp_path, make_scenario):
    result = fleetsim.simulate(make_scenario())
    result.to_parquet(tmp_path / "pq")
    result.to_csv(tmp_path / "csv")
    for folder, ext in ((tmp_path / "pq", "parquet"), (tmp_path / "csv", "csv")):
        columns = json.loads((folder / "meta.json").read_text())["columns"]
        assert set(columns) == {f"{t}.{ext}" for t in ("monthly", "ledger", "training", "energy", "cohorts", "sites",
                                                       "owners")}
        assert columns[f"sites.{ext}"]["capacity_mw"] == "MW" and columns[f"sites.{ext}"]["site"] is None
        assert columns[f"ledger.{ext}"] == {"month": None, "site": None, "hardware": None, "account": None,
                                            "direction": None, "basis": None, "amount_usd": "USD", "owner": None,
                                            "user": None}
        assert columns[f"monthly.{ext}"]["cost_per_h100e_hour_usd"] == "USD/hour"
        assert columns[f"energy.{ext}"]["emissions_tco2"] == "t"
    schema = pq.read_schema(tmp_path / "pq" / "monthly.parquet")
    assert schema.field("facility_power_mw").metadata[b"unit"] == b"MW"
    assert schema.field("gross_margin").metadata[b"unit"] == b""
    pd.testing.assert_frame_equal(fleetsim.read_result(tmp_path / "pq").ledger, result.ledger)
    assert fleetsim.read_result(tmp_path / "csv").meta == fleetsim.read_result(tmp_path / "pq").meta


def test_every_command_has_json(uncertain, tmp_path, capsys, stand_in_charts):
    other = tmp_path / "other.yaml"
    other.write_text(UNCERTAIN.replace("name: unc", "name: other").replace("months: 18", "months: 6")
                     .replace("seed: 5", "seed: 6"))
    runs = {
        "validate": ["validate", str(uncertain.path), "--json"],
        "catalog": ["catalog", "H100", "--json"],
        "compare": ["compare", str(uncertain.path), str(other), "--json", "-o", str(tmp_path / "cmp")],
        "sweep": ["sweep", str(uncertain.path), "--vary", "sites.s1.water=0 L/kWh,1 L/kWh", "--workers", "1",
                  "--json", "-o", str(tmp_path / "sw")],
        "sensitivity": ["sensitivity", str(uncertain.path), "--metric", "energy_mwh", "--samples", "0", "--workers",
                        "1", "--json", "-o", str(tmp_path / "se")],
        "draws": ["run", str(uncertain.path), "--draws", "3", "--workers", "1", "--json", "-o", str(tmp_path / "d")],
        "report": ["report", str(uncertain.path), "--json", "-o", str(tmp_path / "r.html")],
    }
    documents = {}
    for name, argv in runs.items():
        assert main(argv) == 0, name
        documents[name] = _strict_json(capsys.readouterr().out)
    assert documents["validate"]["files"][0]["uncertain"] == ["sites.s1.pue", "sites.s1.capacity",
                                                             "sites.s1.electricity.price", "orders.0.hardware",
                                                             "orders.0.count", "orders.0.lead_time"]
    assert documents["catalog"]["entries"]["H100"]["internal"]["power"] == 700.0
    assert documents["compare"]["units"]["cost_per_h100e_hour_usd"] == "USD/hour"  # pint units, as in Parquet
    assert documents["compare"]["figures"]["cost_per_mtok_usd"]["other - unc"] is not None
    assert [row["sites.s1.water_l_per_kwh"] for row in documents["sweep"]["rows"]] == [0.0, 1.0]
    assert documents["sensitivity"]["sobol"] is None and documents["sensitivity"]["unit"] == "MWh"
    assert documents["draws"]["files"] == ["draws.parquet", "meta.json", "monthly_quantiles.csv", "summary.csv"]
    assert documents["report"]["output"] == str(tmp_path / "r.html")
    assert documents["report"]["bytes"] == (tmp_path / "r.html").stat().st_size
    compare_meta = json.loads((tmp_path / "cmp" / "meta.json").read_text())
    assert compare_meta["row_units"]["capex_usd_total"] == "USD"


def test_json_turns_nan_into_null(tmp_path, capsys, make_scenario):
    scenario = make_scenario()  # no tokens: cost per Mtok is NaN
    assert main(["compare", str(scenario.path), str(scenario.path), "--json"]) == 0
    document = _strict_json(capsys.readouterr().out)
    assert document["figures"]["cost_per_mtok_usd"]["test"] is None


def test_the_ledger_sums_without_double_counting(flagship):
    from fleetsim.accounting.columns import ACCOUNT_TABLE

    ledger, m = flagship.ledger, flagship.monthly
    assert set(ledger.account) <= set(ACCOUNT_TABLE)
    assert ledger.groupby("account")[["direction", "basis"]].nunique().max().tolist() == [1, 1]
    assert dict(ledger.drop_duplicates("account").set_index("account")[["direction", "basis"]]
                .apply(tuple, axis=1)) == {a: ACCOUNT_TABLE[a][1:] for a in set(ledger.account)}
    flows = ledger[ledger.basis != "accrual"]
    signed = flows.amount_usd.where(flows.direction == "cost", -flows.amount_usd)
    burn = signed.groupby(flows.month).sum().reindex(m.index, fill_value=0.0)
    np.testing.assert_allclose(burn, m.cash_burn_usd, rtol=1e-9, atol=1e-3)
    expenses = ledger[(ledger.basis != "cash") & (ledger.direction == "cost") & (ledger.account != "interest")]
    cost = expenses.amount_usd.groupby(expenses.month).sum().reindex(m.index, fill_value=0.0)
    np.testing.assert_allclose(cost, m.operating_cost_usd, rtol=1e-9, atol=1e-3)
    # summing every row counts a purchase twice (capex and its depreciation): the naive sum is larger
    assert ledger[ledger.direction == "cost"].amount_usd.sum() > (m.cash_burn_usd + m.revenue_usd).sum() + 1e9
