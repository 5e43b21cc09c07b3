"""Strict YAML 1.2 reading with a location for every value.

A parser gives the event stream (libyaml's, in C through PyYAML, when installed, for speed; else,
and to explain any error, ruamel.yaml's); this module builds plain Python values from it itself,
resolving plain scalars by YAML 1.2 rules whichever parser read them, so that it can refuse what
a scenario must never contain: explicit tags (a ``!!python/...`` tag is never constructed, let
alone executed), duplicate keys, ``.inf`` and ``.nan``, non-string keys. Every value's position
is recorded under its key path.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fleetsim.errors import Location, Problem, ScenarioError, show
from fleetsim.scenario import guard

Path_ = tuple[str | int, ...]


@dataclass
class Document:
    """A YAML file read into plain values, with the location of every key and item."""

    data: Any
    file: str
    locations: dict[Path_, Location] = field(default_factory=dict)


class _Reject(Exception):
    def __init__(self, message: str, path: Path_, mark, value: object = None, has_value=False):
        super().__init__(message)
        self.problem_args = (message, path, mark, value, has_value)


_STR = "tag:yaml.org,2002:str"
_IMPLICIT_1_2 = (
    ("tag:yaml.org,2002:bool", "tTfF", r"""^(?:true|True|TRUE|false|False|FALSE)$"""),
    ("tag:yaml.org,2002:float", "-+0123456789.", r"""^(?:
         [-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?
        |[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)
        |[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?
        |[-+]?\.(?:inf|Inf|INF)
        |\.(?:nan|NaN|NAN))$"""),
    ("tag:yaml.org,2002:int", "-+0123456789", r"""^(?:[-+]?0b[0-1_]+
        |[-+]?0o?[0-7_]+
        |[-+]?[0-9_]+
        |[-+]?0x[0-9a-fA-F_]+)$"""),
    ("tag:yaml.org,2002:timestamp", "0123456789", r"""^(?:[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]
        |[0-9][0-9][0-9][0-9] -[0-9][0-9]? -[0-9][0-9]?
        (?:[Tt]|[ \t]+)[0-9][0-9]?
        :[0-9][0-9] :[0-9][0-9] (?:\.[0-9]*)?
        (?:[ \t]*(?:Z|[-+][0-9][0-9]?(?::[0-9][0-9])?))?)$"""),
    ("tag:yaml.org,2002:null", "~nN", r"""^(?: ~
        |null|Null|NULL
        | )$"""),
)
"""YAML 1.2's implicit tags of plain scalars that a scenario reads (tag, first characters, pattern,
matched in this order): ruamel.yaml's ``VersionedResolver`` rules for version 1.2 (ruamel.yaml
0.19, MIT licence), copied so that the fast path needs no ruamel; tests/test_lean_run.py checks
them against ruamel's own. Any other plain scalar is text (``<<``, ``=`` too: never merged)."""
_IMPLICIT = {first: [(tag, re.compile(pattern, re.X)) for tag, firsts, pattern in _IMPLICIT_1_2 if first in firsts]
             for first in {c for _, firsts, _ in _IMPLICIT_1_2 for c in firsts}}
_IMPLICIT[""] = [(tag, regex) for tag, regex in _IMPLICIT["n"] if tag == "tag:yaml.org,2002:null"]


def resolve(text: str) -> str:
    """The YAML 1.2 tag of a plain scalar (:data:`_IMPLICIT_1_2`; text otherwise).

    >>> [resolve(text).split(":")[-1] for text in ("yes", "0o17", "1e3", "null", "", "2024-07-01", "<<")]
    ['str', 'int', 'float', 'null', 'null', 'timestamp', 'str']
    """
    for tag, regex in _IMPLICIT.get(text[:1], ()):
        if regex.match(text):
            return tag
    return _STR
_CORE = {
    "tag:yaml.org,2002:null", "tag:yaml.org,2002:bool", "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float", _STR,
}


