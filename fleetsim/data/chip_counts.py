"""Epoch AI's chip counts: AI accelerators shipped per quarter, by owner and chip type.

Shipped in ``epoch-ai-chip-counts-2026-04/`` (unmodified copies of ``owners_csv_export`` files of
``epoch-research/ai-chip-counts``, commit d1b1bc3 of 2026-04-22, MIT licence in ``LICENSE``
beside them; estimates generated 2026-03-31 to 2026-04-22). Each row is one owner's units of one
chip type shipped in one calendar quarter, with a median and a 5th–95th percentile range:

- ``nvidia_owners_quarters_by_chip.csv``: Microsoft, Meta, Amazon, Google, Oracle and China;
- ``nvidia_owners_OTHER_quarters_by_chip.csv``: the remainder ("Other": everyone else except
  xAI and CoreWeave, estimated separately);
- ``coreweave_owners_quarters_by_chip.csv``: CoreWeave (from ``owners_csv_export/coreweave/``);
- ``amd_owners_quarters_by_chip.csv``: Microsoft, Meta, Oracle, China and Other;
- ``tpu_owners_quarters_by_chip.csv``: Google's TPUs; ``trainium_owners_quarters_by_chip.csv``:
  Amazon's Trainium;
- ``xai_chip_quantities.csv``: xAI's chips at Colossus 1 and 2 on dated rows (cumulative counts,
  company disclosures and estimates): their increases are xAI's shipments.

Cite as: Epoch AI, "AI chip sales and ownership" (ai-chip-counts, epoch.ai/data/ai-chip-sales),
data as of 2026-04-22 (commit d1b1bc3).

>>> rows = shipment_rows()
>>> sorted({r.owner for r in rows})
['Amazon', 'China', 'CoreWeave', 'Google', 'Meta', 'Microsoft', 'Oracle', 'Other', 'xAI']
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from statistics import NormalDist

from fleetsim.errors import Location, Problem

FOLDER = Path(__file__).with_name("epoch-ai-chip-counts-2026-04")
DATASET = "epoch-ai-chip-counts-2026-04"
"""The shipped data set's name (``shipments: {data: ...}``)."""
VINTAGE = "2026-04-22"
CITATION = ('Epoch AI, "AI chip sales and ownership", epoch-research/ai-chip-counts (commit d1b1bc3, '
            '2026-04-22), MIT licence')
FILES = ("nvidia_owners_quarters_by_chip.csv", "nvidia_owners_OTHER_quarters_by_chip.csv",
         "coreweave_owners_quarters_by_chip.csv", "amd_owners_quarters_by_chip.csv",
         "tpu_owners_quarters_by_chip.csv", "trainium_owners_quarters_by_chip.csv")
XAI_FILE = "xai_chip_quantities.csv"

CHIP_NAMES = {
    "H100/H200": "H100", "B200": "GB200", "B300": "GB300",
    "Instinct MI250X": "MI250X", "Instinct MI300A": "MI300A", "Instinct MI300X": "MI300X",
    "Instinct MI308X": "MI308X", "Instinct MI325X": "MI325X", "Instinct MI350X": "MI350X",
    "Instinct MI355X": "MI355X", "TPU v4": "TPU-v4", "TPU v4i": "TPU-v4i", "TPU v5e": "TPU-v5e",
    "TPU v5p": "TPU-v5p", "TPU v6e": "TPU-v6e", "TPU v7": "TPU-v7",
}
"""Epoch's chip type → the catalog entry, where the names differ. "H100/H200" (Epoch counts them
together) is the H100 entry: the H200 has the H100's compute and 700 W board power. Epoch's "B200"
and "B300" are the GB200 and GB300 entries: the counts give them 1,200 W and 1,400 W per unit and
2.53 H100e (Total TDP and H100e over units), the GB200/GB300 NVL72 parts' figures, not the HGX
boards' (1,000 W and 1,100 W; 2.28 H100e on the catalog's BF16 basis)."""

Z95 = NormalDist().inv_cdf(0.95)


@dataclass(frozen=True)
class ShipmentRow:
    """One owner's units of one chip type shipped in one quarter (months as integers, year × 12 + month − 1)."""

    owner: str
    designer: str
    chip: str            # as the data names it
    first: int           # first month of the quarter (or the month of a dated row)
    last: int
    p5: float
    median: float
    p95: float
    file: str
    line: int

    def units(self, quantile: float = 0.5) -> float:
        """Units at ``quantile`` of the row's range: see :func:`units_at`."""
        return units_at(self.p5, self.median, self.p95, quantile)


def units_at(p5: float, median: float, p95: float, quantile: float) -> float:
    """Units at ``quantile`` of a range given by its 5th, 50th and 95th percentiles: a split
    lognormal through the three (each side its own spread), ``median × (p95 ÷ median)^(z ÷ 1.645)``
    above the median and ``median × (median ÷ p5)^(z ÷ 1.645)`` below, z the standard normal
    quantile; linear in z where a percentile is zero.

    >>> units_at(50, 100, 400, 0.5), units_at(50, 100, 400, 0.95), round(units_at(50, 100, 400, 0.05), 9)
    (100.0, 400.0, 50.0)
    >>> round(units_at(50, 100, 400, NormalDist().cdf(Z95 / 2)), 6)   # halfway up in z: the geometric mean
    200.0
    """
    z = NormalDist().inv_cdf(quantile) / Z95
    bound = p95 if z >= 0 else p5
    if median <= 0 or bound <= 0:
        return max(0.0, median + (bound - median) * abs(z))
    return float(median * (bound / median) ** abs(z))


