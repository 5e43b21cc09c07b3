"""Numbers and units as people read them: the one place every face formats a number.

The model keeps every quantity in one internal unit (MW, MWh, USD, t, hours; see
:mod:`fleetsim.units`); tables, the report, charts and the command line show them scaled to a
readable unit (GWh, MUSD, ktCO2), with thousands separators and a fixed number of decimals. The
scales and the rules are defined here once; :mod:`fleetsim.figures` names the headline figures
with their display unit and decimals. This module imports nothing else of fleetsim.

>>> number(1234567.891, 1), scaled(5.4e9, "GUSD", 2), percent(0.0512, signed=True)
('1,234,567.9', '5.40', '+5.1 %')
"""

from __future__ import annotations

import math
import re

MISSING = "—"
"""Shown for a value that does not exist (NaN: no hours to divide by, no draws)."""

SHOWN: dict[str, tuple[str, float]] = {
    "GW": ("MW", 1e-3), "GWh": ("MWh", 1e-3), "MUSD": ("USD", 1e-6), "GUSD": ("USD", 1e-9),
    "ktCO2": ("t", 1e-3), "kt": ("t", 1e-3), "million h": ("hour", 1e-6), "million H100e-h": ("hour", 1e-6),
    "trillion tok": ("tok", 1e-12), "%": ("", 100.0),
}
"""A display unit → (the internal unit it shows, the factor from that unit). Units not listed are
shown as they are (factor 1)."""

UNIT_DISPLAY: dict[str, tuple[float, str, int]] = {
    "": (1.0, "", 0), "MW": (1.0, "MW", 1), "MWh": (1e-3, "GWh", 1), "hour": (1e-6, "million h", 2),
    "tok": (1e-12, "trillion tok", 2), "USD": (1e-6, "MUSD", 1), "USD/hour": (1.0, "USD/h", 3),
    "t": (1e-3, "kt", 1), "m**3": (1.0, "m³", 0),
}
"""Internal unit → (scale, unit shown, decimals) for the columns of monthly tables; other units
are shown as they are with two decimals."""

PERCENT_COLUMNS = {"gross_margin"}
"""Ratios shown as percentages (gross margin 0.54 is shown as 54.0 %)."""

_SUFFIXES = ("_usd", "_mwh", "_mw", "_tco2", "_m3", "_mmbtu", "_hours")


def missing(value) -> bool:
    """Whether ``value`` is absent: None, NaN or infinite."""
    return value is None or (isinstance(value, float) and not math.isfinite(value))


def scale(shown: str) -> float:
    """The factor from the internal unit to the display unit ``shown``.

    >>> scale("MUSD"), scale("GWh"), scale("MW")
    (1e-06, 0.001, 1.0)
    """
    return SHOWN.get(shown, ("", 1.0))[1]


def number(value: float, decimals: int = 0) -> str:
    """A number with thousands separators; ``—`` for NaN (and None, infinities).

    >>> number(1234567.891, 1), number(float("nan")), number(-0.0004, 2)
    ('1,234,567.9', '—', '0.00')
    """
    if missing(value):
        return MISSING
    text = f"{value:,.{decimals}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


def scaled(value: float, shown: str, decimals: int = 0) -> str:
    """``value`` (in its internal unit) in the display unit ``shown``, without the unit's name.

    >>> scaled(38.2e9, "MUSD"), scaled(1530.0, "GWh", 1), scaled(float("nan"), "MUSD")
    ('38,200', '1.5', '—')
    """
    return number(value * scale(shown) if not missing(value) else value, decimals)


def compact(value: float) -> str:
    """Large numbers without decimals, small ones with three (tables of figures side by side).

    >>> compact(1234.5), compact(0.98765), compact(float("nan"))
    ('1,234', '0.988', '—')
    """
    return number(value, 0 if missing(value) or abs(value) >= 100 else 3)


def significant(value: float, digits: int = 4, scientific: bool = False) -> str:
    """Thousands and up without decimals, else ``digits`` significant digits; with
    ``scientific``, very large or very small numbers in scientific notation.

    >>> significant(123456.7), significant(0.123456), significant(2.5e-5), significant(3e9, scientific=True)
    ('123,457', '0.1235', '2.5e-05', '3e+09')
    """
    if missing(value):
        return MISSING
    if scientific and value and not 1e-3 <= abs(value) < 1e7:
        return f"{value:.{digits}g}"
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.{digits}g}"


def quantity(value: float, unit: str = "") -> str:
    """Compact text for a table cell with its unit: ``174 MW``, ``5.29 GUSD``, ``275,796``; blank for NaN.

    >>> quantity(5.29e9, "USD"), quantity(174.2, "MW"), quantity(275796.0), quantity(float("nan"))
    ('5.29 GUSD', '174 MW', '275,796', '')
    """
    if missing(value):
        return ""
    if unit == "USD":
        for factor, prefix in ((1e9, "GUSD"), (1e6, "MUSD")):
            if abs(value) >= factor:
                return f"{value / factor:,.2f} {prefix}"
        return f"{value:,.0f} USD"
    text = f"{value:,.0f}" if abs(value) >= 100 or value == 0 else f"{value:,.3g}"
    return f"{text} {unit}".strip()


