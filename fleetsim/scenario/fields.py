"""Field types of the scenario language: quantities, ratios, counts, months and schedules.

Each type is an ``Annotated`` pydantic type whose validator parses the user's text, checks its
dimension or range, and stores a plain float in the internal unit of :mod:`fleetsim.units`.
Messages always say what a valid value looks like.
"""

from __future__ import annotations

import functools
import math
import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

from fleetsim import months as _months
from fleetsim import units
from fleetsim.scenario.csvread import read_csv
from fleetsim.scenario.schema_base import fail

MAX_COUNT = 10**12
"""Largest count (accelerators, install rate): a million times today's largest fleets."""


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _finite(value: Any) -> bool:
    """Whether the number ``value`` is finite as a float (an int too large for a float is not)."""
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


# --------------------------------------------------------------------------- quantities
def parse_quantity(value: Any, kind: str, subpath: tuple = ()) -> float:
    """``value`` parsed as a ``kind`` quantity and checked against the kind's bounds."""
    try:
        magnitude = units.parse_text(value, kind) if type(value) is str else units.parse(value, kind)
    except units.UnitProblem as exc:
        raise fail(str(exc), subpath) from None
    spec = units.KINDS[kind]
    if abs(magnitude) > spec.maximum:
        bound = "1200 months (100 years)" if kind == "life" else units.bound_text(spec.maximum, kind)
        raise fail(f"{value!r} is beyond the largest {spec.name} fleetsim accepts, {bound}; "
                   f"for example {spec.example!r}", subpath)
    return magnitude


def Quantity(kind: str, description: str, minimum: float | None = 0.0,  # noqa: N802
             positive: bool = False):
    """A quantity of ``kind`` (see :data:`fleetsim.units.KINDS`), stored in its internal unit;
    ``positive``: zero is refused too (a life)."""
    example = units.KINDS[kind].example

    def validate(value: Any) -> float:
        magnitude = parse_quantity(value, kind)
        if minimum is not None and magnitude < minimum:
            raise fail(f"must not be negative; for example {example!r}")
        if positive and magnitude <= 0:
            raise fail(f"must be more than zero (at least 1 month); for example {example!r}")
        if positive and magnitude < 0.5:  # a life is whole months: refused, never rounded up from 0
            raise fail(f"{value!r} rounds to 0 whole months (fleetsim counts time in calendar months); write "
                       f"at least 1 month, for example {example!r}")
        return magnitude

    schema = {"type": "string", "description": f"{description} A {kind} with its unit.",
              "examples": [example], "x-unit-kind": kind, "x-internal-unit": units.INTERNAL[kind]}
    return Annotated[float, BeforeValidator(validate), WithJsonSchema(schema)]


# --------------------------------------------------------------------------- names
MAX_NAME = 100
"""Longest name (of a scenario, site, order, hardware entry, power source or training run)."""
NAME_RULE = (f"1 to {MAX_NAME} characters: letters, digits, spaces and - _ . + ( ) , ' & @ # %, beginning with "
             "a letter or digit and not ending with a space or a dot (so no / or \\, no leading dot, no . or "
             "..); such as colossus-1")
"""The rule every name follows, as the documentation and the messages state it."""
_NAME = re.compile(r"[\w .+(),'&@#%-]+")


def name_problem(value: Any) -> str | None:
    """Why ``value`` is not a valid name (see :data:`NAME_RULE`), or None.

    >>> name_problem("colossus-1") is None, name_problem("../x").split(";")[0]
    (True, "a name cannot contain '/'")
    """
    if type(value) is str:  # a world of thousands of orders repeats its names on every draw
        return _name_problem_text(value)
    return _name_problem(value)


@functools.lru_cache(maxsize=65536)
def _name_problem_text(value: str) -> str | None:
    return _name_problem(value)


def _name_problem(value: Any) -> str | None:
    if not isinstance(value, str):
        return f"a name is text; write it as {NAME_RULE.rsplit('such as ', 1)[1]}"
    rule = f"a name is {NAME_RULE}"
    if not value.strip():
        return f"a name cannot be empty or blank; {rule}"
    if len(value) > MAX_NAME:
        return f"a name is at most {MAX_NAME} characters (this one has {len(value)}); {rule}"
    bad = next((ch for ch in value if not _NAME.fullmatch(ch)), None)
    if bad is not None:
        shown = repr(bad) if bad.isprintable() else f"the control character {repr(bad)[1:-1]}"
        return f"a name cannot contain {shown}; {rule}"
    if not value[0].isalnum():
        return f"a name must begin with a letter or digit; {rule}"
    if value[-1] in " .":
        return f"a name cannot end with a {'space' if value[-1] == ' ' else 'dot'}; {rule}"
    return None


