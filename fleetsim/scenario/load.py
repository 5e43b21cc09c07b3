"""Loading a scenario: file → merged tree (``extends``) → schema → cross-checks → Scenario.

Every problem is reported with the file, line and column it comes from, the key path, the value
given and an example of a valid one; all problems of a file are reported together.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from fleetsim.errors import Location, Problem, ScenarioError, show
from fleetsim.months import to_text
from fleetsim.scenario import guard, yamlread
from fleetsim.scenario.checks import check_all, check_raw_names, check_raw_references
from fleetsim.scenario.errormap import _example as _key_example
from fleetsim.scenario.errormap import locate, problems_from_validation, sort_problems
from fleetsim.scenario.hardware import ResolvedHardware, resolve_hardware
from fleetsim.scenario.schema import Hardware, ScenarioDocument
from fleetsim.scenario.shipments import expand as expand_shipments
from fleetsim.scenario.yamlread import Document, read_bytes, read_file, read_text

yamlread.key_example = _key_example  # the reader's error messages quote the schema's examples

Key = tuple[str | int, ...]


class Scenario:
    """A validated, immutable scenario, ready to simulate.

    Attributes
    ----------
    spec : ScenarioDocument
        The validated scenario; quantities in internal units (MW, USD, hours, months).
    hardware : Mapping[str, ResolvedHardware]
        Every accelerator type, the built-in catalog merged with the scenario's ``hardware:``.
    path : Path | None
        The file it was loaded from.
    overrides : tuple[tuple[str, Any], ...]
        Overrides applied with :meth:`override`, in order.
    """

    def __init__(self, spec: ScenarioDocument, hardware: dict[str, ResolvedHardware], tree: dict,
                 locations: dict[Key, Location], path: Path | None, overrides: tuple = (),
                 uncertain: dict | None = None):
        set_ = object.__setattr__
        set_(self, "spec", spec)
        set_(self, "_hardware", dict(hardware))
        set_(self, "_tree", tree)
        set_(self, "_locations", locations)
        set_(self, "path", path)
        set_(self, "overrides", tuple(overrides))
        set_(self, "_uncertain", dict(uncertain or {}))

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"a Scenario is immutable (cannot set {name!r}); use scenario.override({{...}}) "
                             "for a changed copy")

    def __delattr__(self, name: str) -> None:
        self.__setattr__(name, None)

    @property
    def hardware(self) -> Mapping[str, ResolvedHardware]:
        """Every accelerator type, resolved (read-only)."""
        return MappingProxyType(self._hardware)

    @property
    def uncertain(self) -> Mapping[Key, Any]:
        """Distributions by key path (the spec holds their central values; read-only)."""
        return MappingProxyType(self._uncertain)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def tree(self) -> dict:
        """The merged scenario as plain data (a copy: a Scenario never changes)."""
        return copy.deepcopy(self._tree)

    def override(self, changes: Mapping[str, Any], origin: str = "override") -> Scenario:
        """A new Scenario with dotted keys replaced (``{"sites.colossus-1.pue": 1.3}``).

        List items are addressed by index (``"orders.0.count"``). The result goes through the
        same validation as a file; problems name the key and ``origin``.
        """
        if not isinstance(changes, Mapping):
            raise ScenarioError([Problem(f"override takes a mapping of key paths to values, such as "
                                         f"{{'sites.colossus-1.pue': 1.3}}; got a {type(changes).__name__}", (),
                                         Location(origin))])
        tree = copy.deepcopy(self._tree)
        locations = dict(self._locations)
        problems = []
        for key, value in changes.items():
            if not isinstance(key, str):
                problems.append(Problem(f"a key path is text, such as 'sites.colossus-1.pue'; got the "
                                        f"{type(key).__name__} {show(repr(key))[:40]}", (), Location(origin), value,
                                        True))
                continue
            where = Location(f"{origin} {key}")
            if (too_big := guard.tree_problem(value)) is not None:
                problems.append(Problem(too_big, tuple(key.split(".")), where))
                continue
            try:
                path = _set_path(tree, key, value)
            except KeyError as exc:
                problems.append(Problem(str(exc.args[0]), tuple(key.split(".")), where, value, True))
                continue
            for known in [k for k in locations if k[:len(path)] == path]:
                del locations[known]
            locations[path] = where
        if problems:
            raise ScenarioError(problems)
        with _every_failure_located(origin):
            return build(tree, locations, self.path, (*self.overrides, *changes.items()))

    def with_values(self, values: Mapping[Key, Any]) -> Scenario:
        """The scenario with the distributions at ``values``' paths set to those values."""
        from fleetsim.uncertainty.distributions import substitute

        values = dict(values)
        return build(substitute(self._tree, values), self._locations, self.path, self.overrides,
                     certain=values.keys() >= self.uncertain.keys())

    def hash(self) -> str:
        """SHA-256 of the validated scenario and resolved hardware: equal inputs, equal hash."""
        payload = json.dumps([self.spec.model_dump(mode="python"), [vars(h) for h in self.hardware.values()],
                              [(list(k), repr(d)) for k, d in self.uncertain.items()]], sort_keys=True, default=repr)
        return hashlib.sha256(payload.encode()).hexdigest()

    def input_files(self) -> tuple[Path, ...]:
        """The files this scenario was read from: itself, every file it ``extends``, every schedule
        file (``{file: ...}``); absolute. Outputs never replace these."""
        files: list[Path] = []
        path = self.path.resolve() if self.path is not None else None
        while path is not None and path not in files and path.is_file():
            files.append(path)
            try:
                data = read_file(path).data
            except ScenarioError:
                break
            target = data.get("extends") if isinstance(data, dict) else None
            path = (path.parent / target).resolve() if isinstance(target, str) and target.strip() else None

        def schedules(node: Any) -> None:
            if isinstance(node, dict):
                if set(node) == {"file"} and isinstance(node["file"], str):
                    files.append(Path(node["file"]))
                for value in node.values():
                    schedules(value)
            elif isinstance(node, list):
                for item in node:
                    schedules(item)

        schedules(self._tree)
        return tuple(dict.fromkeys(files))

    def _repr_html_(self) -> str:
        from fleetsim.faces.assumptions import scenario_html

        return scenario_html(self)

    def __repr__(self) -> str:
        return (f"Scenario({self.name!r}, start={to_text(self.spec.start)}, "
                f"months={self.spec.months}, sites={len(self.spec.sites)}, orders={len(self.spec.orders)})")


