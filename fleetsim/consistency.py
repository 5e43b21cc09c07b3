"""Consistency checks: the scenario is valid, but something in it deserves a look.

Each ``check_*`` function returns messages; :func:`scenario_warnings` runs those that need only
the scenario (``fleetsim validate`` prints them), :func:`result_warnings` those that need a
simulated trace. None of them raises: they become :class:`~fleetsim.errors.FleetsimWarning`.
"""

from __future__ import annotations

import numpy as np

from fleetsim import months as _months
from fleetsim.engine.model import Trace
from fleetsim.engine.plan import Plan
from fleetsim.scenario.load import Scenario

MAX_ENERGY_PRICE_USD_PER_MWH = 1000.0   # 1 USD/kWh
MAX_PUE = 2.0
MIN_ACCELERATOR_PRICE_USD = 1000.0
STRANDED_SHARE = 0.25


def check_magnitudes(scenario: Scenario) -> list[str]:
    """Energy prices above 1 USD/kWh, PUE above 2, accelerators cheaper than 1,000 USD."""
    found = []
    for name, site in scenario.spec.sites.items():
        prices = [(f"sites.{name}.electricity.price", site.electricity.price)] if site.electricity else []
        prices += [(f"sites.{name}.supply.{source_name}.price", source.price)
                   for source_name, source in (site.supply or {}).items() if hasattr(source, "price")]
        for key, price in prices:
            if price.maximum > MAX_ENERGY_PRICE_USD_PER_MWH:
                found.append(f"{key} reaches {price.maximum / 1000:g} USD/kWh, above 1 USD/kWh: "
                             "is the unit right (USD/kWh vs USD/MWh)?")
        if site.pue.maximum > MAX_PUE:
            found.append(f"sites.{name}.pue reaches {site.pue.maximum:g}; large AI sites run at 1.1 to 1.6")
    for i, order in enumerate(scenario.spec.orders):
        price = order.price if order.price is not None else scenario.hardware[order.hardware].price_usd
        if price < MIN_ACCELERATOR_PRICE_USD:
            found.append(f"orders.{i} costs {price:g} USD per accelerator, under 1,000 USD: "
                         "price is per accelerator, all-in (e.g. 42000 USD for an H100)")
    return found


def check_horizon(scenario: Scenario) -> list[str]:
    """Orders (or parts of windows) delivered after the last simulated month."""
    spec = scenario.spec
    end = spec.start + spec.months
    found = []
    for i, order in enumerate(spec.orders):
        if order.delivery[1] + round(order.lead_time) >= end:
            found.append(f"orders.{i} ({order.hardware} at {order.site}) is delivered after the horizon "
                         f"(last month {_months.to_text(end - 1)}); those accelerators are not simulated")
    return found


def check_design_pue(scenario: Scenario) -> list[str]:
    """A design PUE below the operating PUE of some simulated month: allowed, but the hardware
    installed on the design basis is curtailed in those months."""
    spec = scenario.spec
    found = []
    for name, site in spec.sites.items():
        if site.design_pue is None:
            continue
        operating = site.pue.series(spec.start, spec.months)
        worse = [i for i, value in enumerate(operating) if value > site.design_pue + 1e-12]
        if worse:
            found.append(f"sites.{name}.design_pue {site.design_pue:g} is below the operating pue "
                         f"({max(operating):g} in {_months.to_text(spec.start + worse[0])}, {len(worse)} months): "
                         "hardware installed on the design basis is curtailed in those months")
    return found


def scenario_warnings(scenario: Scenario) -> list[str]:
    """Warnings that need only the scenario."""
    return [*check_magnitudes(scenario), *check_horizon(scenario), *check_design_pue(scenario)]


def check_power(plan: Plan, sites) -> list[str]:
    """Sites whose hardware was curtailed (full-load power above capacity, or IT load above the
    halls) or lost hours to energy no source supplied, or paid for lost load: never silent.
    ``sites`` is the long sites column table (:func:`fleetsim.accounting.sites.site_table`)."""
    from fleetsim.frame import factorize, month_texts

    found = []
    names, code = factorize(sites["site"])
    positions = {name: np.flatnonzero(code == k) for k, name in enumerate(names)}
    for site in plan.sites:
        rows = sites.take(positions.get(site.name, np.zeros(0, dtype=np.int64)))
        curtailed = rows["curtailed_h100e_hours"]
        if (curtailed > 0).any():
            months = month_texts(rows["month"])
            over = np.flatnonzero(curtailed > 0)
            found.append(f"site {site.name}: full-load power of its installed hardware exceeds capacity (or its "
                         f"halls) in {len(over)} months from {months[over[0]]}; curtailed to fit, losing "
                         f"{curtailed.sum():,.0f} H100e-hours (a capacity step down, or a PUE worse than design_pue)")
        unserved = rows["unserved_energy_mwh"]
        if (unserved > UNSERVED_TOLERANCE_MWH).any():  # not the rounding leftovers of an exact fit
            months = month_texts(rows["month"])
            short = np.flatnonzero(unserved > UNSERVED_TOLERANCE_MWH)
            effect = (f"charged at its value of lost load, {site.value_of_lost_load / 1000:g} USD/kWh"
                      if site.value_of_lost_load is not None else
                      f"the hours it would have powered are lost "
                      f"({rows['unserved_h100e_hours'].sum():,.0f} H100e-hours)")
            found.append(f"site {site.name}: its sources cannot supply {unserved.sum():,.0f} MWh in {len(short)} "
                         f"months from {months[short[0]]} (batteries store energy, they do not supply it); {effect}")
    return found


UNSERVED_TOLERANCE_MWH = 1e-6
"""Unserved energy below this (1 Wh a month) is floating-point leftover of a site curtailed to
exactly its capacity, not a shortfall worth a warning."""


def check_stranding(plan: Plan, trace: Trace) -> list[str]:
    """Sites whose capacity never energises all delivered hardware, and long stranded spells."""
    found = []
    for site in plan.sites:
        sl = site.cohorts
        stranded = trace.stranded[:, sl].sum(axis=1)
        installed = trace.installed[:, sl].sum(axis=1)
        if stranded[-1] > 0:
            waiting_mw = float(trace.stranded[-1, sl] @ plan.cohorts.unit_it_mw[sl]) * site.pue[-1]
            found.append(f"site {site.name}: {stranded[-1]:,} delivered accelerators are still not energised at "
                         f"the end; they need {waiting_mw:,.1f} MW more facility capacity (or a higher install_rate)")
        on_site = stranded + installed
        with np.errstate(divide="ignore", invalid="ignore"):
            share = np.where(on_site > 0, stranded / on_site, 0.0)
        spell = int((share > STRANDED_SHARE).sum())
        if spell >= 3:
            found.append(f"site {site.name}: over {STRANDED_SHARE:.0%} of its accelerators wait for power or "
                         f"installation in {spell} months (peak {share.max():.0%})")
    return found
