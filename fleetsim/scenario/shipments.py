"""The ``shipments:`` section: fleets built from chips shipped, per quarter, per owner.

Each row of the shipment data (Epoch AI's chip counts by default, see
:mod:`fleetsim.data.chip_counts`) becomes one order: ``units`` of its chip type, owned by its
owner, delivered evenly over its quarter and energised ``lag`` later, retired at the end of its
life. Each owner gets one site (named after it, owned by it) with its operator class's PUE and
unbounded power, so the world is never power-gated: the data count chips shipped, and the lag
stands for the time to energise them. After the data's last month ``until``, each owner keeps
shipping its mean H100e per quarter of the last four quarters, per chip designer, as the
designer's chip it bought most in the last quarter, growing ``growth`` a year (an assumption the
scenario states). The expansion happens on the scenario's tree after distributions take their
central (or drawn) values, so every key here may be a distribution (see docs/model.md,
"Shipments").
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, ValidationError

from fleetsim import months as _months
from fleetsim.errors import Location, Problem
from fleetsim.scenario.fields import Month, Quantity, Ratio
from fleetsim.scenario.schema_base import Frozen, Model

DATASET = "epoch-ai-chip-counts-2026-04"
UNBOUNDED = "100000 MW"
"""Each owner's site capacity: large enough never to gate installation (100 GW)."""


class OperatorClass(Model):
    """Operators alike in efficiency: hyperscalers, or everyone else."""

    owners: tuple[str, ...] = Field(default_factory=tuple, description=(
        "Owners in this class, e.g. [Microsoft, Google]; one class may leave it out and takes every owner "
        "no other class names."))
    pue: Ratio("Operating PUE of the class's data centres (facility over IT energy).", 1.0, 3.0, "1.12")
    it_overhead: Ratio("Full-load IT power per accelerator over its board power (host, network, storage "
                       "inside the IT load); default: each chip's catalog system_overhead.",
                       1.0, 5.0, "1.5") | None = None


class Shipments(Model):
    """Fleets built from chips shipped per quarter and owner (Epoch AI's chip counts by default)."""

    data: str = Field(DATASET, description=(
        "The shipment data: the shipped data set epoch-ai-chip-counts-2026-04, or a CSV file (relative to "
        "the scenario) in the columns of Epoch's *_owners_quarters_by_chip.csv."), min_length=1)
    owners: tuple[str, ...] | None = Field(None, description="Owners to include (default: every owner in the data).")
    classes: Frozen(OperatorClass) = Field(description="Operator classes by name, each with its PUE.", min_length=1,
                                           examples=[{"hyperscaler": {"owners": ["Google"], "pue": 1.1},
                                                      "other": {"pue": 1.4}}])
    units: Ratio("Quantile of each row's 5th-95th percentile range at which its units are taken (0.5: the "
                 "median); one value for every row, so a distribution such as {uniform: [0.05, 0.95]} moves "
                 "all rows together.", 0.01, 0.99, "0.5") = 0.5
    lag: Quantity("life", "Deployment lag from shipment to energising (whole months), e.g. "
                          "{triangular: [1 month, 3 months, 6 months]}.") = 0.0
    life: Quantity("life", "Service life of every shipped accelerator (retired after it); default: each "
                           "chip's catalog life.", positive=True) | None = None
    until: Month("Last month of the data used (later rows are partial quarters); growth follows it.") = \
        2025 * 12 + 11
    growth: Ratio("Yearly growth of each owner's H100e shipped per quarter after 'until' (an assumption): "
                  "quarter k after it ships the last four quarters' mean × (1 + growth)^(k ÷ 4).",
                  -0.9, 5.0, "0.3") = 0.0
    spread: Literal["quarter", "middle"] = Field(
        "quarter", description="quarter: each row's units delivered evenly over its quarter (three cohorts); "
                               "middle: all in the quarter's middle month (one cohort, a third of the work; "
                               "months shift by at most one).")
    electricity: Quantity("energy price", "Energy price at every owner's site (the world scenario's money "
                                          "is not its point).") = 80.0


