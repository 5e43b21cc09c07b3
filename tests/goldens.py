"""Golden files: the headline figures of every shipped scenario and the key outputs of every
notebook, pinned in ``tests/golden/`` and compared with a tolerance by tests/test_golden.py and
tests/test_notebooks.py (see tests/golden/README.md).

After a change that moves them on purpose, regenerate them and review the diff before committing::

    python tests/golden/regen.py
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
REGENERATE = "python tests/golden/regen.py"
REL = 1e-9  # the runs are deterministic: only the order of a floating-point sum may move the last digits
ABS = 1e-6  # figures that should be zero may come out as -1e-10 after a different summation order

# a number as a notebook prints it: 1,234.5, -0.25, 3e+09, 12 % (the minus sign may be U+2212)
NUMBER = re.compile(r"(?<![\w.])[-+\u2212]?\d[\d,]*(?:\.\d+)?(?:[eE][-+]?\d+)?")


def close(now: float | None, pinned: float | None, rel: float = REL, abs_: float = ABS) -> bool:
    """Equal within the tolerance; a NaN (written ``null``) only equals a NaN.

    >>> close(1.0 + 1e-12, 1.0), close(1.001, 1.0), close(float("nan"), None), close(0.0, None)
    (True, False, True, False)
    """
    now_nan = now is None or (isinstance(now, float) and math.isnan(now))
    pinned_nan = pinned is None or (isinstance(pinned, float) and math.isnan(pinned))
    if now_nan or pinned_nan:
        return now_nan and pinned_nan
    return math.isclose(now, pinned, rel_tol=rel, abs_tol=abs_)


def differences(now: dict, pinned: dict, prefix: str = "") -> list[str]:
    """Every place where ``now`` departs from ``pinned``: a key missing or new, a number out of
    tolerance, any other value unequal.

    >>> differences({"a": 1.0, "b": {"c": "x"}}, {"a": 1.0 + 1e-12, "b": {"c": "x"}})
    []
    >>> differences({"a": 1.1, "n": 2}, {"a": 1.0, "c": 3})
    ['a: 1.1, pinned 1.0 (+10 %)', 'c: missing, pinned 3', 'n: 2, not pinned']
    """
    found = []
    for key in sorted(set(now) | set(pinned)):
        name = f"{prefix}{key}"
        if key not in now:
            found.append(f"{name}: missing, pinned {pinned[key]!r}")
        elif key not in pinned:
            found.append(f"{name}: {now[key]!r}, not pinned")
        elif isinstance(now[key], dict) and isinstance(pinned[key], dict):
            found += differences(now[key], pinned[key], f"{name}.")
        elif _number(now[key]) and _number(pinned[key]):
            if not close(now[key], pinned[key]):
                found.append(f"{name}: {now[key]!r}, pinned {pinned[key]!r}{_percent(now[key], pinned[key])}")
        elif now[key] != pinned[key]:
            found.append(f"{name}: {now[key]!r}, pinned {pinned[key]!r}")
    return found


def text_differences(now: str, pinned: str) -> list[str]:
    """Where a printed text departs from its pinned copy: the words must be the same (runs of
    white space count as one space) and each number within the tolerance.

    >>> text_differences("cost  1,234.50 USD\\n", "cost 1,234.50 USD")
    []
    >>> text_differences("cost 1,300.00 USD in 2025", "cost 1,234.50 USD in 2025")
    ['1,300.00 where 1,234.50 was pinned (number 1 of 2)']
    >>> text_differences("cost 1 USD", "price 1 USD")
    ["the words differ: 'cost # USD' where 'price # USD' was pinned"]
    """
    words_now, words_pinned = _words(now), _words(pinned)
    if words_now != words_pinned:
        return [f"the words differ: {_excerpt(words_now, words_pinned)!r} where "
                f"{_excerpt(words_pinned, words_now)!r} was pinned"]
    numbers_now, numbers_pinned = NUMBER.findall(now), NUMBER.findall(pinned)
    return [f"{a} where {b} was pinned (number {i} of {len(numbers_now)})"
            for i, (a, b) in enumerate(zip(numbers_now, numbers_pinned, strict=True), 1)
            if not close(_parse(a), _parse(b))]


def read(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def write(path: Path, content: dict) -> None:
    """Write a golden file (sorted keys, one value a line, NaN as null) so that its diff is readable."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(_nulls(content), indent=2, ensure_ascii=False, allow_nan=False) + "\n",
                    encoding="utf-8")


def _number(value) -> bool:
    return value is None or (isinstance(value, int | float) and not isinstance(value, bool))


def _percent(now: float | None, pinned: float | None) -> str:
    return f" ({100 * (now / pinned - 1):+.3g} %)" if now is not None and pinned else ""


def _parse(text: str) -> float:
    return float(text.replace(",", "").replace("\u2212", "-"))


def _words(text: str) -> str:
    return " ".join(NUMBER.sub("#", text).split())


def _excerpt(text: str, other: str, width: int = 60) -> str:
    """The part of ``text`` around its first difference from ``other``."""
    at = next((i for i, (a, b) in enumerate(zip(text, other, strict=False)) if a != b), min(len(text), len(other)))
    start = max(0, at - width // 2)
    return ("…" if start else "") + text[start:start + width] + ("…" if start + width < len(text) else "")


def _nulls(value):
    if isinstance(value, dict):
        return {k: _nulls(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_nulls(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value
