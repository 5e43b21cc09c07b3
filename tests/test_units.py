"""The unit registry and quantity parsing."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fleetsim import months, units


@pytest.mark.parametrize(("text", "kind", "expected"), [
    ("1.2 GW", "power", 1200.0),
    ("150 MW", "power", 150.0),
    ("150000 kW", "power", 150.0),
    ("700 W", "accelerator power", 700.0),
    ("0.08 USD/kWh", "energy price", 80.0),
    ("80 USD/MWh", "energy price", 80.0),
    ("9 MUSD/MW", "money per power", 9e6),
    ("2 GUSD", "money", 2e9),
    ("500 mUSD", "money", 0.5),
    ("2.0 USD/Mtok", "token price", 2e-6),
    ("25 MUSD/month", "money per month", 25e6),
    ("300 MUSD/year", "money per month", 25e6),
    ("5 years", "life", 60.0),
    ("5 days", "duration", 120.0),
    ("6e27 FLOP", "compute", 6e27),
    ("989 TFLOP/s", "compute rate", 989e12),
    ("3 MMBtu", "energy", 3 * 1055.05585262e6 / 3.6e9),
])
def test_parse_converts_to_internal_units(text, kind, expected):
    assert units.parse(text, kind) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize(("value", "kind", "fragment"), [
    ("150 kg", "power", "dimension [mass]"),
    ("150", "power", "needs its unit"),
    (150, "power", "needs its unit"),
    ("0.08", "energy price", "needs its unit"),
    ("150 MWW", "power", "unknown unit"),
    ("3 MBtu", "energy", "write MMBtu"),
    ("many MW", "power", "number followed by a unit"),
    (True, "power", "with its unit"),
])
def test_parse_rejects_with_an_example(value, kind, fragment):
    with pytest.raises(units.UnitProblem) as info:
        units.parse(value, kind)
    assert fragment in str(info.value)
    assert units.KINDS[kind].example in str(info.value) or "MMBtu" in str(info.value)


def test_one_application_registry():
    import pint

    assert pint.get_application_registry().get() is units.ureg


def test_pint_month_is_an_average_month():
    assert units.ureg.Quantity(1, "month").to("hour").magnitude == pytest.approx(730.5)


def test_months_roundtrip_and_real_hours():
    m = months.parse("2024-07")
    assert months.to_text(m + 6) == "2025-01"
    assert months.hours_in_month(months.parse("2024-02")) == 29 * 24
    assert months.hours_in_month(months.parse("2023-02")) == 28 * 24
    assert months.hours_in_month(months.parse("2024-07")) == 31 * 24
    assert months.hours_array(months.parse("2024-01"), 12).sum() == 366 * 24


@pytest.mark.parametrize(("text", "fragment"), [
    ("2024-13", "does not exist"), ("2024-7", "YYYY-MM"), ("2024-07-01", "full date"), ("July", "YYYY-MM"),
])
def test_bad_months(text, fragment):
    with pytest.raises(months.MonthProblem, match=fragment):
        months.parse(text)


@pytest.mark.parametrize("big, small, kind, factor", [("GW", "MW", "power", 1000), ("kW", "MW", "power", "0.001"),
                                                      ("TWh", "MWh", "energy", 10**6), ("MUSD", "USD", "money", 10**6),
                                                      ("kUSD", "USD", "money", 1000)])
@given(digits=st.integers(1, 10**7), places=st.integers(0, 7))
def test_one_quantity_in_two_units_gives_the_same_bits(big, small, kind, factor, digits, places):
    """'1.1 GW' and '1100 MW' are one value, to the last bit (issue 10: they differed)."""
    from decimal import Decimal

    value = Decimal(digits) / Decimal(10) ** places
    other = (value * Decimal(factor)).normalize()
    assert units.parse(f"{value} {big}", kind) == units.parse(f"{other:f} {small}", kind)


def test_pint_is_imported_without_dask_and_dask_still_imports():
    """pint would import dask (0.3-0.5 s of every run) only for dask arrays fleetsim never uses."""
    import subprocess
    import sys

    probe = ("import sys, fleetsim.units; assert 'dask' not in sys.modules, 'pint pulled in dask'; "
             "import dask.distributed; print('ok')")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0 and done.stdout.strip() == "ok", done.stderr


def test_known_unit_factors_are_pints_and_cover_the_shipped_scenarios():
    """The table that spares a command importing pint holds exactly pint's factors, for every unit
    the shipped scenarios and the catalog write (regenerate: python -m fleetsim.scenario.unit_table)."""
    from pathlib import Path

    from fleetsim import units
    from fleetsim.scenario.unit_table import known_table

    assert known_table() in Path(units.__file__).read_text()
    assert units.KNOWN_FACTORS[("USD/kWh", "energy price")] == 1000.0      # 1 USD/kWh = 1000 USD/MWh
    assert units.KNOWN_FACTORS[("months", "duration")] == 730.5            # pint's mean month, in hours
    assert units.parse("1.2 GW", "power") == 1200.0 and units.parse("0.08 USD/kWh", "energy price") == 80.0


def test_loading_a_scenario_with_known_units_does_not_import_pint():
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    code = ("import sys, warnings; warnings.simplefilter('ignore'); import fleetsim; "
            f"fleetsim.load({str(root / 'scenarios' / 'colossus.yaml')!r}); print('pint' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() \
        == "False"
    # nor does reading observations in the table's units (GUSD, MW, counts), which score and report do
    code = ("import sys, warnings; warnings.simplefilter('ignore'); import fleetsim; from fleetsim import scoring; "
            f"sc = fleetsim.load({str(root / 'scenarios' / 'colossus.yaml')!r}); "
            f"scoring.read({str(root / 'scenarios' / 'colossus.observations.csv')!r}, sc); "
            "print('pint' in sys.modules)")
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.strip() \
        == "False"
    code = "from fleetsim.units import parse, ureg; print(parse('3 furlong/fortnight', 'power'))"
    failed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert "unknown unit 'furlong/fortnight'" in failed.stderr   # units outside the table: pint, as before
