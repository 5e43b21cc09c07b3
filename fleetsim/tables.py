"""Tables that describe themselves: each column's unit, for ``meta.json`` and Parquet field metadata.

A column's unit is a pint string (``"USD"``, ``"MW"``, ``"USD/hour"``), ``""`` for plain numbers
(counts, ratios, indices) and ``None`` for text (months, names). Monthly columns take theirs from
:data:`fleetsim.accounting.columns.UNITS`; other columns are named by the same convention, so
the unit follows from the name's last part (``amount_usd``, ``energy_mwh``, ``capex_usd_total``).
In Parquet files the unit is stored in each field's metadata under ``b"unit"`` (absent for text).

>>> unit_of("amount_usd"), unit_of("capex_usd_total"), unit_of("month"), unit_of("count")
('USD', 'USD', None, '')
>>> unit_of("cost_per_h100e_hour_usd"), unit_of("energy_mwh_total"), unit_of("peak_facility_power_mw")
('USD/hour', 'MWh', 'MW')
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from fleetsim.accounting.columns import UNITS

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

TEXT = {"month", "site", "hardware", "name", "start", "end", "account", "source", "kind", "acquisition",
        "payback_month", "stat", "input", "label", "figure", "unit", "direction", "basis", "p10_value",
        "p90_value", "period", "quarter", "year", "contract", "counterparty", "side"}
"""Columns that hold text whatever their content."""
SUFFIXES = (("_usd", "USD"), ("_mwh", "MWh"), ("_mw", "MW"), ("_tco2", "t"), ("_m3", "m**3"),
            ("_mmbtu", "MMBtu"), ("_hours", "hour"), ("_flop", "FLOP"), ("_tokens", "tok"),
            ("_months", "month"))
"""Name endings and the unit they stand for."""
_AGGREGATES = re.compile(r"_(total|end|peak|mean_monthly|mean|at_p10|at_p90)$")


def unit_slug(unit: str) -> str:
    """A unit as a column-name suffix.

    >>> unit_slug("USD"), unit_slug("USD/kWh"), unit_slug("MUSD/MW"), unit_slug("m**3")
    ('usd', 'usd_per_kwh', 'musd_per_mw', 'm3')
    """
    text = unit.strip().lower().replace("**", "").replace("/", " per ").replace("*", " ")
    return re.sub(r"[^0-9a-z]+", "_", text).strip("_")


def unit_of(column: str, known: Mapping[str, str | None] | None = None) -> str | None:
    """The unit of ``column`` (see the module's notes); ``known`` units win."""
    if known and column in known:
        return known[column]
    if column in TEXT:
        return None
    for name in (column, _AGGREGATES.sub("", column)):
        if name in UNITS:
            return UNITS[name]
        for suffix, unit in SUFFIXES:
            if name.endswith(suffix):
                return unit
    return ""


def column_units(frame: pd.DataFrame, known: Mapping[str, str | None] | None = None) -> dict[str, str | None]:
    """Every column of ``frame`` (index levels with names first) with its unit; text columns None."""
    names = [n for n in frame.index.names if n is not None] if not _plain_index(frame) else []
    out: dict[str, str | None] = {}
    for column in [*names, *map(str, frame.columns)]:
        unit = unit_of(column, known)
        if unit is not None and column in frame.columns and frame[column].dtype.kind not in "biuf":
            unit = None  # a text column whatever its name says
        out[column] = unit
    return out


def frame_units(frame, known: Mapping[str, str | None] | None = None) -> dict[str, str | None]:
    """:func:`column_units` of a column table (:class:`~fleetsim.frame.Frame`) as written: its
    index first, text columns (months, object columns) None. No pandas."""
    names = ([frame.index] if frame.index is not None else []) + [n for n in frame.columns if n != frame.index]
    return {name: None if frame.is_text(name) else unit_of(name, known) for name in names}


def _plain_index(frame: pd.DataFrame) -> bool:
    import pandas as pd

    return isinstance(frame.index, pd.RangeIndex) and frame.index.name is None


def with_units(table: pa.Table, units: Mapping[str, str | None]) -> pa.Table:
    """``table`` with each field's unit in its metadata (``b"unit"``; text fields have none)."""
    import pyarrow as pa

    fields = []
    for field in table.schema:
        unit = units.get(field.name)
        fields.append(field.with_metadata({**(field.metadata or {}), b"unit": unit.encode()})
                      if unit is not None else field)
    return table.cast(pa.schema(fields, metadata=table.schema.metadata))


def schema_with_units(schema: pa.Schema, units: Mapping[str, str | None]) -> pa.Schema:
    """As :func:`with_units`, for a schema."""
    import pyarrow as pa

    return pa.schema([f.with_metadata({b"unit": units[f.name].encode()}) if units.get(f.name) is not None else f
                      for f in schema], metadata=schema.metadata)


def to_parquet(frame: pd.DataFrame, path: str | Path, known: Mapping[str, str | None] | None = None) -> dict:
    """Write ``frame`` (without its index) to Parquet with each field's unit; return the units."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    units = column_units(frame, known)
    table = pa.Table.from_pandas(frame, preserve_index=False)
    pq.write_table(with_units(table, units), path)
    return units


def parquet_units(path: str | Path) -> dict[str, str | None]:
    """The unit of each field of a Parquet file written by fleetsim (None for text)."""
    import pyarrow.parquet as pq

    schema = pq.read_schema(path)
    return {f.name: (f.metadata or {}).get(b"unit", b"").decode() if (f.metadata or {}).get(b"unit") is not None
            else None for f in schema}


def json_ready(value: Any) -> Any:
    """``value`` with NaN and infinities as None and numpy scalars as Python numbers, for
    ``json.dumps(..., allow_nan=False)``.

    >>> json_ready({"a": float("nan"), "b": [1.5, float("inf")]})
    {'a': None, 'b': [1.5, None]}
    """
    import math

    if isinstance(value, Mapping):
        return {str(k): json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if hasattr(value, "item") and not isinstance(value, (str, bytes)):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
