"""The one exception hierarchy of fleetsim, and its warning class.

Every error a user can cause is a :class:`FleetsimError`; the CLI prints its message and exits
with code 1, never a traceback. Scenario problems are collected, never raised one at a time, so
a user sees every mistake in a file at once.
"""

from __future__ import annotations

from dataclasses import dataclass


def show(text: object) -> str:
    """``text`` with control, format and line-separator characters escaped as in ``repr``
    (``\\x1b``), so that quoting user text can never drive a terminal.

    >>> show("a\\x1b]0;title\\x07b")
    'a\\\\x1b]0;title\\\\x07b'
    """
    text = str(text)
    if all(ch.isprintable() for ch in text):
        return text
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


_VALUE_SHOWN = 120
"""Longest value quoted in a message (a longer one is cut, so that no file is echoed at length)."""


def did_you_mean(name: str, choices) -> str:
    """A hint naming the closest of ``choices`` to a misspelt ``name`` (blank when none is close).

    >>> did_you_mean("colossus-3", ["colossus-1", "memphis"]), did_you_mean("x", ["colossus-1"])
    ("; did you mean 'colossus-1'?", '')
    """
    import difflib

    close = difflib.get_close_matches(name, list(choices), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""


def _given(value: object) -> str:
    text = show(repr(value))
    return text if len(text) <= _VALUE_SHOWN else text[:_VALUE_SHOWN - 5] + "[...]"


class FleetsimError(Exception):
    """Base class of every error fleetsim reports to a user."""


@dataclass(frozen=True)
class Location:
    """Where a value was written: file, 1-based line and column."""

    file: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        if self.line is None:
            return self.file
        return f"{self.file}:{self.line}:{self.column}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a scenario: where, which key, what was given, how to fix it."""

    message: str
    path: tuple[str | int, ...] = ()
    location: Location | None = None
    value: object = None
    has_value: bool = False

    @property
    def key_path(self) -> str:
        return ".".join(str(p) for p in self.path) or "(top level)"

    def __str__(self) -> str:
        where = f"{self.location}: " if self.location else ""
        given = f" (given: {_given(self.value)})" if self.has_value else ""
        return show(f"{where}{self.key_path}: {self.message}") + given


class ScenarioError(FleetsimError):
    """A scenario that cannot be used; holds every :class:`Problem` found."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        count = len(self.problems)
        head = "1 problem" if count == 1 else f"{count} problems"
        super().__init__(f"invalid scenario, {head}:\n" + "\n".join(f"  {p}" for p in self.problems))


class OutputError(FleetsimError):
    """Results could not be written (the previous output, if any, is untouched)."""


class ResultFormatError(FleetsimError):
    """A result folder that cannot be read back."""


class FleetsimWarning(UserWarning):
    """A consistency warning: the scenario runs, but something in it deserves a look."""
