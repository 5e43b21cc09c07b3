"""A scenario's assumptions as HTML: the notebook view of a Scenario and the report's section
"Assumptions".

``Scenario._repr_html_`` calls :func:`scenario_html`. Everything here is plain strings built
with :func:`html.escape` (tables by :func:`fleetsim.faces.html.table`). Scenario values are shown
as the file writes them (``"150 MW"``), with the comment written beside them in the file as
their note or source; hardware values come from the resolved catalog, each with the catalog's
source and date.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from html import escape
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fleetsim import formats
from fleetsim.faces.html import table
from fleetsim.months import to_text

if TYPE_CHECKING:
    from fleetsim.scenario.load import Scenario

Key = tuple[Any, ...]

# --------------------------------------------------------------------------- scenarios
_MONTH = re.compile(r"^\d{4}-\d{2}$")


def inline(value: Any) -> str:
    """A scenario value as YAML flow text for reading, numbers with thousands separators.

    >>> inline({"2024-07": "150 MW", "2024-09": "300 MW"}), inline(4.0e6), inline([1, "a"])
    ('{2024-07: 150 MW, 2024-09: 300 MW}', '4,000,000', '[1, a]')
    """
    from fleetsim.scenario.errormap import flow

    return flow(value, formats.readable)


def _is_value(node: Any) -> bool:
    """A mapping shown as one value: a schedule, a file reference, a window or a distribution."""
    if not isinstance(node, dict) or not node:
        return True
    keys = set(map(str, node))
    return (all(_MONTH.match(k) for k in keys) or keys <= {"file", "from", "to"}
            or (len(node) == 1 and isinstance(next(iter(node.values())), list)))


def iter_settings(node: Any, prefix: Key = ()) -> Iterator[tuple[Key, Any, bool]]:
    """(key path, value, is a single setting) for every mapping and setting below ``node``, in
    file order; schedules, windows and file references count as single settings."""
    if isinstance(node, dict) and not _is_value(node):
        if prefix:
            yield prefix, node, False
        for key, value in node.items():
            yield from iter_settings(value, (*prefix, key))
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
    for path, value, single in iter_settings(tree.get(section, {}), (section,)):
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
    n = formats.number
    return {
        "power": f"{n(spec.power_w)} W" if spec.power_w is not None else "",
        "system_overhead": n(spec.system_overhead, 2) if spec.system_overhead is not None else "",
        "it_power": f"{n(spec.it_power_w)} W",
        "flops": f"{n(spec.flops / 1e12)} TFLOP/s", "h100e": n(spec.h100e, 2),
        "price": f"{n(spec.price_usd)} USD",
        "life": f"{life:g} years" if life.is_integer() else f"{spec.life_months} months",
        "failure_rate": f"{n(spec.failure_rate, 2)} per year",
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
             ("horizon", f"{to_text(first)} to {to_text(last)} "
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
