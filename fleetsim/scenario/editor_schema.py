"""The JSON Schema of scenario *files* (``fleetsim schema``), for editors and other checkers.

:class:`~fleetsim.scenario.schema.ScenarioDocument` describes a scenario after loading: ``extends``
already merged and every distribution replaced by its central value. A file may hold more, and
the schema printed for editors accepts every file that ``fleetsim validate`` accepts:

- wherever a value goes, a distribution mapping may stand instead (``triangular``, ``uniform``,
  ``normal`` with an optional ``truncate``, ``lognormal``, ``choice``; parameters are numbers
  or quantity strings such as ``"2 months"``);
- a file with ``extends`` is an overlay: no key is required in mappings it merges into the base
  (lists such as ``orders`` replace the base's whole, so their items stay complete);
- quantities are strings made of a number and a unit (``"150 MW"``).

Checks that need the catalog, units or other keys (dimensions, references, ranges of a
distribution's values) remain ``validate``'s.
"""

from __future__ import annotations

import copy
from typing import Any

DRAFT = "https://json-schema.org/draft/2020-12/schema"
DISTRIBUTION = "#/$defs/Distribution"
QUANTITY_PATTERN = r"^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*[^\s\d.].*$"
"""A number followed by a unit (the unit's text is checked by ``validate``)."""
_NOT_UNCERTAIN = {"name", "description", "extends", "kind", "file", "like"}
"""Keys whose values are never a distribution (names, text, discriminators, paths)."""
_METADATA = ("title", "description", "default", "examples")


def _distribution_defs() -> dict[str, Any]:
    parameter = {"type": ["number", "string"], "description": "A number, or a quantity such as '2 months'."}

    def listed(name: str, size: int, description: str, extra: dict | None = None) -> dict:
        properties = {name: {"type": "array", "items": parameter, "minItems": size, "maxItems": size,
                             "description": description}, **(extra or {})}
        return {"type": "object", "properties": properties, "required": [name], "additionalProperties": False}

    choice_values = {"type": "array", "minItems": 1}
    choice = {"type": "object", "required": ["choice"], "additionalProperties": False, "properties": {"choice": {
        "description": "Values with equal weights, or {values, weights}.",
        "anyOf": [choice_values, {"type": "object", "required": ["values"], "additionalProperties": False,
                                  "properties": {"values": choice_values,
                                                 "weights": {"type": "array", "items": {"type": "number",
                                                                                        "minimum": 0}}}}]}}}
    truncate = {"truncate": {"type": "array", "items": parameter, "minItems": 2, "maxItems": 2,
                             "description": "[low, high] bounds of the normal."}}
    return {"Distribution": {
        "description": "An uncertain value: a run uses its central value (triangular: mode; lognormal: "
                       "median; normal, uniform: mean; choice: the heaviest weight), --draws samples it.",
        "examples": [{"triangular": ["0 months", "1 month", "4 months"]}, {"lognormal": ["0.075 USD/kWh", 1.25]}],
        "oneOf": [listed("triangular", 3, "[low, mode, high]"), listed("uniform", 2, "[low, high]"),
                  listed("normal", 2, "[mean, sd]", truncate), listed("lognormal", 2, "[median, geometric sd]"),
                  choice]}}


def _is_leaf(node: dict) -> bool:
    return node.get("type") in ("string", "number", "integer", "boolean") or "enum" in node


