"""HTML views of scenarios and results: notebook display and the pieces of ``fleetsim report``.

``Scenario._repr_html_`` and ``Result._repr_html_`` call :func:`scenario_html` and
:func:`result_html`. Everything here is plain strings built with :func:`html.escape`; numbers are
shown with thousands separators in readable units (MW, GWh, MUSD), each named in its header.

Scenario values are shown as the file writes them (``"150 MW"``), with the comment written
beside them in the file as their note or source; hardware values come from the resolved
catalog, each with the catalog's source and date.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import cache
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from fleetsim.result import Result
    from fleetsim.scenario.load import Scenario

Key = tuple[Any, ...]

# --------------------------------------------------------------------------- numbers and units
UNIT_DISPLAY: dict[str, tuple[float, str, int]] = {
    "": (1.0, "", 0), "MW": (1.0, "MW", 1), "MWh": (1e-3, "GWh", 1), "hour": (1e-6, "million h", 2),
    "tok": (1e-12, "trillion tok", 2), "USD": (1e-6, "MUSD", 1), "USD/hour": (1.0, "USD/h", 3),
    "t": (1e-3, "kt", 1), "m**3": (1.0, "m³", 0),
}
"""Internal unit → (scale, unit shown, decimals) for tables; other units are shown as they are."""

PERCENT_COLUMNS = {"gross_margin"}
"""Ratios shown as percentages (gross margin 0.54 is shown as 54.0 %)."""

_SUFFIXES = ("_usd", "_mwh", "_mw", "_tco2", "_m3", "_mmbtu", "_hours")


def number(value: float, decimals: int = 0) -> str:
    """A number with thousands separators; ``—`` for NaN.

    >>> number(1234567.891, 1), number(float("nan")), number(-0.0004, 2)
    ('1,234,567.9', '—', '0.00')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    text = f"{value:,.{decimals}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.,") else text


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
    number, unit = float(match[1]), match[2].strip()
    if number == 0 or not math.isfinite(number):
        text = f"{number:g}"
    else:
        decimals = 2 - math.floor(math.log10(abs(number)))
        text = f"{round(number, decimals):,.{max(decimals, 0)}f}"
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
    scale, shown, decimals = UNIT_DISPLAY.get(unit, (1.0, unit, 2))
    if column in PERCENT_COLUMNS:
        scale, shown, decimals = 100.0, "%", 1
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
    return label, scale, shown, decimals


_UNIT_SCALES = {"GWh": 1e-3, "MUSD": 1e-6, "GUSD": 1e-9, "ktCO2": 1e-3, "kt": 1e-3}


def summary_rows(result: Result) -> list[tuple[str, str, str]]:
    """The headline figures as (label, formatted value, unit) rows: the rows ``fleetsim run``
    prints (:data:`fleetsim.cli.commands.SUMMARY_ROWS`), then any other figure of
    :meth:`Result.summary` with a label made from its key."""
    from fleetsim.cli.commands import SUMMARY_ROWS

    figures = result.summary()
    rows = []
    for key, label, unit, fmt in SUMMARY_ROWS:
        if key in figures:
            value = figures[key] * _UNIT_SCALES.get(unit, 1.0)
            rows.append((label, "—" if math.isnan(value) else fmt.format(value), unit))
    listed = {row[0] for row in SUMMARY_ROWS}
    for key, value in figures.items():
        if key not in listed:
            label, unit = _auto_summary_label(key)
            rows.append((label, number(value * _UNIT_SCALES.get(unit, 1.0), 1), unit))
    return rows


def figure_format(key: str) -> tuple[str, str, float, str]:
    """Label, display unit, scale and format of a headline figure (a key of :meth:`Result.summary`),
    as :func:`summary_rows` shows it.

    >>> figure_format("capex_usd_total"), figure_format("fuel_cost_usd_total")[:3]
    (('Capex, total (hardware + facility)', 'MUSD', 1e-06, '{:,.0f}'), ('Fuel cost, total', 'MUSD', 1e-06))
    """
    from fleetsim.cli.commands import SUMMARY_ROWS

    for listed, label, unit, fmt in SUMMARY_ROWS:
        if listed == key:
            return label, unit, _UNIT_SCALES.get(unit, 1.0), fmt
    label, unit = _auto_summary_label(key)
    return label, unit, _UNIT_SCALES.get(unit, 1.0), "{:,.1f}"


