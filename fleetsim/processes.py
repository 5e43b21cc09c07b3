"""Worker processes that never outlive the command: the process pools of the draws
(:mod:`fleetsim.uncertainty.executors`) and of the charts (:mod:`fleetsim.faces.plots.render`)."""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager


def orphan_watch(parent: int) -> None:
    """In a pool worker: exit when the parent process is gone (even after ``kill -9``), so that no
    worker outlives the command; SIGTERM ends a worker at once (the default action)."""
    import time

    signal.signal(signal.SIGTERM, signal.SIG_DFL)

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="fleetsim-orphan-watch", daemon=True).start()


def stop_workers(pool: ProcessPoolExecutor) -> None:
    """End the pool's worker processes now, not after their running task (a chunk of world draws
    runs for seconds; Ctrl-C waited for it). ``terminate_workers`` is Python 3.14's; before it,
    the pool's own process table."""
    if hasattr(pool, "terminate_workers"):
        pool.terminate_workers()
        return
    for process in list((getattr(pool, "_processes", None) or {}).values()):
        if process.is_alive():
            process.terminate()


@contextmanager
def pool(workers: int, initializer: Callable, initargs: tuple = (), context=None) -> Iterator[ProcessPoolExecutor]:
    """A process pool for one command's tasks (``context``: a multiprocessing context, default the
    platform's), shut down on the way out. When the way out is an interrupt, a failure or an
    abandoned generator, its workers are ended at once (:func:`stop_workers`), not waited for."""
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=initializer,
                                   initargs=initargs)
    try:
        yield executor
    except BaseException:
        stop_workers(executor)
        raise
    finally:
        executor.shutdown(wait=True, cancel_futures=True)