class _Builder:
    def __init__(self, stream: Iterator, file: str):
        self.stream = stream
        self.file = file
        self.locations: dict[Path_, Location] = {}
        self.anchors: dict[str, Any] = {}
        self.path: Path_ = ()  # the key path being read, named by syntax errors
        self.values = 0  # values built, counting each alias as the values it repeats
        self.sizes: dict[str, int] = {}  # values under each anchor

    def loc(self, mark) -> Location:
        return Location(self.file, mark.line + 1, mark.column + 1)

    def next(self):
        return next(self.stream)

    def node(self, event, path: Path_) -> Any:
        if len(path) > guard.MAX_DEPTH:
            raise _Reject(f"values are nested more than {guard.MAX_DEPTH} levels deep here; a scenario needs "
                          "about 8 (such as sites: {s1: {capacity: {2024-07: 150 MW}}})", path[:guard.MAX_DEPTH],
                          event.start_mark)
        if type(event).__name__ == "AliasEvent":
            if event.anchor not in self.anchors:
                raise _Reject(f"alias *{show(event.anchor)} names no anchor", path, event.start_mark)
            self.count(self.sizes[event.anchor], path, event.start_mark, event.anchor)
            return self.anchors[event.anchor]
        first = self.values
        self.count(1, path, event.start_mark)
        tag = getattr(event, "tag", None)
        if tag is not None:
            shown = tag.replace("tag:yaml.org,2002:", "!!")
            raise _Reject(
                f"explicit YAML tags such as {shown} are not allowed (nothing was constructed); "
                "write plain values such as 150 MW",
                path, event.start_mark,
            )
        if type(event).__name__ == "ScalarEvent":
            value = self.scalar(event, path)
        elif type(event).__name__ == "SequenceStartEvent":
            value = self.sequence(path)
        elif type(event).__name__ == "MappingStartEvent":
            value = self.mapping(path)
        else:  # pragma: no cover - the parser guarantees one of the above
            raise _Reject(f"unexpected YAML event {type(event).__name__}", path, event.start_mark)
        if event.anchor:
            self.anchors[event.anchor] = value
            self.sizes[event.anchor] = self.values - first
        return value

    def count(self, values: int, path: Path_, mark, alias: str | None = None) -> None:
        self.values += values
        if self.values > guard.MAX_VALUES:
            through = f" (the alias *{show(alias)} repeats {values:,} values)" if alias else ""
            raise _Reject(f"the file holds more than {guard.MAX_VALUES:,} values once its YAML aliases are "
                          f"expanded{through}; a scenario needs far fewer: write each value once", path, mark)

    def scalar(self, event, path: Path_) -> Any:
        text = event.value
        if event.style:  # quoted or block scalar: always a string
            # ruamel's round-trip parser marks the folds of a folded (>) scalar with a BEL that is no
            # part of the value (a file cannot hold one there: control characters are refused)
            return text.replace("\a", "") if event.style == ">" else text
        tag = resolve(text)
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:bool":
            return text.lower() == "true"
        if tag == "tag:yaml.org,2002:int":
            clean = text.replace("_", "")
            if len(clean.lstrip("+-")) > guard.MAX_INT_DIGITS:  # a float: its field refuses it with an example
                number = float(clean)
                if math.isfinite(number):
                    return number
                raise _Reject(f"a number of {len(clean)} digits is beyond the range of every field{_example(path)}",
                              path, event.start_mark, text if len(text) <= 40 else text[:36] + "...", True)
            return int(clean, 0) if clean.lstrip("+-")[:2].lower() in ("0x", "0o", "0b") else int(clean)
        if tag == "tag:yaml.org,2002:float":
            clean = text.replace("_", "")
            number = math.nan if clean.lower().lstrip("+-") in (".nan", ".inf") else float(clean)
            if not math.isfinite(number):
                raise _Reject(
                    "infinite and not-a-number values (.inf, .nan) are not allowed; write a finite number",
                    path, event.start_mark, text, True,
                )
            return number
        if tag == "tag:yaml.org,2002:timestamp":
            return _DateText(text)
        return text

    def sequence(self, path: Path_) -> list:
        items = []
        while True:
            event = self.next()
            if type(event).__name__ == "SequenceEndEvent":
                return items
            item_path = (*path, len(items))
            self.locations[item_path] = self.loc(event.start_mark)
            self.path = item_path
            items.append(self.node(event, item_path))
            self.path = path

    def mapping(self, path: Path_) -> dict:
        result: dict[str, Any] = {}
        while True:
            event = self.next()
            if type(event).__name__ == "MappingEndEvent":
                return result
            if type(event).__name__ != "ScalarEvent" or event.tag is not None:
                raise _Reject("keys must be plain words", path, event.start_mark)
            self.count(1, path, event.start_mark)
            key = event.value
            self.path = (*path, key)
            if key in result:
                first, kept = self.locations.get((*path, key)), result[key]
                value = self.node(self.next(), (*path, key))
                scalar = not isinstance(value, (dict, list))
                keep = f", such as {key}: {kept}" if not isinstance(kept, (dict, list)) else ""
                raise _Reject(
                    f"key {key!r} is written twice in one mapping (first at line {first.line}); keep only one{keep}",
                    (*path, key), event.start_mark, value if scalar else None, scalar,
                )
            self.locations[(*path, key)] = self.loc(event.start_mark)
            result[key] = self.node(self.next(), (*path, key))
            self.path = path


key_example: Callable[[Path_], str] | None = None
"""The scenario schema's example for a key path (``"; for example count: 1000"``), registered by
:mod:`fleetsim.scenario.load` when it is imported: this reader sits below the schema, so it is
handed the function rather than importing it (no import cycle through the catalog, which reads
its YAML here too)."""


def _example(path: Path_) -> str:
    """"; for example key: value" for the scenario key at ``path``, or a plain number's example."""
    plain = "; for example 1000 or 1e6"
    if key_example is None:
        return plain
    try:
        return key_example(path) or plain
    except Exception:  # only an example: any failure gives the plain one
        return plain


class _DateText(str):
    """A plain scalar that YAML would read as a date; kept as text so months can explain it."""


