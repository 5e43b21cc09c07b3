"""``fleetsim sites`` and ``fleetsim score``: the shipped record, and a run held against it."""

from __future__ import annotations

import json
import math
from pathlib import Path

from fleetsim import formats
from fleetsim.cli.common import load_scenario, output_folder
from fleetsim.faces.console import print_json, print_warnings, terminal


def sites(name: str | None, output: str | None, overwrite: bool) -> int:
    """The shipped sites, one site's timeline, or (with ``output``) its scenario file."""
    from rich.table import Table

    from fleetsim import data

    console = terminal()
    if name is None:
        if output is not None:
            from fleetsim.errors import FleetsimError

            raise FleetsimError("-o writes one site's scenario: name the site, for example "
                                "fleetsim sites \"xAI Colossus 2\" -o colossus2.yaml")
        table = Table(title=f"Epoch AI Frontier Data Centers, vintage {data.VINTAGE_DATE} "
                            "(latest observed values)", title_justify="left")
        for column in ("site", "owner", "MW", "H100e", "as of"):
            table.add_column(column, justify="right" if column in ("MW", "H100e") else "left",
                             overflow="fold")
        for row in data.sites().itertuples():
            table.add_row(row.site, row.owner, formats.quantity(row.power_mw), formats.quantity(row.h100e),
                          str(row.h100e_date or row.power_mw_date or ""))
        console.print(table)
        console.print(f"Source: {data.CITATION}. Rows dated after {data.VINTAGE_DATE} are Epoch's projections, "
                      "shown apart. fleetsim sites NAME shows a timeline; -o FILE writes it as a scenario.",
                      markup=False)
        return 0
    handle = data.resolve(name)
    if output is not None:
        from fleetsim.data.site_scenario import is_ours
        from fleetsim.output import write_file

        text = data.site_scenario(handle)
        target = write_file(output, text.encode("utf-8"), is_ours=is_ours, overwrite=overwrite,
                            what="scenario file", example="site.yaml")
        console.print(f"wrote {target}: {handle} as a scenario; run it with fleetsim run {target}", markup=False)
        return 0
    rows = data.timeline(handle)
    owner = data.epoch.owner(handle)
    table = Table(title=f"{handle} (owner {owner}): Epoch AI, vintage {data.VINTAGE_DATE}", title_justify="left")
    for column in ("date", "status", "MW", "H100e", "capex GUSD"):
        table.add_column(column, justify="left" if column in ("date", "status") else "right", no_wrap=True)
    for status in ("observed", "projected"):
        part = rows[rows["status"] == status]
        if status == "projected" and len(part):
            table.add_section()
        for row in part.itertuples():
            table.add_row(str(row.date), status, formats.quantity(row.power_mw), formats.quantity(row.h100e),
                          formats.number(row.capital_cost_gusd, 2) if not math.isnan(row.capital_cost_gusd) else "")
    console.print(table)
    console.print(f"Blank: not given. Source: {data.CITATION}. Each row's rationale: fleetsim.data.timeline(name).note",
                  markup=False)
    return 0


def score(path: str, observations: str, output: str | None, as_json: bool, overwrite: bool,
          overrides: list[tuple[str, str]]) -> int:
    """Read and check the observations, simulate, print the scorecard and write it."""
    import warnings

    from fleetsim.errors import FleetsimWarning
    from fleetsim.scoring import read
    from fleetsim.scoring import score as score_result
    from fleetsim.simulation import simulate

    scenario = load_scenario(path, overrides)
    checked = read(observations, scenario)
    target, protect = output_folder(scenario, output, "-score", overwrite)
    protect = (*protect, Path(observations).resolve())
    from fleetsim.output import check_folder

    check_folder(target, overwrite=overwrite, protect=protect)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FleetsimWarning)
        result = simulate(scenario)
    card = score_result(result, checked)
    meta = {"fleetsim_version": result.meta.get("fleetsim_version"), "scenario": scenario.name,
            "scenario_file": str(scenario.path) if scenario.path else None,
            "scenario_hash": result.meta.get("scenario_hash"), "observations": str(observations),
            "overrides": result.meta.get("overrides", {}), "summary": _records(card.summary),
            "columns": {"relative_error": "(fleetsim - observed) / |observed|; null where observed is 0",
                        "uncertainty": "absolute, in the row's unit", "within": "1 if |error| <= uncertainty"}}

    def write(folder: Path) -> None:
        card.table.to_csv(folder / "scorecard.csv", index=False)
        (folder / "meta.json").write_text(json.dumps(meta, indent=2, default=str) + "\n")

    from fleetsim.output import write_folder

    write_folder(target, write, overwrite=overwrite, protect=protect)
    if as_json:
        print_json({"scenario": scenario.name, "observations": str(observations), "output": str(target),
                     "summary": _records(card.summary), "scorecard": _records(card.table),
                     "warnings": list(result.warnings)})
        return 0
    print_scorecard(card, terminal())
    terminal().print(f"wrote scorecard.csv and meta.json to {target}/", markup=False)
    print_warnings(result.warnings)
    return 0


def _records(frame) -> list[dict]:
    """Rows as JSON-ready dicts (NaN and infinities as None, numpy scalars as Python numbers)."""
    from fleetsim.tables import json_ready

    return json_ready(frame.to_dict("records"))


def print_scorecard(card, console) -> None:
    """The scorecard as rich tables that fit 80 columns: one per site (and the fleet), then the summary."""
    from rich.table import Table

    table = card.table
    banded = table["within"].notna().any()
    for site, rows in table.groupby("site", sort=False):
        shown = Table(title=f"Against the record: {site or 'the fleet'}", title_justify="left")
        for column in ("month", "metric", "", "observed", "fleetsim", "error", *(["ok"] if banded else [])):
            shown.add_column(column, justify="right" if column in ("observed", "fleetsim", "error") else "left",
                             no_wrap=True)
        for row in rows.itertuples():
            ok = "" if math.isnan(row.within) else ("yes" if row.within else "no")
            shown.add_row(row.month, row.metric, "proj" if row.status == "projected" else "",
                          formats.quantity(row.observed, row.unit), formats.quantity(row.fleetsim, row.unit),
                          formats.percent(row.relative_error, signed=True), *([ok] if banded else []))
        console.print(shown)
    summary = Table(title="Summary: absolute relative error by metric", title_justify="left")
    for column in ("metric", "status", "n", "median", "largest", *(["within"] if banded else [])):
        summary.add_column(column, justify="left" if column in ("metric", "status") else "right", no_wrap=True)
    for row in card.summary.itertuples():
        summary.add_row(row.metric, row.status, str(row.count), formats.percent(row.median),
                        formats.percent(row.largest),
                        *([f"{row.within}/{row.with_band}"] if banded else []))
    console.print(summary)
    console.print("error: (fleetsim - observed) / |observed|, blank where the record is zero; proj: a projection.",
                  markup=False)
