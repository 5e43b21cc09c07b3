"""HTML tables of results: the notebook view of a Result and the tables of ``fleetsim report``.

``Result._repr_html_`` calls :func:`result_html`. Everything here is plain strings built with
:func:`html.escape`; numbers are shown with thousands separators in readable units (MW, GWh,
MUSD; see :mod:`fleetsim.formats`), each named in its header; the headline figures are those of
:mod:`fleetsim.figures`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from html import escape
from typing import TYPE_CHECKING, Any

import numpy as np

from fleetsim import figures, formats

if TYPE_CHECKING:
    import pandas as pd

    from fleetsim.result import Result


def cash_shortfall(monthly: pd.DataFrame) -> dict[str, Any]:
    """When the cash balance (``cash_balance_usd``) runs out, for how long it stays below zero,
    and its lowest point: ``{"runs_out", "months_below_zero", "months", "lowest_usd", "lowest_month",
    "end_usd"}`` (``runs_out`` is None when the balance never goes below zero)."""
    from fleetsim.frame import Frame, month_texts

    if isinstance(monthly, Frame):  # the monthly column table: no pandas
        balance, months = np.asarray(monthly["cash_balance_usd"], dtype=float), month_texts(monthly["month"])
    else:
        balance, months = monthly["cash_balance_usd"].to_numpy(dtype=float), monthly.index.astype(str)
    below = np.flatnonzero(balance < 0)
    lowest = int(np.nanargmin(balance))
    return {"runs_out": str(months[below[0]]) if len(below) else None, "months_below_zero": len(below),
            "months": len(balance), "lowest_usd": float(np.nanmin(balance)), "lowest_month": str(months[lowest]),
            "end_usd": float(balance[-1])}


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
    lowest = f"lowest {formats.money_text(facts['lowest_usd'])} in {facts['lowest_month']}"
    if facts["runs_out"] is None:
        return f"cash lasts the horizon: {lowest}, {formats.money_text(facts['end_usd'])} at the end"
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
        label, _, unit, _ = formats.column_label(column, result.units.get(column, ""))
        headers.append(f"{label} [{unit}]" if unit else label)
    return headers


def frame_rows(result: Result, frame: pd.DataFrame) -> list[list[str]]:
    """Rows of a monthly-like table (index = period), formatted in display units."""
    shown = [formats.column_label(c, result.units.get(c, ""))[1::2] for c in frame.columns]
    rows = []
    for period, values in zip(frame.index.astype(str), frame.itertuples(index=False), strict=True):
        rows.append([period, *(formats.number(v * scale, decimals) for v, (scale, decimals) in zip(values, shown,
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
        _, scale, _, decimals = formats.column_label(column, result.units.get(column, ""))
        rows.append([header, *(formats.number(v * scale, decimals) for v in frame[column].to_numpy())])
    return table([f"series / {index_name}", *periods], rows, numeric=range(1, len(periods) + 1))


def summary_table(result: Result) -> str:
    """The headline figures (:data:`fleetsim.figures.SUMMARY`) as label, value, unit rows."""
    return table(["figure", "value", "unit"], figures.rows(result.summary()), numeric=[1])


def owner_table(result: Result) -> str:
    """The :data:`fleetsim.figures.OWNER` figures of each owner (``figures.by_owner``), one row
    per owner, in display units; ``""`` when the scenario names fewer than two owners."""
    by_owner = figures.by_owner(result.owners)
    if sum(1 for name in by_owner.index if name) < 2:
        return ""
    headers = ["owner", *(f"{figures.OWNER_HEADINGS[k]} [{figures.FIGURES[k].shown}]" for k in figures.OWNER)]
    rows = [[name or figures.NO_OWNER, *(figures.FIGURES[k].text(row[k]) for k in figures.OWNER)]
            for name, row in by_owner.iterrows()]
    return table(headers, rows, numeric=list(range(1, len(headers))))


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
