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
"""The H100 reference throughput, FLOP/s: dense BF16 of the H100 SXM, the basis of H100
equivalents (``h100e = flops ÷ H100_FLOPS``) and of training compute per H100e-hour. Source:
NVIDIA H100 Tensor Core GPU datasheet (2023-05), BF16 Tensor Core 1,979 TFLOPS with sparsity,
dense half of it, 989 TFLOPS; the catalog's H100 entry (hardware.yaml) cites the same and a test
checks the two agree. Every use in fleetsim refers to this name."""
H100_8BIT_OPS = 1.979e15
"""Epoch AI's H100 equivalent, OP/s: the H100 SXM's dense 8-bit throughput (NVIDIA H100
datasheet, 2023-05: FP8 3,958 TFLOPS with sparsity, 1,979 dense), the basis of the H100e counts in
Epoch's data hubs (fleetsim/data/). Not the BF16 basis above: for Hopper both give the same
H100e, for other chips they differ (docs/sites.md)."""


def h100e_of(h100e: float | None, flops: float | None) -> float:
    """An accelerator's H100 equivalents: the ``h100e`` it states, else ``flops ÷ H100_FLOPS``
    (FLOP/s; 0 without either). The one rule for catalog entries, scenario hardware and shipments.

    >>> h100e_of(None, 2.25e15), h100e_of(3.0, 2.25e15)
    (2.2750252780586453, 3.0)
    """
    if h100e is not None:
        return float(h100e)
    return flops / H100_FLOPS if flops else 0.0



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
