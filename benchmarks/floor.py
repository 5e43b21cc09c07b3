"""An honest floor: the benchmark scenarios' outputs computed directly with numpy (issue 15, part 5).

This is an independent implementation of what ``fleetsim.simulate`` computes for a plain scenario
(sites given by ``capacity`` and ``electricity``, bought hardware, fixed and maintenance opex,
inference revenue without a demand curve, straight-line depreciation) with failures off: the
cohorts, installation first come first served within each site's install rate and IT room, the
month's powered share, energy and its cost, capex, depreciation, maintenance, capital charge,
revenue, the monthly table, the long-form ledger, the cohort, site and energy tables. It shares
no code with fleetsim's engine or books: it reads only the loaded scenario's inputs (numbers,
schedules, catalog entries). State is a sites × cohort-slots array and each month is a handful
of array operations across all sites at once; the books are matrix products over months.

``benchmarks/run.py`` times fleetsim against it; ``tests/test_floor.py`` checks that both agree
(to 1e-12 relative) on a small generated case. Scenarios outside that plain subset are refused
(:class:`Unsupported`), never silently approximated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

TOLERANCE = 1e-9
"""Installation counts whole accelerators: ``floor(room ÷ unit power + 1e-9)`` (round-off guard)."""


class Unsupported(ValueError):
    """The scenario uses a feature the floor does not implement."""


@dataclass
class Floor:
    """The floor's outputs, in fleetsim's layouts."""

    monthly: pd.DataFrame
    ledger: pd.DataFrame
    cohorts: pd.DataFrame
    sites: pd.DataFrame
    energy: pd.DataFrame
    installed: np.ndarray      # months × cohorts (fleetsim's cohort order: site, delivery, order)
    stranded: np.ndarray
    waiting_install: np.ndarray


def _series(schedule, start: int, months: int) -> np.ndarray:
    """A schedule's values month by month (a step function; zero before its first key), or a
    seasonal profile's twelve values repeated."""
    t = np.arange(start, start + months)
    if hasattr(schedule, "values") and not hasattr(schedule, "points"):
        return np.asarray(schedule.values, dtype=float)[t % 12]
    keys = [key for key, _ in schedule.points]
    values = np.array([0.0] + [value for _, value in schedule.points])
    if keys[0] is None:
        return np.full(months, values[1])
    return values[np.searchsorted(np.array(keys), t, side="right")]


def _hours(start: int, months: int) -> np.ndarray:
    """Hours in each month (days × 24); ``start`` counts months from year 0."""
    firsts = (np.arange(start, start + months + 1) - 1970 * 12).astype("datetime64[M]").astype("datetime64[D]")
    return np.diff(firsts).astype(float) * 24.0


def _check(spec) -> None:
    reasons = []
    for name, site in spec.sites.items():
        if site.supply is not None or site.halls is not None or site.colocation or site.value_of_lost_load:
            reasons.append(f"site {name}: supply, halls, colocation or value_of_lost_load")
    if any(order.acquisition != "buy" for order in spec.orders):
        reasons.append("leased orders")
    if spec.training:
        reasons.append("training runs")
    inference = spec.revenue.inference
    if inference is not None and inference.demand is not None:
        reasons.append("a token demand curve")
    if spec.finance.debt is not None and spec.finance.debt.share_of_capex:
        reasons.append("debt")
    if spec.finance.depreciation.method != "straight_line":
        reasons.append("declining-balance depreciation")
    if reasons:
        raise Unsupported("the floor implements plain scenarios only: " + "; ".join(reasons))


def recovery(rate: float, life: np.ndarray, salvage: float) -> np.ndarray:
    """Level monthly charge per unit of capex recovering it over ``life`` months at a yearly ``rate``."""
    life = np.maximum(np.asarray(life, dtype=float), 1.0)
    i = rate / 12.0
    if i == 0:
        return (1.0 - salvage) / life
    return (1.0 - salvage * (1.0 + i) ** -life) * i / (1.0 - (1.0 + i) ** -life)