def _set_path(tree: dict, key: str, value: Any) -> Key:
    parts = key.split(".")
    if not key or any(part == "" for part in parts):
        raise KeyError(f"{key!r} is not a key path; write one such as sites.colossus-1.pue")
    node: Any = tree
    path: list[str | int] = []
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        if isinstance(node, list):
            if not part.isdigit() or int(part) >= len(node):
                raise KeyError(f"{'.'.join(parts[:i]) or 'list'} has items 0 to {len(node) - 1}; "
                               f"{part!r} is not one of them (for example orders.0.count)")
            index: str | int = int(part)
        elif isinstance(node, dict):
            index = part
        else:
            raise KeyError(f"{'.'.join(parts[:i])} is a single value, it has no key {part!r}")
        if not last and isinstance(node, dict) and index not in node:
            _check_new_entry(tuple(path), node, part, ".".join(parts[i + 1:]))
        path.append(index)
        if last:
            node[index] = value
        else:
            if isinstance(node, dict) and not isinstance(node.get(index), (dict, list)):
                node[index] = {}
            node = node[index]
    return tuple(path)


def _check_new_entry(parent: Key, entries: dict, name: str, rest: str) -> None:
    """Refuse a key path through an entry by name (a site...) that does not exist.

    A key path may reach into an existing entry, a catalog hardware entry, or a section left
    out of the file (``operations.utilization``); a new entry is added whole, by its own key.
    """
    import difflib
    import typing

    from fleetsim.errors import did_you_mean
    from fleetsim.scenario.errormap import model_at

    names = [*entries, *(n for n in _catalog() if n not in entries)] if parent == ("hardware",) else list(entries)
    if typing.get_origin(model_at(parent)) is not dict or name in names:
        return
    section = ".".join(str(p) for p in parent)
    existing = f" ({section}: {', '.join(names)})" if names else ""
    close = difflib.get_close_matches(name, names, n=1, cutoff=0.6) or names[:1]
    instead = f"name an existing one, such as {section}.{close[0]}.{rest}, or " if close else ""
    raise KeyError(f"there is no {section} entry {name!r}{did_you_mean(name, names)}{existing}; "
                   f"{instead}add a new entry whole: {section}.{name}={{...}}")


_CATALOG: dict[str, Hardware] | None = None


def _catalog() -> dict[str, Hardware]:
    global _CATALOG
    if _CATALOG is None:
        from fleetsim.catalog import catalog_values

        _CATALOG = {name: Hardware.model_validate(fields) for name, fields in catalog_values().items()}
    return _CATALOG


