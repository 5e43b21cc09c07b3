"""Writing and reading result folders: CSV or Parquet tables plus ``meta.json``, written atomically.

Months are written as ``YYYY-MM`` text so that any tool can read them; ``meta.json`` carries the
units of every column, the ledger's account mapping and the run's provenance.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from fleetsim.errors import OutputError, ResultFormatError

TABLES = ("monthly", "ledger", "training", "energy", "cohorts")
TEXT_COLUMNS = {"month", "site", "hardware", "name", "start", "end", "account", "source", "kind", "acquisition",
                "payback_month"}
"""Columns read back as text (an empty cell is an empty string, not NaN; "NA" is text)."""
_NA = ["", "nan", "NaN", "-nan", "NA", "N/A", "null", "None"]
"""What a numeric column's cell may hold for a missing value."""


def write_atomically(target: str | Path, write: Callable[[Path], None]) -> Path:
    """Fill a temporary sibling folder with ``write``, then rename it over ``target``.

    A failure at any point leaves no partial folder and the previous ``target`` untouched.
    """
    target = Path(target)
    parent = target.parent if str(target.parent) else Path(".")
    blocker = next((p for p in (target, *target.parents) if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise OutputError(f"cannot write to output folder {target}: {blocker} is a file, not a folder; "
                          "choose a folder with -o, for example -o out/run1")
    try:
        parent.mkdir(parents=True, exist_ok=True)
        temporary = Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=parent))
    except OSError as exc:
        raise OutputError(f"cannot write to output folder {target}: {exc.strerror or exc}; "
                          "choose a writable folder with -o, for example -o out/run1") from None
    try:
        write(temporary)
        if target.exists() and not target.is_dir():
            raise OutputError(f"output path {target} exists and is a file, not a folder; choose another with -o")
        backup = None
        if target.exists():
            backup = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=parent))
            os.replace(target, backup / target.name)
        os.replace(temporary, target)
        if backup is not None:
            shutil.rmtree(backup, ignore_errors=True)
    except OSError as exc:
        shutil.rmtree(temporary, ignore_errors=True)
        raise OutputError(f"cannot write results to {target}: {exc.strerror or exc}") from None
    except BaseException:
        shutil.rmtree(temporary, ignore_errors=True)
        raise
    return target


def _month_text(frame: pd.DataFrame) -> pd.DataFrame:
    out = frame.copy()
    if isinstance(out.index, pd.PeriodIndex):
        out.index = out.index.strftime("%Y-%m").rename(out.index.name)
    if not isinstance(out.index, pd.RangeIndex):
        out = out.reset_index()
    if "month" in out.columns and isinstance(out["month"].dtype, pd.PeriodDtype):
        out["month"] = out["month"].dt.strftime("%Y-%m")
    return out


def write_tables(folder: Path, tables: dict[str, pd.DataFrame], meta: dict, fmt: str) -> None:
    """Write ``tables`` and ``meta`` into an existing ``folder`` as csv or parquet."""
    for name, frame in tables.items():
        plain = _month_text(frame)
        if fmt == "parquet":
            plain.to_parquet(folder / f"{name}.parquet", index=False)
        else:
            plain.to_csv(folder / f"{name}.csv", index=False)
    (folder / "meta.json").write_text(json.dumps({**meta, "format": fmt}, indent=2, default=str) + "\n")


def read_tables(folder: str | Path) -> tuple[dict[str, pd.DataFrame], dict]:
    """Read a folder written by :func:`write_tables` back into DataFrames with monthly periods."""
    folder = Path(folder)
    meta_file = folder / "meta.json"
    if not meta_file.is_file():
        raise ResultFormatError(f"{folder} is not a fleetsim result folder: meta.json is missing")
    meta = json.loads(meta_file.read_text())
    fmt = meta.get("format", "csv")
    tables = {}
    for name in TABLES:
        path = folder / f"{name}.{fmt}"
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
            frame["month"] = pd.PeriodIndex(frame["month"], freq="M")
        tables[name] = frame
    monthly = tables["monthly"].set_index("month")
    monthly = monthly.astype(float)
    tables["monthly"] = monthly
    return tables, meta