# --------------------------------------------------------------------------- plain numbers
def check_ratio(value: Any, low: float, high: float, example: str, subpath: tuple = (),
                low_open: bool = False) -> float:
    if isinstance(value, str):
        stripped = value.strip().rstrip("%").strip()
        hint = f" (write {float(stripped) / 100:g} for {value})" if value.strip().endswith("%") and \
            re.fullmatch(r"[-+]?\d+(\.\d*)?", stripped) else ""
        raise fail(f"expected a plain number between {low:g} and {high:g}, such as {example}{hint}",
                   subpath)
    if not _is_number(value) or not _finite(value):
        raise fail(f"expected a plain number between {low:g} and {high:g}, such as {example}", subpath)
    below = value <= low if low_open else value < low
    if below or value > high:
        bound = f"above {low:g}" if low_open else f"at least {low:g}"
        raise fail(f"{_short(value)} is out of range: must be {bound} and at most {high:g}; for example {example}",
                   subpath)
    return float(value)


def Ratio(description: str, low: float = 0.0, high: float = 1.0, example: str = "0.85",  # noqa: N802
          low_open: bool = False):
    """A pure number within ``[low, high]`` (or ``(low, high]`` when ``low_open``)."""

    def validate(value: Any) -> float:
        return check_ratio(value, low, high, example, low_open=low_open)

    schema = {"type": "number", "description": description, "examples": [float(example)],
              "maximum": high, **({"exclusiveMinimum": low} if low_open else {"minimum": low})}
    return Annotated[float, BeforeValidator(validate), WithJsonSchema(schema)]


def check_count(value: Any, example: str = "100000", subpath: tuple = ()) -> int:
    if _is_number(value) and (not _finite(value) or abs(value) > MAX_COUNT):
        raise fail(f"{_short(value)} is beyond the largest count fleetsim accepts, 1e12; for example {example}",
                   subpath)
    if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
        value = int(value)
    if not isinstance(value, int) or isinstance(value, bool):
        raise fail(f"expected a whole number of accelerators, such as {example}", subpath)
    if value < 0:
        raise fail(f"a count cannot be negative; for example {example}", subpath)
    return value


def _short(value: Any) -> str:
    """A number as a message quotes it (a huge one abbreviated)."""
    text = repr(value)
    return text if len(text) <= 24 else f"{float(value):.3g}" if _finite(value) else "a number this large"


def Count(description: str, example: str = "100000"):  # noqa: N802
    """A whole, non-negative number (``4.0e6`` is accepted as 4000000)."""
    schema = {"type": "integer", "minimum": 0, "description": description, "examples": [int(example)]}
    return Annotated[int, BeforeValidator(lambda v: check_count(v, example)), WithJsonSchema(schema)]


def check_number(value: Any, example: str, minimum: float = 0.0, maximum: float = 1e15) -> float:
    if not _is_number(value) or not _finite(value):
        raise fail(f"expected a plain number, such as {example}")
    if value < minimum:
        raise fail(f"must be at least {minimum:g}; for example {example}")
    if value > maximum:
        raise fail(f"{_short(value)} is beyond the largest value fleetsim accepts here, {maximum:g}; "
                   f"for example {example}")
    return float(value)


def Number(description: str, example: str, minimum: float = 0.0, maximum: float = 1e15):  # noqa: N802
    """A plain number without a unit, within ``[minimum, maximum]``."""
    schema = {"type": "number", "minimum": minimum, "maximum": maximum, "description": description,
              "examples": [float(example)]}
    return Annotated[float, BeforeValidator(lambda v: check_number(v, example, minimum, maximum)),
                     WithJsonSchema(schema)]


# --------------------------------------------------------------------------- months
def check_month(value: Any, subpath: tuple = ()) -> int:
    try:
        return _months.parse_text(value) if type(value) is str else _months.parse(value)
    except _months.MonthProblem as exc:
        raise fail(str(exc), subpath) from None


