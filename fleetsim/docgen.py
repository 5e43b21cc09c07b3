"""``python -m fleetsim.docgen``: the reference-docs generator's command (it lives in
:mod:`fleetsim.faces.docgen`; this entry point keeps the documented command unchanged)."""

from __future__ import annotations

if __name__ == "__main__":
    import sys

    from fleetsim.faces.docgen import main

    sys.exit(main())