def _auto_summary_label(key: str) -> tuple[str, str]:
    """A label and display unit from a summary key such as ``fuel_cost_usd_total``.

    >>> _auto_summary_label("fuel_cost_usd_total")
    ('Fuel cost, total', 'MUSD')
    """
    unit = ""
    for suffix, shown in (("_mwh", "GWh"), ("_usd", "MUSD"), ("_mw", "MW"), ("_tco2", "ktCO2")):
        if suffix + "_" in key + "_":
            key, unit = key.replace(suffix, ""), shown
            break
    words = key.split("_")
    if words[-1] in ("total", "peak", "end", "mean"):
        words = [*words[:-1], ",", words[-1]]
    text = " ".join(words).replace(" ,", ",")
    return text[:1].upper() + text[1:], unit


def money_text(usd: float) -> str:
    """US dollars in MUSD with thousands separators and a true minus sign.

    >>> money_text(-54_210_400_000.0), money_text(1.5e6)
    ('−54,210 MUSD', '2 MUSD')
    """
    return f"{number(usd / 1e6, 0).replace('-', '−')} MUSD"


def cash_shortfall(monthly: pd.DataFrame) -> dict[str, Any]:
    """When the cash balance (``cash_balance_usd``) runs out, for how long it stays below zero,
    and its lowest point: ``{"runs_out", "months_below_zero", "months", "lowest_usd", "lowest_month",
    "end_usd"}`` (``runs_out`` is None when the balance never goes below zero)."""
    balance = monthly["cash_balance_usd"]
    below = balance.index[balance.to_numpy() < 0]
    lowest = balance.idxmin()
    return {"runs_out": str(below[0]) if len(below) else None, "months_below_zero": len(below),
            "months": len(balance), "lowest_usd": float(balance.min()), "lowest_month": str(lowest),
            "end_usd": float(balance.iloc[-1])}


def cash_story(monthly: pd.DataFrame) -> str:
    """One line on the cash balance: when it runs out, for how long and how low it goes.

    >>> import pandas as pd
    >>> months = pd.period_range("2024-07", periods=4, freq="M", name="month")
    >>> cash_story(pd.DataFrame({"cash_balance_usd": [5e8, -1e9, -3e9, -2e9]}, index=months))
    'cash runs out in 2024-08: balance below zero for 3 of 4 months, lowest −3,000 MUSD in 2024-09'
    >>> cash_story(pd.DataFrame({"cash_balance_usd": [5e8, 1e8, 2e8, 9e8]}, index=months))
    'cash lasts the horizon: lowest 100 MUSD in 2024-08, 900 MUSD at the end'
    """
    facts = cash_shortfall(monthly)
    lowest = f"lowest {money_text(facts['lowest_usd'])} in {facts['lowest_month']}"
    if facts["runs_out"] is None:
        return f"cash lasts the horizon: {lowest}, {money_text(facts['end_usd'])} at the end"
    return (f"cash runs out in {facts['runs_out']}: balance below zero for {facts['months_below_zero']} of "
            f"{facts['months']} months, {lowest}")


# --------------------------------------------------------------------------- HTML tables
def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], *, numeric: Iterable[int] = (),
          caption: str | None = None, css: str = "fleetsim") -> str:
    """An HTML table; every cell is escaped. ``numeric`` columns are right-aligned."""
    right = set(numeric)

    def cell(tag: str, i: int, value: Any) -> str:
        style = ' style="text-align:right"' if i in right else ' style="text-align:left"'
        return f"<{tag}{style}>{escape(str(value))}</{tag}>"

    head = "".join(cell("th", i, h) for i, h in enumerate(headers))
    thead = f"<thead><tr>{head}</tr></thead>" if any(headers) else ""
    body = "\n".join("<tr>" + "".join(cell("td", i, v) for i, v in enumerate(row)) + "</tr>" for row in rows)
    title = f"<caption>{escape(caption)}</caption>" if caption else ""
    return f'<table class="{css}">{title}{thead}\n<tbody>\n{body}\n</tbody></table>'