def Month(description: str):  # noqa: N802
    """A calendar month written ``YYYY-MM``, stored as a month number."""
    schema = {"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$", "description": description,
              "examples": [_months.EXAMPLE]}
    return Annotated[int, BeforeValidator(check_month), WithJsonSchema(schema)]


def check_delivery(value: Any) -> tuple[int, int]:
    """A delivery month, or an inclusive window ``{from: YYYY-MM, to: YYYY-MM}``, as (first, last)."""
    if isinstance(value, tuple):
        return value
    if isinstance(value, dict):
        for key in value:
            if key not in ("from", "to"):
                raise fail(f"unknown key {key!r} in a delivery window; write {{from: 2025-09, to: 2026-06}}",
                           (key,))
        for key in ("from", "to"):
            if key not in value:
                raise fail(f"a delivery window needs '{key}'; write {{from: 2025-09, to: 2026-06}}")
        first, last = check_month(value["from"], ("from",)), check_month(value["to"], ("to",))
        if last < first:
            raise fail("the window ends before it begins: 'to' must not be earlier than 'from'; "
                       "write {from: 2025-09, to: 2026-06}", ("to",))
        return first, last
    month = check_month(value)
    return month, month


Delivery = Annotated[
    tuple[int, int],
    BeforeValidator(check_delivery),
    WithJsonSchema({
        "description": "Delivery month YYYY-MM, or an inclusive window {from: YYYY-MM, to: YYYY-MM} "
                       "over which the count is split evenly by month (remainder to the earliest months).",
        "anyOf": [{"type": "string", "pattern": r"^\d{4}-(0[1-9]|1[0-2])$"},
                  {"type": "object", "required": ["from", "to"], "additionalProperties": False,
                   "properties": {"from": {"type": "string"}, "to": {"type": "string"}}}],
        "examples": ["2024-07", {"from": "2025-09", "to": "2026-06"}],
    }),
]
"""An order's delivery: (first month, last month), equal for a single month."""


# --------------------------------------------------------------------------- schedules
@dataclass(frozen=True)
class Schedule:
    """A value over time: ``points`` are ``(month, value)`` sorted by month.

    A single value is stored with month ``None`` and holds for every month. Values are in the
    internal unit of ``kind`` (or plain numbers when ``kind`` is ``None``).
    """

    points: tuple[tuple[int | None, float], ...]
    kind: str | None = None
    file: str | None = None

    @property
    def first_month(self) -> int | None:
        return self.points[0][0]

    def at(self, month: int) -> float | None:
        """The value in force in ``month``, or None before the first key."""
        current = None
        for key, value in self.points:
            if key is None or key <= month:
                current = value
            else:
                break
        return current

    def series(self, start: int, count: int, before: float = 0.0) -> list[float]:
        """Values of ``count`` months from ``start``; ``before`` ahead of the first key."""
        keys = [key for key, _ in self.points]
        if None in keys:
            if len(keys) == 1:
                return [self.points[0][1]] * max(count, 0)
            values = []
            for month in range(start, start + count):
                value = self.at(month)
                values.append(before if value is None else value)
            return values
        table = [before, *(value for _, value in self.points)]  # the value in force after k keys
        return [table[bisect_right(keys, month)] for month in range(start, start + count)]

    @property
    def maximum(self) -> float:
        return max(value for _, value in self.points)


@dataclass(frozen=True)
class Profile:
    """A seasonal profile: twelve values, January first, repeated every year."""

    values: tuple[float, ...]
    kind: str | None = None

    first_month = None

    def series(self, start: int, count: int, before: float = 0.0) -> list[float]:
        return [self.values[month % 12] for month in range(start, start + count)]

    @property
    def maximum(self) -> float:
        return max(self.values)


