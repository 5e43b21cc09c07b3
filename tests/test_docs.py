"""Docs that cannot drift: the generated references match the code, the validation page's
figures match fresh runs, and every relative link in the docs resolves."""

import re
import warnings
from pathlib import Path

import pandas as pd
import pytest

import fleetsim
from fleetsim.faces import docgen

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
REGENERATE = {"scenario-reference.md": "python -m fleetsim.docgen > docs/scenario-reference.md",
              "cli.md": "python -m fleetsim.docgen cli > docs/cli.md"}


@pytest.mark.parametrize(("page", "generate"), [("scenario-reference.md", docgen.scenario_reference),
                                                ("cli.md", docgen.cli_reference)])
def test_generated_reference_is_up_to_date(page, generate):
    committed = (DOCS / page).read_text(encoding="utf-8")
    assert committed == generate(), f"docs/{page} is out of date; regenerate it: {REGENERATE[page]}"


def test_docgen_prints_each_page(capsys):
    assert docgen.main([]) == 0
    assert capsys.readouterr().out == docgen.scenario_reference()
    assert docgen.main(["cli"]) == 0
    assert capsys.readouterr().out == docgen.cli_reference()


def test_reference_documents_every_key_of_every_section():
    from fleetsim.scenario.schema import ScenarioDocument

    schema = ScenarioDocument.model_json_schema(by_alias=True)
    reference = docgen.scenario_reference()
    for model in [schema, *schema["$defs"].values()]:
        title = model.get("title") if model is not schema else "Top level"
        section = reference.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]
        for key in model.get("properties", {}):
            assert f"| `{key}` |" in section, (title, key)


def test_cli_reference_documents_every_option():
    from fleetsim.cli.main import _parser

    reference = docgen.cli_reference()
    for name, command in _parser()._subparsers._group_actions[0].choices.items():
        section = reference.split(f"\n## fleetsim {name}\n", 1)[1].split("\n## ", 1)[0]
        for action in command._actions:
            for option in action.option_strings:
                if option not in ("-h", "--help"):
                    assert f"`{option}" in section, (name, option)


# --------------------------------------------------------------------------- validation page
VALIDATION = DOCS / "validation.md"


def yaml_blocks(text: str) -> dict[str, str]:
    """The page's scenarios: fenced YAML blocks whose first line is ``# validation: NAME``."""
    return dict(re.findall(r"```yaml\n# validation: (\S+)\n(.*?)```", text, flags=re.S))