def build(tree: dict, locations: dict[Key, Location], path: Path | None, overrides: tuple = (),
          certain: bool = False) -> Scenario:
    """Validate a merged scenario tree into a :class:`Scenario` (raises ScenarioError).
    ``certain``: the tree has no distribution left (every one was set to a value), so it is not
    searched for them (a Monte Carlo draw's variant)."""
    file = str(path) if path else "<scenario>"
    if not isinstance(tree, dict):
        kind = "empty" if tree is None else f"a {type(tree).__name__}, not a mapping"
        raise ScenarioError([Problem(
            f"the scenario is {kind}; a scenario is a mapping of keys such as 'name: colossus', "
            "'start: 2024-07', 'months: 60', 'sites:', 'orders:'", (), Location(file, 1, 1))])
    central, uncertain = (tree, {}) if certain else _central(tree, locations, file)
    central, shipped = expand_shipments(central, file)
    if shipped:
        raise ScenarioError(sort_problems([p if p.location else _locate(p, central, locations, file)
                                           for p in shipped]))
    named = [_locate(p, central, locations, file) for p in check_raw_names(central)]
    try:
        spec = ScenarioDocument.model_validate(central)
    except ValidationError as exc:
        problems = problems_from_validation(exc, central, locations, file)
        problems += [_locate(p, central, locations, file) for p in check_raw_references(central, _catalog())]
        raise ScenarioError(sort_problems(named + problems)) from None
    hardware, problems = resolve_hardware(_catalog(), spec.hardware)
    problems += check_all(spec, hardware)
    if problems or named:
        raise ScenarioError(sort_problems(named + [_locate(p, central, locations, file) for p in problems]))
    return Scenario(spec, hardware, tree, locations, path, overrides, uncertain)


def _central(tree: dict, locations: dict[Key, Location], file: str) -> tuple[dict, dict]:
    """The tree with each distribution replaced by its central value, and the distributions."""
    from fleetsim.uncertainty.distributions import DistributionProblem, iter_distributions, parse, substitute

    uncertain, problems = {}, []
    for key, node in iter_distributions(tree):
        try:
            uncertain[key] = parse(node)
        except DistributionProblem as exc:
            problems.append(Problem(str(exc), key, locate(key, locations, file), node, False))
    if problems:
        raise ScenarioError(sort_problems(problems))
    if not uncertain:
        return tree, {}
    return substitute(tree, {key: d.central_value() for key, d in uncertain.items()}), uncertain


def _locate(problem: Problem, tree: dict, locations: dict[Key, Location], file: str) -> Problem:
    from fleetsim.scenario.errormap import locate

    return Problem(problem.message, problem.path, locate(problem.path, locations, file), problem.value,
                   problem.has_value)


# --------------------------------------------------------------------------- files and extends
def _absolute_files(data: Any, base: Path) -> None:
    """Make ``{file: path}`` schedule paths absolute, relative to the file that wrote them."""
    if isinstance(data, dict):
        if set(data) == {"file"} and isinstance(data["file"], str):
            data["file"] = str(guard.safe_resolve(base / data["file"]))
            return
        for value in data.values():
            _absolute_files(value, base)
    elif isinstance(data, list):
        for item in data:
            _absolute_files(item, base)


def _merge(base: Any, over: Any, path: Key, locations: dict[Key, Location],
           over_locations: dict[Key, Location]) -> Any:
    from fleetsim.uncertainty.distributions import is_distribution

    # a distribution replaces what it extends whole: {normal: ...} over {uniform: ...} is not a merge
    if isinstance(base, dict) and isinstance(over, dict) and not (is_distribution(base) or is_distribution(over)):
        merged = dict(base)
        for key, value in over.items():
            merged[key] = _merge(base.get(key), value, (*path, key), locations, over_locations)
        return merged
    for known in [k for k in locations if k[:len(path)] == path and len(k) > len(path)]:
        del locations[known]
    for key, where in over_locations.items():
        if key[:len(path)] == path:
            locations[key] = where
    return over


def _read_tree(path: Path, chain: tuple[Path, ...], document: Document | None = None) -> Document:
    document = document or read_file(path)
    data = document.data
    if isinstance(data, dict):
        _absolute_files(data, path.parent)
    if not isinstance(data, dict) or "extends" not in data:
        return document
    target = data["extends"]
    where = document.locations.get(("extends",), Location(str(path)))
    if not isinstance(target, str) or not target.strip():
        raise ScenarioError([Problem("'extends' takes the path of a base scenario, such as base.yaml",
                                     ("extends",), where, target, True)])
    here = guard.safe_resolve(path)
    base_path = guard.safe_resolve(path.parent / target)
    if base_path in chain or base_path == here:
        cycle = " -> ".join(str(p) for p in (*chain, here, base_path))
        raise ScenarioError([Problem(f"'extends' makes a cycle: {cycle}; remove 'extends' from one of them",
                                     ("extends",), where, target, True)])
    if len(chain) + 1 >= guard.MAX_EXTENDS:
        raise ScenarioError([Problem(f"the chain of 'extends' is longer than {guard.MAX_EXTENDS} files; merge some "
                                     "of the base scenarios into one", ("extends",), where, target, True)])
    base = _read_base(base_path, path, target, where)
    base = _read_tree(base_path, (*chain, here), base)
    if not isinstance(base.data, dict):
        raise ScenarioError([Problem("the base scenario is not a mapping", (), Location(str(base_path)))])
    over = {k: v for k, v in data.items() if k != "extends"}
    locations = dict(base.locations)
    merged = _merge(base.data, over, (), locations, document.locations)
    merged.pop("extends", None)
    if () in document.locations:  # a key missing from both files is reported in this one
        locations[()] = document.locations[()]
    return Document(merged, str(path), locations)


