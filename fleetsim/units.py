"""The one pint registry of fleetsim, and dimension-checked parsing of quantity strings.

Every quantity a user writes (``"150 MW"``, ``"0.08 USD/kWh"``, ``"9 MUSD/MW"``) is parsed
here, checked against the dimension its field expects, and converted to the fixed internal
unit of that dimension (:data:`INTERNAL`). The engine and the accounting then work on plain
floats in those units.

>>> parse("1.2 GW", "power")
1200.0
"""

from __future__ import annotations

import functools
import math
import re
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path


def _import_pint_without_dask():
    """pint imports dask (0.3–0.5 s) only to support dask arrays when dask is installed; fleetsim
    never gives pint a dask array, so pint is imported with dask hidden (``sys.modules["dask"] =
    None`` makes ``import dask`` fail at once), then dask is visible again for the executors."""
    import sys

    if "dask" in sys.modules or "pint" in sys.modules:
        import pint
        return pint
    sys.modules["dask"] = None  # type: ignore[assignment]
    try:
        import pint
    finally:
        del sys.modules["dask"]
    return pint


__all__ = ["INTERNAL", "KINDS", "Kind", "UnitProblem", "known_factor", "parse", "ureg"]  # noqa: F822 (ureg: on first use)


def _build_registry():
    pint = _import_pint_without_dask()
    registry = pint.UnitRegistry(
        filename=str(Path(__file__).with_name("units.txt")),
        autoconvert_offset_to_baseunit=False,
        cache_folder=None,
    )
    pint.set_application_registry(registry)
    return registry


def _registry():
    """The registry, built on first use: a scenario whose units are all in :data:`KNOWN_FACTORS`
    never imports pint (0.2–0.3 s of a command's start)."""
    registry = globals().get("ureg")
    if registry is None:
        registry = globals()["ureg"] = _build_registry()
        globals()["pint"] = sys.modules["pint"]
    return registry


def __getattr__(name: str):
    """``fleetsim.units.ureg`` (and ``pint``) are made on first access."""
    if name in ("ureg", "pint"):
        _registry()
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


@dataclass(frozen=True)
class Kind:
    """A physical kind of field: its pint dimensionality, internal unit, an example, and the
    largest magnitude accepted (in the internal unit; far beyond any real fleet, so that no
    figure derived from it can overflow)."""

    name: str
    internal: str
    example: str
    maximum: float

    @property
    def a(self) -> str:
        """The name with its article: 'a power', 'an energy price'."""
        return f"{'an' if self.name[0] in 'aeiou' else 'a'} {self.name}"

    @property
    def dimensionality(self):
        return _registry().Unit(self.internal).dimensionality


KINDS: dict[str, Kind] = {
    k.name: k
    for k in [
        Kind("power", "MW", "150 MW", 1e6),
        Kind("accelerator power", "W", "700 W", 1e6),
        Kind("energy", "MWh", "600 MWh", 1e9),
        Kind("money", "USD", "33800 USD", 1e12),
        Kind("money per month", "USD/month", "25 MUSD/month", 1e12),
        Kind("money per power", "USD/MW", "9 MUSD/MW", 1e12),
        Kind("energy price", "USD/MWh", "0.08 USD/kWh", 1e7),
        Kind("token price", "USD/tok", "2.0 USD/Mtok", 1e3),
        Kind("duration", "hour", "5 days", 876600),
        Kind("life", "month", "5 years", 1200),
        Kind("compute", "FLOP", "6e27 FLOP", 1e40),
        Kind("compute rate", "FLOP/s", "989 TFLOP/s", 1e21),
        Kind("money per energy", "USD/MWh", "280 USD/kWh", 1e12),
        Kind("fuel price", "USD/MMBtu", "3.5 USD/MMBtu", 1e6),
        Kind("heat rate", "MMBtu/MWh", "9.5 MMBtu/MWh", 1e3),
        Kind("carbon intensity", "t/MWh", "0.42 t/MWh", 1e3),
        Kind("fuel carbon", "t/MMBtu", "53.06 kg/MMBtu", 1e3),
        Kind("demand charge", "USD/MW/month", "12 USD/kW/month", 1e12),
        Kind("water intensity", "L/kWh", "1.8 L/kWh", 1e6),
        Kind("power rent", "USD/MW/month", "150 USD/kW/month", 1e12),
        Kind("hourly rate", "USD/hour", "2.1 USD/h", 1e9),
    ]
}
"""Field kinds by name. ``internal`` is the unit the engine works in."""

INTERNAL = {name: kind.internal for name, kind in KINDS.items()}

_NUMBER = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")

MAX_QUANTITY_TEXT = 100
"""Longest quantity text read (``"150 MW"`` is 6 characters)."""
MAX_POWER = 9
"""Largest whole power of a unit (``m**3``)."""
MAX_PARENTHESES = 4
"""Deepest nesting of parentheses in a unit."""

_TOKEN = re.compile(r"\s*(?:(?P<name>[^\W\d]\w*)|(?P<power>\*\*|\^)|(?P<op>[*/])|(?P<paren>[()])|(?P<int>[-+]?\d+))")


