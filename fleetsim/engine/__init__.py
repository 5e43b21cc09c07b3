"""The SimPy cohort engine: a compiled plan in, a month-by-cohort trace out."""

from fleetsim.engine.model import Trace, run
from fleetsim.engine.plan import Plan, compile_plan

__all__ = ["Plan", "Trace", "compile_plan", "run"]
