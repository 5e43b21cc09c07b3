"""What every command does first: read the scenario (with ``--set`` overrides) and check the
output folder before any work."""

from __future__ import annotations

from pathlib import Path


def load_scenario(path: str, overrides: list[tuple[str, str]]):
    from fleetsim.errors import Location, Problem, ScenarioError
    from fleetsim.scenario.load import load
    from fleetsim.scenario.yamlread import read_text

    scenario = load(path)
    if not overrides:
        return scenario
    changes = {}
    for key, text in overrides:
        origin = f"--set {key}={text}"
        try:
            changes[key] = read_text(text, origin).data
        except ScenarioError as exc:
            raise ScenarioError([Problem(f"the value is not valid YAML: {p.message}", tuple(key.split(".")),
                                         Location(origin), text, True) for p in exc.problems]) from None
    return scenario.override(changes, origin="--set")


def output_folder(scenarios, output: str | None, suffix: str, overwrite: bool) -> tuple[Path, tuple[Path, ...]]:
    """The output folder (``-o`` or ``out/<name><suffix>``) and the inputs it must never replace,
    checked before any work so that a refused folder costs nothing."""
    from fleetsim.output import check_folder, default_folder

    scenarios = scenarios if isinstance(scenarios, list) else [scenarios]
    target = Path(output) if output is not None else default_folder(scenarios[0].name, suffix)
    protect = tuple(p for scenario in scenarios for p in scenario.input_files())
    check_folder(target, overwrite=overwrite, protect=protect)
    return target, protect