def read_text(text: str, file: str) -> Document:
    """Read scenario YAML ``text`` (named ``file`` in messages) into a :class:`Document`."""
    control = guard.first_control(text)
    if control is not None:
        line, column, char = control
        raise ScenarioError([Problem(
            f"control character {show(char)} (U+{ord(char):04X}) is not allowed in a scenario; delete it (inside "
            "double quotes, write an escape such as \\t if you mean one)", (), Location(file, line, column))])
    fast = _fast_events(text)
    if fast is not None:
        builder = _Builder(fast, file)
        try:
            return Document(_read_documents(builder), file, builder.locations)
        except Exception:  # any refusal or syntax error: the located parser below explains it
            pass
    from ruamel.yaml import YAML  # the located parser, for errors and YAML 1.2 directives only
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    stream = iter(YAML(typ="rt").parse(text))
    builder = _Builder(stream, file)
    try:
        data = _read_documents(builder)
    except _Reject as reject:
        message, path, mark, value, has_value = reject.problem_args
        raise ScenarioError([Problem(message, path, builder.loc(mark), value, has_value)]) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        location = builder.loc(mark) if mark else Location(file)
        detail = (exc.problem or exc.context or "not valid YAML").strip()
        if exc.problem and exc.context and exc.context_mark:
            begun = builder.loc(exc.context_mark)
            detail += f" ({exc.context.strip()} that begins at line {begun.line}, column {begun.column})"
        raise ScenarioError([Problem(f"YAML syntax error: {detail}", builder.path, location)]) from None
    except YAMLError as exc:
        raise ScenarioError([Problem(f"YAML syntax error: {exc}", (), Location(file))]) from None
    except AssertionError as exc:  # ruamel asserts on a %YAML directive of another version
        detail = "; a scenario is YAML 1.2: write %YAML 1.2 or no directive" if "version" in str(exc) else ""
        line = next((n for n, text_line in enumerate(text.splitlines(), 1) if text_line.startswith("%YAML")), None)
        raise ScenarioError([Problem(f"YAML syntax error: {exc}{detail}", builder.path,
                                     Location(file, line, 1 if line else None))]) from None
    return Document(data, file, builder.locations)


_BREAKS_1_1 = ("\x85", "\u2028", "\u2029")
"""Line breaks in YAML 1.1 (libyaml) but ordinary characters in YAML 1.2: such text is read by ruamel."""


def _fast_events(text: str) -> Iterator | None:
    """libyaml's event stream of ``text`` (parsed in C, all at once), or None: without PyYAML's C
    extension, or for a file with a directive (``%YAML``: ruamel's YAML 1.2 handling decides).

    libyaml parses the syntax, which YAML 1.1 and 1.2 share; what differs, the meaning of plain
    scalars (``yes``, ``0755``, ``1:30``), is resolved by :class:`_Builder` with the YAML 1.2
    resolver whichever parser ran. A file libyaml refuses, or one the builder refuses, is read again
    by ruamel so that the error is the located one (tests/test_scenario_language.py compares the two
    parsers on YAML 1.2's edge cases and on every shipped scenario).
    """
    if "%" in text and any(line.startswith("%") for line in text.splitlines()):
        return None
    if any(mark in text for mark in _BREAKS_1_1):
        return None
    try:
        import yaml
        from yaml import CSafeLoader
    except ImportError:  # PyYAML or its libyaml extension is missing: ruamel parses
        return None
    loader = CSafeLoader(text)
    try:
        found = []
        while loader.check_event():
            found.append(loader.get_event())
    except yaml.YAMLError:
        return None
    finally:
        loader.dispose()
    return iter(found)


def _read_documents(builder: _Builder) -> Any:
    data = None
    documents = 0
    for event in builder.stream:
        if type(event).__name__ == "DocumentStartEvent":
            documents += 1
            if documents > 1:
                raise _Reject("a scenario file holds one YAML document; remove the second '---'",
                              (), event.start_mark)
            root = builder.next()
            builder.locations[()] = builder.loc(root.start_mark)
            data = builder.node(root, ())
    return data


def read_file(path: str | Path) -> Document:
    """Read a scenario file; every failure (missing, not a regular file, too large, binary, not
    YAML) is a ScenarioError."""
    file = str(path)
    try:
        raw = guard.read_limited(path, guard.MAX_SCENARIO_BYTES, "scenario file")
    except guard.FileRefused as exc:
        message = str(exc)
        if exc.missing:
            message = (f"scenario file not found: {show(file)} (looked in {show(Path.cwd())}); give the path of "
                       "a scenario YAML file, such as scenarios/colossus.yaml")
        raise ScenarioError([Problem(message, (), Location(file))]) from None
    return read_bytes(raw, file)


def read_bytes(raw: bytes, file: str) -> Document:
    """Read the bytes of a scenario file named ``file``: UTF-8 text (a BOM is allowed), then YAML."""
    text, offset, message = guard.decode(raw, "scenario")
    if message is not None:
        where = Location(file, *guard.byte_position(raw, offset)) if offset is not None else Location(file)
        example = "; a scenario is YAML text such as 'name: colossus'" if "binary data" in message else ""
        raise ScenarioError([Problem(message + example, (), where)])
    return read_text(text, file)