def floor(scenario) -> Floor:
    """Compute the scenario's outputs (failures are ignored: call it on scenarios without them)."""
    spec, catalog = scenario.spec, scenario.hardware
    _check(spec)
    start, nt = spec.start, spec.months
    hours = _hours(start, nt)
    site_names = list(spec.sites)
    ns = len(site_names)

    # ---- cohorts: each order split evenly over its delivery window, remainder first ----------
    orders = spec.orders
    no = len(orders)
    lag = np.array([round(o.lead_time) for o in orders], dtype=np.int64)
    first = np.array([o.delivery[0] for o in orders], dtype=np.int64) + lag - start
    last = np.array([o.delivery[1] for o in orders], dtype=np.int64) + lag - start
    count = np.array([o.count for o in orders], dtype=np.int64)
    width = last - first + 1
    base, extra = np.divmod(count, width)
    owner = np.repeat(np.arange(no), width)
    step = np.arange(width.sum()) - np.repeat(np.cumsum(width) - width, width)
    c_count = base[owner] + (step < extra[owner])
    keep = c_count > 0
    owner, step, c_count = owner[keep], step[keep], c_count[keep]
    o_site = np.array([site_names.index(o.site) for o in orders], dtype=np.int64)
    c_delivery = first[owner] + step
    sort = np.lexsort((owner, c_delivery, o_site[owner]))
    owner, c_delivery, c_count = owner[sort], c_delivery[sort], c_count[sort]
    c_site = o_site[owner]
    nc = len(owner)
    hw_names = sorted({o.hardware for o in orders})
    o_hw = np.array([hw_names.index(o.hardware) for o in orders], dtype=np.int64)
    hw = [catalog[name] for name in hw_names]
    life_all = spec.finance.depreciation.life
    hw_unit = np.array([h.it_power_w * 1e-6 for h in hw])
    hw_h100e = np.array([h.h100e for h in hw])
    hw_life = np.array([h.life_months if life_all is None else max(1, round(life_all)) for h in hw], dtype=np.int64)
    o_price = np.array([o.price if o.price is not None else hw[o_hw[k]].price_usd for k, o in enumerate(orders)])
    c_hw = o_hw[owner]
    unit, life = hw_unit[c_hw], hw_life[c_hw]
    bought = c_count * o_price[owner]
    retire = c_delivery + life

    # ---- site inputs ---------------------------------------------------------------------------
    sites = [spec.sites[name] for name in site_names]
    capacity = np.array([_series(s.capacity, start, nt) for s in sites]).reshape(ns, nt)           # ns × nt
    pue = np.array([_series(s.pue, start, nt) for s in sites]).reshape(ns, nt)
    design = np.array([s.design_pue if s.design_pue is not None else s.pue.maximum for s in sites])
    halls = np.maximum.accumulate(capacity / design[:, None], axis=1)
    room = np.minimum(capacity / design[:, None], halls)
    rate = np.array([np.inf if s.install_rate is None else float(s.install_rate) for s in sites])
    price_mwh = np.array([_series(s.electricity.price, start, nt) * (1.0 + s.electricity.escalation)
                          ** (np.arange(nt) / 12.0) for s in sites]).reshape(ns, nt)

    # ---- installation: one pass of array operations per month over the queue of every site -------
    installed, waiting = np.zeros(nc), np.zeros(nc)
    rec_inst, rec_wait, rec_fit = np.zeros((nt, nc)), np.zeros((nt, nc)), np.zeros((nt, nc))
    room_t = room.T.copy()
    c_unit_pos = unit > 0
    safe_unit = np.where(c_unit_pos, unit, 1.0)
    by_delivery = np.argsort(c_delivery, kind="stable")
    arrivals = np.split(by_delivery, np.searchsorted(c_delivery[by_delivery], np.arange(1, nt + 1)))
    by_retire = np.argsort(retire, kind="stable")
    departures = np.split(by_retire, np.searchsorted(retire[by_retire], np.arange(1, nt + 1)))
    no_limit = np.full(ns, np.inf)

    def fcfs(q: np.ndarray, want: np.ndarray, headroom: np.ndarray, budget: np.ndarray) -> np.ndarray:
        """First come first served over each site's queue ``q`` (cohort indices in order, grouped
        by site): each takes what is left of its site's budget and headroom; the first not served
        in full stops its site's queue."""
        sites_q = c_site[q]
        new_site = np.r_[True, sites_q[1:] != sites_q[:-1]]
        seg = np.cumsum(new_site) - 1
        starts = np.flatnonzero(new_site)
        power = want * unit[q]
        cum_n, cum_p = np.cumsum(want), np.cumsum(power)
        before_n = cum_n - want - (cum_n - want)[starts][seg]
        before_p = cum_p - power - (cum_p - power)[starts][seg]
        fits = np.floor((headroom[sites_q] - before_p) / safe_unit[q] + TOLERANCE)
        fits = np.where(c_unit_pos[q], fits, want)
        take = np.clip(np.minimum(np.minimum(want, budget[sites_q] - before_n), fits), 0.0, None)
        short = (take < want).astype(np.int64)
        cum_short = np.cumsum(short)
        stopped = (cum_short - short - (cum_short - short)[starts][seg]) > 0
        return np.where(stopped, 0.0, take)

    for t in range(nt):
        if t < len(departures) and len(departures[t]):
            installed[departures[t]] = 0.0
            waiting[departures[t]] = 0.0
        if t < len(arrivals) and len(arrivals[t]):
            waiting[arrivals[t]] = c_count[arrivals[t]]
        q = np.flatnonzero(waiting)
        if len(q):
            want = waiting[q]
            headroom = room_t[t] - np.bincount(c_site, installed * unit, minlength=ns)
            take = fcfs(q, want, headroom, rate)
            installed[q] += take
            waiting[q] = want - take
            left = np.bincount(c_site[q], take * unit[q], minlength=ns)
            rest = want - take
            keep_q = rest > 0
            if keep_q.any():
                rec_fit[t, q[keep_q]] = fcfs(q[keep_q], rest[keep_q], headroom - left, no_limit)
        rec_inst[t], rec_wait[t] = installed, waiting

    inst, wait, fit = rec_inst, rec_wait, np.minimum(rec_fit, rec_wait)                    # nt × nc

    # ---- sums over cohorts: by (site, hardware) group, by site, by order (columns gathered once) ---------
    group_keys = sorted({(site_names[s], hw_names[h]) for s, h in zip(c_site, c_hw, strict=True)})
    group_index = {key: g for g, key in enumerate(group_keys)}
    c_group = np.array([group_index[(site_names[s], hw_names[h])] for s, h in zip(c_site, c_hw, strict=True)],
                       dtype=np.int64)
    ng = len(group_keys)
    g_site = np.array([site_names.index(site) for site, _ in group_keys], dtype=np.int64)
    g_hw = np.array([hw_names.index(h) for _, h in group_keys], dtype=np.int64)
    g_unit, g_h100e = hw_unit[g_hw], hw_h100e[g_hw]

    def summer(keys: np.ndarray, n: int):
        perm = np.argsort(keys, kind="stable")
        heads = np.flatnonzero(np.r_[True, np.diff(keys[perm]) != 0]) if len(keys) else np.zeros(0, int)
        present = keys[perm][heads]

        def by(matrix: np.ndarray) -> np.ndarray:
            out = np.zeros((matrix.shape[0], n))
            if len(keys):
                out[:, present] = np.add.reduceat(matrix[:, perm], heads, axis=1)
            return out
        return by

    by_group, by_site, by_order = summer(c_group, ng), summer(c_site, ns), summer(owner, no)
    g_inst = by_group(inst)
    o_inst = by_order(inst)

    # ---- power: the month's powered share, available and curtailed hours ------------------------
    g_site_of = (g_site[:, None] == np.arange(ns)).astype(float)                  # ng × ns
    it_installed = (g_inst * g_unit) @ g_site_of                               # nt × ns
    limit = np.maximum(np.minimum(capacity.T / pue.T, halls.T), 0.0)
    share = np.where(it_installed > limit * (1 + 1e-9), limit / np.where(it_installed > 0, it_installed, 1.0), 1.0)
    g_hours = g_inst * hours[:, None]                                          # accelerator-hours installed
    g_avail = g_hours * share[:, g_site]
    g_curt = g_hours * (1.0 - share[:, g_site])

    ops = spec.operations
    util = _series(ops.utilization, start, nt)
    tshare = _series(ops.training_share, start, nt)
    draw = util * ops.power_draw.busy + (1.0 - util) * ops.power_draw.idle
    g_h100e_hours = g_avail * g_h100e
    actual = g_h100e_hours.sum(axis=1)
    nominal = actual + g_curt @ g_h100e
    training_left = np.maximum(nominal * util * tshare - (nominal - actual) * util, 0.0)
    busy_all = actual * util
    tshare = np.where(busy_all > 0, training_left / np.where(busy_all > 0, busy_all, 1.0), tshare)
    g_it = g_avail * g_unit * draw[:, None]                                    # IT MWh, nt × ng
    g_facility = g_it * pue.T[:, g_site]
    s_facility = g_facility @ g_site_of
    s_it = g_it @ g_site_of
    deliverable = capacity.T * hours[:, None]
    if (s_facility > deliverable).any():
        raise Unsupported("a site's energy exceeds what its grid delivers (lost hours are not in the floor)")

    g_busy = g_h100e_hours * util[:, None]
    g_training = g_busy * tshare[:, None]
    g_inference = g_busy - g_training
    inference = spec.revenue.inference
    tph = inference.tokens_per_h100e_hour if inference else 0.0
    token_price = _series(inference.price, start, nt) if inference else np.zeros(nt)
    tokens = actual * util * (1.0 - tshare) * tph
    inf_total = g_inference.sum(axis=1, keepdims=True)
    g_tokens = np.where(inf_total > 0, g_inference / np.where(inf_total > 0, inf_total, 1.0), 0.0) * tokens[:, None]
    g_revenue = g_tokens * token_price[:, None]

    # ---- capital and its charges: level monthly amounts from delivery to retirement -----------------
    f = spec.finance
    salvage, maintenance = f.depreciation.salvage, f.opex.maintenance
    t_col = np.arange(nt)[:, None]

    def on_books(amount: np.ndarray, keys: np.ndarray, n: int) -> np.ndarray:
        """Months × n: Σ amount over cohorts on the books (delivery ≤ t < retirement), by key: a
        running sum of arrivals less departures, exactly zero where no cohort is on the books."""
        steps = np.zeros((nt + 1, n))
        present = np.zeros((nt + 1, n), np.int64)
        inside = c_delivery < nt
        np.add.at(steps, (c_delivery[inside], keys[inside]), amount[inside])
        np.add.at(present, (c_delivery[inside], keys[inside]), 1)
        ends = retire < nt
        np.add.at(steps, (retire[ends], keys[ends]), -amount[ends])
        np.add.at(present, (retire[ends], keys[ends]), -1)
        return np.where(np.cumsum(present[:nt], axis=0) > 0, np.cumsum(steps[:nt], axis=0), 0.0)

    inside = c_delivery < nt
    g_capex = np.zeros((nt, ng))
    np.add.at(g_capex, (c_delivery[inside], c_group[inside]), bought[inside])
    c_dep = bought * (1.0 - salvage) / life
    g_dep = on_books(c_dep, c_group, ng)
    g_maint = on_books(bought * maintenance / 12.0, c_group, ng)
    hw_rate, fac_rate = f.cost_of_capital.hardware, f.cost_of_capital.facility
    facility_life = max(1, round(f.facility_life))
    construction = np.array([s.construction_cost for s in sites])
    fac_capex = construction[:, None] * np.diff(halls, axis=1, prepend=0.0).clip(min=0.0)       # ns × nt

    def rolling(capex: np.ndarray, n: int) -> np.ndarray:
        total = np.concatenate([np.zeros((capex.shape[0], 1)), np.cumsum(capex, axis=1)], axis=1)
        return total[:, 1:] - total[:, np.maximum(np.arange(1, nt + 1) - n, 0)]

    fac_dep = rolling(fac_capex, facility_life) / facility_life
    capital_charge = on_books(bought * recovery(hw_rate, life, salvage), np.zeros(nc, np.int64), 1)[:, 0] \
        + (rolling(fac_capex, facility_life) * recovery(fac_rate, np.array([facility_life]), 0.0)).sum(axis=0)

    # ---- energy: one grid source per site -----------------------------------------------------------
    s_energy = np.minimum(s_facility, deliverable)
    s_cost = s_energy * price_mwh.T
    carbon = np.zeros((nt, ns))
    water = np.array([s.water for s in sites])
    with np.errstate(divide="ignore", invalid="ignore"):
        g_energy_share = np.where(s_facility[:, g_site] > 0, g_facility / s_facility[:, g_site], 0.0)
    g_energy_cost = s_cost[:, g_site] * g_energy_share
    s_wait = by_site(wait)
    s_fit = by_site(fit)
    s_inst = (g_inst @ g_site_of)
    waiting_it = by_site(wait * unit)
    s_shortfall = np.maximum(it_installed * pue.T + waiting_it * pue.T - capacity.T, 0.0)
    s_peak = it_installed * pue.T * share

    # ---- the ledger ----------------------------------------------------------------------------------
    blocks = []   # (nt × K values, account, site codes and hardware codes of the K columns)
    site_rank = np.argsort(np.argsort(np.array(site_names, dtype=str), kind="stable"))
    hw_rank = np.argsort(np.argsort(np.array(hw_names, dtype=str), kind="stable")) + 1        # "" sorts first
    for account, values in (("hardware_capex", g_capex), ("hardware_depreciation", g_dep),
                            ("maintenance", g_maint), ("inference_revenue", g_revenue), ("energy", g_energy_cost)):
        blocks.append((values, account, g_site, g_hw))
    all_sites = np.arange(ns)
    blocks += [(fac_capex.T, "facility_capex", all_sites, None), (fac_dep.T, "facility_depreciation", all_sites, None),
               (np.where(s_facility > 0, 0.0, s_cost), "energy", all_sites, None)]
    fixed = _series(f.opex.fixed, start, nt)
    subs = _series(spec.revenue.subscriptions, start, nt)
    other = _series(spec.revenue.other, start, nt)
    for account, values in (("fixed_opex", fixed), ("subscriptions", subs), ("other_revenue", other)):
        blocks.append((values[:, None], account, None, None))
    ledger = _ledger(blocks, start, nt, site_names, hw_names, site_rank, hw_rank)

    # ---- the monthly table ---------------------------------------------------------------------------------
    zero = np.zeros(nt)
    stranded = s_wait.sum(axis=1)
    waiting_install = s_fit.sum(axis=1)
    cols = {
        "accelerators": g_inst.sum(axis=1), "h100e": g_inst @ g_h100e, "h100e_available": actual / hours,
        "stranded": stranded, "waiting_power": stranded - waiting_install, "waiting_install": waiting_install,
        "stranded_accelerator_months": stranded, "capacity_mw": capacity.sum(axis=0), "halls_mw": halls.sum(axis=0),
        "capacity_shortfall_mw": s_shortfall.sum(axis=1), "it_power_mw": g_it.sum(axis=1) / hours,
        "facility_power_mw": g_facility.sum(axis=1) / hours, "peak_facility_power_mw": s_peak.sum(axis=1),
        "energy_mwh": g_facility.sum(axis=1), "grid_energy_mwh": s_energy.sum(axis=1), "onsite_energy_mwh": zero,
        "unserved_energy_mwh": zero, "failures": zero, "curtailed_h100e_hours": g_curt @ g_h100e,
        "unserved_h100e_hours": zero, "emissions_tco2": (s_energy * carbon).sum(axis=1),
        "water_m3": (s_it * water).sum(axis=1), "training_h100e_hours": g_training.sum(axis=1),
        "inference_h100e_hours": g_inference.sum(axis=1), "tokens": tokens, "unserved_tokens": zero,
        "purchased_energy_cost_usd": s_cost.sum(axis=1), "fuel_cost_usd": zero, "demand_charge_usd": zero,
        "generation_om_usd": zero, "lost_load_cost_usd": zero,
        "hardware_capex_usd": g_capex.sum(axis=1), "facility_capex_usd": fac_capex.sum(axis=0),
        "depreciation_usd": g_dep.sum(axis=1) + fac_dep.sum(axis=0),
        "opex_usd": fixed + g_maint.sum(axis=1), "lease_usd": zero,
        "revenue_usd": g_revenue.sum(axis=1) + subs + other, "inference_revenue_usd": g_revenue.sum(axis=1),
        "interest_usd": zero, "principal_usd": zero, "debt_drawn_usd": zero, "debt_balance_usd": zero,
        "capital_charge_usd": capital_charge,
        # no capacity contracts in these cases (contracts move hours and money; see docs/model.md)
        "sold_h100e_hours": zero, "bought_h100e_hours": zero, "contract_revenue_usd": zero, "contract_cost_usd": zero,
    }
    m = cols
    m["energy_cost_usd"] = m["purchased_energy_cost_usd"]
    energy_cost = m["energy_cost_usd"]
    m["operating_cost_usd"] = energy_cost + m["depreciation_usd"] + m["opex_usd"]
    m["tco_usd"] = capital_charge + energy_cost + m["opex_usd"]
    m["ebitda_usd"] = m["revenue_usd"] - (energy_cost + m["opex_usd"])
    m["operating_income_usd"] = m["revenue_usd"] - m["operating_cost_usd"]
    burn = energy_cost + m["hardware_capex_usd"] + m["facility_capex_usd"] + m["opex_usd"] - m["revenue_usd"]
    m["cash_burn_usd"] = burn
    m["cumulative_cash_usd"] = -np.cumsum(burn)
    raises = np.zeros(nt)
    for cash_raise in f.cash.raises:
        if cash_raise.month - start < nt:
            raises[cash_raise.month - start] += cash_raise.amount
    balance = f.cash.start + np.cumsum(raises) - np.cumsum(burn)
    m["cash_balance_usd"] = balance
    summed = np.concatenate([[0.0], np.cumsum(burn)])
    span = np.minimum(np.arange(nt) + 1, 3)
    trailing = (summed[1:] - summed[np.arange(1, nt + 1) - span]) / span
    with np.errstate(divide="ignore", invalid="ignore"):
        m["runway_months"] = np.where(balance <= 0, 0.0, np.where(trailing > 0, balance / trailing, np.nan))
        used = m["training_h100e_hours"] + m["inference_h100e_hours"]
        m["inference_cost_usd"] = np.where(used > 0, m["operating_cost_usd"] * m["inference_h100e_hours"] / used, 0.0)
        hours_avail = actual
        mtok = tokens / 1e6
        m["cost_per_h100e_hour_usd"] = np.where(hours_avail > 0, m["operating_cost_usd"] / hours_avail, np.nan)
        m["tco_per_h100e_hour_usd"] = np.where(hours_avail > 0, m["tco_usd"] / hours_avail, np.nan)
        m["cost_per_mtok_usd"] = np.where(mtok > 0, m["inference_cost_usd"] / mtok, np.nan)
        m["breakeven_price_per_mtok_usd"] = np.where(
            mtok > 0, (m["operating_cost_usd"] - (m["revenue_usd"] - m["inference_revenue_usd"])) / mtok, np.nan)
        rev = m["inference_revenue_usd"]
        m["gross_margin"] = np.where(rev > 0, (rev - m["inference_cost_usd"]) / rev, np.nan)
    period = pd.period_range(pd.Period(year=start // 12, month=start % 12 + 1, freq="M"), periods=nt, freq="M",
                             name="month")
    monthly = pd.DataFrame(m, index=period)

    # ---- the cohort table: one row per order -------------------------------------------------------------
    o_unit, o_h = hw_unit[o_hw], hw_h100e[o_hw]
    o_avail = o_inst * hours[:, None] * share[:, o_site]
    o_energy = o_avail * o_unit * draw[:, None] * pue.T[:, o_site]
    s_order_energy = np.zeros((nt, ns))
    np.add.at(s_order_energy.T, o_site, o_energy.T)
    with np.errstate(divide="ignore", invalid="ignore"):
        unit_cost = np.where(s_order_energy > 0, s_cost / s_order_energy, 0.0)
    o_energy_cost = o_energy * unit_cost[:, o_site]
    o_h100e = o_avail * o_h
    o_total = o_h100e.sum(axis=1, keepdims=True)
    o_revenue = np.where(o_total > 0, o_h100e / np.where(o_total > 0, o_total, 1.0), 0.0) \
        * m["inference_revenue_usd"][:, None]
    o_capex = np.zeros((nt, no))
    np.add.at(o_capex, (c_delivery[inside], owner[inside]), bought[inside])
    o_maint = on_books(bought * maintenance / 12.0, owner, no)
    o_dep = on_books(c_dep, owner, no)
    flows = o_revenue - o_energy_cost - o_maint - o_capex
    cumulative = np.cumsum(flows, axis=0)
    negative = cumulative < 0
    first_negative = np.where(negative.any(axis=0), negative.argmax(axis=0), nt)
    back = (cumulative >= 0) & (t_col >= first_negative)
    payback = np.where(back.any(axis=0), back.argmax(axis=0), -1)
    months_text = period.astype(str).to_numpy()
    discount = (1.0 + f.discount_rate) ** (-np.arange(nt + 1) / 12.0)
    residual = o_capex.sum(axis=0) - o_dep.sum(axis=0)
    delivered = np.zeros(no)
    np.add.at(delivered, owner[inside], c_count[inside])
    cohorts = pd.DataFrame({
        "order": np.arange(no), "name": [o.name or "" for o in orders], "hardware": [o.hardware for o in orders],
        "site": [o.site for o in orders], "acquisition": [o.acquisition for o in orders], "count": count,
        "delivered": delivered, "energised_peak": o_inst.max(axis=0) if nt else np.zeros(no),
        "capex_usd": o_capex.sum(axis=0), "lease_usd": np.zeros(no), "depreciation_usd": o_dep.sum(axis=0),
        "maintenance_usd": o_maint.sum(axis=0), "energy_cost_usd": o_energy_cost.sum(axis=0),
        "revenue_usd": o_revenue.sum(axis=0), "net_cash_usd": flows.sum(axis=0),
        "payback_month": np.where(payback >= 0, months_text[np.maximum(payback, 0)], ""),
        "npv_usd": flows.T @ discount[:-1] + residual * discount[-1],
    })

    # ---- the site and energy tables -------------------------------------------------------------------------
    s_h100e_avail = (g_h100e_hours @ g_site_of)
    site_cols = {
        "capacity_mw": capacity.T, "halls_mw": halls.T, "peak_facility_power_mw": s_peak,
        "facility_power_mw": s_facility / hours[:, None], "it_power_mw": s_it / hours[:, None],
        "capacity_shortfall_mw": s_shortfall, "accelerators": s_inst, "h100e": (g_inst * g_h100e) @ g_site_of,
        "h100e_available": s_h100e_avail / hours[:, None], "stranded": s_wait, "waiting_power": s_wait - s_fit,
        "waiting_install": s_fit, "stranded_accelerator_months": s_wait, "energy_mwh": s_facility,
        "unserved_energy_mwh": np.zeros((nt, ns)), "failures": np.zeros((nt, ns)),
        "curtailed_h100e_hours": (g_curt * g_h100e) @ g_site_of, "unserved_h100e_hours": np.zeros((nt, ns)),
    }
    sn = np.array(site_names, dtype=object)
    site_table = pd.DataFrame({"month": period.repeat(ns), "site": np.tile(sn, nt),
                               **{k: v.reshape(-1) for k, v in site_cols.items()}})
    energy = pd.DataFrame({
        "month": period[np.tile(np.arange(nt), ns)], "site": np.repeat(sn, nt), "source": "grid", "kind": "grid",
        "energy_mwh": s_energy.T.reshape(-1), "cost_usd": s_cost.T.reshape(-1),
        "emissions_tco2": (s_energy * carbon).T.reshape(-1),
    })
    return Floor(monthly, ledger, cohorts, site_table, energy, inst, wait, fit)


DIRECTION = {"hardware_capex": ("cost", "cash"), "hardware_depreciation": ("cost", "accrual"),
             "maintenance": ("cost", "both"), "inference_revenue": ("revenue", "both"), "energy": ("cost", "both"),
             "facility_capex": ("cost", "cash"), "facility_depreciation": ("cost", "accrual"),
             "fixed_opex": ("cost", "both"), "subscriptions": ("revenue", "both"),
             "other_revenue": ("revenue", "both")}


def _ledger(blocks, start: int, nt: int, site_names, hw_names, site_rank, hw_rank) -> pd.DataFrame:
    """Long form: one row per non-zero (month, account, site, hardware), sorted by those keys."""
    accounts = sorted(DIRECTION)
    month, account, site, hardware, amount = [], [], [], [], []
    for values, name, sites, hardwares in blocks:
        t, k = np.nonzero(values)
        month.append(t)
        account.append(np.full(len(t), accounts.index(name)))
        site.append(sites[k] if sites is not None else np.full(len(t), -1))
        hardware.append(hardwares[k] if hardwares is not None else np.full(len(t), -1))
        amount.append(values[t, k])
    month, account, site, hardware, amount = (np.concatenate(x) for x in (month, account, site, hardware, amount))
    site_key = np.where(site >= 0, site_rank[site], -1)
    hw_key = np.where(hardware >= 0, hw_rank[hardware], 0)
    order = np.lexsort((hw_key, site_key, account, month))
    names = np.array(accounts, dtype=object)
    direction = np.array([DIRECTION[a][0] for a in accounts], dtype=object)
    basis = np.array([DIRECTION[a][1] for a in accounts], dtype=object)
    site_text = np.array([*site_names, ""], dtype=object)
    hw_text = np.array([*hw_names, ""], dtype=object)
    account = account[order]
    months = pd.PeriodIndex.from_ordinals(month[order] + (start - 1970 * 12), freq="M")
    return pd.DataFrame({"month": months, "site": site_text[site[order]], "hardware": hw_text[hardware[order]],
                         "account": names[account], "direction": direction[account], "basis": basis[account],
                         "amount_usd": amount[order],
                         "owner": "", "user": ""})  # no owners named: every row is the unnamed owner's