def check_pue(value: Any) -> Schedule | Profile:
    """PUE as one value, a month schedule, or ``{profile: [12 values, January first]}``."""
    if isinstance(value, Profile):
        return value
    if isinstance(value, dict) and "profile" in value:
        if set(value) != {"profile"}:
            raise fail("a PUE profile is written {profile: [1.18, 1.18, ...]} with nothing beside it")
        items = value["profile"]
        if not isinstance(items, list) or len(items) != 12:
            raise fail("a PUE profile needs 12 values, January first, such as "
                       "{profile: [1.18, 1.18, 1.20, 1.23, 1.27, 1.31, 1.33, 1.33, 1.29, 1.24, 1.20, 1.18]}",
                       ("profile",))
        return Profile(tuple(check_ratio(v, 1.0, 3.0, "1.25", ("profile", i)) for i, v in enumerate(items)))
    return check_schedule(value, None, 1.0, 3.0, "1.25")


Pue = Annotated[
    Schedule | Profile,
    BeforeValidator(check_pue),
    WithJsonSchema({
        "description": "Power usage effectiveness (facility power over IT power, 1 to 3): one value, a "
                       "mapping 'YYYY-MM: value', {file: path.csv}, or a seasonal {profile: [12 values, "
                       "January first]}.",
        "anyOf": [{"type": "number", "minimum": 1, "maximum": 3},
                  {"type": "object", "patternProperties": {r"^\d{4}-(0[1-9]|1[0-2])$": {"type": "number"}}},
                  {"type": "object", "properties": {"profile": {"type": "array", "minItems": 12, "maxItems": 12,
                                                                "items": {"type": "number"}}}},
                  {"type": "object", "properties": {"file": {"type": "string"}}}],
        "examples": [1.25, {"profile": [1.18, 1.18, 1.2, 1.23, 1.27, 1.31, 1.33, 1.33, 1.29, 1.24, 1.2, 1.18]}],
    }),
]


def _parse_value(value: Any, kind: str | None, low: float, high: float, example: str,
                 subpath: tuple) -> float:
    if kind is None:
        return check_ratio(value, low, high, example, subpath)
    magnitude = parse_quantity(value, kind, subpath)
    if magnitude < 0:
        raise fail(f"must not be negative; for example {units.KINDS[kind].example!r}", subpath)
    return magnitude


def check_schedule(value: Any, kind: str | None, low: float = 0.0, high: float = 1.0,
                   example: str = "0.85") -> Schedule:
    if isinstance(value, Schedule):
        return value
    if isinstance(value, dict) and set(value) == {"file"}:
        points = read_csv(str(value["file"]), kind, example,
                          lambda text: _parse_value(text, kind, low, high, example, ()))
        return _sorted_schedule(points, kind, str(value["file"]))
    if isinstance(value, dict):
        if not value:
            raise fail(f"a schedule needs at least one 'YYYY-MM: value' entry, such as {{2024-07: {example}}}")
        points = [(check_month(month, (month,)), _parse_value(v, kind, low, high, example, (month,)))
                  for month, v in value.items()]
        return _sorted_schedule(points, kind, None)
    return Schedule(((None, _parse_value(value, kind, low, high, example, ())),), kind)


def _sorted_schedule(points: list[tuple[int, float]], kind: str | None, file: str | None) -> Schedule:
    seen: set[int] = set()
    for month, _ in points:
        if month in seen:
            raise fail(f"month {_months.to_text(month)} appears twice in the schedule")
        seen.add(month)
    return Schedule(tuple(sorted(points, key=lambda p: p[0])), kind, file)


def ScheduleOf(kind: str | None, description: str, low: float = 0.0, high: float = 1.0,  # noqa: N802
               example: str | None = None):
    """A schedule of ``kind`` quantities (or ratios within ``[low, high]`` when ``kind`` is None)."""
    example = example or (units.KINDS[kind].example if kind else "0.85")
    one = ({"type": "string", "examples": [example]} if kind else
           {"type": "number", "minimum": low, "maximum": high})
    schema = {
        "description": f"{description} One value, a mapping 'YYYY-MM: value' (each holds until the "
                       "next key), or {file: path.csv}.",
        "anyOf": [one,
                  {"type": "object", "patternProperties": {r"^\d{4}-(0[1-9]|1[0-2])$": one},
                   "additionalProperties": False, "minProperties": 1},
                  {"type": "object", "properties": {"file": {"type": "string"}}, "required": ["file"],
                   "additionalProperties": False}],
    }
    if kind:
        schema["x-unit-kind"] = kind
    return Annotated[Schedule, BeforeValidator(lambda v: check_schedule(v, kind, low, high, example)),
                     WithJsonSchema(schema)]