def _read_base(base_path: Path, path: Path, target: str, where: Location) -> Document:
    """The base scenario ``extends: target`` names; refused (located at the ``extends`` key, without
    quoting its content) when it is not a file, or not a scenario at all."""
    from fleetsim.errors import did_you_mean

    try:
        raw = guard.read_limited(base_path, guard.MAX_SCENARIO_BYTES, "base scenario")
    except guard.FileRefused as exc:
        message = str(exc)
        if exc.missing:
            nearby: list[str] = []
            with contextlib.suppress(OSError, ValueError):
                here = guard.safe_resolve(path)
                nearby = [p.name for p in base_path.parent.glob("*.y*ml") if guard.safe_resolve(p) != here]
            message = (f"base scenario not found: {show(base_path)}{did_you_mean(Path(target).name, nearby)} "
                       f"('extends' is relative to {show(guard.safe_resolve(path.parent))})")
        raise ScenarioError([Problem(message, ("extends",), where, target, True)]) from None
    try:
        base = read_bytes(raw, str(base_path))
    except ScenarioError as exc:
        if any(p.location is None or p.location.line is None or p.location.file != str(base_path)
               for p in exc.problems) or _looks_like_scenario(raw):
            raise
        raise ScenarioError([Problem(f"{show(base_path)} is not a scenario file (it is not YAML: "
                                     f"{exc.problems[0].message.split(':')[0]}); 'extends' names a base scenario, "
                                     "such as base.yaml", ("extends",), where, target, True)]) from None
    if not (isinstance(base.data, dict) and set(base.data) & set(_TOP_KEYS)):
        raise ScenarioError([Problem(f"{show(base_path)} is not a scenario file: it has none of the keys of a "
                                     f"scenario ({', '.join(_TOP_KEYS[:6])}...); its content is not shown. "
                                     "'extends' names a base scenario, such as base.yaml", ("extends",), where,
                                     target, True)])
    return base


_TOP_KEYS = [info.alias or name for name, info in ScenarioDocument.model_fields.items()]


def _looks_like_scenario(raw: bytes) -> bool:
    """Whether ``raw`` opens a top-level key of a scenario (its YAML errors may then be quoted)."""
    return any(line.split(b":", 1)[0].strip().decode("utf-8", "replace") in _TOP_KEYS
               for line in raw.splitlines()[:200] if b":" in line and not line.startswith((b" ", b"\t", b"#")))


def load(path: str | Path) -> Scenario:
    """Load and validate a scenario file (following ``extends``); raises ScenarioError."""
    path = Path(path)
    with _every_failure_located(str(path)):
        document = _read_tree(path, ())
        return build(document.data, document.locations, path)


def load_text(text: str, file: str = "<scenario>", base_dir: str | Path = ".") -> Scenario:
    """Load a scenario from YAML text (``extends`` and CSV paths relative to ``base_dir``)."""
    with _every_failure_located(file):
        document = read_text(text, file)
        if isinstance(document.data, dict):
            _absolute_files(document.data, Path(base_dir))
            if "extends" in document.data:
                raise ScenarioError([Problem("'extends' needs a scenario file; use fleetsim.load(path)",
                                             ("extends",), document.locations.get(("extends",)))])
        return build(document.data, document.locations, None if file == "<scenario>" else Path(file))


@contextlib.contextmanager
def _every_failure_located(file: str) -> Iterator[None]:
    """Turn any exception but a ScenarioError (or Ctrl-C) raised while loading into a ScenarioError
    naming the file: a user never sees a traceback, even for input no check foresaw."""
    try:
        yield
    except (ScenarioError, KeyboardInterrupt, SystemExit):
        raise
    except (RecursionError, MemoryError) as exc:
        raise ScenarioError([Problem(f"the scenario is too large or too deeply nested to load ({type(exc).__name__})"
                                     "; write it as a plain file of at most a few thousand lines", (),
                                     Location(file))]) from None
    except Exception as exc:  # the one place every other failure becomes a message
        raise ScenarioError([Problem(f"could not load the scenario ({type(exc).__name__}: {str(exc)[:200]}); this is "
                                     "a fleetsim bug if the file looks right: please report it with the file",
                                     (), Location(file))]) from None
