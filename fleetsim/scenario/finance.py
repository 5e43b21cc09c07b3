"""The scenario language's finance and revenue parts: cash and raises, debt, cost of capital, demand for tokens."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, Field, WithJsonSchema

from fleetsim.scenario.fields import Month, Number, Quantity, Ratio, Schedule, ScheduleOf, check_ratio
from fleetsim.scenario.schema_base import Model


class Raise(Model):
    """Cash raised in one month (equity or any funding that is not modelled as debt)."""

    month: Month("Month the cash arrives.")
    amount: Quantity("money", "Amount raised.")


class Cash(Model):
    """Starting cash and dated raises: cash balance = start + Σ raises − Σ cash burn."""

    start: Quantity("money", "Cash at the start.") = 0.0
    raises: tuple[Raise, ...] = Field(default_factory=tuple, description="Dated raises.")


class Debt(Model):
    """Debt-financed share of capex: each month's financed capex is a loan of its own, repaid in
    level monthly payments at rate/12 over the term from the next month."""

    share_of_capex: Ratio("Share of each month's capex financed by debt.", 0.0, 1.0, "0.5")
    rate: Ratio("Yearly interest rate.", 0.0, 1.0, "0.09")
    term: Quantity("life", "Repayment term (whole months).", positive=True)


class Demand(Model):
    """Token demand: served = min(capacity, demand × (price / reference price)^elasticity)."""

    tokens: ScheduleOf(None, "Tokens demanded per month at the reference price; zero before the first key.",
                       0.0, 1e24, "2e14")
    reference_price: Quantity("token price", "Price at which 'tokens' are demanded (default: the price at "
                                             "the start).") | None = None
    elasticity: Number("Price elasticity of demand, at most 0 (−1.3: a 10 % cut raises demand ≈ 13 %).",
                       "-1.3", minimum=-10.0, maximum=10.0) = 0.0
    unserved: Literal["training", "idle"] = Field(
        "idle", description="Where inference capacity that demand does not use goes: training or idle.")


OtherRevenue = ScheduleOf("money per month", "Revenue per calendar month (subscriptions, licences...).")
ZERO = Schedule(((None, 0.0),))


class CostOfCapital(Model):
    """Yearly cost of capital by asset class: the rate at which each asset's capex is recovered in
    the capital charge (an annuity over its life; see docs/model.md, "The cost of capital")."""

    hardware: Ratio("Yearly rate for accelerators (over their life).", 0.0, 1.0, "0.09")
    facility: Ratio("Yearly rate for facility capex (over facility_life).", 0.0, 1.0, "0.07")
    generation: Ratio("Yearly rate for turbines and batteries (over their own life).", 0.0, 1.0, "0.07")


COST_OF_CAPITAL_EXAMPLE = "0.07 (or {hardware: 0.09, facility: 0.07, generation: 0.07})"


def _every_class(value: Any) -> Any:
    """One rate for every asset class: ``0.07`` is ``{hardware: 0.07, facility: 0.07, generation: 0.07}``."""
    if isinstance(value, (dict, CostOfCapital)):
        return value
    rate = check_ratio(value, 0.0, 1.0, COST_OF_CAPITAL_EXAMPLE)
    return {"hardware": rate, "facility": rate, "generation": rate}


CostOfCapitalField = Annotated[CostOfCapital, BeforeValidator(_every_class), WithJsonSchema({
    "description": "Yearly cost of capital (0 to 1): one rate, or one per asset class {hardware, facility, "
                   "generation}. It sets capital_charge_usd, the annuity that recovers each asset's capex over "
                   "its life; at 0 that is straight-line recovery.",
    "anyOf": [{"type": "number", "minimum": 0, "maximum": 1},
              {"type": "object", "required": ["hardware", "facility", "generation"], "additionalProperties": False,
               "properties": {key: {"type": "number", "minimum": 0, "maximum": 1}
                              for key in ("hardware", "facility", "generation")}}],
    "examples": [0.07, {"hardware": 0.09, "facility": 0.07, "generation": 0.07}]})]
