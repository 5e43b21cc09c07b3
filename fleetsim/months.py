"""Calendar months as integers, and the real number of hours in each.

A month is held as one integer, ``year * 12 + (month - 1)``, so month arithmetic is integer
arithmetic. Text is always ``YYYY-MM``.

>>> to_text(parse("2024-07") + 6)
'2025-01'
>>> hours_in_month(parse("2024-02"))
696.0
"""

from __future__ import annotations

import calendar
import datetime as _dt
import functools
import re

import numpy as np

_PATTERN = re.compile(r"^(\d{4})-(\d{2})$")
EXAMPLE = "2024-07"


class MonthProblem(ValueError):
    """A month written in a form fleetsim does not read."""


def parse(value: object) -> int:
    """Read ``YYYY-MM`` text as a month number; raise :class:`MonthProblem` otherwise."""
    if isinstance(value, _dt.date):
        raise MonthProblem(
            f"a full date was given where a month is due: write {value:%Y-%m}, not {value.isoformat()}"
        )
    if not isinstance(value, str):
        raise MonthProblem(f"expected a month written YYYY-MM, such as {EXAMPLE!r}")
    text = value.strip()
    match = _PATTERN.match(text)
    if not match:
        if re.match(r"^\d{4}-\d{2}-\d{2}", text):
            raise MonthProblem(f"a full date was given where a month is due: write {text[:7]!r}")
        raise MonthProblem(f"expected a month written YYYY-MM, such as {EXAMPLE!r}")
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12:
        raise MonthProblem(f"month {month:02d} does not exist; months run 01 to 12, as in {EXAMPLE!r}")
    return year * 12 + month - 1


@functools.lru_cache(maxsize=65536)
def parse_text(value: str) -> int:
    """:func:`parse` of text, remembered (a problem is raised again each time, never cached)."""
    return parse(value)


def to_text(month: int) -> str:
    """Format a month number as ``YYYY-MM``."""
    return f"{month // 12:04d}-{month % 12 + 1:02d}"


def hours_in_month(month: int) -> float:
    """Real hours in a calendar month (672 to 744)."""
    return 24.0 * calendar.monthrange(month // 12, month % 12 + 1)[1]


def hours_array(start: int, count: int) -> np.ndarray:
    """Hours of ``count`` consecutive months from ``start``."""
    return np.array([hours_in_month(start + i) for i in range(count)], dtype=float)


def period(month: int):
    """A month number as a pandas monthly ``Period``.

    >>> period(parse("2024-07"))
    Period('2024-07', 'M')
    """
    import pandas as pd

    return pd.Period(year=month // 12, month=month % 12 + 1, freq="M")


def month_index(start: int, count: int):
    """The ``month`` index of every table: ``count`` monthly periods from month number ``start``
    (a ``pandas.PeriodIndex`` named ``month``). The one place tables build it.

    >>> month_index(parse("2024-11"), 3).strftime("%Y-%m").tolist()
    ['2024-11', '2024-12', '2025-01']
    """
    import pandas as pd

    return pd.period_range(start=period(start), periods=count, freq="M", name="month")


def month_numbers(index) -> np.ndarray:
    """The month numbers of a monthly ``PeriodIndex`` (the inverse of :func:`month_index`).

    >>> month_numbers(month_index(parse("2024-11"), 3)).tolist() == [parse("2024-11") + k for k in range(3)]
    True
    """
    return np.asarray(index.year, dtype=np.int64) * 12 + np.asarray(index.month, dtype=np.int64) - 1


def as_periods(values):
    """Months given as ``YYYY-MM`` text or periods (a column read back) as a monthly ``PeriodIndex``.

    >>> as_periods(["2024-07", "2025-01"]).tolist()
    [Period('2024-07', 'M'), Period('2025-01', 'M')]
    """
    import pandas as pd

    return pd.PeriodIndex(values, freq="M")
