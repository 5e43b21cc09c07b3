"""Turning pydantic's validation errors into located, advising :class:`Problem` objects."""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel, ValidationError

from fleetsim.errors import Location, Problem, did_you_mean
from fleetsim.scenario.schema import ScenarioDocument

Key = tuple[str | int, ...]

_MISSING = object()


def _strip(annotation: Any) -> Any:
    """Remove ``Optional``/``Annotated`` layers, keeping the model or container type."""
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            models = [a for a in args if isinstance(a, type) and issubclass(a, BaseModel)]
            annotation = models[0] if models else args[0]
        else:
            return annotation


def _field(model: type[BaseModel], key: str):
    for name, info in model.model_fields.items():
        if (info.alias or name) == key:
            return info
    return None


def _union_member(annotation: Any, data: Any) -> Any:
    """The member of a union of models tagged by ``kind`` that ``data`` selects (else unchanged)."""
    while typing.get_origin(annotation) is typing.Annotated:
        annotation = typing.get_args(annotation)[0]
    if typing.get_origin(annotation) not in (typing.Union, types.UnionType) or not isinstance(data, dict):
        return annotation
    for member in typing.get_args(annotation):
        field = member.model_fields.get("kind") if isinstance(member, type) and issubclass(member, BaseModel) \
            else None
        if field is not None and data.get("kind") in typing.get_args(field.annotation):
            return member
    return annotation


def model_at(path: Key, tree: Any = None) -> Any:
    """The schema type found at data ``path`` (a model class, dict, list...), or None.

    With ``tree``, unions tagged by ``kind`` resolve to the member the data names.
    """
    current: Any = ScenarioDocument
    for depth, part in enumerate(path):
        if tree is not None:
            current = _union_member(current, value_at(tree, path[:depth]))
        current = _strip(current)
        origin = typing.get_origin(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            info = _field(current, str(part))
            if info is None:
                return None
            current = info.annotation
        elif origin is dict:
            current = typing.get_args(current)[1]
        elif origin in (list, tuple):  # lists of the file are tuples of the (immutable) spec
            current = typing.get_args(current)[0]
        else:
            return None
    if tree is not None:
        current = _union_member(current, value_at(tree, path))
    return _strip(current)


def data_path(tree: Any, loc: Key) -> Key:
    """pydantic's error location as a path in the data: the tag of a tagged union is dropped."""
    path: list[str | int] = []
    node = tree
    for part in loc:
        if isinstance(node, dict) and part not in node and node.get("kind") == part:
            continue
        path.append(part)
        node = value_at(node, (part,)) if node is not _MISSING else _MISSING
    return tuple(path)


def _keys_of(path: Key, tree: Any = None) -> list[str]:
    model = model_at(path, tree)
    if isinstance(model, type) and issubclass(model, BaseModel):
        return [info.alias or name for name, info in model.model_fields.items()]
    return []


def _example(path: Key, tree: Any = None) -> str:
    parent = model_at(path[:-1], tree)
    if not (isinstance(parent, type) and issubclass(parent, BaseModel)):
        return ""
    info = _field(parent, str(path[-1]))
    if info is None:
        return ""
    for meta in info.metadata:
        schema = getattr(meta, "json_schema", None)
        if isinstance(schema, dict) and schema.get("examples"):
            return f"; for example {path[-1]}: {flow(schema['examples'][0])}"
    if info.examples:
        return f"; for example {path[-1]}: {flow(info.examples[0])}"
    target = _strip(info.annotation)
    if isinstance(target, type) and issubclass(target, BaseModel):
        keys = [i.alias or n for n, i in target.model_fields.items() if i.is_required()]
        if keys:
            return f"; it needs {', '.join(keys)}"
    return ""


def _plain_number(value: int | float) -> str:
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else f"{value:g}"
    return str(value)


def flow(value: Any, number=_plain_number) -> str:
    """``value`` written as one line of YAML flow style, as a user would type it; ``number``
    formats numbers (plain by default, so the text reads back as the same value).

    >>> flow({"from": "2025-09", "to": "2026-06"}), flow(4000000.0), flow(0.85), flow([True, None])
    ('{from: 2025-09, to: 2026-06}', '4000000', '0.85', '[true, null]')
    """
    if isinstance(value, dict):
        return "{" + ", ".join(f"{key}: {flow(item, number)}" for key, item in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(flow(item, number) for item in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, (int, float)):
        return number(value)
    return str(value)


def value_at(tree: Any, path: Key) -> Any:
    node = tree
    for part in path:
        in_dict = isinstance(node, dict) and part in node
        if in_dict or (isinstance(node, list) and isinstance(part, int) and part < len(node)):
            node = node[part]
        else:
            return _MISSING
    return node


def locate(path: Key, locations: dict[Key, Location], file: str) -> Location:
    """The location of ``path``, or of its nearest written ancestor."""
    for cut in range(len(path), -1, -1):
        if path[:cut] in locations:
            return locations[path[:cut]]
    return Location(file)


def _message(error: dict, path: Key, tree: Any) -> str:
    kind = error["type"]
    if kind == "fleetsim":
        return error["msg"]
    if kind == "missing":
        return f"required key '{path[-1]}' is missing{_example(path, tree)}"
    if kind == "union_tag_invalid":
        return (f"unknown kind {error['ctx']['tag']!r}; use one of {error['ctx']['expected_tags']}, for example "
                "{kind: grid, capacity: 150 MW, price: 0.08 USD/kWh}")
    if kind == "union_tag_not_found":
        return ("each source needs a 'kind' (grid, gas_turbine, battery or ppa), for example "
                "{kind: grid, capacity: 150 MW, price: 0.08 USD/kWh}")
    if kind == "extra_forbidden":
        known = _keys_of(path[:-1], tree)
        hint = did_you_mean(str(path[-1]), known)
        listing = f" (known keys: {', '.join(known)})" if known and not hint else ""
        return f"unknown key '{path[-1]}'{hint}{listing}"
    if kind in ("model_type", "dict_type", "model_attributes_type"):
        return f"expected a mapping of keys{_example(path, tree) or ''}"
    if kind == "list_type":
        return "expected a list of items, each starting with '- '"
    if kind in ("int_type", "int_parsing", "int_from_float"):
        return f"expected a whole number{_example(path, tree)}"
    if kind in ("string_type", "literal_error", "too_short", "greater_than_equal", "less_than_equal"):
        return f"{error['msg'][0].lower()}{error['msg'][1:]}{_example(path, tree)}"
    return f"{error['msg']}{_example(path, tree)}"


def problems_from_validation(exc: ValidationError, tree: Any, locations: dict[Key, Location],
                             file: str) -> list[Problem]:
    """Every pydantic error as a located Problem (deduplicated, in file order)."""
    problems = []
    seen = set()
    for error in exc.errors():
        path: Key = data_path(tree, tuple(error["loc"]))
        if error["type"] == "fleetsim":
            path = (*path, *error.get("ctx", {}).get("subpath", []))
        message = _message(error, path, tree)
        if (path, message) in seen:
            continue
        seen.add((path, message))
        value = value_at(tree, path)
        problems.append(Problem(message, path, locate(path, locations, file),
                                None if value is _MISSING else value,
                                value is not _MISSING and not isinstance(value, (dict, list))))
    return sort_problems(problems)


def sort_problems(problems: list[Problem]) -> list[Problem]:
    """``problems`` in file order (file, line, column)."""
    return sorted(problems, key=lambda p: (p.location.file, p.location.line or 0, p.location.column or 0)
                  if p.location else ("", 0, 0))