def expand(central: dict, file: str) -> tuple[dict, list[Problem]]:
    """The tree with the sites, hardware and orders that ``shipments:`` stands for added, and any
    problems (a shipment row's unknown chip type, at its file and line). An invalid ``shipments``
    section is left for the schema to report."""
    raw = central.get("shipments")
    if raw is None:
        return central, []
    try:
        spec = Shipments.model_validate(raw)
    except ValidationError:
        return central, []
    from fleetsim.data.chip_counts import ShipmentDataError, catalog_name, shipment_rows

    data_path = None
    if spec.data != DATASET:
        base = Path(file).parent if file and file != "<scenario>" else Path.cwd()
        data_path = str((base / spec.data).resolve())
    try:
        rows = shipment_rows(data_path)
    except ShipmentDataError as exc:
        return central, list(exc.problems)
    catalog = _catalog()
    own_hardware = central.get("hardware") if isinstance(central.get("hardware"), dict) else {}
    known = {*catalog, *own_hardware}
    problems = []
    for row in rows:
        name = catalog_name(row.chip)
        if name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(Problem(
                f"row {row.line}: unknown chip type {row.chip!r}{hint}; a chip type is a catalog or scenario "
                f"hardware name, such as H100, B200, MI300X, TPU-v6e or Trainium2 (or one of Epoch's names: "
                f"H100/H200, Instinct MI300X, TPU v6e)", ("shipments", "data"), Location(row.file, row.line, 1),
                row.chip, True))
    if problems:
        return central, problems
    start = _months.parse(central["start"]) if "start" in central else None
    horizon = central.get("months")
    if start is None or not isinstance(horizon, int):
        return central, []
    end = start + horizon - 1
    wanted = set(spec.owners) if spec.owners is not None else None
    in_data = list(dict.fromkeys(r.owner for r in rows))
    for i, owner in enumerate(spec.owners or ()):
        if owner not in in_data:
            close = difflib.get_close_matches(owner, in_data, n=1)
            hint = f" (did you mean {close[0]}?)" if close else ""
            problems.append(Problem(f"owner {owner!r} has no shipments in the data{hint}; the data's owners: "
                                    f"{', '.join(in_data)}", ("shipments", "owners", i), value=owner,
                                    has_value=True))
    if problems:
        return central, problems
    rows = [r for r in rows if (wanted is None or r.owner in wanted) and r.last <= spec.until and r.first >= start]
    owners = list(dict.fromkeys(r.owner for r in rows))
    class_of, problems = _classes(spec, owners)
    if problems:
        return central, problems
    tree = dict(central)
    sites = dict(tree.get("sites") or {})
    for owner in owners:
        if owner in sites:
            return central, [Problem(f"the site name {owner!r} is taken by an owner of the shipments; rename "
                                     "the site", ("sites", owner))]
        sites[owner] = {"owner": owner, "pue": spec.classes[class_of[owner]].pue, "capacity": UNBOUNDED,
                        "electricity": {"price": f"{spec.electricity} USD/MWh"}}
    hardware = dict(own_hardware)
    lag = f"{spec.lag} months"

    def chip_for(chip: str, cls: str) -> str:
        overhead = spec.classes[cls].it_overhead
        if overhead is None and spec.life is None:
            return chip
        variant = f"{chip}@{cls}"
        if variant not in hardware:
            entry: dict[str, Any] = {"like": chip}
            if overhead is not None:
                entry["system_overhead"] = overhead
            if spec.life is not None:
                entry["life"] = f"{spec.life} months"
            hardware[variant] = entry
        return variant

    orders = list(tree.get("orders") or [])
    lag_months = round(spec.lag)
    for row in rows:
        count = round(row.units(spec.units))
        if count <= 0 or row.first + lag_months > end:
            continue
        first, last = (row.first, row.last) if spec.spread == "quarter" else ((row.first + row.last) // 2,) * 2
        orders.append(_order(chip_for(catalog_name(row.chip), class_of[row.owner]), count, row.owner,
                             first, last, lag))
    for (owner, designer), (chip, per_quarter) in _growth_bases(rows, spec.until, catalog, spec.units).items():
        k = 1
        first = spec.until + 1
        while first + lag_months <= end:
            count = round(per_quarter * (1.0 + spec.growth) ** (k / 4.0) / catalog[chip])
            if count > 0:
                last = min(first + 2, end - lag_months)
                window = (first, last) if spec.spread == "quarter" else (min(first + 1, last),) * 2
                orders.append(_order(chip_for(chip, class_of[owner]), count, owner, *window, lag,
                                     f"{owner} {designer} growth"))
            first += 3
            k += 1
    tree["sites"], tree["orders"] = sites, orders
    if hardware:
        tree["hardware"] = hardware
    return tree, []


def _order(hardware: str, count: int, owner: str, first: int, last: int, lag: str, name: str | None = None) -> dict:
    window = {"from": _months.to_text(first), "to": _months.to_text(last)}
    return {"hardware": hardware, "count": count, "site": owner, "delivery": window, "lead_time": lag,
            "name": name or f"{owner} {hardware} {_months.to_text(first)}"}


def _classes(spec: Shipments, owners: list[str]) -> tuple[dict[str, str], list[Problem]]:
    named = {owner: name for name, cls in spec.classes.items() for owner in cls.owners}
    rest = [name for name, cls in spec.classes.items() if not cls.owners]
    problems = []
    if len(rest) > 1:
        problems.append(Problem(f"classes {', '.join(rest)} both leave out 'owners': only one class may take "
                                "the remaining owners", ("shipments", "classes", rest[1], "owners")))
    class_of = {}
    for owner in owners:
        if owner in named:
            class_of[owner] = named[owner]
        elif rest:
            class_of[owner] = rest[0]
        else:
            problems.append(Problem(f"owner {owner!r} is in no class; name it in a class's owners, or add a class "
                                    "without owners for everyone else, such as other: {pue: 1.4}",
                                    ("shipments", "classes")))
    return class_of, problems


def _growth_bases(rows, until: int, catalog: dict[str, float],
                  quantile: float) -> dict[tuple[str, str], tuple[str, float]]:
    """Per (owner, designer): the chip bought most (units) in the latest quarter it bought any, and
    the mean H100e shipped per quarter over the last four quarters (``until`` − 11 … ``until``)."""
    from fleetsim.data.chip_counts import catalog_name

    h100e: dict[tuple[str, str], float] = defaultdict(float)
    by_quarter: dict[tuple[str, str], dict[int, dict[str, float]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(float)))
    for row in rows:
        if row.first <= until - 12:
            continue
        key = (row.owner, row.designer)
        chip = catalog_name(row.chip)
        units = row.units(quantile)
        h100e[key] += units * catalog.get(chip, 0.0)
        by_quarter[key][(until - row.first) // 3][chip] += units
    bases = {}
    for key, total in h100e.items():
        if total > 0:
            latest = by_quarter[key][min(by_quarter[key])]
            chip = max(latest.items(), key=lambda item: item[1])[0]
            if catalog.get(chip, 0.0) > 0:
                bases[key] = (chip, total / 4.0)
    return bases


def _catalog() -> dict[str, float]:
    """Catalog name → H100 equivalents per accelerator, from the catalog's raw values (this
    module sits below scenario.load), by the catalog's one rule (:func:`~fleetsim.catalog.h100e_of`)."""
    from fleetsim.catalog import catalog_values, h100e_of
    from fleetsim.units import parse

    return {name: h100e_of(fields.get("h100e"), parse(fields["flops"], "compute rate") if fields.get("flops") else None)
            for name, fields in catalog_values().items()}