def _widen(node: Any, key: str | None = None, quantity: bool = False) -> Any:
    """``node`` with a distribution allowed in place of every value and quantities patterned
    (``quantity``: inside a field whose values carry a unit)."""
    if not isinstance(node, dict):
        return node
    node = dict(node)
    quantity = quantity or "x-unit-kind" in node
    if quantity and node.get("type") == "string" and key != "file":
        node["pattern"] = QUANTITY_PATTERN
    for name in ("properties", "patternProperties"):
        if name in node:
            node[name] = {k: _widen(v, k if name == "properties" else key, quantity and name != "properties")
                          for k, v in node[name].items()}
    for name in ("additionalProperties", "items"):
        if isinstance(node.get(name), dict):
            node[name] = _widen(node[name], key if name == "items" else None)
    for name in ("anyOf", "oneOf"):
        if name in node:
            node[name] = [_widen(alternative, key, quantity) for alternative in node[name]]
    if key in _NOT_UNCERTAIN:
        return node
    if _is_leaf(node) or any(_is_leaf(a) for a in node.get("anyOf", [])):
        wrapper = {k: node.pop(k) for k in _METADATA if k in node}
        wrapper.update({k: v for k, v in node.items() if k.startswith("x-")})
        alternatives = node.pop("anyOf") if set(node) == {"anyOf"} else [node]
        return {**wrapper, "anyOf": [*alternatives, {"$ref": DISTRIBUTION}]}
    return node


def _overlay(node: Any, defs: dict[str, Any], inside_list: bool = False) -> Any:
    """``node`` as a part of an ``extends`` overlay: mappings need no key (list items stay whole)."""
    if not isinstance(node, dict):
        return node
    node = dict(node)
    if "$ref" in node and not inside_list:
        name = node["$ref"].rsplit("/", 1)[-1]
        if name in defs and name != "Distribution":
            node["$ref"] = f"#/$defs/{name}Overlay"
        return node
    if not inside_list and "properties" in node:
        node.pop("required", None)
    if not inside_list and "additionalProperties" in node and "properties" not in node:
        node.pop("minProperties", None)
    for name in ("properties", "patternProperties"):
        if name in node:
            node[name] = {k: _overlay(v, defs, inside_list) for k, v in node[name].items()}
    if isinstance(node.get("additionalProperties"), dict):
        node["additionalProperties"] = _overlay(node["additionalProperties"], defs, inside_list)
    if isinstance(node.get("items"), dict):
        node["items"] = _overlay(node["items"], defs, True)
    for name in ("anyOf", "oneOf"):
        if name in node:
            node["anyOf" if not inside_list else name] = [_overlay(a, defs, inside_list) for a in node.pop(name)]
    if not inside_list:
        node.pop("discriminator", None)
    return node


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) of a scenario file, as ``fleetsim schema`` prints it.

    >>> schema = json_schema()
    >>> schema["title"], "extends" in schema["properties"], "Distribution" in schema["$defs"]
    ('fleetsim scenario', True, True)
    """
    from fleetsim.scenario.schema import ScenarioDocument

    model = ScenarioDocument.model_json_schema(by_alias=True)
    defs = {name: _widen(definition) for name, definition in model.pop("$defs").items()}
    full = _widen(model)
    full["properties"]["extends"] = {
        "type": "string", "minLength": 1,
        "description": "A base scenario file (relative to this one) deep-merged under this one; "
                       "with it, no key is required here."}
    overlays = {f"{name}Overlay": _overlay(copy.deepcopy(d), defs) for name, d in defs.items()}
    overlay = _overlay(copy.deepcopy(full), defs)
    if "sites" in full.get("required", []):  # a shipments section makes the sites
        full["required"] = [key for key in full["required"] if key != "sites"]
        full["anyOf"] = [{"required": ["sites"]}, {"required": ["shipments"]}]
    for root in (full, overlay):  # the top level refuses unknown keys once, for both branches
        root.pop("additionalProperties", None)
    keys = {key: {k: v for k, v in value.items() if k in ("title", "description", "examples")}
            for key, value in full["properties"].items()}
    return {"$schema": DRAFT, "title": "fleetsim scenario",
            "description": (model.get("description") or "A fleetsim scenario file.").strip(),
            "type": "object", "properties": keys, "additionalProperties": False,
            "if": {"required": ["extends"]}, "then": {"$ref": "#/$defs/ScenarioOverlay"},
            "else": {"$ref": "#/$defs/Scenario"},
            "$defs": {**defs, **overlays, **_distribution_defs(), "Scenario": full, "ScenarioOverlay": overlay}}
