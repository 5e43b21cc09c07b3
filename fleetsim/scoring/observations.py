"""Observations files: dated public figures to hold a run against.

A CSV file with a header and the columns

=============== ==========================================================================
``month``       ``YYYY-MM``, inside the scenario's horizon
``site``        a site of the scenario, or blank for the whole fleet
``metric``      a monthly column of ``Result.monthly`` (fleet), a per-site column of
                ``Result.sites`` (site), or ``cumulative_capex_usd`` (hardware + facility
                capex from the start to the end of the month, fleet or site), or a flow
                column summed over the year or quarter to date (fleet): ``revenue_usd_qtd``
                (revenue from the quarter's first month to this one), ``cash_burn_usd_ytd``
``value``       a number
``unit``        a pint unit of the metric's dimension (``MW``, ``GW``, ``GUSD``); blank for counts
``source``      who published the figure, and when
``status``      ``observed`` (a figure of what was there) or ``projected`` (a plan)
``uncertainty`` optional: a plain number is relative (``0.1`` = ±10 %), a number with a unit is
                absolute (``20 MW``); must be above zero
=============== ==========================================================================

Every problem names ``file:row:column``, the column, the value given and a valid example; all
problems of a file are reported together (:class:`ObservationsError`).
"""

from __future__ import annotations

import csv
import difflib
import math
import re
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fleetsim.errors import FleetsimError

COLUMNS = ("month", "site", "metric", "value", "unit", "source", "status", "uncertainty")
REQUIRED = COLUMNS[:-1]
STATUSES = ("observed", "projected")
DERIVED = {"cumulative_capex_usd": "USD"}
"""Metrics computed for scoring beyond the result's columns, with their unit."""
PERIODS = {"_ytd": "Y", "_qtd": "Q"}
"""Suffixes of a flow column summed over the year (``_ytd``) or quarter (``_qtd``) to date."""


def period_flows() -> dict[str, str]:
    """``<column>_ytd`` and ``<column>_qtd`` of every monthly column that sums over time → unit."""
    from fleetsim.accounting.columns import COLUMNS

    return {f"{name}{suffix}": unit for name, (unit, kind) in COLUMNS.items() if kind == "total"
            for suffix in PERIODS}


def unit_of(metric: str) -> str:
    """The unit of any observable metric (monthly, per-site, derived or period-to-date)."""
    from fleetsim.accounting.columns import UNITS

    return DERIVED.get(metric) or UNITS.get(metric) or period_flows().get(metric, "")
EXAMPLE_ROW = "2024-09,colossus-1,peak_facility_power_mw,174,MW,Epoch AI 2025-12,observed,0.1"


class ObservationsError(FleetsimError):
    """An observations file that cannot be used; the message lists every problem with its place."""

    def __init__(self, problems: list[str]):
        self.problems = list(problems)
        head = "1 problem" if len(problems) == 1 else f"{len(problems)} problems"
        super().__init__(f"invalid observations file, {head}:\n" + "\n".join(f"  {p}" for p in problems))


@dataclass(frozen=True)
class Observations:
    """A checked observations table: the columns above plus ``factor`` (unit → the metric's unit),
    ``observed`` (the value in the metric's unit), ``band`` (absolute uncertainty in that unit, NaN
    if none) and ``row`` (its row in the file)."""

    table: pd.DataFrame
    path: Path | None = None

    def __len__(self) -> int:
        return len(self.table)


def _horizon(target) -> tuple[pd.Period, pd.Period, list[str]]:
    """First and last month and the site names of a Scenario or a Result."""
    if hasattr(target, "spec"):
        from fleetsim import months

        first = months.period(target.spec.start)
        return first, first + target.spec.months - 1, list(target.spec.sites)
    index = target.monthly.index
    return index[0], index[-1], list(dict.fromkeys(target.sites["site"]))


def metric_units(site_level: bool) -> dict[str, str]:
    """Metric → unit: per-site columns (``site_level``) or monthly columns, plus :data:`DERIVED`."""
    from fleetsim.accounting.columns import SITE_COLUMNS, UNITS

    names = SITE_COLUMNS if site_level else list(UNITS)
    return {**{name: UNITS[name] for name in names}, **DERIVED, **({} if site_level else period_flows())}


def _close(word: str, choices: list[str]) -> str:
    found = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"; did you mean {found[0]!r}?" if found else ""


def _factor(unit: str, target: str) -> float:
    """Factor from ``unit`` to the metric's unit ``target``; ValueError with the reason. Units of
    fleetsim's own table (fleetsim.units.KNOWN_FACTORS, checked against pint) need no pint."""
    from fleetsim.units import known_factor

    known = known_factor(unit, target)
    if known is not None:
        return known
    from fleetsim.units import pint, ureg  # pint imported without dask (fleetsim.units)

    want = ureg.Unit(target) if target else ureg.dimensionless
    try:
        given = ureg.parse_units(unit) if unit else ureg.dimensionless
    except (pint.errors.UndefinedUnitError, pint.errors.DefinitionSyntaxError, AttributeError, TypeError,
            ValueError, SyntaxError):
        raise ValueError(f"unknown unit {unit!r}") from None
    if given.dimensionality != want.dimensionality:
        raise ValueError(f"unit {unit or '(blank)'!r} does not measure this metric, whose unit is "
                         f"{target or '(blank: a count)'!r}")
    return float(ureg.Quantity(1.0, given).to(want).magnitude)


