"""The JSON Schema ``fleetsim schema`` prints accepts every file ``validate`` accepts and rejects
files ``validate`` rejects for reasons a schema can see (checked with the jsonschema library)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import make_text
from jsonschema import Draft202012Validator

import fleetsim
from fleetsim.cli.main import main
from fleetsim.errors import ScenarioError
from fleetsim.scenario.yamlread import read_file, read_text

SCENARIOS = sorted((Path(__file__).parent.parent / "scenarios").glob("*.yaml"))


@pytest.fixture(scope="module")
def validator():
    from fleetsim.scenario.editor_schema import json_schema

    schema = json_schema()
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def _errors(validator, data) -> list[str]:
    return [f"{'.'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(data)]


def test_the_printed_schema_is_the_function_and_a_valid_draft_2020_12_schema(capsys):
    from fleetsim.scenario.editor_schema import json_schema

    assert main(["schema"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(json_schema()))
    assert printed["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(printed)


def test_the_shipped_scenarios():
    """The schema tests below see every shipped scenario: the flagship among them, and one for each
    golden file (every scenario in scenarios/ pins its figures in tests/golden/)."""
    names = {p.name for p in SCENARIOS}
    golden = {p.stem + ".yaml" for p in (Path(__file__).parent / "golden").glob("*.json")
              if (Path(__file__).parent.parent / "scenarios" / (p.stem + ".yaml")).exists()}
    assert "colossus.yaml" in names and names == golden and len(names) >= 13


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.name)
def test_every_shipped_scenario_passes_the_schema(path, validator):
    fleetsim.load(path)  # validate accepts it ...
    assert _errors(validator, read_file(path).data) == []  # ... and so does the schema


VALID = {
    "distribution at a quantity": ("hardware:\n  TEST:\n    like: H100\n    price: {triangular: [30000 USD, 40000 USD,"
                                   " 50000 USD]}\n", None),
    "distribution at a ratio": ("", "operations:\n  utilization: {uniform: [0.7, 0.9]}\n  training_share: 0.5\n"),
    "normal with truncate": ("", "operations:\n  utilization: {normal: [0.8, 0.05], truncate: [0.6, 0.95]}\n"),
    "choice of hardware": ("", "orders:\n  - {hardware: {choice: {values: [H100, H200], weights: [1, 3]}}, "
                               "count: 10, site: s1, delivery: 2024-01}\n"),
    "distribution inside a schedule": ("", "revenue:\n  inference:\n    tokens_per_h100e_hour: 4.0e6\n    price: "
                                           "{2024-01: {lognormal: [2 USD/Mtok, 1.3]}, 2024-06: 1 USD/Mtok}\n"),
}


def _file(kind: str, part: str) -> dict:
    """The conftest scenario with ``part`` replacing its hardware section or appended."""
    text = make_text()
    if part.startswith("hardware:"):
        start, end = text.index("hardware:"), text.index("sites:")
        text = text[:start] + part + text[end:]
    elif part.startswith("operations:"):
        start, end = text.index("operations:"), text.index("  repair_time")
        text = text[:start] + part + text[end:]
    elif part.startswith("orders:"):
        start, end = text.index("orders:"), text.index("operations:")
        text = text[:start] + part + text[end:]
    else:
        text += part
    return text


@pytest.mark.parametrize("name", VALID)
def test_distributions_anywhere_a_value_goes(name, validator):
    text = _file(name, VALID[name][0] or VALID[name][1])
    fleetsim.load_text(text)
    assert _errors(validator, read_text(text, "<t>").data) == []


def test_an_overlay_needs_no_required_key_but_keeps_list_items_whole(validator, tmp_path):
    (tmp_path / "base.yaml").write_text(make_text())
    overlay = "extends: base.yaml\nsites:\n  s1: {pue: 1.3}\n"
    (tmp_path / "over.yaml").write_text(overlay)
    fleetsim.load(tmp_path / "over.yaml")
    assert _errors(validator, read_text(overlay, "<t>").data) == []
    # orders replace the base's list whole: an item without its count is an error in both
    broken = "extends: base.yaml\norders:\n  - {hardware: TEST, site: s1, delivery: 2024-01}\n"
    (tmp_path / "broken.yaml").write_text(broken)
    with pytest.raises(ScenarioError):
        fleetsim.load(tmp_path / "broken.yaml")
    assert _errors(validator, read_text(broken, "<t>").data) == ["orders.0: 'count' is a required property"]
    # without extends every required key is required
    assert _errors(validator, {"name": "x", "sites": {"s1": {"pue": 1.3}}}) == [
        ": 'start' is a required property", ": 'months' is a required property"]


INVALID = {
    "unknown key": (make_text().replace("seed: 1", "sed: 1"), ": Additional properties are not allowed ('sed' was "
                                                              "unexpected)"),
    "unknown key in a site": (make_text().replace("pue: 1.25", "pue: 1.25\n    pus: 1.3"), "sites.s1: Additional "
                              "properties are not allowed ('pus' was unexpected)"),
    "wrong type": (make_text().replace("months: 12", "months: twelve"),
                   "months: 'twelve' is not valid under any of the given schemas"),
    "quantity without a unit": (make_text().replace("capacity: 1 GW", "capacity: '1000'"), "sites.s1.capacity: "
                                "'1000' is not valid under any of the given schemas"),
    "bad distribution name": (make_text().replace("utilization: 0.8", "utilization: {triangle: [0.7, 0.8, 0.9]}"),
                              "operations.utilization: {'triangle': [0.7, 0.8, 0.9]} is not valid under any of "
                              "the given schemas"),
    "wrong number of parameters": (make_text().replace("utilization: 0.8", "utilization: {uniform: [0.7]}"),
                                   "operations.utilization: {'uniform': [0.7]} is not valid under any of the given "
                                   "schemas"),
    "overlay with an unknown key": ("extends: base.yaml\nsitez: {}\n", ": Additional properties are not allowed "
                                    "('sitez' was unexpected)"),
}


@pytest.mark.parametrize("name", INVALID)
def test_invalid_files_are_rejected_by_validate_and_by_the_schema(name, validator, tmp_path):
    text, message = INVALID[name]
    (tmp_path / "base.yaml").write_text(make_text())
    (tmp_path / "bad.yaml").write_text(text)
    with pytest.raises(ScenarioError):
        fleetsim.load(tmp_path / "bad.yaml")
    assert _errors(validator, read_text(text, "<t>").data) == [message]
