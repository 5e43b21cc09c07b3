"""``fleetsim compare``: headline figures of scenarios side by side (:func:`fleetsim.compare`)."""

from __future__ import annotations

import json
from pathlib import Path

from fleetsim import figures, formats
from fleetsim.cli.common import output_folder
from fleetsim.faces.console import print_json, terminal


def compare(paths: list[str], output: str | None, as_json: bool = False, overwrite: bool = False) -> int:
    """Print the comparison table; with ``output``, write ``compare.csv`` there atomically."""
    import math

    from rich.table import Table

    from fleetsim.comparison import compare as compare_scenarios
    from fleetsim.scenario.load import load

    scenarios = [load(path) for path in paths]
    if output is not None:
        target, protect = output_folder(scenarios, output, "", overwrite)
    table = compare_scenarios(scenarios)
    units = {"figure": None, "unit": None, **{str(c): "row's unit" for c in table.columns if c != "unit"}}
    units.update({str(c): "" for c in table.columns if " / " in str(c)})
    if output is not None:
        from fleetsim.output import write_folder

        def write(folder: Path) -> None:
            from fleetsim.tables import json_ready

            table.to_csv(folder / "compare.csv")
            meta = {"scenarios": {s.name: str(s.path) for s in scenarios}, "fleetsim_command": "compare",
                    "row_units": table["unit"].to_dict(), "columns": {"compare.csv": units}}
            (folder / "meta.json").write_text(json.dumps(json_ready(meta), indent=2, allow_nan=False) + "\n")

        write_folder(target, write, overwrite=overwrite, protect=protect)
    if as_json:
        print_json({"output": output, "units": table["unit"].to_dict(),
                    "figures": table.drop(columns="unit").to_dict(orient="index")})
        return 0
    shown = Table(title="Comparison (differences and ratios to the first scenario; money in MUSD)",
                  title_justify="left")
    shown.add_column("figure", no_wrap=True)
    for column in table.columns:
        shown.add_column(str(column), justify="left" if column == "unit" else "right")
    for key, row in table.iterrows():
        figure = figures.FIGURES[str(key)]
        cells = []
        for column, value in row.items():
            if column == "unit":
                cells.append(figure.shown)
            elif isinstance(value, float) and math.isnan(value):
                cells.append("")
            elif isinstance(value, float) and " / " in str(column):
                cells.append(formats.number(value, 3))
            elif isinstance(value, float):
                cells.append(formats.compact(value * figure.scale))
            else:
                cells.append(str(value))
        shown.add_row(str(key), *cells)
    terminal().print(shown)
    return 0
