"""ci/lower-bounds.txt pins every dependency of pyproject.toml at its declared lower bound, so that
.ci/lower-bounds (which installs with those pins and runs a fast subset of the tests) tests the
bounds users are promised (docs/development.md, "Dependency lower bounds")."""

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
# Pinned but not named in pyproject: dask[distributed] brings distributed of the same release.
ALSO_PINNED = {"distributed": "dask"}


def declared() -> dict[str, Version]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"].values()
    requirements = [*project["dependencies"], *(r for extra in extras for r in extra)]
    bounds = {}
    for text in requirements:
        requirement = Requirement(text)
        lower = [Version(s.version) for s in requirement.specifier if s.operator == ">="]
        assert len(lower) == 1, f"pyproject.toml: {text!r} needs one lower bound (>=)"
        bounds[canonicalize_name(requirement.name)] = lower[0]
    return bounds


def pinned() -> dict[str, Version]:
    text = (ROOT / "ci" / "lower-bounds.txt").read_text(encoding="utf-8")
    return {canonicalize_name(name): Version(version)
            for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+)\s*$", text, flags=re.M)}


def test_every_dependency_is_pinned_at_its_lower_bound():
    bounds, pins = declared(), pinned()
    assert {name: pins.get(name) for name in bounds} == bounds, \
        "ci/lower-bounds.txt must pin each dependency of pyproject.toml at its >= bound"


def test_nothing_else_is_pinned():
    bounds, pins = declared(), pinned()
    extra = set(pins) - set(bounds)
    assert extra == set(ALSO_PINNED), f"pins for packages pyproject.toml does not name: {sorted(extra)}"
    for name, parent in ALSO_PINNED.items():
        assert pins[name] == pins[parent], f"{name} is released with {parent}: pin the same version"


def test_the_script_installs_with_the_pins():
    script = (ROOT / ".ci" / "lower-bounds").read_text(encoding="utf-8")
    assert '-c ci/lower-bounds.txt -e ".[dev]"' in script
    assert "pytest" in script
