"""Real-world data shipped with fleetsim, and what fleetsim makes of it.

``epoch-data-centers-2025-12/``: Epoch AI's Frontier Data Centers hub (vintage 2025-12-14,
CC BY 4.0, see its ``LICENSE.md``): 16 sites, 112 dated rows, and Epoch's ML hardware table.
``epoch-ai-chip-counts-2026-04/``: Epoch AI's ai-chip-counts (MIT, ``LICENSE`` beside it): chips
shipped per quarter by owner and chip type with 5th-95th percentile ranges (read by
:mod:`fleetsim.data.chip_counts` for the ``shipments:`` section) and xAI's chips by type.

>>> import fleetsim.data
>>> len(fleetsim.data.sites())
16
"""

from __future__ import annotations

from fleetsim.data.epoch import CITATION, LICENCE, VINTAGE, VINTAGE_DATE, UnknownSite, names, resolve, sites, timeline
from fleetsim.data.site_scenario import site_observations, site_scenario, slug

__all__ = ["CITATION", "LICENCE", "VINTAGE", "VINTAGE_DATE", "UnknownSite", "names", "resolve", "site_observations",
           "site_scenario", "sites", "slug", "timeline", "xai_chips"]


def xai_chips():
    """xAI's chips by type at Colossus 1 and 2 on dated rows (Epoch AI, ai-chip-counts, commit
    d1b1bc3 of 2026-04-22, MIT): ``date, site, chip, units, source`` (company disclosure or estimate)."""
    from pathlib import Path

    import pandas as pd

    raw = pd.read_csv(Path(__file__).with_name("epoch-ai-chip-counts-2026-04") / "xai_chip_quantities.csv")
    return pd.DataFrame({"date": pd.to_datetime(raw["Date"]).dt.date, "site": raw["Data center"],
                         "chip": raw["Chip type"], "units": raw["Number of Units"],
                         "source": raw["Number of Units source"]})
