"""The result of a simulation: monthly series, the cost ledger, training runs, units and meta."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from fleetsim import io
from fleetsim.accounting.books import RATIO_INPUTS, add_ratios, ratios
from fleetsim.accounting.cohorts import COHORT_COLUMNS
from fleetsim.accounting.columns import ACCOUNTS, COMPOSITES, ENERGY_COLUMNS, KINDS, SITE_COLUMNS, UNITS
from fleetsim.accounting.contracts import CONTRACT_COLUMNS
from fleetsim.accounting.owners import MONEY_COLUMNS, OWNER_COLUMNS, PARTIES
from fleetsim.accounting.owners import breakdown as owner_breakdown
from fleetsim.accounting.owners import rollup as owner_rollup
from fleetsim.accounting.sites import power_story, story_rows
from fleetsim.frame import Frame
from fleetsim.output import write_folder

if TYPE_CHECKING:
    import pandas as pd

    from fleetsim.faces.plots import PlotAccessor

_PERIODS = {"Q": "Q", "quarter": "Q", "Y": "Y", "year": "Y"}


def _table(name: str):
    """A table of :class:`Result`: its column table becomes a DataFrame on first use (kept)."""

    def get(self):
        table = self._tables[name]
        if isinstance(table, Frame):
            table = self._tables[name] = table.to_pandas()
        return table

    def put(self, value) -> None:
        self._tables[name] = value

    return property(get, put, doc=f"The {name} table (a DataFrame; see the class's notes).")


class Result:
    """What :func:`fleetsim.simulate` returns.

    Attributes
    ----------
    monthly : DataFrame
        One row per month (``PeriodIndex`` named ``month``), one float column per series; column
        names end in their unit where they have one (see :attr:`units`).
    ledger : DataFrame
        The cost ledger in long form: ``month, site, hardware, account, amount_usd`` (amounts
        positive; fleet-wide rows leave ``site``/``hardware`` empty). Each account sums into one
        money column of ``monthly`` (:attr:`accounts`).
    training : DataFrame
        One row per training run: start, end, compute, H100e-hours, energy, attributed cost.
    energy : DataFrame
        Energy by source: ``month, site, source, kind, energy_mwh, cost_usd, emissions_tco2``
        (what no source could serve appears as source ``unserved``).
    cohorts : DataFrame
        One row per order: delivered, energised, capex or lease, depreciation, maintenance,
        energy cost, attributed revenue, net cash, payback month and NPV.
    owners : DataFrame
        Physical and money columns by who owns and who uses the hardware, in long form: ``month,
        owner, user``, :data:`~fleetsim.accounting.owners.OWNER_COLUMNS` and
        :data:`~fleetsim.accounting.owners.MONEY_COLUMNS` (see :mod:`fleetsim.accounting.owners`;
        summed over owners they give the monthly table's).
    sites : DataFrame
        The physical columns site by site, in long form: ``month, site`` and the columns of
        :data:`~fleetsim.accounting.columns.SITE_COLUMNS` (capacity, full-load and mean power,
        installed accelerators and H100e, waiting hardware by cause, energy); summed over sites
        they give the monthly table's.
    contracts : DataFrame
        One row per capacity contract and month it runs: contracted, delivered, short and notice
        H100e-hours, revenue, cost and the take-or-pay part of them, with the contract's
        counterparty (:data:`~fleetsim.accounting.contracts.CONTRACT_COLUMNS`; empty without
        contracts, and then not written to a result folder).
    units : dict
        Column → pint unit string ("" for counts).
    meta : dict
        fleetsim version, scenario name and hash, seed, overrides applied.
    warnings : list[str]
        Consistency warnings raised while simulating.

    The tables are kept as column tables (:class:`~fleetsim.frame.Frame`) as the books build them
    and become DataFrames on first use (pandas is imported then): writing CSV files, the summary,
    the power story and the by-owner figures need no pandas (docs/architecture.md, "The lean run").
    """

    monthly = _table("monthly")
    ledger = _table("ledger")
    training = _table("training")
    energy = _table("energy")
    cohorts = _table("cohorts")
    sites = _table("sites")
    owners = _table("owners")
    contracts = _table("contracts")

    def __init__(self, monthly: pd.DataFrame | Frame, ledger: pd.DataFrame | Frame, training: pd.DataFrame | Frame,
                 meta: dict, warnings: list[str] | None = None, energy: pd.DataFrame | Frame | None = None,
                 cohorts: pd.DataFrame | Frame | None = None, sites: pd.DataFrame | Frame | None = None, *,
                 owners: pd.DataFrame | Frame | None = None, contracts: pd.DataFrame | Frame | None = None):
        def given(table, columns):
            return table if table is not None else Frame.empty(columns)

        self._tables: dict[str, object] = {
            "monthly": monthly, "ledger": ledger, "training": training,
            "energy": given(energy, ENERGY_COLUMNS), "cohorts": given(cohorts, COHORT_COLUMNS),
            "sites": given(sites, ["month", "site", *SITE_COLUMNS]),
            "owners": given(owners, ["month", "owner", "user", *OWNER_COLUMNS, *MONEY_COLUMNS]),
            "contracts": given(contracts, CONTRACT_COLUMNS)}
        self.meta = meta
        self.units = dict(UNITS)
        self.accounts = dict(ACCOUNTS)
        self.warnings = list(warnings or [])

    def frame(self, name: str) -> Frame | None:
        """The table ``name`` as the column table the books built, or None once it is a DataFrame
        (read back from a folder, or used as a DataFrame: then the DataFrame is the table)."""
        table = self._tables[name]
        return table if isinstance(table, Frame) else None

    def monthly_columns(self) -> Frame:
        """The monthly table as a column table (from the DataFrame when it is one)."""
        table = self._tables["monthly"]
        if isinstance(table, Frame):
            return table
        from fleetsim.months import month_numbers

        return Frame({"month": month_numbers(table.index), **{c: table[c].to_numpy() for c in table.columns}},
                     months=("month",), index="month")

    def table_rows(self, name: str) -> int:
        """The number of rows of table ``name`` (without making it a DataFrame)."""
        return len(self._tables[name])

    def quantity(self, column: str):
        """The column as a pint Quantity array in its unit."""
        from fleetsim.units import ureg

        if column not in self.units:
            raise KeyError(f"no column {column!r}; columns: {', '.join(self.monthly.columns)}")
        return ureg.Quantity(self.monthly[column].to_numpy(), self.units[column] or "dimensionless")

    def breakdown(self, by: str = "site", column: str | None = None) -> pd.DataFrame:
        """Money by ``site``, ``hardware``, ``account``, ``owner`` or ``user`` per month, from the
        ledger; or a physical column by site (from :attr:`sites`) or by owner or user (from
        :attr:`owners`).

        With a money ``column`` (e.g. ``"energy_cost_usd"``) only the accounts summing into it are
        kept; with a physical one (e.g. ``"stranded"``, ``"peak_facility_power_mw"``, any of
        :data:`~fleetsim.accounting.columns.SITE_COLUMNS`) ``by`` must be ``"site"``, ``"owner"``
        or ``"user"`` (``training_h100e_hours`` and ``inference_h100e_hours`` by owner or user
        only). The result has one column per site/hardware/account/owner/user.
        """
        if by not in ("site", "hardware", "account", *PARTIES):
            raise ValueError("by must be 'site', 'hardware', 'account', 'owner' or 'user'")
        if by in PARTIES and column in OWNER_COLUMNS:
            return owner_breakdown(self.owners, by, column, self.monthly.index)
        if column in SITE_COLUMNS:
            if by != "site":
                raise ValueError(f"{column!r} is a physical column, kept by site, owner and user: use by='site'")
            table = self.sites.pivot(index="month", columns="site", values=column)
            table = table[list(dict.fromkeys(self.sites.site))]
            table.columns.name = "site"
            return table.reindex(self.monthly.index, fill_value=0.0)
        ledger = self.ledger
        if column is not None:
            parts = COMPOSITES.get(column, (column,))
            accounts = [a for a, c in self.accounts.items() if c in parts]
            if not accounts:
                raise KeyError(f"{column!r} is neither a money column nor a physical one; choose one of "
                               f"{sorted({*self.accounts.values(), *COMPOSITES})} or {SITE_COLUMNS}")
            ledger = ledger[ledger.account.isin(accounts)]
        table = ledger.pivot_table(index="month", columns=by, values="amount_usd", aggfunc="sum", fill_value=0.0)
        return table.reindex(self.monthly.index, fill_value=0.0)

    def rollup(self, period: str = "Y") -> pd.DataFrame:
        """The monthly table aggregated to quarters (``"Q"``) or years (``"Y"``).

        Each column by its kind (:data:`~fleetsim.accounting.columns.KINDS`): flows summed,
        levels weighted by hours, stocks (counts, balances, runway) at the period's last month,
        peaks as maxima (waiting hardware too: ``stranded_accelerator_months`` is its flow), and
        unit costs and margins recomputed from summed numerators and denominators.
        """
        freq = _PERIODS.get(period)
        if freq is None:
            raise ValueError(f"unknown period {period!r}; use 'Q' (quarter) or 'Y' (year)")
        key = self.monthly.index.asfreq(freq)
        key.name = {"Q": "quarter", "Y": "year"}[freq]
        return aggregate(self.monthly, key)

    def by_owner(self, period: str | None = "Y", by: str = "owner") -> pd.DataFrame:
        """The :attr:`owners` table by ``owner`` (or ``user``), aggregated to quarters (``"Q"``),
        years (``"Y"``) or the whole horizon (``None``), each column by its kind; long form
        ``period, owner`` (see :func:`fleetsim.accounting.owners.rollup`)."""
        if by not in PARTIES:
            raise ValueError("by must be 'owner' or 'user'")
        freq = _PERIODS.get(period) if period is not None else None
        if period is not None and freq is None:
            raise ValueError(f"unknown period {period!r}; use 'Q' (quarter), 'Y' (year) or None (the horizon)")
        return owner_rollup(self.owners, by, freq)

    def horizon(self) -> pd.Series:
        """Every column over the whole horizon, aggregated by its kind (as a roll-up would)."""
        return horizon(self.monthly)

    def power_story(self) -> pd.DataFrame:
        """When power runs out, per site and for the fleet (the last row, ``"fleet"``): the first
        month short of power, the months and accelerator-months with hardware waiting (split by
        cause), the peak waiting and its month, the main cause (``"power"`` or ``"install
        rate"``) and the headroom left at the end (see :func:`fleetsim.accounting.sites.story`)."""
        sites, monthly = self.frame("sites"), self.frame("monthly")
        if sites is not None and monthly is not None:
            return power_story(sites, monthly)
        return power_story(self.sites, self.monthly)

    def story_rows(self) -> list[tuple[str, dict]]:
        """The :meth:`power_story` rows as (site, dict) pairs, the fleet last; from the column
        tables when the result still has them (no pandas)."""
        sites, monthly = self.frame("sites"), self.frame("monthly")
        if sites is not None and monthly is not None:
            return story_rows(sites, monthly)
        story = self.power_story()
        return [(name, row.to_dict()) for name, row in story.iterrows()]

    def summary(self) -> dict[str, float]:
        """Headline figures of the run (the table ``fleetsim run`` prints): each of
        :data:`fleetsim.figures.SUMMARY`, defined with its label, unit and aggregation in
        :mod:`fleetsim.figures`."""
        from fleetsim import figures

        return figures.summary(self.monthly_columns())

    # -- display (matplotlib and the HTML helpers are imported on first use) ------------------
    @property
    def plot(self) -> PlotAccessor:
        """Charts of this result, each a matplotlib Figure: ``res.plot.power()``, ``.costs()``,
        ``.fleet()``, ``.cash()``, ``.unit_costs()`` (see :mod:`fleetsim.faces.plots`)."""
        from fleetsim.faces.plots import PlotAccessor

        return PlotAccessor(self)

    def _repr_html_(self) -> str:
        from fleetsim.faces.html import result_html

        return result_html(self)

    # -- export -----------------------------------------------------------------------------
    def _meta_out(self) -> dict:
        return {**self.meta, "units": self.units, "accounts": self.accounts, "kinds": KINDS,
                "warnings": self.warnings}

    def to_csv(self, folder: str | Path, periods: tuple[str, ...] = (), *,
               extra_files: Mapping[str, bytes] | None = None, overwrite: bool = False,
               protect: tuple[Path, ...] = ()) -> Path:
        """Write ``monthly.csv``, ``ledger.csv``, ``training.csv`` and ``meta.json`` atomically.

        ``periods`` (``"quarter"``, ``"year"``) adds ``quarterly.csv`` / ``yearly.csv`` roll-ups;
        ``extra_files`` (file name → bytes, such as PNG charts) are written into the same folder.
        An existing ``folder`` is replaced only if fleetsim wrote it (or with ``overwrite=True``);
        never when it holds the scenario file or ``protect`` (see :mod:`fleetsim.output`).
        """
        return self._write(folder, "csv", periods, extra_files, overwrite, protect)

    def to_parquet(self, folder: str | Path, periods: tuple[str, ...] = (), *,
                   extra_files: Mapping[str, bytes] | None = None, overwrite: bool = False,
                   protect: tuple[Path, ...] = ()) -> Path:
        """As :meth:`to_csv`, in Parquet."""
        return self._write(folder, "parquet", periods, extra_files, overwrite, protect)

    def _write(self, folder: str | Path, fmt: str, periods: tuple[str, ...] = (),
               extra_files: Mapping[str, bytes] | None = None, overwrite: bool = False,
               protect: tuple[Path, ...] = ()) -> Path:
        names = [*io.TABLES, *(["contracts"] if self.table_rows("contracts") else [])]
        # CSV from the column tables needs no pandas; Parquet and DataFrames go through pandas
        tables = {name: self.frame(name) if fmt == "csv" and self.frame(name) is not None else getattr(self, name)
                  for name in names}
        for period in periods:
            rolled = self.rollup(period)
            name = {"Q": "quarterly", "Y": "yearly"}[_PERIODS[period]]
            tables[name] = rolled.set_axis(rolled.index.astype(str).rename("period"))
            tables[f"owners_{name}"] = self.by_owner(period)
        def write(tmp: Path) -> None:
            io.write_tables(tmp, tables, self._meta_out(), fmt)
            for name, data in (extra_files or {}).items():
                (tmp / Path(name).name).write_bytes(data)

        scenario_file = self.meta.get("scenario_file")
        inputs = (*protect, *([Path(scenario_file)] if scenario_file else []))
        return write_folder(folder, write, overwrite=overwrite, protect=inputs)

    def __repr__(self) -> str:
        first, last, count = self.span()
        return (f"<Result {self.meta.get('scenario')!r}: {count} months {first}..{last}, "
                f"{self.table_rows('ledger')} ledger rows, {self.table_rows('training')} training runs>")

    def span(self) -> tuple[str, str, int]:
        """The first and last month (``YYYY-MM``) and the number of months."""
        from fleetsim.months import to_text

        months = self.monthly_columns()["month"]
        return to_text(int(months[0])), to_text(int(months[-1])), len(months)


def aggregate(monthly: pd.DataFrame, key) -> pd.DataFrame:
    """Aggregate monthly rows grouped by ``key``, each column by its kind: flows (``total``) summed,
    levels (``mean``) weighted by hours, stocks (``end``) at the group's last month, ``peak`` as
    the maximum, and ``ratio`` columns recomputed from their summed numerators and denominators.
    A column without a kind is an error, never silently summed."""
    import pandas as pd

    m = monthly
    hours = pd.Series(m.index.days_in_month.to_numpy() * 24.0, index=m.index)
    grouped = m.groupby(key)
    out = pd.DataFrame(index=grouped.size().index)
    for column in m.columns:
        kind = KINDS.get(column)
        if kind == "total":
            out[column] = grouped[column].sum()
        elif kind == "mean":
            out[column] = (m[column] * hours).groupby(key).sum() / hours.groupby(key).sum()
        elif kind == "end":
            out[column] = grouped[column].last()
        elif kind == "peak":
            out[column] = grouped[column].max()
        elif kind != "ratio":  # ratios are recomputed below by add_ratios
            raise KeyError(f"column {column!r} has no roll-up kind; declare it in fleetsim.accounting.columns")
    add_ratios(out, hours.groupby(key).sum().to_numpy())
    return out[list(m.columns)]


def horizon(monthly: pd.DataFrame) -> pd.Series:
    """Every column of a monthly table over its whole horizon, by its kind (as :func:`aggregate`
    rolls up a period; computed by :func:`horizon_values`)."""
    import pandas as pd

    hours = monthly.index.days_in_month.to_numpy() * 24.0
    return pd.Series(horizon_values(monthly.to_numpy(dtype=float), hours, list(monthly.columns)),
                     index=monthly.columns)


def horizon_values(values: np.ndarray, hours: np.ndarray, columns: list[str]) -> np.ndarray:
    """Each column of a monthly table (``values``: months × ``columns``; ``hours``: each month's
    hours) over its whole horizon, by its kind, as :func:`aggregate` rolls up a period: flows
    summed, levels weighted by hours, stocks at their last month, peaks at their maximum, missing
    months left out, and unit costs recomputed from the totals. Arrays, no DataFrame: 0.3 ms for
    the flagship's 62 columns and 60 months, against 40 ms by ``aggregate`` (a sensitivity run
    needs one figure of each draw). The sums run month after month on a row-major copy, so the
    bits do not depend on the layout of ``values``."""
    v = np.ascontiguousarray(values, dtype=float)
    kinds = [KINDS.get(column) for column in columns]
    unknown = [c for c, kind in zip(columns, kinds, strict=True) if kind is None]
    if unknown:
        raise KeyError(f"column {unknown[0]!r} has no roll-up kind; declare it in fleetsim.accounting.columns")
    kinds = np.array(kinds)
    present = ~np.isnan(v)
    filled = np.where(present, v, 0.0)
    out = np.full(len(columns), np.nan)
    total_hours = np.add.reduce(hours.astype(float))
    out[kinds == "total"] = np.add.reduce(filled[:, kinds == "total"], axis=0)
    out[kinds == "mean"] = np.add.reduce(filled[:, kinds == "mean"] * hours[:, None], axis=0) / total_hours
    end = kinds == "end"
    last = len(v) - 1 - np.argmax(present[::-1, end], axis=0)  # the last month with a value
    out[end] = np.where(present[:, end].any(axis=0), v[last, np.flatnonzero(end)], np.nan)
    peak = kinds == "peak"
    highest = np.max(np.where(present[:, peak], v[:, peak], -np.inf), axis=0)
    out[peak] = np.where(present[:, peak].any(axis=0), highest, np.nan)
    position = {column: n for n, column in enumerate(columns)}
    if "ratio" in kinds:
        for column, value in ratios({c: out[position[c]:position[c] + 1] for c in RATIO_INPUTS},
                                    np.array([total_hours])).items():
            if column in position:
                out[position[column]] = value[0]
    return out


def read_result(folder: str | Path) -> Result:
    """Read a result folder written by :meth:`Result.to_csv` or :meth:`Result.to_parquet`."""
    tables, meta = io.read_tables(folder)
    for key in ("units", "accounts", "kinds", "format"):
        meta.pop(key, None)
    warnings = meta.pop("warnings", [])
    training = tables["training"]
    if len(training):
        training["completed"] = training["completed"].astype(str).str.lower().isin(["true", "1"])
    return Result(tables["monthly"], tables["ledger"], training, meta, warnings, tables["energy"],
                  tables["cohorts"], tables["sites"], owners=tables.get("owners"),
                  contracts=tables.get("contracts"))
