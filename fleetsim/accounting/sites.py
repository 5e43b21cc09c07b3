"""Each site's physical story: its monthly power and waiting hardware, and when power runs out.

:func:`site_arrays` gives the physical columns of the monthly table site by site (months × sites
arrays, the fleet's column is their sum); :func:`site_table` lays them out in long form
(``Result.sites``). :func:`power_story` answers the planner's question for each site and for the
fleet: when does power run out, how many accelerators sit dark, for how long, and why.

Waiting hardware has two causes each month (the engine records them, see
:class:`fleetsim.engine.model.Trace`): ``waiting_install`` accelerators that the site's capacity
could have energised but its install rate did not, and ``waiting_power`` the rest, for which there
was no power even at an unlimited install rate.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from fleetsim.accounting.columns import SITE_COLUMNS
from fleetsim.engine.model import Trace
from fleetsim.engine.plan import Plan
from fleetsim.frame import Frame, month_texts

if TYPE_CHECKING:
    import pandas as pd


def site_arrays(plan: Plan, trace: Trace, it_energy: np.ndarray, facility_energy: np.ndarray,
                h100e_hours: np.ndarray, group_site: np.ndarray, power_series: dict[str, np.ndarray],
                unserved_hours: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Column → months × sites array, for every column of :data:`SITE_COLUMNS`.

    ``it_energy``, ``facility_energy`` and ``h100e_hours`` are months × (site, hardware) groups;
    ``group_site`` is each group's site; ``power_series`` holds the months × sites series the
    power books computed (full-load power, capacity shortfall, unserved energy);
    ``unserved_hours`` (months × cohorts) the accelerator-hours lost to unserved energy.
    """
    c, hours, n = plan.cohorts, plan.hours[:, None], len(plan.sites)
    by_site = np.zeros((len(group_site), n))
    by_site[np.arange(len(group_site)), group_site] = 1.0
    cohort_site = np.zeros((len(c.site), n))
    cohort_site[np.arange(len(c.site)), c.site] = 1.0
    stranded = (trace.stranded @ cohort_site)
    waiting_install = trace.waiting_install @ cohort_site
    unserved_hours = np.zeros_like(trace.available_hours) if unserved_hours is None else unserved_hours
    h100e_site = cohort_site * c.h100e[:, None]
    arrays = {
        "capacity_mw": np.array([s.capacity_mw for s in plan.sites], dtype=float).reshape(n, plan.months).T,
        "halls_mw": np.array([s.halls_mw for s in plan.sites], dtype=float).reshape(n, plan.months).T,
        "failures": (trace.failures @ cohort_site).astype(float),
        "curtailed_h100e_hours": trace.curtailed_hours @ h100e_site,
        "unserved_h100e_hours": unserved_hours @ h100e_site,
        "peak_facility_power_mw": power_series["peak_facility_power_mw"],
        "facility_power_mw": facility_energy @ by_site / hours,
        "it_power_mw": it_energy @ by_site / hours,
        "capacity_shortfall_mw": power_series["capacity_shortfall_mw"],
        "accelerators": (trace.installed @ cohort_site).astype(float),
        "h100e": trace.installed @ (cohort_site * c.h100e[:, None]),
        "h100e_available": h100e_hours @ by_site / hours,
        "stranded": stranded.astype(float),
        "waiting_power": (stranded - waiting_install).astype(float),
        "waiting_install": waiting_install.astype(float),
        "stranded_accelerator_months": stranded.astype(float),  # each waits the whole month
        "energy_mwh": facility_energy @ by_site,
        "unserved_energy_mwh": power_series["unserved_energy_mwh"],
    }
    return {column: arrays[column] for column in SITE_COLUMNS}


def site_table(arrays: dict[str, np.ndarray], sites: list[str], months: np.ndarray) -> Frame:
    """The long table ``month, site, <SITE_COLUMNS>``: one row per month (``months``: month numbers)
    and site (file order)."""
    n = len(sites)
    table = {"month": np.repeat(months, n), "site": np.tile(np.asarray(sites, dtype=object), len(months))}
    for column in SITE_COLUMNS:
        table[column] = arrays[column].reshape(-1)
    return Frame(table, months=("month",), text=("site",))


STORY_COLUMNS = ["first_month_short", "months_waiting", "first_month_waiting", "last_month_waiting",
                 "accelerator_months_waiting", "accelerator_months_waiting_power",
                 "accelerator_months_waiting_install", "peak_waiting", "peak_month", "cause",
                 "headroom_end_mw"]
"""Columns of :func:`power_story`."""


def story(frame: pd.DataFrame) -> dict:
    """The power story of one monthly frame (a site's rows of ``Result.sites`` indexed by month, or
    the fleet's monthly table): :func:`story_of` its columns."""
    return story_of(list(frame.index.astype(str)), {column: frame[column].to_numpy(dtype=float)
                                                    for column in STORY_INPUTS})


STORY_INPUTS = ("stranded", "waiting_power", "waiting_install", "capacity_mw", "peak_facility_power_mw")
"""The columns :func:`story_of` reads."""


