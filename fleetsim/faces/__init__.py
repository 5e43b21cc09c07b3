"""The faces: everything that shows a result to a person (see docs/architecture.md).

HTML views and tables (``display``), the report page (``report``), charts (``plots``,
``scoring_charts``, ``calibration_charts``) and the reference-docs generator (``docgen``). The
core imports none of these except through the lazy hooks listed in docs/architecture.md.
"""
