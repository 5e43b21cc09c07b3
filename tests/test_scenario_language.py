"""The scenario language: schedules, CSV files, hardware resolution, variants and overrides."""

import json
from pathlib import Path

import numpy as np
import pytest

import fleetsim
from fleetsim.errors import ScenarioError
from fleetsim.scenario.fields import Schedule, check_schedule

ROOT = Path(__file__).resolve().parents[1]


def test_schedule_holds_until_next_key_and_is_zero_before():
    s = check_schedule({"2024-03": "150 MW", "2024-01": "100 MW", "2024-06": "0.2 GW"}, "power")
    assert s.points[0][0] < s.points[1][0] < s.points[2][0]
    start = 2024 * 12 - 1  # 2023-12
    assert s.series(start, 8) == [0.0, 100.0, 100.0, 150.0, 150.0, 150.0, 200.0, 200.0]


def test_scalar_schedule_holds_always():
    s = check_schedule("0.08 USD/kWh", "energy price")
    assert s == Schedule(((None, 80.0),), "energy price")
    assert s.series(0, 3) == [80.0, 80.0, 80.0]


@pytest.mark.parametrize("header,rows", [
    ("month,value [USD/kWh]", ["2024-01,0.08", "2024-04,0.10"]),
    ("month,value,unit", ["2024-01,80,USD/MWh", "2024-04,0.1,USD/kWh"]),
])
def test_csv_schedule(tmp_path, make_scenario, header, rows):
    (tmp_path / "prices.csv").write_text("\n".join([header, *rows]) + "\n")
    sc = make_scenario()
    text = sc.path.read_text().replace("electricity: {price: 0.08 USD/kWh}", "electricity: {price: {file: prices.csv}}")
    sc.path.write_text(text)
    m = fleetsim.simulate(fleetsim.load(sc.path)).monthly
    ratio = (m.energy_cost_usd / m.energy_mwh).to_numpy()
    np.testing.assert_allclose(ratio, [80.0] * 3 + [100.0] * 9, rtol=1e-12)


def test_yaml_12_numbers_and_words(make_scenario):
    sc = make_scenario(tail="revenue:\n  inference: {tokens_per_h100e_hour: 4.0e6, price: 1e0 USD/Mtok}\n")
    assert sc.spec.revenue.inference.tokens_per_h100e_hour == 4e6
    named = sc.override({"name": "no"})
    assert named.name == "no"


def test_catalog_hardware_and_like_chain(make_scenario):
    sc = make_scenario()
    h100, test = sc.hardware["H100"], sc.hardware["TEST"]
    assert h100.power_w == 700 and h100.system_overhead == pytest.approx(1.82) and h100.h100e == 1.0
    assert test.price_usd == 40000 and test.power_w == h100.power_w and test.life_months == 48
    assert sc.hardware["GB200"].h100e == pytest.approx(2500 / 989)
    for name in ("A100", "H100", "H200", "B200", "GB200", "GB300", "MI300X", "custom-asic"):
        assert name in sc.hardware


def test_override_catalog_entry_in_place(make_scenario):
    sc = make_scenario().override({"hardware.H100.price": "30000 USD"})
    assert sc.hardware["H100"].price_usd == 30000
    assert sc.hardware["H100"].power_w == 700


def test_override_revalidates_and_is_immutable(make_scenario):
    sc = make_scenario()
    sc2 = sc.override({"sites.s1.pue": 1.3, "orders.0.count": 10})
    assert sc.spec.sites["s1"].pue.maximum == 1.25 and sc2.spec.sites["s1"].pue.maximum == 1.3
    assert sc2.spec.orders[0].count == 10
    assert sc2.overrides == (("sites.s1.pue", 1.3), ("orders.0.count", 10))
    with pytest.raises(ScenarioError, match=r"sites\.s1\.pue"):
        sc.override({"sites.s1.pue": 0.5})
    with pytest.raises(ScenarioError, match="did you mean 'pue'"):
        sc.override({"sites.s1.puee": 1.3})
    with pytest.raises(ScenarioError, match="items 0 to 0"):
        sc.override({"orders.3.count": 1})


