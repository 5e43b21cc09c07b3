"""Schedule files: ``{file: prices.csv}`` with columns ``month,value [unit]`` or ``month,value,unit``.

Read through the loading guard (:mod:`fleetsim.scenario.guard`): a regular UTF-8 file (Excel's
"CSV UTF-8" byte-order mark allowed) of at most ``MAX_CSV_BYTES``. Every problem names the file,
line and column; a file that is not a schedule is refused without quoting its content.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable
from typing import Any

from pydantic_core import PydanticCustomError

from fleetsim import months as _months
from fleetsim.errors import show
from fleetsim.scenario import guard
from fleetsim.scenario.schema_base import fail


def _csv_rows(path: str) -> list[list[str]]:
    """The rows of the schedule CSV ``path``, read through the loading guard (a regular UTF-8 file,
    a BOM allowed, at most ``MAX_CSV_BYTES``); the file's content is never quoted when it is refused."""
    sub = ("file",)
    try:
        raw = guard.read_limited(path, guard.MAX_CSV_BYTES, "schedule file")
    except guard.FileRefused as exc:
        message = str(exc)
        if exc.missing:
            message = (f"schedule file not found: {show(path)}; give a CSV with columns month,value "
                       "relative to the scenario file")
        raise fail(message, sub) from None
    text, offset, problem = guard.decode(raw, "schedule file")
    if problem is None and (control := guard.first_control(text)) is not None:
        problem, offset = f"control character {show(control[2])} is not allowed in a CSV", None
        at = f"{show(path)}:{control[0]}:{control[1]}"
    else:
        at = f"{show(path)}:{':'.join(map(str, guard.byte_position(raw, offset)))}" if offset is not None \
            else show(path)
    if problem is not None:
        raise fail(f"{at}: {problem}; a schedule file is a CSV with columns month,value", sub)
    try:
        return list(csv.reader(text.splitlines()))
    except csv.Error as exc:
        raise fail(f"{show(path)}: not a CSV file ({exc}); expected columns month,value", sub) from None


def read_csv(path: str, kind: str | None, example: str, parse: Callable[[Any], float]) -> list[tuple[int, float]]:
    """The ``(month, value)`` points of the schedule file ``path``, each value read by ``parse``
    (which raises a validation error); every problem is a validation error naming the file, its
    line and column."""
    sub = ("file",)
    rows = _csv_rows(path)
    path = show(path)
    if not rows:
        raise fail(f"schedule file {path} is empty; expected a header such as 'month,value [USD/kWh]'", sub)
    header = [h.strip() for h in rows[0]]
    unit_in_header = None
    if len(header) >= 2 and (m := re.fullmatch(r"value\s*\[(.+)\]", header[1])):
        unit_in_header = m.group(1).strip()
        header[1] = "value"
    if header[:2] != ["month", "value"] or (len(header) == 3 and header[2] != "unit") or len(header) > 3:
        raise fail(f"{path}:1: the first line is not the header of a schedule file; expected 'month,value [unit]' "
                   "or 'month,value,unit', such as 'month,value [USD/kWh]'", sub)
    points, rows_of = [], {}
    for number, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise fail(f"{path}:{number}: expected {len(header)} columns, got {len(row)}", sub)
        try:
            month = _months.parse(row[0].strip())
        except _months.MonthProblem as exc:
            raise fail(f"{path}:{number}:1: {exc}; the file has {_cell(row[0])}", sub) from None
        if month in rows_of:
            raise fail(f"{path}:{number}:1: month {_months.to_text(month)} appears twice in this schedule file "
                       f"(first at {path}:{rows_of[month]}); keep one row per month", sub)
        rows_of[month] = number
        at = f"{path}:{number}:{len(row[0]) + 2}"  # the value's column (written unquoted)
        text = row[1].strip()
        if kind is not None:
            unit = row[2].strip() if len(header) == 3 else unit_in_header
            text = f"{text} {unit}" if unit else text
        try:
            value: Any = text if kind is not None else float(text)
        except ValueError:
            raise fail(f"{at}: expected a number such as {example}, got {_cell(text)}", sub) from None
        try:
            points.append((month, parse(value)))
        except PydanticCustomError as exc:
            raise fail(f"{at}: {exc.message()}; the file has {_cell(text)}", sub) from None
    if not points:
        raise fail(f"schedule file {path} has no rows", sub)
    return points


def _cell(text: str) -> str:
    """A CSV cell as a message quotes it: escaped, and cut when long."""
    return show(repr(text if len(text) <= 40 else text[:37] + "..."))
