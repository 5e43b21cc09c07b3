"""``python -m fleetsim`` runs the command line."""

from fleetsim.cli.main import entry

entry()