def unit_grammar_problem(unit_text: str) -> str | None:
    """Why ``unit_text`` is not a plain unit expression, or None.

    A unit expression is unit names (letters, digits after the first letter) joined by ``*``, ``/``
    or a space, each optionally raised to a small whole power (``**2``, ``^-1``), with balanced
    parentheses. It is checked here, before pint evaluates anything, so that no text can make
    pint compute (``MW * 10**10**10``) or raise a tokenizer error (``MW)``).

    >>> unit_grammar_problem("USD/kW/month") is None, unit_grammar_problem("MW * 10**10**10")
    (True, 'a number (10) inside the unit; write the number before the unit, as in 150 MW')
    """
    if not unit_text.strip():
        return None
    position, depth, expect_operand, after_power, powered = 0, 0, True, False, False
    while position < len(unit_text):
        match = _TOKEN.match(unit_text, position)
        if not match or match.end() == position:
            rest = unit_text[position:].strip()
            if not rest:
                break
            return f"{rest[0]!r} cannot appear in a unit; write unit names joined by * and /, such as USD/kWh"
        position = match.end()
        kind, token = match.lastgroup, match.group(match.lastgroup)
        if kind != "power":
            powered = powered and after_power
        if after_power:
            if kind != "int" or abs(int(token)) > MAX_POWER:
                return f"a power of a unit is a whole number from -{MAX_POWER} to {MAX_POWER}, such as m**3"
            after_power, expect_operand, powered = False, False, True
            continue
        if kind == "int":
            return f"a number ({token}) inside the unit; write the number before the unit, as in 150 MW"
        if kind == "name" or token == "(":
            if token == "(":
                depth += 1
                if depth > MAX_PARENTHESES:
                    return f"parentheses nested more than {MAX_PARENTHESES} deep"
            expect_operand = token == "("
        elif expect_operand:
            return f"{token!r} must follow a unit name, as in USD/kWh"
        elif kind == "power":
            if powered:
                return "a power of a power; write one power, such as m**3"
            after_power = True
        elif token == ")":
            depth -= 1
            if depth < 0:
                return "a ')' without its '('"
        else:
            expect_operand = True
    if after_power or expect_operand:
        return "the unit ends with an operator; end it with a unit name, as in USD/kWh"
    if depth:
        return "a '(' without its ')'"
    return None


class UnitProblem(ValueError):
    """A quantity string that cannot be read as the expected kind (message says how to fix)."""


_AMBIGUOUS_MBTU = re.compile(r"(?<![A-Za-z])MBtu")


def _hint_for_unknown(text: str) -> str:
    if _AMBIGUOUS_MBTU.search(text):
        return " ('MBtu' means a thousand Btu in some trades and a million in others: write MMBtu)"
    return ""


KNOWN_FACTORS: dict[tuple[str, str], float] = {}
"""``(unit text, kind) → factor`` to the kind's internal unit, for the units the shipped scenarios
and the catalog write, as pint computes them with ``units.txt`` (tests/test_units.py checks every
entry against pint; ``python -m fleetsim.scenario.unit_table`` prints the table afresh). Units not listed are
read by pint."""

# generated by `python -m fleetsim.scenario.unit_table` (tests/test_units.py checks it is current)
KNOWN_FACTORS.update({
    ('FLOP', 'compute'): 1.0,
    ('FLOP/s', 'compute rate'): 1.0,
    ('GUSD', 'money'): 1000000000.0,
    ('GW', 'power'): 1000.0,
    ('GWh', 'energy'): 1000.0,
    ('L/kWh', 'water intensity'): 1.0,
    ('MMBtu/MWh', 'heat rate'): 1.0,
    ('MUSD', 'money'): 1000000.0,
    ('MUSD/MW', 'money per power'): 1000000.0,
    ('MUSD/month', 'money per month'): 1000000.0,
    ('MW', 'power'): 1.0,
    ('MWh', 'energy'): 1.0,
    ('TFLOP/s', 'compute rate'): 1000000000000.0,
    ('TWh', 'energy'): 1000000.0,
    ('USD', 'money'): 1.0,
    ('USD/MMBtu', 'fuel price'): 1.0,
    ('USD/MW', 'money per power'): 1.0,
    ('USD/MW/month', 'demand charge'): 1.0,
    ('USD/MW/month', 'power rent'): 1.0,
    ('USD/MWh', 'energy price'): 1.0,
    ('USD/MWh', 'money per energy'): 1.0,
    ('USD/Mtok', 'token price'): 1e-06,
    ('USD/h', 'hourly rate'): 1.0,
    ('USD/hour', 'hourly rate'): 1.0,
    ('USD/kW', 'money per power'): 1000.0,
    ('USD/kW/month', 'demand charge'): 1000.0,
    ('USD/kW/month', 'power rent'): 1000.0,
    ('USD/kWh', 'energy price'): 1000.0,
    ('USD/kWh', 'money per energy'): 1000.0,
    ('USD/ktok', 'token price'): 0.001,
    ('USD/month', 'money per month'): 1.0,
    ('USD/tok', 'token price'): 1.0,
    ('W', 'accelerator power'): 1.0,
    ('W', 'power'): 1e-06,
    ('days', 'duration'): 24.0,
    ('h', 'duration'): 1.0,
    ('hour', 'duration'): 1.0,
    ('hours', 'duration'): 1.0,
    ('kUSD', 'money'): 1000.0,
    ('kUSD/month', 'money per month'): 1000.0,
    ('kW', 'accelerator power'): 1000.0,
    ('kW', 'power'): 0.001,
    ('kWh', 'energy'): 0.001,
    ('kg/MMBtu', 'fuel carbon'): 0.001,
    ('month', 'life'): 1.0,
    ('months', 'duration'): 730.5,
    ('months', 'life'): 1.0,
    ('t/MMBtu', 'fuel carbon'): 1.0,
    ('t/MWh', 'carbon intensity'): 1.0,
    ('weeks', 'duration'): 168.0,
    ('year', 'life'): 12.0,
    ('years', 'life'): 12.0,
})


