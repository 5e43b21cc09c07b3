"""Column tables: what the books build, before (and without) pandas.

A :class:`Frame` is an ordered dict of equal-length 1-D numpy arrays. Months are month numbers
(``year * 12 + month - 1``, :mod:`fleetsim.months`) in the columns named in ``months``; one
column may be the ``index`` (the monthly table's ``month``). :meth:`Frame.to_pandas` gives the
DataFrame fleetsim's result tables have always been (a ``PeriodIndex`` or ``period[M]`` column
for months, pandas' ``str`` dtype for text, column order kept), and :func:`write_csv` writes the
bytes ``DataFrame.to_csv(index=False)`` writes for it (after :func:`fleetsim.io.write_tables`
turns months into ``YYYY-MM`` text) without importing pandas: that is how ``fleetsim run`` stays
clear of pandas and pyarrow (docs/architecture.md, "The lean run").

>>> f = Frame({"month": np.array([24295, 24296]), "x": np.array([1.5, np.nan])}, months=("month",))
>>> f["x"].tolist(), len(f), f.names
([1.5, nan], 2, ['month', 'x'])
>>> import io
>>> out = io.StringIO(); write_csv(f, out); out.getvalue()
'month,x\\n2024-08,1.5\\n2024-09,\\n'
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO

import numpy as np

from fleetsim.months import to_text

EPOCH = 1970 * 12
"""The month number of 1970-01, pandas' monthly period ordinal 0."""


class Frame:
    """Ordered columns of numpy arrays (see the module's notes).

    ``months``: columns of month numbers; ``index``: the column that becomes the DataFrame's index
    (``None``: a plain ``RangeIndex``); ``text``: columns that are pandas ``str`` even when empty
    (other object columns are ``str`` when they hold rows, ``object`` when empty, as pandas infers).
    """

    __slots__ = ("columns", "index", "months", "text")

    def __init__(self, columns: Mapping[str, np.ndarray], *, months: Iterable[str] = (), index: str | None = None,
                 text: Iterable[str] = ()):
        self.columns = {name: np.asarray(values) for name, values in columns.items()}
        self.months = frozenset(months)
        self.index = index
        self.text = frozenset(text)

    @classmethod
    def empty(cls, names: Iterable[str]) -> Frame:
        """No rows, every column ``object`` (``pd.DataFrame(columns=names)``)."""
        return cls({name: np.empty(0, dtype=object) for name in names})

    @property
    def names(self) -> list[str]:
        return list(self.columns)

    def __len__(self) -> int:
        return len(next(iter(self.columns.values()))) if self.columns else 0

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns[name]

    def __contains__(self, name: str) -> bool:
        return name in self.columns

    def take(self, rows: np.ndarray) -> Frame:
        """The rows ``rows`` (positions or a mask), in that order."""
        return Frame({n: v[rows] for n, v in self.columns.items()}, months=self.months, index=self.index,
                     text=self.text)

    def is_text(self, name: str) -> bool:
        """Whether the column is text in the DataFrame (and so has no unit): months, object columns."""
        return name in self.months or self.columns[name].dtype.kind not in "biuf"

    def to_pandas(self):
        """The DataFrame (see the class's notes)."""
        import pandas as pd

        data = {}
        for name, values in self.columns.items():
            if name in self.months:
                data[name] = pd.PeriodIndex.from_ordinals(values.astype(np.int64) - EPOCH, freq="M", name=name)
            elif name in self.text:
                data[name] = pd.array(values, dtype="str")
            else:
                data[name] = values
        if self.index is not None:
            index = data.pop(self.index)
            if not isinstance(index, pd.Index):
                index = pd.Index(index, name=self.index)
            return pd.DataFrame(data, index=index, columns=[n for n in self.columns if n != self.index])
        if not data:
            return pd.DataFrame()
        return pd.DataFrame(data, columns=list(self.columns))


def month_texts(months: np.ndarray) -> np.ndarray:
    """Month numbers as ``YYYY-MM`` text (an object array).

    >>> month_texts(np.array([24294, 24305])).tolist()
    ['2024-07', '2025-06']
    """
    months = np.asarray(months, dtype=np.int64)
    if not len(months):
        return np.empty(0, dtype=object)
    low, high = int(months.min()), int(months.max())
    texts = np.array([to_text(m) for m in range(low, high + 1)], dtype=object)
    return texts[months - low]


def _cells(frame: Frame, name: str) -> np.ndarray:
    """A column's cells as ``DataFrame.to_csv`` writes them: months ``YYYY-MM``, floats as numpy's
    shortest repr (``astype(str)``) with NaN empty, other values as ``str`` of their Python value."""
    values = frame.columns[name]
    if name in frame.months:
        return month_texts(values)
    if values.dtype.kind == "f":
        cells = values.astype(str).astype(object)
        cells[np.isnan(values)] = ""
        return cells
    return values.astype(object)


def write_csv(frame: Frame, target: str | Path | IO[str]) -> None:
    """Write ``frame`` as CSV, byte for byte what pandas writes for :meth:`Frame.to_pandas` with its
    months as text (the index first, then the columns; ``index=False``)."""
    names = ([frame.index] if frame.index is not None else []) + [n for n in frame.columns if n != frame.index]
    columns = [_cells(frame, name) for name in names]
    if isinstance(target, (str, Path)):
        with open(target, "w", newline="", encoding="utf-8") as handle:
            _write_rows(handle, names, columns)
    else:
        _write_rows(target, names, columns)


def _write_rows(handle: IO[str], names: list[str], columns: list[np.ndarray]) -> None:
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow(names)
    writer.writerows(zip(*columns, strict=True))


def concat(frames: list[Frame]) -> Frame:
    """The rows of ``frames`` one after the other (the columns, months and text of the first)."""
    first = frames[0]
    return Frame({name: np.concatenate([f.columns[name] for f in frames]) for name in first.columns},
                 months=first.months, index=first.index, text=first.text)


def sort_rows(frame: Frame, keys: Iterable[str]) -> Frame:
    """``frame`` sorted by ``keys`` (the first the most significant), ties in their order: what
    ``DataFrame.sort_values(keys, kind="stable")`` gives (text by code point)."""
    codes = []
    for name in keys:
        values = frame.columns[name]
        codes.append(np.unique(values, return_inverse=True)[1].reshape(-1) if values.dtype.kind == "O" else values)
    if not len(frame):
        return frame
    return frame.take(np.lexsort(codes[::-1]))


def factorize(*columns: np.ndarray) -> tuple[list, np.ndarray]:
    """The distinct values (tuples when several columns are given) in order of first appearance,
    and each row's position among them, in one pass (no sort of object arrays).

    >>> factorize(np.array(["b", "a", "b"], dtype=object))
    (['b', 'a'], array([0, 1, 0]))
    """
    found: dict = {}
    values = columns[0].tolist() if len(columns) == 1 else zip(*(c.tolist() for c in columns), strict=True)
    codes = np.fromiter((found.setdefault(v, len(found)) for v in values), dtype=np.int64,
                        count=len(columns[0]))
    return list(found), codes
