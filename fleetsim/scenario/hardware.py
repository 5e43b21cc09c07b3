"""Resolving hardware: built-in catalog entries, scenario overrides and ``like`` chains."""

from __future__ import annotations

from dataclasses import dataclass

from fleetsim.catalog import h100e_of
from fleetsim.errors import Problem, did_you_mean
from fleetsim.scenario.schema import Hardware

REQUIRED = ("flops", "price", "life", "failure_rate")
"""Fields every resolved entry needs, besides its full-load IT power: ``it_power``, or ``power``
and ``system_overhead`` (exactly one of the two paths)."""
BOARD_PATH = ("power", "system_overhead")


@dataclass(frozen=True)
class ResolvedHardware:
    """An accelerator type after the catalog merge and ``like`` chains: every field set, in internal
    units (W, FLOP/s, USD, months). :class:`~fleetsim.scenario.schema.Hardware` is an entry as
    written (fields optional, quantities parsed)."""

    name: str
    power_w: float | None
    system_overhead: float | None
    it_power_w: float
    """Full-load IT power per accelerator: ``it_power`` as given, or board power × system overhead."""
    flops: float
    h100e: float
    price_usd: float
    life_months: int
    failure_rate: float
    description: str = ""


def resolve_hardware(catalog: dict[str, Hardware], scenario: dict[str, Hardware],
                     ) -> tuple[dict[str, ResolvedHardware], list[Problem]]:
    """Merge ``scenario`` entries over ``catalog`` entries, following ``like`` chains.

    An entry named like a catalog entry overrides that entry's fields; ``like`` inherits from
    any entry (scenario or catalog). Returns the resolved specs and every problem found.
    """
    problems: list[Problem] = []
    merged: dict[str, dict] = {}

    def fields_of(name: str, trail: tuple[str, ...]) -> dict | None:
        if name in merged:
            return merged[name]
        entry = scenario.get(name)
        if entry is None:
            base = catalog[name].model_dump(exclude_none=True, exclude={"like"})
            merged[name] = base
            return base
        if entry.like is not None:
            target = entry.like
            if target == name and name in catalog:  # "H100: {like: H100}": the built-in H100, then these fields
                base = catalog[name].model_dump(exclude_none=True, exclude={"like"})
            elif target in trail:
                cycle = " -> ".join((*trail, target))
                problems.append(Problem(f"'like' makes a cycle: {cycle}; one entry must define its fields "
                                        "or inherit from a catalog entry, such as like: H100",
                                        ("hardware", name, "like"), value=target, has_value=True))
                return None
            elif target not in scenario and target not in catalog:
                problems.append(Problem("'like' names no hardware" + did_you_mean(target, {*scenario, *catalog}),
                                        ("hardware", name, "like"), value=target, has_value=True))
                return None
            else:
                base = fields_of(target, (*trail, target))
                if base is None:
                    return None
        elif name in catalog:
            base = catalog[name].model_dump(exclude_none=True, exclude={"like"})
        else:
            base = {}
        own = entry.model_dump(exclude_none=True, exclude={"like"})
        if "it_power" in own:  # an entry's own power path replaces the inherited one
            base = {k: v for k, v in base.items() if k not in BOARD_PATH}
        elif any(key in own for key in BOARD_PATH):
            base = {k: v for k, v in base.items() if k != "it_power"}
        result = {**base, **own}
        if "flops" in own and "h100e" not in own:
            result.pop("h100e", None)
        merged[name] = result
        return result

    specs: dict[str, ResolvedHardware] = {}
    for name in {*catalog, *scenario}:
        fields = fields_of(name, (name,))
        if fields is None:
            continue
        missing = [key for key in REQUIRED if key not in fields]
        if "it_power" not in fields:
            missing += [key for key in BOARD_PATH if key not in fields]
        if missing:
            problems.append(Problem(
                f"hardware {name!r} lacks {', '.join(missing)}; set them or inherit with 'like: H100' (the "
            "full-load IT power is it_power, or power × system_overhead)",
                ("hardware", name)))
            continue
        specs[name] = ResolvedHardware(
            name=name,
            power_w=fields.get("power"),
            system_overhead=fields.get("system_overhead"),
            it_power_w=fields.get("it_power", fields.get("power", 0.0) * fields.get("system_overhead", 0.0)),
            flops=fields["flops"],
            h100e=h100e_of(fields.get("h100e"), fields["flops"]),
            price_usd=fields["price"],
            life_months=max(1, round(fields["life"])),
            failure_rate=fields["failure_rate"],
            description=fields.get("description", ""),
        )
    return dict(sorted(specs.items())), problems
