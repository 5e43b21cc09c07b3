"""``fleetsim validate``, ``catalog`` and ``schema``: commands that read without simulating."""

from __future__ import annotations

import json
import sys

from fleetsim import formats
from fleetsim.cli.common import load_scenario
from fleetsim.errors import FleetsimError
from fleetsim.faces.console import plural, print_json, print_warnings, terminal


def validate(paths: list[str], overrides: list[tuple[str, str]], as_json: bool = False) -> int:
    failures, records = [], []
    for path in paths:
        try:
            scenario = load_scenario(path, overrides)
        except FleetsimError as exc:
            failures.append(str(exc))
            problems = getattr(exc, "problems", None) or []
            records.append({"file": path, "valid": False, "error": str(exc),
                            "problems": [{"message": p.message, "key": ".".join(map(str, p.path)),
                                          "location": str(p.location) if p.location else None} for p in problems]})
            continue
        from fleetsim.consistency import scenario_warnings

        spec = scenario.spec
        if as_json:
            records.append({"file": path, "valid": True, "name": scenario.name, "sites": len(spec.sites),
                            "orders": len(spec.orders), "months": spec.months,
                            "uncertain": [".".join(map(str, k)) for k in scenario.uncertain],
                            "warnings": scenario_warnings(scenario)})
            continue
        print(f"{path}: valid ({plural(len(spec.sites), 'site')}, {plural(len(spec.orders), 'order')}, "
              f"{plural(spec.months, 'month')})")
        print_warnings([f"{path}: {message}" for message in scenario_warnings(scenario)])
    if as_json:
        print_json({"valid": not failures, "files": records})
    if failures:
        print("fleetsim: error: " + "\n".join(failures), file=sys.stderr)
        return 1
    return 0


def catalog(name: str | None, as_json: bool = False) -> int:
    from rich.table import Table

    from fleetsim.catalog import H100_FLOPS, catalog_sources, catalog_values
    from fleetsim.errors import FleetsimError as Error
    from fleetsim.errors import did_you_mean
    from fleetsim.scenario.load import _catalog

    values, sources = catalog_values(), catalog_sources()
    console = terminal()
    if name is not None and name not in values:
        raise Error(f"no catalog entry {name!r}{did_you_mean(name, values)} (entries: {', '.join(values)})")
    if as_json:
        entries = _catalog()
        units = {"power": "W", "system_overhead": "", "flops": "FLOP/s", "h100e": "", "price": "USD",
                 "life": "month", "failure_rate": "1/year"}
        print_json({"internal_units": units, "entries": {
            entry: {"values": values[entry], "internal": vars(entries[entry]), "sources": sources[entry]}
            for entry in ([name] if name else values)}})
        return 0
    if name is not None:
        table = Table(title=f"{name}: {values[name].get('description', '')}", show_lines=True)
        for column in ("field", "value", "source", "date"):
            table.add_column(column, overflow="fold")
        for field, value in values[name].items():
            if field == "description":
                continue
            info = sources[name].get(field, {})
            note = " [estimate]" if info.get("estimate") else ""
            text = info.get("source", "") + (f"\nnote: {info['note']}" if info.get("note") else "")
            table.add_row(field, f"{value}{note}", text, str(info.get("date", "")))
        console.print(table)
        return 0
    entries = _catalog()
    table = Table(title="Built-in hardware catalog (H100e = dense BF16 over the H100's 989 TFLOP/s; "
                        "* = estimate)", title_justify="left")
    headers = ("name", "power W", "overhead", "BF16 TFLOP/s", "H100e", "price USD", "life y", "fail/yr")
    for column in headers:
        table.add_column(column, justify="left" if column == "name" else "right", no_wrap=True)
    for entry_name, entry in entries.items():
        star = {f: "*" if info.get("estimate") else "" for f, info in sources[entry_name].items()}
        cells = [(entry.power, "power", 0), (entry.system_overhead, "system_overhead", 2),
                 (entry.flops / 1e12, "flops", 0), (entry.flops / H100_FLOPS, "", 2),
                 (entry.price, "price", 0), (entry.life / 12, "life", None), (entry.failure_rate, "failure_rate", 2)]
        table.add_row(entry_name, *[(f"{v:g}" if decimals is None else formats.number(v, decimals)) + star.get(f, "")
                                    for v, f, decimals in cells])
    console.print(table)
    console.print("Sources: fleetsim catalog NAME")
    return 0


def schema() -> int:
    from fleetsim.scenario.editor_schema import json_schema

    print(json.dumps(json_schema(), indent=2))
    return 0
