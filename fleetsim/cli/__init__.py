"""The command line: ``fleetsim run | validate | report | compare | sweep | sensitivity | catalog | schema``.

Signals: ``fleetsim/__init__.py`` catches Ctrl-C and SIGTERM from the command's first instant
(exit 130/143, one line); :func:`fleetsim.cli.main.main` then installs
:func:`fleetsim.interrupts.install`, which turns them into exceptions that clean up and records
them so that nothing is written after an interrupt.
"""
