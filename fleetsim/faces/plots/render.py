"""Charts to PNG bytes, several at once.

matplotlib draws one figure at a time on one core, and a chart takes 0.2-0.7 s to lay out and
draw (most of it in text and tick layout), so the report's seven charts were most of its time.
:func:`pngs` draws them in forked worker processes, one chart per task, which inherit the data
and the imports of this process; the bytes are those a single process draws (tested).

Where forking is not available or not safe (systems other than Linux; a daemon process, such as
a ``multiprocessing.Pool`` worker, which cannot have children) or with one worker, the charts
are drawn here, one after another.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import warnings
from collections.abc import Callable, Mapping
from concurrent.futures import FIRST_COMPLETED, wait

from matplotlib.figure import Figure

from fleetsim.faces.plots.style import png
from fleetsim.processes import orphan_watch, pool

_MAKERS: list[Callable[[], Figure]] = []
"""The charts being drawn, inherited by the forked workers (set only while :func:`pngs` runs)."""


def pngs(makers: Mapping[str, Callable[[], Figure]], on_png: Callable[[str], None] | None = None,
         workers: int | None = None) -> dict[str, bytes]:
    """Each ``makers[name]()`` figure as PNG bytes (:func:`~fleetsim.faces.plots.style.png`), by
    name, in the order of ``makers``; ``on_png(name)`` as each one is done (in the order they
    finish). ``workers``: processes drawing at once (default: one per core, at most one per
    chart; 1 draws them here). Warnings a chart raises in a worker are raised again here."""
    names = list(makers)
    workers = min(workers or os.cpu_count() or 1, len(names))
    if workers < 2 or not can_fork():
        images = {}
        for name in names:
            images[name] = png(makers[name]())
            if on_png is not None:
                on_png(name)
        return images
    global _MAKERS
    _MAKERS = [makers[name] for name in names]
    done: dict[str, bytes] = {}
    try:
        with pool(workers, _start, (os.getpid(),), multiprocessing.get_context("fork")) as executor:
            pending = {executor.submit(_draw, n): name for n, name in enumerate(names)}
            while pending:
                ready, _ = wait(pending, return_when=FIRST_COMPLETED)
                for future in ready:
                    name = pending.pop(future)
                    done[name], caught = future.result()
                    for message, category in caught:
                        warnings.warn(message, category, stacklevel=2)
                    if on_png is not None:
                        on_png(name)
    finally:
        _MAKERS = []
    return {name: done[name] for name in names}


def can_fork() -> bool:
    """True where :func:`pngs` draws in forked processes: Linux (elsewhere fork is not the
    platform's safe default), outside a daemon process (which cannot have children)."""
    return sys.platform.startswith("linux") and not multiprocessing.current_process().daemon


def _start(parent: int) -> None:
    """A worker: Ctrl-C is the parent's to handle (it ends the workers), and none outlives it."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    orphan_watch(parent)


def _draw(n: int) -> tuple[bytes, list[tuple[str, type[Warning]]]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        image = png(_MAKERS[n]())
    return image, [(str(w.message), w.category) for w in caught]
