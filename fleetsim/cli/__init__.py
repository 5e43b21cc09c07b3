"""The command line: ``fleetsim run | validate | catalog | schema``."""