def monthly_headers(result: Result, columns: Sequence[str]) -> list[str]:
    """Headers with units, such as ``energy cost [MUSD]``."""
    headers = []
    for column in columns:
        label, _, unit, _ = column_label(column, result.units.get(column, ""))
        headers.append(f"{label} [{unit}]" if unit else label)
    return headers


def frame_rows(result: Result, frame: pd.DataFrame) -> list[list[str]]:
    """Rows of a monthly-like table (index = period), formatted in display units."""
    formats = [column_label(c, result.units.get(c, ""))[1::2] for c in frame.columns]
    rows = []
    for period, values in zip(frame.index.astype(str), frame.itertuples(index=False), strict=True):
        rows.append([period, *(number(v * scale, decimals) for v, (scale, decimals) in zip(values, formats,
                                                                                          strict=True))])
    return rows


def monthly_table(result: Result, frame: pd.DataFrame | None = None, index_name: str = "month") -> str:
    """A monthly (or rolled-up) table with units in its headers."""
    frame = result.monthly if frame is None else frame
    columns = list(frame.columns)
    return table([index_name, *monthly_headers(result, columns)], frame_rows(result, frame),
                 numeric=range(1, len(columns) + 1))


def transposed_table(result: Result, frame: pd.DataFrame, index_name: str = "year") -> str:
    """A rolled-up table with one row per series and one column per period."""
    periods = [str(p) for p in frame.index]
    rows = []
    for column, header in zip(frame.columns, monthly_headers(result, list(frame.columns)), strict=True):
        _, scale, _, decimals = column_label(column, result.units.get(column, ""))
        rows.append([header, *(number(v * scale, decimals) for v in frame[column].to_numpy())])
    return table([f"series / {index_name}", *periods], rows, numeric=range(1, len(periods) + 1))


def summary_table(result: Result) -> str:
    return table(["figure", "value", "unit"], summary_rows(result), numeric=[1])


# --------------------------------------------------------------------------- results
def result_html(result: Result, head: int = 3, tail: int = 3) -> str:
    """A Result for a notebook: headline figures and the first and last months."""
    m = result.monthly
    meta = result.meta
    facts = [f"{len(m)} months, {m.index[0]} to {m.index[-1]}" if len(m) else "no months",
             f"seed {meta.get('seed')}", f"{len(result.ledger):,} ledger rows",
             f"{len(result.training)} training run{'s' if len(result.training) != 1 else ''}"]
    parts = [f"<p><strong>Result of {escape(str(meta.get('scenario')))}</strong>: {escape(', '.join(facts))}</p>",
             summary_table(result)]
    if len(m) > head + tail:
        gap = ["…"] * (len(m.columns) + 1)
        rows = [*frame_rows(result, m.iloc[:head]), gap, *frame_rows(result, m.iloc[-tail:])]
    else:
        rows = frame_rows(result, m)
    parts.append(table(["month", *monthly_headers(result, list(m.columns))], rows,
                       numeric=range(1, len(m.columns) + 1)))
    parts += [f"<p>⚠ {escape(w)}</p>" for w in result.warnings]
    return "\n".join(parts)


# --------------------------------------------------------------------------- scenarios
_MONTH = re.compile(r"^\d{4}-\d{2}$")


def inline(value: Any) -> str:
    """A scenario value as YAML flow text for reading, numbers with thousands separators.

    >>> inline({"2024-07": "150 MW", "2024-09": "300 MW"}), inline(4.0e6), inline([1, "a"])
    ('{2024-07: 150 MW, 2024-09: 300 MW}', '4,000,000', '[1, a]')
    """
    from fleetsim.scenario.errormap import flow

    return flow(value, _readable_number)


def _readable_number(value: int | float) -> str:
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.0f}" if value.is_integer() and abs(value) < 1e15 else f"{value:,.6g}"


def _is_value(node: Any) -> bool:
    """A mapping shown as one value: a schedule, a file reference, a window or a distribution."""
    if not isinstance(node, dict) or not node:
        return True
    keys = set(map(str, node))
    return (all(_MONTH.match(k) for k in keys) or keys <= {"file", "from", "to"}
            or (len(node) == 1 and isinstance(next(iter(node.values())), list)))


