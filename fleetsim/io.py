"""Writing and reading result folders: CSV or Parquet tables plus ``meta.json`` (the folder itself
is put in place by :func:`fleetsim.output.write_folder`).

Months are written as ``YYYY-MM`` text so that any tool can read them; ``meta.json`` carries the
units of every column, the ledger's account mapping and the run's provenance.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

from fleetsim.errors import ResultFormatError
from fleetsim.frame import Frame
from fleetsim.frame import write_csv as frame_csv
from fleetsim.months import as_periods
from fleetsim.tables import frame_units

if TYPE_CHECKING:
    import pandas as pd

TABLES = ("monthly", "ledger", "training", "energy", "cohorts", "sites", "owners")
OPTIONAL_TABLES = ("owners", "contracts")
"""Tables a result folder may lack: left out when read. Older fleetsim versions wrote no owners;
contracts are written only when a scenario has some."""
TEXT_COLUMNS = {"month", "site", "hardware", "name", "start", "end", "account", "source", "kind", "acquisition",
                "payback_month", "direction", "basis", "owner", "user", "contract", "counterparty", "side"}
"""Columns read back as text (an empty cell is an empty string, not NaN; "NA" is text)."""
_NA = ["", "nan", "NaN", "-nan", "NA", "N/A", "null", "None"]
"""What a numeric column's cell may hold for a missing value."""


def _month_text(frame: pd.DataFrame) -> pd.DataFrame:
    import pandas as pd

    out = frame.copy()
    if isinstance(out.index, pd.PeriodIndex):
        out.index = out.index.strftime("%Y-%m").rename(out.index.name)
    if not isinstance(out.index, pd.RangeIndex):
        out = out.reset_index()
    if "month" in out.columns and isinstance(out["month"].dtype, pd.PeriodDtype):
        out["month"] = out["month"].dt.strftime("%Y-%m")
    return out


def write_tables(folder: Path, tables: dict[str, pd.DataFrame | Frame], meta: dict, fmt: str) -> None:
    """Write ``tables`` and ``meta`` into an existing ``folder`` as csv or parquet; ``meta.json``
    lists each file's columns with their units (``columns``) and Parquet fields carry theirs.

    A column table (:class:`~fleetsim.frame.Frame`) is written to CSV without pandas, the same
    bytes as its DataFrame's; for Parquet it becomes its DataFrame first."""
    columns = {}
    for name, frame in tables.items():
        if isinstance(frame, Frame) and fmt == "csv":
            frame_csv(frame, folder / f"{name}.csv")
            columns[f"{name}.csv"] = frame_units(frame, meta.get("units"))
            continue
        from fleetsim.tables import column_units
        from fleetsim.tables import to_parquet as parquet_with_units

        plain = _month_text(frame.to_pandas() if isinstance(frame, Frame) else frame)
        if fmt == "parquet":
            columns[f"{name}.parquet"] = parquet_with_units(plain, folder / f"{name}.parquet", meta.get("units"))
        else:
            plain.to_csv(folder / f"{name}.csv", index=False)
            columns[f"{name}.csv"] = column_units(plain, meta.get("units"))
    (folder / "meta.json").write_text(json.dumps({**meta, "format": fmt, "columns": columns}, indent=2,
                                                 default=str) + "\n")


def read_tables(folder: str | Path) -> tuple[dict[str, pd.DataFrame], dict]:
    """Read a folder written by :func:`write_tables` back into DataFrames with monthly periods."""
    import pandas as pd

    folder = Path(folder)
    meta_file = folder / "meta.json"
    if not meta_file.is_file():
        raise ResultFormatError(f"{folder} is not a fleetsim result folder: meta.json is missing")
    meta = json.loads(meta_file.read_text())
    meta.pop("columns", None)  # the files' column units: written for other tools, derived again on writing
    fmt = meta.get("format", "csv")
    tables = {}
    for name in (*TABLES, *OPTIONAL_TABLES):
        path = folder / f"{name}.{fmt}"
        if not path.is_file() and name in OPTIONAL_TABLES:
            continue
        if not path.is_file():
            raise ResultFormatError(f"{path} is missing from the result folder")
        if fmt == "parquet":
            frame = pd.read_parquet(path)
        else:
            # text stays text ("NA", "null" and "" are names), numbers' empty cells are NaN
            columns = pd.read_csv(path, nrows=0).columns
            frame = pd.read_csv(path, dtype=dict.fromkeys(TEXT_COLUMNS, str), keep_default_na=False,
                                na_values={c: _NA for c in columns if c not in TEXT_COLUMNS})
        if "month" in frame.columns:
            frame["month"] = as_periods(frame["month"])
        tables[name] = frame
    monthly = tables["monthly"].set_index("month")
    monthly = monthly.astype(float)
    tables["monthly"] = monthly
    return tables, meta