def percent(value: float, signed: bool = False, decimals: int = 1) -> str:
    """A fraction as a percentage; blank for NaN.

    >>> percent(0.25), percent(-0.031, signed=True), percent(float("nan"))
    ('25.0 %', '-3.1 %', '')
    """
    if missing(value):
        return ""
    return f"{value * 100:{'+' if signed else ''}.{decimals}f} %"


def money_text(usd: float) -> str:
    """US dollars in MUSD with thousands separators and a true minus sign.

    >>> money_text(-54_210_400_000.0), money_text(1.5e6)
    ('−54,210 MUSD', '2 MUSD')
    """
    return f"{number(usd / 1e6, 0).replace('-', '−')} MUSD"


def readable(value: int | float) -> str:
    """A number as written in a scenario, with thousands separators.

    >>> readable(4_000_000), readable(4.0e6), readable(0.0563)
    ('4,000,000', '4,000,000', '0.0563')
    """
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.0f}" if value.is_integer() and abs(value) < 1e15 else f"{value:,.6g}"


def short_value(value) -> str:
    """An input's value with three significant digits and its unit, for labels.

    >>> short_value("45794.73319220205 USD"), short_value(0.8999999999999999), short_value("gas")
    ('45,800 USD', '0.9', 'gas')
    >>> short_value("0.05634638839194281 USD/kWh"), short_value("2 months"), short_value("1.0 months")
    ('0.0563 USD/kWh', '2 months', '1 month')
    """
    match = re.fullmatch(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*(.*)", str(value))
    if not match:
        return str(value)
    magnitude, unit = float(match[1]), match[2].strip()
    if magnitude == 0 or not math.isfinite(magnitude):
        text = f"{magnitude:g}"
    else:
        decimals = 2 - math.floor(math.log10(abs(magnitude)))
        text = f"{round(magnitude, decimals):,.{max(decimals, 0)}f}"
        if "." in text:
            text = text.rstrip("0").rstrip(".")
    if text == "1" and unit in ("months", "years", "days", "hours"):
        unit = unit[:-1]
    return f"{text} {unit}".strip()


def column_label(column: str, unit: str) -> tuple[str, float, str, int]:
    """(label, scale, unit shown, decimals) for a monthly column.

    >>> column_label("energy_cost_usd", "USD")
    ('energy cost', 1e-06, 'MUSD', 1)
    >>> column_label("h100e_available", "")
    ('H100e available', 1.0, '', 0)
    >>> column_label("it_power_mw", "MW")[0]
    'IT power'
    >>> column_label("gross_margin", "")
    ('gross margin', 100.0, '%', 1)
    """
    factor, shown, decimals = UNIT_DISPLAY.get(unit, (1.0, unit, 2))
    if column in PERCENT_COLUMNS:
        factor, shown, decimals = 100.0, "%", 1
    name = column
    for suffix in _SUFFIXES:
        if name.endswith(suffix) and len(name) > len(suffix):
            name = name[: -len(suffix)]
            break
    if column.startswith("h100e"):
        shown = ""
    if column.endswith("_tco2") and shown == "kt":
        shown = "ktCO2"
    if column.endswith("_h100e_hours"):
        shown = "million H100e-h"
        name = name.removesuffix("_h100e")
    label = re.sub(r"\bit\b", "IT", name.replace("_", " ")).replace("h100e", "H100e")
    if label == "cost per H100e hour":
        label = "cost per H100e-hour"
    return label, factor, shown, decimals


# --------------------------------------------------------------------------- scales for charts
def power_scale(peak_mw: float) -> tuple[float, str]:
    """Factor and unit to show megawatts in: GW from 2,000 MW up, else MW.

    >>> power_scale(1500.0), power_scale(2400.0)
    ((1.0, 'MW'), (0.001, 'GW'))
    """
    return (1e-3, "GW") if peak_mw >= 2000 else (1.0, "MW")


def count_scale(peak: float) -> tuple[float, str]:
    """Factor and word to show a count in: trillions, billions or millions from 2 of them,
    thousands from 20,000.

    >>> count_scale(150_000), count_scale(3e6), count_scale(900), count_scale(5e14)
    ((0.001, 'thousands'), (1e-06, 'millions'), (1.0, ''), (1e-12, 'trillions'))
    """
    for threshold, factor, word in ((2e12, 1e-12, "trillions"), (2e9, 1e-9, "billions"), (2e6, 1e-6, "millions"),
                                    (2e4, 1e-3, "thousands")):
        if peak >= threshold:
            return factor, word
    return 1.0, ""


def money_scale(peak_usd: float) -> tuple[float, str]:
    """Factor and unit to show US dollars in: billion USD from 2 billion, else million USD.

    >>> money_scale(5e8), money_scale(3e10)
    ((1e-06, 'million USD'), (1e-09, 'billion USD'))
    """
    return (1e-9, "billion USD") if peak_usd >= 2e9 else (1e-6, "million USD")


def axis_scale(unit: str, peak: float) -> tuple[float, str]:
    """Factor and axis unit for a series of ``unit`` (a pint unit string, ``""`` for counts)
    whose largest magnitude is ``peak``.

    >>> axis_scale("USD", 5e9), axis_scale("MW", 2500.0), axis_scale("", 3e6), axis_scale("t", 10.0)
    ((1e-09, 'billion USD'), (0.001, 'GW'), (1e-06, 'millions'), (1.0, 't'))
    """
    if unit == "USD":
        return money_scale(peak)
    if unit == "MW":
        return power_scale(peak)
    if not unit:
        return count_scale(peak)
    return 1.0, unit