def walk(node: Any, prefix: Key = ()) -> Iterator[tuple[Key, Any, bool]]:
    """(key path, value, is a single setting) for every mapping and setting below ``node``, in
    file order; schedules, windows and file references count as single settings."""
    if isinstance(node, dict) and not _is_value(node):
        if prefix:
            yield prefix, node, False
        for key, value in node.items():
            yield from walk(value, (*prefix, key))
    else:
        yield prefix, node, True


@cache
def _lines(file: str) -> tuple[str, ...]:
    try:
        return tuple(Path(file).read_text(encoding="utf-8").splitlines())
    except OSError:
        return ()


def _comment_start(line: str) -> int:
    """Index of the ``#`` that starts a YAML comment in ``line``, or -1."""
    quote = None
    for i, char in enumerate(line):
        if quote:
            quote = None if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char == "#" and (i == 0 or line[i - 1] in " \t"):
            return i
    return -1


def comment_note(file: str, line: int, column: int) -> str:
    """The comment written with a key: beside it (with aligned continuation lines), or else in
    the comment lines just above it at the same indentation."""
    lines = _lines(file)
    if not 0 < line <= len(lines):
        return ""
    text = lines[line - 1]
    at = _comment_start(text)
    if at >= 0 and text[:at].strip():
        note = [text[at + 1:].strip()]
        for following in lines[line:]:
            if _comment_start(following) == at and not following[:at].strip():
                note.append(following[at + 1:].strip())
            else:
                break
        return " ".join(note)
    above = []
    for previous in reversed(lines[: line - 1]):
        if previous.strip().startswith("#") and _comment_start(previous) == column - 1:
            above.append(previous.strip()[1:].strip())
        else:
            break
    return " ".join(reversed(above))


def scenario_notes(scenario: Scenario) -> dict[Key, str]:
    """Key path → the comment written with it in the scenario file (sources, estimates)."""
    notes = {}
    for key, where in getattr(scenario, "_locations", {}).items():
        if where is not None and where.line is not None:
            note = comment_note(where.file, where.line, where.column or 1)
            if note:
                notes[key] = note
        elif where is not None:
            notes[key] = f"set by {where.file}"
    return notes


def settings_table(tree: dict, section: str, notes: dict[Key, str]) -> str:
    """A section of the scenario (``sites``, ``operations``...) as key, value, note rows; a note
    written on a mapping (such as a power source) gets a row of its own and is not repeated."""
    rows: list[list[str]] = []
    shown = ""
    for path, value, single in walk(tree.get(section, {}), (section,)):
        note = notes.get(path, "")
        if not single and not note:
            continue
        key = ".".join(map(str, path[1:]))
        rows.append([key, inline(value) if single else "", "" if note == shown else note])
        shown = note or shown
    return table(["key", "value (as written)", "note in the scenario file"], rows)


def list_table(tree: dict, section: str, notes: dict[Key, str]) -> str:
    """A list section (``orders``, ``training``): one row per item, one column per key."""
    items = tree.get(section) or []
    keys = list(dict.fromkeys(k for item in items if isinstance(item, dict) for k in item))
    rows = [[str(i), *(inline(item.get(k, "")) if isinstance(item, dict) else "" for k in keys),
             notes.get((section, i), "")] for i, item in enumerate(items)]
    return table(["#", *keys, "note in the scenario file"], rows)


HARDWARE_FIELDS = ("power", "system_overhead", "it_power", "flops", "h100e", "price", "life", "failure_rate")


def hardware_values(spec: Any) -> dict[str, str]:
    """A resolved accelerator's values in readable units."""
    life = spec.life_months / 12
    return {
        "power": f"{spec.power_w:,.0f} W" if spec.power_w is not None else "",
        "system_overhead": f"{spec.system_overhead:.2f}" if spec.system_overhead is not None else "",
        "it_power": f"{spec.it_power_w:,.0f} W",
        "flops": f"{spec.flops / 1e12:,.0f} TFLOP/s", "h100e": f"{spec.h100e:.2f}",
        "price": f"{spec.price_usd:,.0f} USD",
        "life": f"{life:g} years" if life.is_integer() else f"{spec.life_months} months",
        "failure_rate": f"{spec.failure_rate:.2f} per year",
    }


