"""The work behind each command; errors propagate as FleetsimError to :mod:`fleetsim.cli.main`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from fleetsim.errors import FleetsimError


def _console(stderr: bool = False):
    from rich.console import Console

    return Console(stderr=stderr, highlight=False, soft_wrap=False)


def _load(path: str, overrides: list[tuple[str, str]]):
    from fleetsim.errors import Location, Problem, ScenarioError
    from fleetsim.scenario.load import load
    from fleetsim.scenario.yamlread import read_text

    scenario = load(path)
    if not overrides:
        return scenario
    changes = {}
    for key, text in overrides:
        origin = f"--set {key}={text}"
        try:
            changes[key] = read_text(text, origin).data
        except ScenarioError as exc:
            raise ScenarioError([Problem(f"the value is not valid YAML: {p.message}", tuple(key.split(".")),
                                         Location(origin), text, True) for p in exc.problems]) from None
    return scenario.override(changes, origin="--set")


SUMMARY_ROWS = [
    ("peak_facility_power_mw", "Peak facility power (full load)", "MW", "{:,.0f}"),
    ("mean_facility_power_mw", "Mean facility power", "MW", "{:,.0f}"),
    ("accelerators_end", "Accelerators at the end", "", "{:,.0f}"),
    ("h100e_end", "H100 equivalents at the end", "H100e", "{:,.0f}"),
    ("stranded_peak", "Stranded accelerators, peak", "", "{:,.0f}"),
    ("energy_mwh_total", "Energy, total", "GWh", "{:,.0f}"),
    ("capex_usd_total", "Capex, total (hardware + facility)", "MUSD", "{:,.0f}"),
    ("cash_burn_usd_mean_monthly", "Cash burn, mean per month", "MUSD", "{:,.1f}"),
    ("cumulative_cash_usd_end", "Cumulative cash at the end", "MUSD", "{:,.0f}"),
    ("cost_per_h100e_hour_usd", "Operating cost per H100e-hour", "USD", "{:,.3f}"),
]
_SCALE = {"GWh": 1e-3, "MUSD": 1e-6}


def summary_table(result, title: str):
    from rich.table import Table

    figures = result.summary()
    table = Table(title=title, title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("unit")
    for key, label, unit, fmt in SUMMARY_ROWS:
        value = figures[key] * _SCALE.get(unit, 1.0)
        table.add_row(label, fmt.format(value), unit)
    return table


def run(path: str, output: str | None, overrides: list[tuple[str, str]], fmt: str, quiet: bool) -> int:
    from fleetsim.simulate import simulate

    scenario = _load(path, overrides)
    result = simulate(scenario)
    target = Path(output) if output else Path("out") / scenario.name
    if fmt == "parquet":
        result.to_parquet(target)
    else:
        result.to_csv(target)
    if not quiet:
        console = _console()
        m = result.monthly
        console.print(summary_table(result, f"{scenario.name}: {m.index[0]} to {m.index[-1]} "
                                            f"({len(m)} months, seed {scenario.spec.seed})"))
        for warning in result.warnings:
            _console(stderr=True).print(f"[yellow]warning:[/] {warning}")
        console.print(f"wrote {', '.join(f'{t}.{fmt}' for t in ('monthly', 'ledger', 'training'))} "
                      f"and meta.json to {target}/")
    return 0


def validate(paths: list[str], overrides: list[tuple[str, str]]) -> int:
    failures = []
    for path in paths:
        try:
            scenario = _load(path, overrides)
        except FleetsimError as exc:
            failures.append(str(exc))
            continue
        spec = scenario.spec
        print(f"{path}: valid ({len(spec.sites)} sites, {len(spec.orders)} orders, {spec.months} months)")
    if failures:
        print("fleetsim: error: " + "\n".join(failures), file=sys.stderr)
        return 1
    return 0


def catalog(name: str | None) -> int:
    from rich.table import Table

    from fleetsim.catalog import catalog_sources, catalog_values
    from fleetsim.errors import FleetsimError as Error
    from fleetsim.scenario.hardware import did_you_mean
    from fleetsim.scenario.load import _catalog

    values, sources = catalog_values(), catalog_sources()
    console = _console()
    if name is not None:
        if name not in values:
            raise Error(f"no catalog entry {name!r}{did_you_mean(name, values)} (entries: {', '.join(values)})")
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
    table = Table(title="Built-in hardware catalog (H100e = dense BF16 over 989 TFLOP/s; * = estimate)")
    for column in ("name", "power", "overhead", "dense BF16", "H100e", "price", "life", "failures/yr"):
        table.add_column(column, justify="left" if column == "name" else "right")
    for entry_name, entry in entries.items():
        raw = values[entry_name]
        star = {f: "*" if sources[entry_name].get(f, {}).get("estimate") else "" for f in raw}
        table.add_row(entry_name, f"{raw['power']}{star['power']}",
                      f"{entry.system_overhead:.2f}{star['system_overhead']}",
                      f"{raw['flops']}{star['flops']}", f"{entry.flops / 989e12:.2f}",
                      f"{raw['price']}{star['price']}", f"{raw['life']}{star['life']}",
                      f"{entry.failure_rate:.2f}{star['failure_rate']}")
    console.print(table)
    console.print("Sources: fleetsim catalog NAME")
    return 0


def schema() -> int:
    from fleetsim.scenario.schema import ScenarioSpec

    document = ScenarioSpec.model_json_schema(by_alias=True)
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "fleetsim scenario"
    print(json.dumps(document, indent=2))
    return 0
