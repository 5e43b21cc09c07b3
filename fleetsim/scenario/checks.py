"""Cross-checks of a structurally valid scenario: references, dates and schedules that must
agree with each other. Each check returns :class:`~fleetsim.errors.Problem` objects."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from typing import Any

from fleetsim import months as _months
from fleetsim.errors import Problem
from fleetsim.scenario.contracts import check_contracts
from fleetsim.scenario.fields import Schedule, name_problem
from fleetsim.scenario.hardware import ResolvedHardware, did_you_mean
from fleetsim.scenario.schema import ScenarioDocument


def _reference_problems(orders: Iterable[tuple[int, Any, Any]], sites: Collection[str] | None,
                        hardware: Collection[str]) -> Iterator[Problem]:
    """Problems of orders ``(index, site, hardware)`` naming a site or hardware not in the collections.

    ``sites`` is None when the sites themselves are unreadable; names that are not text are left
    to the schema.
    """
    for i, site, kind in orders:
        if sites is not None and isinstance(site, str) and site not in sites:
            yield Problem(f"order names a site that does not exist{did_you_mean(site, sites)} "
                          f"(sites: {', '.join(sites)})", ("orders", i, "site"), value=site, has_value=True)
        if isinstance(kind, str) and kind not in hardware:
            yield Problem(f"order names hardware that does not exist{did_you_mean(kind, hardware)} "
                          "(see 'fleetsim catalog', or define it under 'hardware:')",
                          ("orders", i, "hardware"), value=kind, has_value=True)


def check_references(spec: ScenarioDocument, hardware: dict[str, ResolvedHardware]) -> Iterator[Problem]:
    """Every order names an existing site and hardware."""
    orders = ((i, order.site, order.hardware) for i, order in enumerate(spec.orders))
    # an entry of the scenario's hardware: section that failed to resolve is reported there already
    yield from _reference_problems(orders, spec.sites, {*hardware, *spec.hardware})


def check_raw_references(tree: dict, catalog: Collection[str]) -> Iterator[Problem]:
    """:func:`check_references` on the unvalidated tree, for a scenario the schema rejected.

    So that a file with structural mistakes still has its unknown sites and hardware reported in
    the same message. Parts too broken to read are skipped (the schema reports them).
    """
    orders, sites, hardware = tree.get("orders"), tree.get("sites"), tree.get("hardware")
    if not isinstance(orders, list):
        return
    names = {*catalog, *(hardware if isinstance(hardware, dict) else ())}
    rows = ((i, order.get("site"), order.get("hardware")) for i, order in enumerate(orders)
            if isinstance(order, dict))
    yield from _reference_problems(rows, sites if isinstance(sites, dict) and sites else None, names)


def check_raw_names(tree: dict) -> Iterator[Problem]:
    """Every name (the scenario's, and of sites, hardware, power sources, orders and training runs)
    follows :data:`~fleetsim.scenario.fields.NAME_RULE`; checked on the unvalidated tree, so that
    bad names are reported with every other problem. Parts of other types are left to the schema."""
    def named(path: tuple, value: Any, is_key: bool = False) -> Iterator[Problem]:
        problem = name_problem(value)
        if problem is not None:
            yield Problem(problem, path, value=value, has_value=not is_key)

    if isinstance(tree.get("name"), str):
        yield from named(("name",), tree["name"])
    for section in ("sites", "hardware"):
        entries = tree.get(section)
        for key in entries if isinstance(entries, dict) else ():
            yield from named((section, key), key, True)
            supply = entries[key].get("supply") if section == "sites" and isinstance(entries[key], dict) else None
            for source in supply if isinstance(supply, dict) else ():
                yield from named((section, key, "supply", source), source, True)
    for section in ("orders", "training", "contracts"):
        items = tree.get(section)
        for i, item in enumerate(items if isinstance(items, list) else ()):
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                yield from named((section, i, "name"), item["name"])
    description = tree.get("description")
    if isinstance(description, str) and any(not ch.isprintable() and ch not in "\n\t" for ch in description):
        yield Problem("the description holds a control character (such as an escape sequence); write plain "
                      "text, such as description: xAI Colossus 1 and 2", ("description",), value=description,
                      has_value=True)


def check_dates(spec: ScenarioDocument) -> Iterator[Problem]:
    """The horizon lies within 0001-01 and 9999-12; deliveries and training starts may not lie
    before the first simulated month."""
    start = _months.to_text(spec.start)
    if spec.start < 12:
        yield Problem("the calendar of results begins in year 1: start in 0001-01 or later, for example 2024-07",
                      ("start",), value=start, has_value=True)
    last = _months.parse("9999-12")
    if spec.start + spec.months - 1 > last:
        yield Problem(f"the horizon would end after 9999-12 (the last month results can name); with start {start} "
                      f"write months: {last - spec.start + 1} or fewer", ("months",), value=spec.months,
                      has_value=True)
    for i, order in enumerate(spec.orders):
        first = order.delivery[0]
        if first < spec.start:
            yield Problem(f"delivery {_months.to_text(first)} is before the scenario's start {start}; "
                          f"deliveries must fall on or after it, e.g. {start}", ("orders", i, "delivery"),
                          value=_months.to_text(first), has_value=True)
    names: set[str] = set()
    for i, run in enumerate(spec.training):
        if run.start < spec.start:
            yield Problem(f"training start {_months.to_text(run.start)} is before the scenario's start "
                          f"{start}; for example {start}", ("training", i, "start"),
                          value=_months.to_text(run.start), has_value=True)
        if run.name in names:
            yield Problem("two training runs share this name; give each its own", ("training", i, "name"),
                          value=run.name, has_value=True)
        names.add(run.name)


def _schedules_from_start(spec: ScenarioDocument) -> Iterator[tuple[tuple, Schedule]]:
    for name, site in spec.sites.items():
        yield ("sites", name, "pue"), site.pue
        if site.electricity is not None:
            yield ("sites", name, "electricity", "price"), site.electricity.price
        for source_name, source in (site.supply or {}).items():
            for key in ("price", "fuel_price"):
                if hasattr(source, key):
                    yield ("sites", name, "supply", source_name, key), getattr(source, key)
    yield ("operations", "utilization"), spec.operations.utilization
    yield ("operations", "training_share"), spec.operations.training_share
    if spec.revenue.inference is not None:
        yield ("revenue", "inference", "price"), spec.revenue.inference.price


def check_schedules(spec: ScenarioDocument) -> Iterator[Problem]:
    """A price or ratio schedule must be in force from the first month."""
    for path, schedule in _schedules_from_start(spec):
        first = schedule.first_month
        if first is not None and first > spec.start:
            start = _months.to_text(spec.start)
            yield Problem(f"this schedule begins at {_months.to_text(first)}, after the start {start}; a price "
                          f"or ratio needs a value from the start: add a key {start}", path,
                          value=_months.to_text(first), has_value=True)


def check_finance(spec: ScenarioDocument) -> Iterator[Problem]:
    """Declining balance needs its yearly rate; raises fall within the run; demand slopes down."""
    dep = spec.finance.depreciation
    if dep.method == "declining_balance" and dep.rate is None:
        yield Problem("declining_balance needs a yearly 'rate' in (0, 1], for example rate: 0.4",
                      ("finance", "depreciation", "rate"))
    start = _months.to_text(spec.start)
    for i, cash_raise in enumerate(spec.finance.cash.raises):
        if cash_raise.month < spec.start:
            yield Problem(f"a raise dated before the start {start}: count it in finance.cash.start instead, or "
                          f"date it {start} or later", ("finance", "cash", "raises", i, "month"),
                          value=_months.to_text(cash_raise.month), has_value=True)
    inference = spec.revenue.inference
    if inference is not None and inference.demand is not None and inference.demand.elasticity > 0:
        yield Problem("elasticity must be at most 0: demand falls as price rises (for example -1.3)",
                      ("revenue", "inference", "demand", "elasticity"), value=inference.demand.elasticity,
                      has_value=True)


def check_training(spec: ScenarioDocument, hardware: dict[str, ResolvedHardware]) -> Iterator[Problem]:
    """A run sized as accelerators × duration names ordered hardware, and no more of it than the
    scenario's orders hold."""
    for i, run in enumerate(spec.training):
        if run.hardware is None:
            continue
        if run.hardware not in hardware:
            yield Problem("training run names hardware that does not exist" + did_you_mean(run.hardware, hardware),
                          ("training", i, "hardware"), value=run.hardware, has_value=True)
            continue
        held = sum(order.count for order in spec.orders if order.hardware == run.hardware)
        if run.count is not None and run.count > held:
            yield Problem(f"the run uses more {run.hardware} than the scenario's sites hold ({held:,} ordered); "
                          f"for example count: {held}", ("training", i, "count"), value=run.count, has_value=True)


def check_all(spec: ScenarioDocument, hardware: dict[str, ResolvedHardware]) -> list[Problem]:
    """Every cross-check, all problems together."""
    return [*check_references(spec, hardware), *check_dates(spec), *check_schedules(spec),
            *check_finance(spec), *check_training(spec, hardware), *check_contracts(spec, hardware)]
