"""The scenario language: YAML reading, the schema, variants, overrides and cross-checks."""

from fleetsim.scenario.load import Scenario, load, load_text

__all__ = ["Scenario", "load", "load_text"]
