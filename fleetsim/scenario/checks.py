"""Cross-checks of a structurally valid scenario: references, dates and schedules that must
agree with each other. Each check returns :class:`~fleetsim.errors.Problem` objects."""

from __future__ import annotations

from collections.abc import Iterator

from fleetsim import months as _months
from fleetsim.errors import Problem
from fleetsim.scenario.fields import Schedule
from fleetsim.scenario.hardware import HardwareSpec, did_you_mean
from fleetsim.scenario.schema import ScenarioSpec


def check_references(spec: ScenarioSpec, hardware: dict[str, HardwareSpec]) -> Iterator[Problem]:
    """Every order names an existing site and hardware."""
    for i, order in enumerate(spec.orders):
        if order.site not in spec.sites:
            yield Problem(f"order names a site that does not exist{did_you_mean(order.site, spec.sites)} "
                          f"(sites: {', '.join(spec.sites)})", ("orders", i, "site"), value=order.site,
                          has_value=True)
        if order.hardware not in hardware:
            yield Problem(f"order names hardware that does not exist{did_you_mean(order.hardware, hardware)} "
                          "(see 'fleetsim catalog', or define it under 'hardware:')",
                          ("orders", i, "hardware"), value=order.hardware, has_value=True)


def check_dates(spec: ScenarioSpec) -> Iterator[Problem]:
    """Deliveries and training starts may not lie before the first simulated month."""
    start = _months.to_text(spec.start)
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


def _schedules_from_start(spec: ScenarioSpec) -> Iterator[tuple[tuple, Schedule]]:
    for name, site in spec.sites.items():
        yield ("sites", name, "electricity", "price"), site.electricity.price
    yield ("operations", "utilization"), spec.operations.utilization
    yield ("operations", "training_share"), spec.operations.training_share
    if spec.revenue.inference is not None:
        yield ("revenue", "inference", "price"), spec.revenue.inference.price


def check_schedules(spec: ScenarioSpec) -> Iterator[Problem]:
    """A price or ratio schedule must be in force from the first month."""
    for path, schedule in _schedules_from_start(spec):
        first = schedule.first_month
        if first is not None and first > spec.start:
            start = _months.to_text(spec.start)
            yield Problem(f"this schedule begins at {_months.to_text(first)}, after the start {start}; a price "
                          f"or ratio needs a value from the start: add a key {start}", path,
                          value=_months.to_text(first), has_value=True)


def check_finance(spec: ScenarioSpec) -> Iterator[Problem]:
    """Declining balance needs its yearly rate."""
    dep = spec.finance.depreciation
    if dep.method == "declining_balance" and dep.rate is None:
        yield Problem("declining_balance needs a yearly 'rate' in (0, 1], for example rate: 0.4",
                      ("finance", "depreciation", "rate"))


def check_all(spec: ScenarioSpec, hardware: dict[str, HardwareSpec]) -> list[Problem]:
    """Every cross-check, all problems together."""
    return [*check_references(spec, hardware), *check_dates(spec), *check_schedules(spec),
            *check_finance(spec)]
