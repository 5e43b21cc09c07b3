"""Shared helpers: a small scenario built in code, loaded through the real scenario language."""

from __future__ import annotations

import textwrap

import pytest

import fleetsim

BASE = """\
name: test
start: 2024-01
months: {months}
seed: {seed}
hardware:
  TEST:
    like: H100
    price: 40000 USD
    life: {life}
    failure_rate: {failure_rate}
sites:
  s1:
    pue: 1.25
    capacity: {capacity}
    electricity: {{price: 0.08 USD/kWh}}
{site_extra}
orders:
{orders}
operations:
  utilization: 0.8
  training_share: 0.5
  power_draw: {{busy: 0.75, idle: 0.25}}
  repair_time: {repair}
{tail}
"""


def make_text(months=12, seed=1, life="4 years", failure_rate=0.0, capacity="1 GW", site_extra="",
              orders="  - {hardware: TEST, count: 1000, site: s1, delivery: 2024-01}", repair="5 days",
              tail="") -> str:
    return BASE.format(months=months, seed=seed, life=life, failure_rate=failure_rate, capacity=capacity,
                       site_extra=textwrap.indent(site_extra, "    ") if site_extra else "",
                       orders=orders, repair=repair, tail=tail)


@pytest.fixture
def make_scenario(tmp_path):
    """Build a Scenario from keyword overrides of the base text (written to a file in tmp_path)."""

    def build(**kwargs):
        path = tmp_path / "scenario.yaml"
        path.write_text(make_text(**kwargs))
        return fleetsim.load(path)

    return build
