"""The command line: ``fleetsim run | validate | report | compare | sweep | sensitivity | catalog | schema``.

When this package is imported by the ``fleetsim`` command itself (not by a library user), Ctrl-C
and SIGTERM are caught from the first instant: until :func:`fleetsim.cli.main.main` installs its
own handlers nothing can have been written, so the process leaves at once with exit code 130
(143 for SIGTERM) and a one-line message, never a traceback from the middle of an import. The
C-level ``_signal`` module is used because importing ``signal`` itself takes long enough to be
interrupted. Signals ignored by the parent (``nohup``, background jobs) stay ignored.
"""

import sys as _sys


def _leave(signum, frame):  # pragma: no cover - exercised in subprocess tests
    import os

    os.write(2, b"fleetsim: interrupted; nothing was written\n" if signum == 2 else
             b"fleetsim: terminated; nothing was written\n")
    os._exit(130 if signum == 2 else 143)


def _install_early_handlers() -> None:
    import _signal

    for signum in (_signal.SIGINT, _signal.SIGTERM):
        if _signal.getsignal(signum) != _signal.SIG_IGN:
            _signal.signal(signum, _leave)


_script = _sys.argv[0].replace("\\", "/") if _sys.argv else ""
if _script.endswith(("/fleetsim", "fleetsim/__main__.py")) or _script == "fleetsim":
    _install_early_handlers()
