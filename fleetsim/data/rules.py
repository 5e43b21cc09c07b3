"""The documented rules that turn an Epoch AI site into fleetsim inputs: which chip an H100e step
is, on what basis Epoch counts H100 equivalents, and which PUE an operator class gets.

None of these is fitted to a site: each is one rule for every site, written out in
``docs/sites.md`` with its sources.
"""

from __future__ import annotations

import datetime as dt
import math
import re

from fleetsim.catalog import H100_8BIT_OPS

HYPERSCALERS = ("Alibaba", "Amazon", "Google", "Meta", "Microsoft")
"""Owners that design and run their own fleets of data centers (operator class ``hyperscaler``)."""

PUE = {
    "hyperscaler": (1.10, "hyperscaler PUE 1.10: Google's fleet-wide annual PUE 1.10 (Google 2024 Environmental "
                          "Report, for 2023); Epoch AI's training-cost method uses 1.10 for hyperscalers (estimate)"),
    "other": (1.25, "PUE 1.25 for operators other than hyperscalers: Epoch AI's training-cost method "
                    "(estimate; industry surveys give 1.4-1.6 for air-cooled colocation)"),
}
"""Operator class → (PUE, its source). One value per class, never per site."""

NVIDIA_STEPS = ((dt.date(2024, 11, 1), "GB200"), (dt.date(2023, 1, 1), "H100"), (dt.date(1900, 1, 1), "A100"))
"""Chips for sites of owners without their own silicon: the newest NVIDIA generation in volume at
the row's date. Blackwell (GB200) from 2024-11, NVIDIA's fiscal Q4 2025 (Nov 2024 - Jan 2025), the
first quarter of Blackwell revenue (11 GUSD, NVIDIA results of 2025-02-26); Hopper (H100) from
2023-01 (H100 shipments began in Q4 2022, NVIDIA, 2022-09-20); Ampere (A100) before, standing in
for older GPUs too."""

TPU_STEPS = ((dt.date(2025, 11, 6), "TPU-v7"), (dt.date(2024, 5, 14), "TPU-v6e"), (dt.date(2023, 12, 6), "TPU-v5p"),
             (dt.date(1900, 1, 1), "TPU-v4"))
"""Google's sites: the newest TPU released on or before the row's date (release dates from
Epoch's ml_hardware.csv: v7 2025-11-06, v6e 2024-05-14, v5p 2023-12-06; v4 before, standing in
for older TPUs)."""

TRAINIUM = "Trainium2"
"""Amazon's sites (Project Rainier): Trainium2 (GA 2024-12-03, Epoch's ml_hardware.csv); every
non-zero Amazon row is dated after it."""

EPOCH_NAMES = {"A100": "NVIDIA A100 SXM4 80 GB", "H100": "NVIDIA H100 SXM5 80GB", "GB200": "NVIDIA GB200",
               "TPU-v4": "Google TPU v4", "TPU-v5p": "Google TPU v5p", "TPU-v6e": "Google TPU v6e Trillium",
               "TPU-v7": "Google TPU v7 Ironwood", "Trainium2": "Amazon Trainium2"}
"""fleetsim catalog name → Epoch's hardware name in ml_hardware.csv."""



def operator_class(owner: str) -> str:
    """``hyperscaler`` for the owners in :data:`HYPERSCALERS`, else ``other``.

    >>> operator_class("Google Cloud"), operator_class("xAI")
    ('hyperscaler', 'other')
    """
    return "hyperscaler" if owner.split()[0] in HYPERSCALERS else "other"


FAMILIES = {"A100": "A100", "H100": "H100", "H200": "H100", "B200": "GB200", "GB200": "GB200"}
"""NVIDIA chips a row's note may name with a count ("150k H100s and 50k H200s") → the catalog
entry of their generation (Ampere A100; Hopper H100, whose H200 has the same power and
throughput; Blackwell GB200)."""

_COUNTED = re.compile(r"\d[\d,.]*\s*k?\s+(GB200|B200|H200|H100|A100)s?\b")


def named_chip(note: str) -> str | None:
    """The NVIDIA generation a row's note names with counts, if it names exactly one.

    >>> named_chip("150k H100s and 50k H200s online."), named_chip("30k B200s added"), named_chip("chillers")
    ('H100', 'GB200', None)
    """
    found = {FAMILIES[name] for name in _COUNTED.findall(note)}
    return found.pop() if len(found) == 1 else None


def chip(owner: str, when: dt.date, note: str = "") -> str:
    """The catalog chip an H100e step of ``owner``'s site on ``when`` is made of: Trainium2 for
    Amazon, the TPU of the date for Google; for every other owner the NVIDIA generation the
    row's ``note`` names with counts, else the one of the date.

    >>> chip("Amazon", dt.date(2025, 6, 23)), chip("Google Cloud", dt.date(2021, 8, 27))
    ('Trainium2', 'TPU-v4')
    >>> chip("xAI", dt.date(2024, 9, 2)), chip("xAI", dt.date(2025, 10, 19))
    ('H100', 'GB200')
    """
    first = owner.split()[0]
    if first == "Amazon":
        return TRAINIUM
    if first != "Google" and (named := named_chip(note)) is not None:
        return named
    steps = TPU_STEPS if first == "Google" else NVIDIA_STEPS
    return next(name for since, name in steps if when >= since)


def epoch_h100e(name: str) -> tuple[float, str]:
    """H100 equivalents of one ``name`` chip on Epoch's basis (dense 8-bit OP/s ÷ 1.979e15), and
    where the figure comes from.

    >>> round(epoch_h100e("TPU-v4")[0], 4), round(epoch_h100e("GB200")[0], 4)
    (0.139, 2.5265)
    """
    from fleetsim.data.epoch import hardware_table

    row = hardware_table().loc[EPOCH_NAMES[name]]
    candidates = [(row["INT8 performance (OP/s)"], "INT8"), (row["FP8 performance (FLOP/s)"], "FP8")]
    value, label = max(((v, lab) for v, lab in candidates if isinstance(v, float) and not math.isnan(v)),
                       key=lambda item: item[0])
    source = f"{label} {value / 1e12:,.0f} TOP/s ÷ 1,979 (Epoch ml_hardware.csv, '{EPOCH_NAMES[name]}')"
    return float(value) / H100_8BIT_OPS, source
