"""The terminal face: a rich console, progress steps, the headline-figure table, the power story,
JSON and warnings on the right stream. The command line (:mod:`fleetsim.cli`) prints through these.

rich is imported on first use, so ``fleetsim --help`` stays fast.
"""

from __future__ import annotations

import json
import os


def terminal(stderr: bool = False):
    """A rich Console on stdout (or stderr); files and pipes get at least 120 columns."""
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False, soft_wrap=False)
    if not console.is_terminal and not os.environ.get("COLUMNS", "").isdigit():
        console.width = max(console.width, 120)  # files and pipes: no truncated columns (unless COLUMNS says)
    return console


def summary_table(result, title: str):
    """The headline figures of ``result`` (:data:`fleetsim.figures.SUMMARY`) as a rich table."""
    from rich.table import Table

    from fleetsim import figures

    table = Table(title=title, title_justify="left")
    table.add_column("figure")
    table.add_column("value", justify="right")
    table.add_column("unit")
    for label, value, unit in figures.rows(result.summary()):
        table.add_row(label, value, unit)
    return table


def owner_table(result, title: str = "By owner"):
    """The :data:`fleetsim.figures.OWNER` figures of each owner of ``result`` as a rich table (one
    row per owner), or None when the scenario names fewer than two owners."""
    from rich.table import Table

    from fleetsim import figures

    owners = result.frame("owners")
    if owners is not None:
        rows = figures.owner_rows(owners)
    else:
        rows = [(name, row) for name, row in figures.by_owner(result.owners).iterrows()]
    if sum(1 for name, _ in rows if name) < 2:
        return None
    out = Table(title=title, title_justify="left")
    out.add_column("owner")
    for key in figures.OWNER:
        figure = figures.FIGURES[key]
        out.add_column(f"{figures.OWNER_HEADINGS[key]} ({figure.shown})", justify="right")
    for name, row in rows:
        out.add_row(name or figures.NO_OWNER, *(figures.FIGURES[key].text(row[key]) for key in figures.OWNER))
    return out


def power_story_text(result) -> str:
    """The lines after the summary table: when each site (and the fleet) runs short of power, how
    much hardware waits, for how long, and why."""
    from fleetsim.accounting.sites import story_text

    lines = ["Power by site (waiting: delivered accelerators not energised, for lack of power or of "
             "install rate):"]
    for name, row in result.story_rows():
        headline, detail = story_text(name, row)
        lines += [f"  {headline}", f"    {detail}"]
    return "\n".join(lines)


def print_json(document: dict) -> None:
    """A machine-readable summary on stdout: NaN and infinities as null, never invalid JSON."""
    from fleetsim.tables import json_ready

    print(json.dumps(json_ready(document), indent=2, allow_nan=False, default=str))


def print_warnings(messages: list[str]) -> None:
    """Warnings go to stderr, even with --quiet: they are never silently dropped."""
    if messages:
        console = terminal(stderr=True)
        for message in messages:
            console.print(f"[yellow]warning:[/] {message}", markup=True, soft_wrap=True)


def plural(count: int, noun: str) -> str:
    """``1 chart``, ``3 charts``."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


class Steps:
    """Progress of a long command: a rich bar on stderr when stderr is a terminal, else nothing.

    ``advance(description)`` marks one step done and names the next; a disabled Steps (``--quiet``,
    ``--json``, or output to a file or pipe) does nothing.
    """

    def __init__(self, enabled: bool, total: int, first: str, console=None):
        self._bar = None
        console = console or (terminal(stderr=True) if enabled else None)
        if enabled and console.is_terminal:
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            self._bar = Progress(TextColumn("{task.description:<24}"), BarColumn(), TimeElapsedColumn(),
                                 console=console, transient=True)
            self._task = self._bar.add_task(first, total=total)

    def __enter__(self) -> Steps:
        if self._bar is not None:
            self._bar.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._bar is not None:
            self._bar.stop()

    def add(self, steps: int) -> None:
        """Announce ``steps`` more steps than planned."""
        if self._bar is not None:
            self._bar.update(self._task, total=self._bar.tasks[0].total + steps)

    def advance(self, description: str, steps: int = 1) -> None:
        """Mark ``steps`` steps done and name the next."""
        if self._bar is not None:
            self._bar.update(self._task, advance=steps, description=description)