def _month(text: str) -> int:
    m, _, y = text.split("/")
    return int(y) * 12 + int(m) - 1


def _number(text: str) -> float:
    return float(text.replace(",", "")) if text.strip() else math.nan


@cache
def shipment_rows(path: str | None = None) -> tuple[ShipmentRow, ...]:
    """Every row of the shipped data set (``path`` None), or of a CSV file in the same columns as
    Epoch's ``*_owners_quarters_by_chip.csv`` (``Owner``, ``Chip manufacturer``, ``Start date``,
    ``End date`` as M/D/YYYY, ``Chip type``, ``Number of Units (median)`` or ``Number of Units``, and
    the ``(5th percentile)`` and ``(95th percentile)`` columns). Raises :class:`ValueError` with
    a :class:`~fleetsim.errors.Problem` per bad row (file and line)."""
    rows: list[ShipmentRow] = []
    problems: list[Problem] = []
    files = [FOLDER / name for name in FILES] if path is None else [Path(path)]
    for file in files:
        rows += _read(file, problems)
    if path is None:
        rows += _xai_rows()
    if problems:
        raise ShipmentDataError(problems)
    return tuple(rows)


class ShipmentDataError(ValueError):
    """Rows of a shipment file that cannot be read; ``problems`` name the file and line."""

    def __init__(self, problems: list[Problem]):
        super().__init__("; ".join(p.message for p in problems))
        self.problems = problems


EXAMPLE_ROW = ("Microsoft,Nvidia,1/1/2024,3/31/2024,H100/H200,150000,120000,190000 (Owner, Chip manufacturer, "
               "Start date, End date, Chip type, Number of Units (median), 5th and 95th percentiles)")


def _read(file: Path, problems: list[Problem]) -> list[ShipmentRow]:
    out = []
    try:
        handle = file.open(newline="", encoding="utf-8")
    except OSError as exc:
        problems.append(Problem(f"cannot read the shipment file {file}: {exc.strerror}", ("shipments", "data"),
                                Location(str(file))))
        return out
    with handle:
        reader = csv.DictReader(handle)
        fields = reader.fieldnames or []
        median = "Number of Units (median)" if "Number of Units (median)" in fields else "Number of Units"
        need = ["Owner", "Start date", "End date", "Chip type", median, "Number of Units (5th percentile)",
                "Number of Units (95th percentile)"]
        missing = [name for name in need if name not in fields]
        if missing:
            problems.append(Problem(f"the shipment file lacks the column(s) {', '.join(missing)}; a row reads "
                                    f"{EXAMPLE_ROW}", ("shipments", "data"), Location(str(file), 1, 1)))
            return out
        for row in reader:
            line = reader.line_num
            try:
                first, last = _month(row["Start date"]), _month(row["End date"])
                values = [_number(row[c]) for c in (need[5], median, need[6])]
            except (ValueError, AttributeError):
                problems.append(Problem(f"row {line}: a date or a number cannot be read (dates M/D/YYYY, such as "
                                        f"1/1/2024; units as numbers); a row reads {EXAMPLE_ROW}",
                                        ("shipments", "data"), Location(str(file), line, 1)))
                continue
            p5, mid, p95 = values
            if math.isnan(mid) or mid < 0:
                problems.append(Problem(f"row {line}: the median units must be a number, zero or more; got "
                                        f"{row[median]!r}", ("shipments", "data"), Location(str(file), line, 1)))
                continue
            p5 = mid if math.isnan(p5) else p5
            p95 = mid if math.isnan(p95) else p95
            out.append(ShipmentRow(row["Owner"].strip(), (row.get("Chip manufacturer") or "").strip(),
                                   row["Chip type"].strip(), first, last, p5, mid, p95, str(file), line))
    return out


def _xai_rows() -> list[ShipmentRow]:
    """xAI's dated cumulative counts per site and chip as shipments: each row's increase over the
    site's previous row of that chip, in the row's month (a company disclosure or Epoch's estimate;
    no percentile range, so p5 = median = p95)."""
    file = FOLDER / XAI_FILE
    rows, seen = [], {}
    with file.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        records = [(row["Date"], row["Data center"], row["Chip type"], _number(row["Number of Units"]),
                    reader.line_num) for row in reader]
    for date, site, chip, units, line in sorted(records):
        y, m, _ = date.split("-")
        month = int(y) * 12 + int(m) - 1
        added = units - seen.get((site, chip), 0.0)
        seen[(site, chip)] = units
        if added > 0:
            rows.append(ShipmentRow("xAI", "Nvidia", chip, month, month, added, added, added, str(file), line))
    return rows


def catalog_name(chip: str) -> str:
    """The catalog entry for a chip type as the data names it."""
    return CHIP_NAMES.get(chip, chip)
