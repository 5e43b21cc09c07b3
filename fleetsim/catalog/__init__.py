"""The built-in hardware catalog: one entry per accelerator, every value with source and date.

The data lives in ``hardware.yaml`` beside this module. Each field is a mapping
``{value, source, date, estimate?, note?}``; :func:`catalog_values` gives the bare values in
the scenario language's form (``{"power": "700 W", ...}``) and :func:`catalog_sources` the rest.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

CATALOG_FILE = Path(__file__).with_name("hardware.yaml")
H100_FLOPS = 989e12
"""Dense BF16 throughput of the H100 SXM in FLOP/s: the basis of H100 equivalents."""


@cache
def _raw() -> dict[str, dict[str, Any]]:
    from fleetsim.scenario.yamlread import read_file

    return read_file(CATALOG_FILE).data


def catalog_values() -> dict[str, dict[str, Any]]:
    """Catalog entries as scenario-language ``hardware:`` mappings (values only)."""
    entries = {}
    for name, fields in _raw().items():
        entries[name] = {key: (item["value"] if isinstance(item, dict) else item)
                         for key, item in fields.items()}
    return entries


def catalog_sources() -> dict[str, dict[str, dict[str, Any]]]:
    """For each entry and field, the value's ``source``, ``date`` and optional ``estimate``/``note``."""
    return {name: {key: {k: v for k, v in item.items() if k != "value"}
                   for key, item in fields.items() if isinstance(item, dict)}
            for name, fields in _raw().items()}
