"""The one pint registry of fleetsim, and dimension-checked parsing of quantity strings.

Every quantity a user writes (``"150 MW"``, ``"0.08 USD/kWh"``, ``"9 MUSD/MW"``) is parsed
here, checked against the dimension its field expects, and converted to the fixed internal
unit of that dimension (:data:`INTERNAL`). The engine and the accounting then work on plain
floats in those units.

>>> parse("1.2 GW", "power")
1200.0
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pint

__all__ = ["INTERNAL", "KINDS", "Kind", "UnitProblem", "parse", "ureg"]


def _build_registry() -> pint.UnitRegistry:
    registry = pint.UnitRegistry(
        filename=str(Path(__file__).with_name("units.txt")),
        autoconvert_offset_to_baseunit=False,
        cache_folder=None,
    )
    pint.set_application_registry(registry)
    return registry


ureg: pint.UnitRegistry = _build_registry()


@dataclass(frozen=True)
class Kind:
    """A physical kind of field: its pint dimensionality, internal unit and an example."""

    name: str
    internal: str
    example: str

    @property
    def a(self) -> str:
        """The name with its article: 'a power', 'an energy price'."""
        return f"{'an' if self.name[0] in 'aeiou' else 'a'} {self.name}"

    @property
    def dimensionality(self):
        return ureg.Unit(self.internal).dimensionality


KINDS: dict[str, Kind] = {
    k.name: k
    for k in [
        Kind("power", "MW", "150 MW"),
        Kind("accelerator power", "W", "700 W"),
        Kind("energy", "MWh", "600 MWh"),
        Kind("money", "USD", "33800 USD"),
        Kind("money per month", "USD/month", "25 MUSD/month"),
        Kind("money per power", "USD/MW", "9 MUSD/MW"),
        Kind("energy price", "USD/MWh", "0.08 USD/kWh"),
        Kind("token price", "USD/tok", "2.0 USD/Mtok"),
        Kind("duration", "hour", "5 days"),
        Kind("life", "month", "5 years"),
        Kind("compute", "FLOP", "6e27 FLOP"),
        Kind("compute rate", "FLOP/s", "989 TFLOP/s"),
        Kind("money per energy", "USD/MWh", "280 USD/kWh"),
        Kind("fuel price", "USD/MMBtu", "3.5 USD/MMBtu"),
        Kind("heat rate", "MMBtu/MWh", "9.5 MMBtu/MWh"),
        Kind("carbon intensity", "t/MWh", "0.42 t/MWh"),
        Kind("fuel carbon", "t/MMBtu", "53.06 kg/MMBtu"),
        Kind("demand charge", "USD/MW/month", "12 USD/kW/month"),
        Kind("water intensity", "L/kWh", "1.8 L/kWh"),
        Kind("power rent", "USD/MW/month", "150 USD/kW/month"),
        Kind("hourly rate", "USD/hour", "2.1 USD/h"),
    ]
}
"""Field kinds by name. ``internal`` is the unit the engine works in."""

INTERNAL = {name: kind.internal for name, kind in KINDS.items()}

_NUMBER = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


class UnitProblem(ValueError):
    """A quantity string that cannot be read as the expected kind (message says how to fix)."""


_AMBIGUOUS_MBTU = re.compile(r"(?<![A-Za-z])MBtu")


def _hint_for_unknown(text: str) -> str:
    if _AMBIGUOUS_MBTU.search(text):
        return " ('MBtu' means a thousand Btu in some trades and a million in others: write MMBtu)"
    return ""


@cache
def _unit_factor(unit_text: str, kind_name: str) -> float:
    """Factor from ``unit_text`` to the kind's internal unit (cached: scenarios repeat units)."""
    kind = KINDS[kind_name]
    if _AMBIGUOUS_MBTU.search(unit_text):
        raise UnitProblem(f"ambiguous unit {unit_text!r}{_hint_for_unknown(unit_text)}")
    try:
        unit = ureg.parse_units(unit_text) if unit_text else ureg.dimensionless
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, AttributeError,
            TypeError, ValueError, SyntaxError) as exc:
        raise UnitProblem(
            f"unknown unit {unit_text!r}{_hint_for_unknown(unit_text)}; "
            f"expected {kind.a} such as {kind.example!r}"
        ) from exc
    if unit.dimensionality != kind.dimensionality:
        got = "no dimension" if unit.dimensionless else f"{unit.dimensionality}"
        raise UnitProblem(
            f"{unit_text!r} has dimension {got}, but this field is {kind.a} "
            f"({kind.dimensionality}); for example {kind.example!r}"
        )
    return float(ureg.Quantity(1.0, unit).to(kind.internal).magnitude)


def parse(value: object, kind_name: str) -> float:
    """Parse ``value`` (a string such as ``"150 MW"``) as a ``kind_name`` quantity.

    Returns the magnitude in the kind's internal unit. Raises :class:`UnitProblem` with a
    message that names the expected dimension and gives a valid example.

    >>> parse("9 MUSD/MW", "money per power")
    9000000.0
    >>> parse("5 years", "life")
    60.0
    """
    kind = KINDS[kind_name]
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise UnitProblem(f"expected {kind.a} with its unit, such as {kind.example!r}")
    if not isinstance(value, str):
        raise UnitProblem(
            f"{kind.a} needs its unit written: {value!r} has none; for example {kind.example!r}"
        )
    match = _NUMBER.match(value)
    if not match:
        raise UnitProblem(f"expected a number followed by a unit, such as {kind.example!r}")
    magnitude = float(match.group(0))
    unit_text = value[match.end():].strip()
    if not unit_text:
        raise UnitProblem(
            f"{kind.a} needs its unit written: {value!r} has none; for example {kind.example!r}"
        )
    if not math.isfinite(magnitude):
        raise UnitProblem(f"{value!r} is not a finite number; for example {kind.example!r}")
    return magnitude * _unit_factor(unit_text, kind_name)


def to_text(magnitude: float, kind_name: str) -> str:
    """Format an internal magnitude of ``kind_name`` as a quantity string (``"150 MW"``)."""
    return f"{magnitude:g} {KINDS[kind_name].internal}"
