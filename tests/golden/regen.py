"""Rewrite the golden files in tests/golden/ from the current code: every shipped scenario's
headline figures and every notebook's key outputs. Review the diff before committing it.

    python tests/golden/regen.py            # everything
    python tests/golden/regen.py -k colossus  # extra arguments go to pytest
"""

import sys
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]

if __name__ == "__main__":
    sys.exit(pytest.main([str(TESTS / "test_golden.py"), str(TESTS / "test_notebooks.py"), "--regen-golden",
                          "-q", "-p", "no:cacheprovider", *sys.argv[1:]]))