def hardware_source(name: str, field: str, tree: dict, notes: dict[Key, str]) -> tuple[str, str]:
    """(source, date) of one hardware value: the scenario file, or the catalog entry it inherits."""
    from fleetsim.catalog import catalog_sources

    scenario_hardware = tree.get("hardware") or {}
    seen: set[str] = set()
    while name not in seen:
        seen.add(name)
        entry = scenario_hardware.get(name) or {}
        if field in entry:
            note = notes.get(("hardware", name, field), "")
            return f"scenario file{': ' + note if note else ''}", ""
        like = entry.get("like")
        if not like or like == name:
            break
        name = like
    info = catalog_sources().get(name, {}).get(field)
    if info:
        estimate = " (estimate)" if info.get("estimate") else ""
        return f"catalog {name}: {info.get('source', '')}{estimate}", str(info.get("date", ""))
    if field == "h100e":
        return "dense BF16 throughput ÷ the H100's 989 TFLOP/s", ""
    if field == "it_power":
        return "board power × system overhead", ""
    return "", ""


def hardware_table(scenario: Scenario) -> str:
    """Every accelerator type the scenario orders or defines: each value with its source and date."""
    tree = scenario.tree
    notes = scenario_notes(scenario)
    used = list(dict.fromkeys(o.hardware for o in scenario.spec.orders))
    defined = [name for name in tree.get("hardware") or {} if name not in used and name in scenario.hardware]
    rows = []
    for name in used + defined:
        values = hardware_values(scenario.hardware[name])
        label = name if name in used else f"{name} (not ordered)"
        for field in HARDWARE_FIELDS:
            source, date = hardware_source(name, field, tree, notes)
            rows.append([label, field, values[field], source, date])
    return table(["hardware", "field", "value", "source", "date"], rows, numeric=[2])


def scenario_facts(scenario: Scenario) -> list[tuple[str, str]]:
    """Name, description, horizon, seed, file and overrides as (label, text) pairs."""
    spec = scenario.spec
    first, last = spec.start, spec.start + spec.months - 1
    facts = [("name", spec.name), ("description", spec.description),
             ("horizon", f"{first // 12}-{first % 12 + 1:02d} to {last // 12}-{last % 12 + 1:02d} "
                         f"({spec.months} months)"),
             ("seed", str(spec.seed)), ("file", str(scenario.path) if scenario.path else "(text)")]
    if scenario.overrides:
        facts.append(("overrides", ", ".join(f"{k}={inline(v)}" for k, v in scenario.overrides)))
    return facts


SECTIONS = ("sites", "operations", "finance", "revenue")
LIST_SECTIONS = ("orders", "training")


def assumption_blocks(scenario: Scenario) -> list[tuple[str, str]]:
    """(title, HTML table) of every part of the scenario, hardware with sources."""
    tree, notes = scenario.tree, scenario_notes(scenario)
    known = {"name", "description", "start", "months", "seed", "extends", "hardware", *SECTIONS, *LIST_SECTIONS}
    blocks = [("Sites", settings_table(tree, "sites", notes)), ("Orders", list_table(tree, "orders", notes)),
              ("Hardware (values after the scenario's overrides)", hardware_table(scenario))]
    for section in ("operations", "finance", "revenue"):
        if tree.get(section):
            blocks.append((section.capitalize(), settings_table(tree, section, notes)))
    if tree.get("training"):
        blocks.append(("Training runs", list_table(tree, "training", notes)))
    for section in [k for k in tree if k not in known]:  # sections added by later versions
        blocks.append((section.capitalize(), settings_table(tree, section, notes)))
    return blocks


def scenario_html(scenario: Scenario) -> str:
    """A Scenario for a notebook: its facts and every assumption, as tables."""
    parts = [f"<p><strong>Scenario {escape(scenario.name)}</strong></p>",
             table(["", ""], scenario_facts(scenario))]
    for title, block in assumption_blocks(scenario):
        parts.append(f"<p><strong>{escape(title)}</strong></p>\n{block}")
    return "\n".join(parts)
