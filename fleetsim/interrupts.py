"""Ctrl-C and SIGTERM, never lost and never half-done.

Python raises ``KeyboardInterrupt`` wherever the main thread happens to be; when that is inside a
finaliser or a library callback, the exception can be swallowed and the program carries on as if
nothing happened. :func:`install` (called by the command line) therefore also *records* every
SIGINT and SIGTERM, and :mod:`fleetsim.output` calls :func:`raise_if_interrupted` just before it
replaces anything, so an interrupted command never writes. SIGTERM raises :class:`Terminated` (a
``KeyboardInterrupt``), so every clean-up path that runs for Ctrl-C also runs for ``kill``.

:func:`wrote` records each output swapped in, so that an interrupt arriving during the last
instant of a command is reported truthfully ("interrupted after writing ...").
"""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

_state = {"signal": None}
_written: list[Path] = []


class Terminated(KeyboardInterrupt):
    """SIGTERM: handled as an interrupt (clean-up runs, nothing new is written), exit code 143."""


def _handler(signum, frame) -> None:
    _state["signal"] = signum
    if frame is not None and frame.f_code.co_filename.startswith("<frozen importlib"):
        # Inside the import system's own code (a module lock's release): an exception raised
        # there can reach C code that prints it as a traceback and goes on (seen once in CI, a
        # Ctrl-C during start-up). Deliver the signal again in 10 ms, once out of it.
        resend = threading.Timer(0.01, os.kill, (os.getpid(), signum))
        resend.daemon = True
        resend.start()
        return
    if signum == signal.SIGTERM:
        raise Terminated()
    raise KeyboardInterrupt()


def install() -> dict:
    """Raise on SIGINT (``KeyboardInterrupt``) and SIGTERM (:class:`Terminated`), and remember it.

    Returns the previous handlers for :func:`restore` (nothing is installed outside the main thread).
    """
    _state["signal"] = None
    _written.clear()
    previous = {}
    if threading.current_thread() is threading.main_thread():
        for signum in (signal.SIGINT, signal.SIGTERM):
            if signal.getsignal(signum) != signal.SIG_IGN:  # ignored by the parent (nohup): stays ignored
                previous[signum] = signal.signal(signum, _handler)
    return previous


def restore(previous: dict) -> None:
    """Put back the handlers :func:`install` replaced, and forget any interrupt recorded."""
    _state["signal"] = None
    for signum, handler in previous.items():
        signal.signal(signum, handler if handler is not None else signal.SIG_DFL)


def interrupted() -> int | None:
    """The signal number received since :func:`install`, or None."""
    return _state["signal"]


def raise_if_interrupted() -> None:
    """Raise again an interrupt that something swallowed (a no-op when there was none)."""
    if _state["signal"] == signal.SIGTERM:
        raise Terminated()
    if _state["signal"] is not None:
        raise KeyboardInterrupt()


def wrote(path: Path) -> None:
    """Record an output that is now in place."""
    _written.append(Path(path))


def written() -> list[Path]:
    """Outputs put in place since :func:`install`."""
    return list(_written)