def known_factor(unit_text: str, target: str) -> float | None:
    """The factor from ``unit_text`` to the unit ``target`` from :data:`KNOWN_FACTORS`, without
    pint, when ``target`` is the internal unit of a kind whose table holds ``unit_text`` (1 when
    the two are the same text); None otherwise (ask pint).

    >>> known_factor("GUSD", "USD"), known_factor("kW", "W"), known_factor("MW", "MW"), known_factor("MW", "USD")
    (1000000000.0, 1000.0, 1.0, None)
    """
    if unit_text == target:
        return 1.0
    for name, kind in KINDS.items():
        if kind.internal == target and (unit_text, name) in KNOWN_FACTORS:
            return KNOWN_FACTORS[(unit_text, name)]
    return None


@cache
def _unit_factor(unit_text: str, kind_name: str) -> float:
    """Factor from ``unit_text`` to the kind's internal unit (cached: scenarios repeat units)."""
    known = KNOWN_FACTORS.get((unit_text, kind_name))
    if known is not None:
        return known
    kind = KINDS[kind_name]
    if _AMBIGUOUS_MBTU.search(unit_text):
        raise UnitProblem(f"ambiguous unit {unit_text!r}{_hint_for_unknown(unit_text)}")
    grammar = unit_grammar_problem(unit_text)
    if grammar is not None:
        raise UnitProblem(f"{unit_text!r} is not a unit: {grammar}; expected {kind.a} such as {kind.example!r}")
    ureg = _registry()
    try:
        unit = ureg.parse_units(unit_text) if unit_text else ureg.dimensionless
        factor = float(ureg.Quantity(1.0, unit).to(kind.internal).magnitude) \
            if unit.dimensionality == kind.dimensionality else math.nan
    except Exception as exc:  # any failure of pint on checked text: an unknown unit
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
    if not math.isfinite(factor) or factor == 0:
        raise UnitProblem(f"{unit_text!r} is too large or too small a unit; for example {kind.example!r}")
    return factor


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
    if isinstance(value, str) and len(value) > MAX_QUANTITY_TEXT:
        raise UnitProblem(f"a quantity is a number and a unit of at most {MAX_QUANTITY_TEXT} characters; "
                          f"for example {kind.example!r}")
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
    return _scaled(match.group(0), _unit_factor(unit_text, kind_name))


@functools.lru_cache(maxsize=65536)
def parse_text(value: str, kind_name: str) -> float:
    """:func:`parse` of text, remembered (a problem is raised again each time, never cached)."""
    return parse(value, kind_name)


def _scaled(number_text: str, factor: float) -> float:
    """``number × factor`` rounded once, in decimal: the same quantity written in GW or in MW
    (``"1.1 GW"``, ``"1100 MW"``) gives the same bits. The factor is snapped to 15 significant
    digits first, so a prefix factor pint computes as 999.9999999999999 is exactly 1000.

    >>> _scaled("1.1", 1000.0) == _scaled("1100", 1.0) == 1100.0
    True
    """
    if factor == 1.0:
        return float(number_text)
    from decimal import Decimal

    return float(Decimal(number_text) * Decimal(f"{factor:.15g}"))


def bound_text(magnitude: float, kind_name: str) -> str:
    """A bound in the kind's internal unit, written to be read (``1e6 MW``, ``1200 month``).

    >>> bound_text(1e6, "power"), bound_text(876600, "duration")
    ('1e6 MW', '876600 hour')
    """
    number = f"{magnitude:.0e}".replace("e+0", "e").replace("e+", "e") if magnitude >= 1e5 and \
        float(f"{magnitude:.0e}") == magnitude else f"{magnitude:g}"
    return f"{number} {KINDS[kind_name].internal}"


def to_text(magnitude: float, kind_name: str) -> str:
    """Format an internal magnitude of ``kind_name`` as a quantity string (``"150 MW"``)."""
    return f"{magnitude:g} {KINDS[kind_name].internal}"
