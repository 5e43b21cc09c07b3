"""Epoch AI's Frontier Data Centers hub, as shipped: the sites, their dated rows, the chip table.

The copy in ``epoch-data-centers-2025-12/`` is the vintage of 2025-12-14 (CC BY 4.0; see
``LICENSE.md`` beside it). Dates are US style (M/D/YYYY); a blank cell means *not given*,
never zero. Rows dated after the vintage date are Epoch's projections, not observations: every
table here carries a ``status`` column (``observed`` or ``projected``) so that the two are
never mixed.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from functools import cache
from pathlib import Path

import pandas as pd

from fleetsim.errors import FleetsimError
from fleetsim.months import as_periods

FOLDER = Path(__file__).with_name("epoch-data-centers-2025-12")
VINTAGE = "2025-12"
"""The vintage in the folder name: Epoch revises these data, so every comparison names it."""
VINTAGE_DATE = dt.date(2025, 12, 14)
"""Rows dated on or before this day are observations; later rows are projections."""
LICENCE = "CC BY 4.0"
CITATION = ('Epoch AI, "Frontier Data Centers Hub", 2025, https://epoch.ai/data/data-centers '
            f"(vintage {VINTAGE_DATE}, {LICENCE})")
"""The credit Epoch asks for (BibTeX key EpochAIDataCenters2025), with the vintage and licence."""

TIMELINE_COLUMNS = {
    "Date": "date", "Data center": "site", "Construction status": "note", "Power (MW)": "power_mw",
    "H100 equivalents": "h100e", "Buildings operational": "buildings",
    "Total capital cost (2025 USD billions)": "capital_cost_gusd",
    "Compute cost (2025 USD billions)": "compute_cost_gusd",
    "Construction cost (2025 USD billions)": "construction_cost_gusd",
    "Performance (8-bit OP/s)": "performance_op_s",
}
"""Epoch's column → the name used here (units in the name; capital costs in 2025 USD billions)."""


class UnknownSite(FleetsimError):
    """A site name that matches no shipped site (the message suggests the closest)."""


def parse_date(text: str) -> dt.date:
    """A US-style date as Epoch writes it.

    >>> parse_date("9/2/2024")
    datetime.date(2024, 9, 2)
    """
    month, day, year = (int(part) for part in text.strip().split("/"))
    return dt.date(year, month, day)


def _tag_free(text: object) -> str:
    """``"Amazon #confident"`` → ``"Amazon"``; a blank cell → ``""``."""
    if not isinstance(text, str):
        return ""
    return re.sub(r"\s*#\w+", "", text).strip()


@cache
def _timelines() -> pd.DataFrame:
    raw = pd.read_csv(FOLDER / "data_center_timelines.csv", dtype={"Date": str, "Data center": str})
    frame = raw[list(TIMELINE_COLUMNS)].rename(columns=TIMELINE_COLUMNS)  # blank numbers stay NaN
    frame["date"] = [parse_date(text) for text in frame["date"]]
    frame["month"] = as_periods(frame["date"])
    frame["status"] = ["observed" if d <= VINTAGE_DATE else "projected" for d in frame["date"]]
    frame["note"] = frame["note"].fillna("")
    return frame.sort_values(["site", "date"], kind="stable").reset_index(drop=True)


@cache
def _centers() -> pd.DataFrame:
    frame = pd.read_csv(FOLDER / "data_centers.csv", dtype=str)
    frame["owner"] = [_tag_free(o) or h.split()[0] for o, h in zip(frame["Owner"], frame["Handle"], strict=True)]
    frame["users"] = [_tag_free(u) for u in frame["Users"]]
    return frame.set_index("Handle")


def names() -> list[str]:
    """Every shipped site's name (Epoch's handle), sorted."""
    return sorted(_centers().index)


def resolve(name: str) -> str:
    """The shipped site ``name`` means: an exact name or title (any case), else the one site whose
    name starts with it (``"xAI Colossus 2"``). Raises :class:`UnknownSite` with "did you mean"."""
    centers = _centers()
    wanted = " ".join(name.split()).lower()
    for handle, title in zip(centers.index, centers["Title"], strict=True):
        if wanted in (handle.lower(), str(title).lower()):
            return handle
    starts = [h for h in centers.index if h.lower().startswith(wanted)] if wanted else []
    if len(starts) == 1:
        return starts[0]
    if len(starts) > 1:
        raise UnknownSite(f"site {name!r} is ambiguous: it could be {' or '.join(repr(s) for s in starts)}; "
                          f"give more of the name, for example fleetsim sites {starts[0]!r}")
    choices = {h.lower(): h for h in centers.index} | {str(t).lower(): h for h, t in centers["Title"].items()}
    close = difflib.get_close_matches(wanted, list(choices), n=1, cutoff=0.5)
    hint = f"; did you mean {choices[close[0]]!r}?" if close else ""
    raise UnknownSite(f"no shipped site {name!r}{hint} (fleetsim sites lists all {len(centers)})")


def owner(handle: str) -> str:
    """The site's owner as Epoch records it, without its confidence tag (``"Google Cloud"``)."""
    return _centers().loc[handle, "owner"]


def timeline(name: str) -> pd.DataFrame:
    """The site's dated rows, oldest first: ``date`` (a ``datetime.date``), ``month`` (a monthly
    Period), ``status`` (``observed`` on or before the vintage date, else ``projected``),
    ``power_mw`` (facility power), ``h100e``, ``buildings``, capital costs in 2025 GUSD
    (``capital_cost_gusd`` = compute + construction), ``performance_op_s`` and Epoch's ``note``
    (its rationale and source). A blank cell is NaN ("not given"), never zero.

    >>> rows = timeline("xAI Colossus 1")
    >>> rows.loc[rows.h100e.isna(), "date"].astype(str).tolist()
    ['2024-11-12', '2025-03-06']
    """
    handle = resolve(name)
    rows = _timelines()
    rows = rows[rows["site"] == handle].drop(columns="site").reset_index(drop=True)
    order = ["date", "month", "status", "power_mw", "h100e", "buildings", "capital_cost_gusd", "compute_cost_gusd",
             "construction_cost_gusd", "performance_op_s", "note"]
    return rows[order]


def sites() -> pd.DataFrame:
    """One row per shipped site: ``site``, ``title``, ``owner``, ``users``, the latest observed
    facility power and H100e with their dates (blank values skipped; NaN where nothing was
    observed yet), the number of observed and projected rows, and the ``vintage``."""
    centers, rows = _centers(), _timelines()
    records = []
    for handle in sorted(centers.index):
        own = rows[rows["site"] == handle]
        seen = own[own["status"] == "observed"]
        record = {"site": handle, "title": centers.loc[handle, "Title"], "owner": centers.loc[handle, "owner"],
                  "users": centers.loc[handle, "users"]}
        for column, label in (("power_mw", "power_mw"), ("h100e", "h100e")):
            given = seen.dropna(subset=[column])
            record[label] = float(given[column].iloc[-1]) if len(given) else float("nan")
            record[f"{label}_date"] = given["date"].iloc[-1] if len(given) else None
        record["observed_rows"] = len(seen)
        record["projected_rows"] = len(own) - len(seen)
        record["vintage"] = VINTAGE
        records.append(record)
    return pd.DataFrame.from_records(records)


@cache
def hardware_table() -> pd.DataFrame:
    """Epoch AI's Machine Learning Hardware table as shipped (same vintage and licence), by name."""
    return pd.read_csv(FOLDER / "ml_hardware.csv").set_index("Hardware name")