def test_extends_deep_merges(tmp_path):
    base = (ROOT / "scenarios" / "colossus.yaml").read_text()
    (tmp_path / "base.yaml").write_text(base)
    (tmp_path / "variant.yaml").write_text(
        "extends: base.yaml\nname: variant\nsites:\n  colossus-1:\n    pue: 1.4\n"
        "orders:\n  - {hardware: H100, count: 5, site: colossus-1, delivery: 2024-08}\n")
    sc = fleetsim.load(tmp_path / "variant.yaml")
    assert sc.name == "variant"
    assert sc.spec.sites["colossus-1"].pue.maximum == 1.4
    assert sc.spec.sites["colossus-1"].install_rate == 75000        # kept from the base
    assert len(sc.spec.orders) == 1                                 # lists are replaced whole


def test_extends_errors_name_their_file(tmp_path):
    (tmp_path / "base.yaml").write_text("name: b\nstart: 2024-01\nmonths: 3\nsites:\n  s:\n    pue: 7\n"
                                        "    capacity: 1 MW\n    electricity: {price: 0.1 USD/kWh}\n")
    (tmp_path / "v.yaml").write_text("extends: base.yaml\nmonths: 4\n")
    with pytest.raises(ScenarioError) as info:
        fleetsim.load(tmp_path / "v.yaml")
    assert f"{tmp_path / 'base.yaml'}:6:5: sites.s.pue" in str(info.value)


def test_hash_changes_with_content(make_scenario):
    sc = make_scenario()
    assert sc.hash() == make_scenario().hash()
    assert sc.hash() != sc.override({"sites.s1.pue": 1.3}).hash()


def test_schema_is_json_schema_with_units():
    from fleetsim.scenario.schema import ScenarioDocument

    schema = ScenarioDocument.model_json_schema(by_alias=True)
    text = json.dumps(schema)
    assert "capacity" in text and "x-unit-kind" in text
    site = schema["$defs"]["Site"]
    assert site["additionalProperties"] is False
    assert site["properties"]["pue"]["anyOf"][0] == {"type": "number", "minimum": 1, "maximum": 3}


def test_like_itself_means_the_catalog_entry(make_scenario):
    sc = make_scenario().override({"hardware.H100": {"like": "H100", "life": "6 years"}})
    assert sc.hardware["H100"].life_months == 72 and sc.hardware["H100"].power_w == 700


def test_broken_entry_is_reported_once(make_scenario):
    with pytest.raises(ScenarioError) as info:
        make_scenario().override({"hardware.TEST.like": "TEST2", "hardware.TEST2": {"like": "TEST"}})
    text = str(info.value)
    assert "makes a cycle" in text and "orders.0.hardware" not in text


EDGE_YAML = """\
words: [yes, no, on, off, y, n, Yes, NO, True, FALSE, true, false]
ints: [0o17, 017, 0x1F, +12, -0, 1_000, 0b101, 12345678901234567890123]
floats: [1e3, 1.0e+3, .5, -.5, +1.5, 6.02E23, 1_000.5, 1., 0.1e-2]
clocks: [1:30, 190:20:30, '1:30']
nulls: [~, null, Null, NULL, ]
empty:
dates: [2024-07, 2024-07-01, 2001-12-14t21:59:43.10-05:00]
strings: ['quoted', "double \\u00e9 \\t", plain text with: colon, "two
  lines", 'it''s']
block: |
  literal
   kept
folded: >-
  folded
  text
anchored: &a {x: 1, y: [2, 3]}
again: *a
merge: {<<: *a, z: 4}
nested: {a: {b: {c: [1, {d: e}, [f, g]]}}}
é: non-ASCII key, ünïcode value
"quoted key": 1
list:
- a
-   - b
    - c
- {k: v}
"""


