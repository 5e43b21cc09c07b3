"""The headline figures are defined once (fleetsim/figures.py) and every face shows the same ones;
numbers are formatted by fleetsim/formats.py."""

from __future__ import annotations

import json
import warnings
from html import escape
from pathlib import Path

import numpy as np
import pytest

import fleetsim
from fleetsim import figures, formats
from fleetsim.cli.main import main

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def flagship():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fleetsim.FleetsimWarning)
        return fleetsim.simulate(ROOT / "scenarios" / "colossus.yaml")


def test_summary_is_the_figures_each_computed_by_hand(flagship):
    m = flagship.monthly
    summary = flagship.summary()
    assert tuple(summary) == figures.SUMMARY
    hours = m.index.days_in_month.to_numpy() * 24.0
    available = float((m.h100e_available.to_numpy() * hours).sum())
    by_hand = {
        "peak_facility_power_mw": m.peak_facility_power_mw.max(),
        "mean_facility_power_mw": (m.facility_power_mw.to_numpy() * hours).sum() / hours.sum(),
        "accelerators_end": m.accelerators.iloc[-1], "h100e_end": m.h100e.iloc[-1],
        "stranded_peak": m.stranded.max(), "stranded_accelerator_months_total": m.stranded_accelerator_months.sum(),
        "energy_mwh_total": m.energy_mwh.sum(), "unserved_energy_mwh_total": m.unserved_energy_mwh.sum(),
        "emissions_tco2_total": m.emissions_tco2.sum(), "energy_cost_usd_total": m.energy_cost_usd.sum(),
        "capex_usd_total": m.hardware_capex_usd.sum() + m.facility_capex_usd.sum(),
        "cash_burn_usd_mean_monthly": m.cash_burn_usd.sum() / len(m),
        "cumulative_cash_usd_end": m.cumulative_cash_usd.iloc[-1],
        "cost_per_h100e_hour_usd": m.operating_cost_usd.sum() / available,
        "tco_per_h100e_hour_usd": m.tco_usd.sum() / available,
    }
    assert summary == pytest.approx(by_hand, rel=1e-12)


def test_every_figure_has_a_known_aggregation_and_display_unit():
    for figure in figures.FIGURES.values():
        assert figure.how in figures.AGGREGATIONS
        assert figure.columns and figure.label[:1].isupper()
        assert figure.shown in formats.SHOWN or figure.shown == figure.unit or figure.scale == 1.0
    for group in (figures.SUMMARY, figures.ENSEMBLE, figures.COMPARED):
        assert set(group) <= set(figures.FIGURES)
    assert set(figures.ENSEMBLE) <= set(figures.SUMMARY)


def test_compared_figures_by_hand(flagship):
    m = flagship.monthly
    compared = figures.summary(m, figures.COMPARED, discount_rate=0.10)
    below = m.index[m.cash_balance_usd < 0]
    assert compared["cash_out_month"] == (str(below[0]) if len(below) else "")
    assert compared["cost_per_mtok_usd"] == pytest.approx(m.inference_cost_usd.sum() / (m.tokens.sum() / 1e6))
    flows = -m.cash_burn_usd.to_numpy()
    npv = sum(f / 1.10 ** (t / 12) for t, f in enumerate(flows))  # flows at the start of each month
    assert compared["npv_usd"] == pytest.approx(npv, rel=1e-9)
    with pytest.raises(ValueError, match="discount rate"):
        figures.summary(m, ("npv_usd",))


def test_the_cli_the_html_and_json_show_the_same_figures(flagship, tmp_path, capsys):
    from fleetsim.faces.html import summary_table

    assert main(["run", str(ROOT / "scenarios" / "colossus.yaml"), "-o", str(tmp_path / "a")]) == 0
    printed = capsys.readouterr().out
    page = summary_table(flagship)
    summary = flagship.summary()
    for key in figures.SUMMARY:
        figure = figures.FIGURES[key]
        assert figure.label in printed and escape(figure.label) in page
        assert figure.text(summary[key]) in printed and figure.text(summary[key]) in page
    assert printed.index("Peak facility power") < printed.index("Energy, total") < printed.index("TCO per")
    assert main(["run", str(ROOT / "scenarios" / "colossus.yaml"), "-o", str(tmp_path / "b"), "--json"]) == 0
    assert tuple(json.loads(capsys.readouterr().out)["summary"]) == figures.SUMMARY


def test_figure_text_scales_to_the_display_unit():
    assert figures.FIGURES["energy_mwh_total"].text(39_784_332.6) == "39,784"  # MWh shown in GWh
    assert figures.FIGURES["cash_burn_usd_mean_monthly"].text(974_637_088.05) == "974.6"  # MUSD, one decimal
    assert figures.FIGURES["cost_per_h100e_hour_usd"].text(float("nan")) == "—"
    assert figures.FIGURES["cash_out_month"].text("2024-11") == "2024-11"
    assert figures.FIGURES["emissions_tco2_total"].heading == "Emissions, total (ktCO2)"


def test_formats_round_and_scale():
    assert formats.number(-0.0004, 2) == "0.00" and formats.number(float("inf")) == "—"
    assert formats.scaled(2.5e9, "GUSD", 2) == "2.50" and formats.scaled(2.5e9, "MUSD") == "2,500"
    assert formats.compact(99.5) == "99.500" and formats.compact(100.4) == "100"
    assert formats.quantity(-3.2e6, "USD") == "-3.20 MUSD" and formats.quantity(0.0, "MW") == "0 MW"
    assert formats.axis_scale("USD", 1.9e9) == (1e-6, "million USD")
    assert formats.column_label("emissions_tco2", "t") == ("emissions", 1e-3, "ktCO2", 1)
    assert np.isclose(formats.scale("million h"), 1e-6)