_NUMBER = re.compile(r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?")


def read(path: str | Path, target) -> Observations:
    """Read and check ``path`` against ``target`` (a Scenario or a Result: its horizon and sites).

    Raises :class:`ObservationsError` listing every problem as ``file:row:column``.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise ObservationsError([f"{path}: cannot read the observations file: "
                                 f"{getattr(exc, 'strerror', None) or exc}"]) from None
    rows = list(csv.reader(text.splitlines()))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise ObservationsError([f"{path}:1:1: the file is empty; it needs a header "
                                 f"({','.join(COLUMNS)}) and rows such as {EXAMPLE_ROW}"])
    header = [cell.strip() for cell in rows[0]]
    problems = [f"{path}:1:{i + 1}: unknown column {name!r}{_close(name, list(COLUMNS))} "
                f"(columns: {', '.join(COLUMNS)})" for i, name in enumerate(header) if name not in COLUMNS]
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        problems.append(f"{path}:1:1: missing column{'s' * (len(missing) > 1)} {', '.join(missing)}; the header is "
                        f"{','.join(COLUMNS)} (uncertainty optional)")
    if problems:
        raise ObservationsError(problems)
    first, last, sites = _horizon(target)
    where = {name: header.index(name) for name in COLUMNS if name in header}
    records, seen = [], {}
    for number, cells in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in cells):
            continue
        cell = {name: (cells[i].strip() if i < len(cells) else "") for name, i in where.items()}

        def fail(column: str, message: str, example: str, row=number, cell=cell) -> None:
            problems.append(f"{path}:{row}:{where[column] + 1}: column {column}: {message} "
                            f"(given: {cell.get(column, '')!r}); for example {example!r}")

        bad = len(problems)
        month = None
        if not re.fullmatch(r"\d{4}-\d{2}", cell["month"]) or not 1 <= int(cell["month"][5:]) <= 12:
            fail("month", "a month is written YYYY-MM", str(first))
        else:
            month = pd.Period(cell["month"], "M")
            if not first <= month <= last:
                fail("month", f"the month is outside the scenario's horizon, {first} to {last}", str(first))
        site = cell["site"]
        if site and site not in sites:
            fail("site", f"unknown site{_close(site, sites)} (sites: {', '.join(sites)}; blank = the fleet)",
                 sites[0])
        units = metric_units(bool(site))
        metric, factor = cell["metric"], 1.0
        if metric not in units:
            other = metric_units(not site)
            if site and metric in other:
                fail("metric", f"{metric!r} is a fleet column, not a per-site one: leave site blank",
                     "peak_facility_power_mw")
            else:
                fail("metric", f"unknown metric {metric!r}{_close(metric, list(units))} (a "
                               f"{'per-site' if site else 'monthly'} column or cumulative_capex_usd)",
                     "peak_facility_power_mw")
        else:
            try:
                factor = _factor(cell["unit"], units[metric])
            except ValueError as exc:
                fail("unit", str(exc), units[metric] or "")
        value = math.nan
        try:
            value = float(cell["value"])
            if not math.isfinite(value):
                raise ValueError
        except ValueError:
            fail("value", "the value must be a finite number", "174")
        if cell["status"] not in STATUSES:
            fail("status", "status is observed or projected", "observed")
        band = math.nan
        text = cell.get("uncertainty", "")
        if text:
            match = _NUMBER.match(text)
            if not match:
                fail("uncertainty", "a relative uncertainty (0.1 = ±10 %) or an absolute one with the metric's "
                                    "unit", "0.1")
            else:
                size, rest = float(match.group(0)), text[match.end():].strip()
                if size <= 0:
                    fail("uncertainty", "the uncertainty must be above zero", "0.1")
                elif not rest:
                    band = size * abs(value) * factor if math.isfinite(value) else math.nan
                elif metric in units:
                    try:
                        band = size * _factor(rest, units[metric])
                    except ValueError as exc:
                        fail("uncertainty", str(exc), f"20 {units[metric]}".strip())
        key = (cell["month"], site, metric)
        if len(problems) == bad and key in seen:
            fail("metric", f"duplicate row: row {seen[key]} already gives {metric} for {site or 'the fleet'} "
                           f"in {cell['month']}", "one row per month, site and metric")
        seen.setdefault(key, number)
        if len(problems) == bad:
            records.append({"month": month, "site": site, "metric": metric, "value": value, "unit": cell["unit"],
                            "source": cell.get("source", ""), "status": cell["status"], "uncertainty": text,
                            "observed": value * factor, "band": band, "row": number})
    if problems:
        raise ObservationsError(problems)
    if not records:
        raise ObservationsError([f"{path}:2:1: the file has a header but no rows; add rows such as {EXAMPLE_ROW}"])
    return Observations(pd.DataFrame.from_records(records), path)


def from_frame(frame: pd.DataFrame, target, name: str = "<observations>") -> Observations:
    """Check an in-memory table with the columns above (as :func:`read` does for a file)."""
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        file = Path(folder) / "observations.csv"
        frame.reindex(columns=list(COLUMNS)).to_csv(file, index=False)
        try:
            observations = read(file, target)
        except ObservationsError as exc:
            raise ObservationsError([p.replace(str(file), name) for p in exc.problems]) from None
    return Observations(observations.table, None)