def _both_parsers(text: str, monkeypatch):
    from fleetsim.scenario import yamlread

    fast = yamlread.read_text(text, "f.yaml")
    with monkeypatch.context() as m:
        m.setattr(yamlread, "_fast_events", lambda text: None)
        located = yamlread.read_text(text, "f.yaml")
    return fast, located


def _typed(value):
    """A value with the type of every part spelled out (1 and 1.0 and True differ)."""
    if isinstance(value, dict):
        return {key: _typed(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_typed(item) for item in value]
    return (type(value).__name__, value)


def test_fast_yaml_parse_reads_yaml_12_exactly_as_the_located_parser(monkeypatch):
    """libyaml (C) parses, the YAML 1.2 resolver reads: yes/no/on stay words, 017 is decimal 17,
    0o17 is 15, 1:30 is text; values, types and every key's line and column as ruamel gives them."""
    pytest.importorskip("yaml", reason="the fast parse needs PyYAML (a dependency of dask)")
    from fleetsim.scenario import yamlread

    assert yamlread._fast_events(EDGE_YAML) is not None  # the C parser does read this text
    fast, located = _both_parsers(EDGE_YAML, monkeypatch)
    assert _typed(fast.data) == _typed(located.data)
    assert fast.locations == located.locations
    data = fast.data
    assert data["words"] == ["yes", "no", "on", "off", "y", "n", "Yes", "NO", True, False, True, False]
    assert data["ints"][:7] == [15, 17, 31, 12, 0, 1000, 5] and data["clocks"] == ["1:30", "190:20:30", "1:30"]
    assert data["nulls"] == [None] * 4 and data["empty"] is None and data["again"] == {"x": 1, "y": [2, 3]}
    assert located.locations[("é",)].line == 20 and located.locations[("list", 1, 1)].column == 7


def test_fast_yaml_parse_agrees_on_every_shipped_scenario(monkeypatch):
    pytest.importorskip("yaml", reason="the fast parse needs PyYAML (a dependency of dask)")
    root = Path(__file__).resolve().parents[1]
    for path in [*sorted((root / "scenarios").glob("*.yaml")), root / "fleetsim" / "catalog" / "hardware.yaml"]:
        fast, located = _both_parsers(path.read_text(encoding="utf-8"), monkeypatch)
        assert _typed(fast.data) == _typed(located.data), path.name
        assert fast.locations == located.locations, path.name


@pytest.mark.parametrize(("text", "message"), [
    ("a: 1\na: 2\n", "f.yaml:2:1: a: key 'a' is written twice in one mapping (first at line 1)"),
    ("a: !!python/object:os.system 1\n", "f.yaml:1:4: a: explicit YAML tags such as !!python/object:os.system"),
    ("a: [1, 2\nb: 3\n", "f.yaml:"),
    ("a: .inf\n", "f.yaml:1:4: a: infinite and not-a-number values"),
    ("%YAML 2.0\n---\na: 1\n", "f.yaml:1:1: (top level): YAML syntax error: found incompatible YAML document"),
    ("a: b\u2028c\n", None),  # a YAML 1.1 line break, a character in YAML 1.2: read by ruamel only
])
def test_errors_are_the_located_parsers_whatever_parses_first(text, message, monkeypatch):
    from fleetsim.scenario import yamlread

    pytest.importorskip("yaml", reason="the fast parse needs PyYAML (a dependency of dask)")
    if message is None:
        assert yamlread._fast_events(text) is None
        fast, located = _both_parsers(text, monkeypatch)
        assert fast.data == located.data == {"a": "b\u2028c"}
        return
    errors = []
    for fast in (True, False):
        with monkeypatch.context() as m:
            if not fast:
                m.setattr(yamlread, "_fast_events", lambda text: None)
            with pytest.raises(ScenarioError) as info:
                yamlread.read_text(text, "f.yaml")
            errors.append(str(info.value))
    assert errors[0] == errors[1] and message in errors[0]