def table_rows(text: str) -> dict[str, list[str]]:
    """The summary table: check → [published, model, difference]."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 4 and cells[0] not in ("check", "---"):
            rows[cells[0]] = cells[1:]
    return rows


def difference(model: float, published: float) -> str:
    change = round((model / published - 1) * 100)
    return "0 %" if change == 0 else f"{change:+d} %"


def computed_rows() -> dict[str, list[str]]:
    """Every row of the page's table, from fresh runs."""
    blocks = yaml_blocks(VALIDATION.read_text(encoding="utf-8"))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fleetsim.FleetsimWarning)
        phase1 = fleetsim.simulate(fleetsim.load_text(blocks["colossus-phase-1"]))
        llama = fleetsim.simulate(fleetsim.load_text(blocks["llama-3.1-405b"]))
        flagship = fleetsim.simulate(ROOT / "scenarios" / "colossus.yaml")
        campus = fleetsim.simulate(ROOT / "scenarios" / "gigawatt-campus.yaml")
        epoch = fleetsim.load(ROOT / "scenarios" / "epoch-1gw-tco.yaml")
        tco = {life: fleetsim.simulate(epoch.override({"hardware.GB200.life": f"{life} years"})).monthly
               for life in (5, 3, 7)}
        world = fleetsim.simulate(ROOT / "scenarios" / "world.yaml").rollup("Y").energy_mwh / 1e6
    peak = float(phase1.monthly.peak_facility_power_mw.max())
    m = flagship.monthly
    energised = str(m.index[(m.accelerators >= 100_000).to_numpy().argmax()])
    run = llama.training.iloc[0]
    facility = float(campus.monthly.facility_capex_usd.sum())
    total = facility + float(campus.monthly.hardware_capex_usd.sum())
    cushman = 11.7e6 * 1000 / 1.15  # USD per MW of IT load x 1 GW of facility power / PUE
    burn = float(m.cash_burn_usd[m.index.year == 2025].mean())
    five = tco[5]
    accelerator_hours = float((five.accelerators * five.index.days_in_month * 24.0).sum())
    gpu_hour = float(five.tco_usd.sum()) / accelerator_hours
    early = (pd.Period("2024-09", "M") - pd.Period(energised, "M")).n
    direction = "earlier" if early > 0 else "later"
    when = "same month" if early == 0 else f"{abs(early)} month{'s' * (abs(early) > 1)} {direction}"
    return {
        "Colossus 1, 100,000 H100: full-load facility power": [
            "150 MW", f"{peak:,.2f} MW", difference(peak, 150.0)],
        "Colossus 1: month the 100,000th H100 is energised": [
            "2024-09", energised, when],
        "Llama 3.1 405B: H100-hours for 3.8e25 FLOP at 38 % MFU": [
            "30.84 million", f"{run.h100e_hours / 1e6:.2f} million", difference(run.h100e_hours, 30.84e6)],
        "Llama 3.1 405B: cost by Epoch AI's method (depreciation + energy)": [
            "—", f"{run.cost_usd / 1e6:,.1f} MUSD", "—"],
        "1 GW campus: facility capex": [
            f"{cushman / 1e9:.2f} GUSD", f"{facility / 1e9:.2f} GUSD", difference(facility, cushman)],
        "1 GW campus: hardware + facility capex": ["50 GUSD", f"{total / 1e9:.1f} GUSD", difference(total, 50e9)],
        "Colossus: mean monthly cash burn in 2025": ["1.00 GUSD", f"{burn / 1e9:.2f} GUSD", difference(burn, 1e9)],
        **{f"Epoch 1 GW GB200: annual TCO, IT life {life} years": [
            f"{published:g} GUSD", f"{tco[life].tco_usd.sum() / 1e9:.2f} GUSD",
            difference(tco[life].tco_usd.sum(), published * 1e9)] for life, published in ((5, 8.5), (3, 12), (7, 7))},
        "Epoch 1 GW GB200: TCO per GPU-hour": ["1.627 USD", f"{gpu_hour:.3f} USD", difference(gpu_hour, 1.627)],
        "World: AI accelerators' electricity in 2024 (IEA: 15 % of 415 TWh)": [
            "62 TWh", f"{world.iloc[2]:.1f} TWh", difference(world.iloc[2], 0.15 * 415)],
        "World: AI accelerators' electricity in 2023 against all US data centres (LBNL)": [
            "176 TWh", f"{world.iloc[1]:.1f} TWh", difference(world.iloc[1], 176)],
    }


def test_validation_page_matches_fresh_runs():
    written = table_rows(VALIDATION.read_text(encoding="utf-8"))
    expected = computed_rows()
    stale = [f"| {check} | {' | '.join(cells)} |" for check, cells in expected.items() if written.get(check) != cells]
    assert not stale, "docs/validation.md is out of date; the rows are now:\n" + "\n".join(stale)
    assert set(written) == set(expected), "every row of the table is checked"


def test_validation_prose_quotes_the_same_figures():
    text = " ".join(VALIDATION.read_text(encoding="utf-8").split())
    rows = computed_rows()
    assert "= 159.25 MW" in text
    hours = rows["Llama 3.1 405B: H100-hours for 3.8e25 FLOP at 38 % MFU"]
    assert f"= {hours[1]}" in text and f"comes in {hours[2].strip('-+ %')} % under" in text
    burn = rows["Colossus: mean monthly cash burn in 2025"][1]
    assert f"burns {burn} a month" in text
    assert "28 % below" in text and rows["1 GW campus: hardware + facility capex"][2] == "-28 %"


# --------------------------------------------------------------------------- links
def test_relative_links_in_docs_resolve():
    pages = [ROOT / "README.md", *DOCS.glob("*.md")]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if target.startswith(("http://", "https://", "mailto:")):
                continue
            path, _, anchor = target.partition("#")
            file = (page.parent / path).resolve() if path else page
            assert file.exists(), f"{page.name}: broken link {target}"
            if anchor and file.suffix == ".md":
                headings = re.findall(r"^#+ (.+)$", file.read_text(encoding="utf-8"), flags=re.M)
                anchors = {docgen._anchor(h) for h in headings}
                assert anchor in anchors, f"{page.name}: no heading for #{anchor} in {file.name}"


def test_readme_lists_every_shipped_scenario():
    """The README's table of shipped scenarios names every file in scenarios/ (and no other)."""
    readme = (ROOT / "README.md").read_text()
    table = readme.split("## Shipped scenarios", 1)[1].split("\n## ", 1)[0]
    listed = set(re.findall(r"^\| `([^`]+\.yaml)` \|", table, re.M))
    assert listed == {p.name for p in (ROOT / "scenarios").glob("*.yaml")}