def story_of(months: list[str], columns) -> dict:
    """The power story of one site's (or the fleet's) months (``YYYY-MM`` text) and monthly
    columns (:data:`STORY_INPUTS`, arrays):

    - ``first_month_short``: the first month with hardware waiting for power (``""`` if never);
    - ``months_waiting``, ``first_month_waiting``, ``last_month_waiting``: months with any hardware
      waiting, for either cause;
    - ``accelerator_months_waiting`` (and its split by cause): Σ waiting over the months;
    - ``peak_waiting`` and ``peak_month``: the most accelerators waiting at once, and when;
    - ``cause``: ``"power"``, ``"install rate"`` (whichever holds most of the accelerator-months
      waiting), or ``"none"``;
    - ``headroom_end_mw``: capacity less full-load power of the installed hardware in the last month.
    """
    waiting = np.asarray(columns["stranded"], dtype=float)
    power = np.asarray(columns["waiting_power"], dtype=float)
    install = np.asarray(columns["waiting_install"], dtype=float)
    spells = np.flatnonzero(waiting > 0)
    short = np.flatnonzero(power > 0)
    peak = int(np.argmax(waiting)) if len(waiting) else 0
    power_months, install_months = float(power.sum()), float(install.sum())
    cause = "none" if not len(spells) else "power" if power_months >= install_months else "install rate"
    return {
        "first_month_short": months[short[0]] if len(short) else "",
        "months_waiting": len(spells),
        "first_month_waiting": months[spells[0]] if len(spells) else "",
        "last_month_waiting": months[spells[-1]] if len(spells) else "",
        "accelerator_months_waiting": float(waiting.sum()),
        "accelerator_months_waiting_power": power_months,
        "accelerator_months_waiting_install": install_months,
        "peak_waiting": float(waiting[peak]) if len(waiting) else 0.0,
        "peak_month": months[peak] if len(spells) else "",
        "cause": cause,
        "headroom_end_mw": float(columns["capacity_mw"][-1] - columns["peak_facility_power_mw"][-1])
        if len(waiting) else 0.0,
    }


def story_rows(sites: Frame, monthly: Frame) -> list[tuple[str, dict]]:
    """(name, :func:`story_of`) of each site of the long ``sites`` table (in its order), then of the
    fleet (the monthly table, named ``"fleet"``, last), from column tables."""
    names = list(dict.fromkeys(sites["site"].tolist()))
    out = []
    for name in names:
        rows = np.flatnonzero(sites["site"] == name)
        out.append((name, story_of(list(month_texts(sites["month"][rows])),
                                   {column: sites[column][rows] for column in STORY_INPUTS})))
    out.append(("fleet", story_of(list(month_texts(monthly["month"])),
                                  {column: monthly[column] for column in STORY_INPUTS})))
    return out


def power_story(sites, monthly) -> pd.DataFrame:
    """:func:`story` of each site of the long ``sites`` table (in its order), then of the fleet
    (the monthly table), one row each, indexed by site name; the fleet's row is the last, ``"fleet"``.
    ``sites`` and ``monthly`` are DataFrames, or both column tables (:func:`story_rows`)."""
    import pandas as pd

    if isinstance(sites, Frame):
        found = story_rows(sites, monthly)
        names, rows = [name for name, _ in found[:-1]], [row for _, row in found]
    else:
        names = list(dict.fromkeys(sites.site))
        rows = [story(sites[sites.site == name].set_index("month")) for name in names] + [story(monthly)]
    return pd.DataFrame(rows, index=pd.Index([*names, "fleet"], name="site"), columns=STORY_COLUMNS)


def story_text(name: str, row) -> tuple[str, str]:
    """A :func:`power_story` row in words: a headline and a detail line, such as
    ``colossus-2: short of power from 2025-11; peak 207,339 waiting in 2025-12; cause: power (100 %)``
    and ``waited 7 months (2025-11 to 2026-08), 531,753 accelerator-months; 397 MW headroom at the end``."""
    headroom = f"{row['headroom_end_mw']:,.0f} MW headroom at the end"
    if not row["months_waiting"]:
        return f"{name}: never short of power; no hardware waited", headroom
    total = row["accelerator_months_waiting"]
    power_share = row["accelerator_months_waiting_power"] / total if total else 0.0
    share = power_share if row["cause"] == "power" else 1.0 - power_share
    short = f"short of power from {row['first_month_short']}" if row["first_month_short"] else "never short of power"
    months = row["months_waiting"]
    spell = (f"{row['first_month_waiting']} to {row['last_month_waiting']}" if months > 1
             else row["first_month_waiting"])
    return (f"{name}: {short}; peak {row['peak_waiting']:,.0f} waiting in {row['peak_month']}; "
            f"cause: {row['cause']} ({share:.0%})",
            f"waited {months} month{'' if months == 1 else 's'} ({spell}), {total:,.0f} accelerator-months; "
            f"{headroom}")
