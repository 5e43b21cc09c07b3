"""Every code snippet of the README and docs/ runs (docs/development.md, "Snippets run").

Each page's fenced blocks run in order, in one temporary folder holding a copy of scenarios/, with
one namespace for its Python: ```yaml scenarios are loaded and simulated, ```python executed,
```pycon checked as doctests, each ``$ fleetsim ...`` line of a ```console block goes through the
CLI and must exit 0 (or N, with a comment ``# exits N``; any output lines shown must appear in what it
printed), ```csv observations
are read by fleetsim's reader. An HTML comment before a block says what else it is:
``<!-- snippet: file NAME -->`` (written to the folder, then checked as above),
``<!-- snippet: synopsis -->`` (usage lines: commands and options must exist) or
``<!-- snippet: fragment (why) -->`` (not run, counted below so that none is skipped silently).
"""

import doctest
import re
import shlex
import shutil
import warnings
from dataclasses import dataclass
from pathlib import Path

import pytest

import fleetsim
from fleetsim.cli.main import _parser, main

ROOT = Path(__file__).resolve().parents[1]
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
GENERATED = {"cli.md", "scenario-reference.md"}  # their bare blocks are usage synopses
MARKER = re.compile(r"^<!-- snippet: (file|synopsis|fragment)(?: (.*?))? -->$")
FENCE = re.compile(r"^(\s*)(`{3,})([\w-]*)\s*$")

# Blocks not run, page by page: change a count only together with the block and its reason.
FRAGMENTS = {"architecture.md": 1, "development.md": 1, "uncertainty.md": 1, "benchmarks.md": 1, "record.md": 1}


@dataclass
class Block:
    page: str
    line: int  # 1-based line of the opening fence
    lang: str
    body: str
    kind: str  # quickstart, file, synopsis, fragment, yaml, python, pycon, console, csv
    arg: str = ""

    @property
    def where(self) -> str:
        return f"{self.page}:{self.line}"


def blocks(page: Path) -> list[Block]:
    """The fenced blocks of a page with what each is."""
    lines = page.read_text(encoding="utf-8").splitlines()
    found, i, section = [], 0, ""
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            section = lines[i] if lines[i].startswith("## ") else section
            i += 1
            continue
        indent, fence, lang = opening.groups()
        end = next((j for j in range(i + 1, len(lines)) if lines[j].strip() == fence), None)
        assert end is not None, f"{page.name}:{i + 1}: a code block that never closes"
        body = "\n".join(line[len(indent):] for line in lines[i + 1:end]) + "\n"
        before = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
        marker = MARKER.match(before)
        if marker:
            kind, arg = marker.group(1), marker.group(2) or ""
        elif before == "<!-- quickstart:begin -->":
            kind, arg = "quickstart", ""
        elif page.name in GENERATED and not lang:
            kind, arg = "synopsis", ""
        elif page.name == "README.md" and section == "## Architecture":
            kind, arg = "tree", ""  # the faces' section, kept as its owner writes it
        else:
            kind, arg = lang, ""
        found.append(Block(page.name, i + 1, lang, body, kind, arg))
        i = end + 1
    return found


ALL = [block for page in PAGES for block in blocks(page)]


def test_every_block_says_what_it_is():
    """A block without a runnable language or a marker fails: nothing is skipped silently."""
    runnable = {"quickstart", "tree", "file", "synopsis", "fragment", "yaml", "python", "pycon", "console", "csv"}
    unknown = [f"{b.where} (```{b.lang})" for b in ALL if b.kind not in runnable]
    assert not unknown, ("give these blocks a language that runs (yaml, python, pycon, console, csv) or a "
                         "<!-- snippet: ... --> marker (docs/development.md): " + ", ".join(unknown))
    assert all(b.arg for b in ALL if b.kind in ("file", "fragment")), "file and fragment markers need a name/reason"


def test_fragments_are_counted():
    counted = {}
    for b in ALL:
        if b.kind == "fragment":
            counted[b.page] = counted.get(b.page, 0) + 1
    assert counted == FRAGMENTS, "fragments (blocks not run) changed; update FRAGMENTS only with a stated reason"


def test_most_snippets_run():
    """A floor on what runs, so that marking blocks as fragments cannot quietly take over."""
    run = [b for b in ALL if b.kind not in ("fragment",)]
    assert len(run) >= 40 and len(run) >= 8 * sum(FRAGMENTS.values()), len(run)


# --------------------------------------------------------------------------- running a page
def _commands(body: str) -> list[tuple[str, list[str]]]:
    """(command line, output lines shown after it) of a console block; ``\\`` continues a line."""
    commands, pending = [], None
    for line in body.splitlines():
        if pending is not None:
            pending += " " + line.rstrip("\\").strip()
            if not line.endswith("\\"):
                commands.append((pending, []))
                pending = None
        elif line.startswith("$ "):
            text = line[2:].strip()
            if text.endswith("\\"):
                pending = text.rstrip("\\").strip()
            else:
                commands.append((text, []))
        elif line.strip():
            assert commands, f"output before any command: {line!r}"
            commands[-1][1].append(line)
    return commands


def _run_console(block: Block, capsys) -> None:
    commands = _commands(block.body)
    assert commands, f"{block.where}: a console block without a `$ ` command"
    for text, shown in commands:
        argv = shlex.split(text, comments=True)
        assert argv[0] == "fleetsim", f"{block.where}: only fleetsim commands run here; mark {text!r} a fragment"
        exits = re.search(r"#\s*exits (\d+)\s*$", text)
        expected = int(exits.group(1)) if exits else 0
        capsys.readouterr()
        code = main(argv[1:])
        out, err = capsys.readouterr()
        assert code == expected, f"{block.where}: `{text}` exited {code}, not {expected}:\n{err[-2000:]}"
        printed = " ".join((out + err).split())
        for line in shown:
            if line.strip() != "...":
                assert " ".join(line.split()) in printed, f"{block.where}: `{text}` no longer prints {line!r}"


def _check_synopsis(block: Block) -> None:
    commands = _parser()._subparsers._group_actions[0].choices
    lines = [line for line in block.body.splitlines() if line.strip()]
    assert lines, block.where
    current = None
    for line in lines:
        words = line.split()
        if words[0] == "fleetsim":
            assert words[1] in commands, f"{block.where}: no command {words[1]!r}"
            current = commands[words[1]]
        assert current is not None, f"{block.where}: a synopsis starts with `fleetsim COMMAND`"
        known = {o for action in current._actions for o in action.option_strings}
        for option in re.findall(r"(?<![\w-])(--?[a-z][\w-]*)", line):
            assert option in known, f"{block.where}: `fleetsim {current.prog.split()[-1]}` has no option {option}"


def _check_tree(block: Block) -> None:
    """The architecture's file tree names only modules and folders that exist."""
    package = ROOT / "fleetsim"
    names = {p.name for p in package.rglob("*")} | {"fleetsim"}
    folders = re.findall(r"^\s*(\w+)/", block.body, flags=re.M)
    files = re.findall(r"\b(\w+\.(?:py|txt|yaml))\b", block.body)
    assert folders and files, f"{block.where}: no file tree"
    for name in folders + files:
        assert name in names, f"{block.where}: the tree names {name!r}, which is not in fleetsim/"


def _check_quickstart(block: Block, capsys) -> None:
    lines = [line for line in block.body.splitlines() if line.strip()]
    assert len(lines) == 2, "the quickstart holds exactly two command lines (.ci/run reads them)"
    install, run = lines[0].split(" && ")
    assert install == 'python -m pip install -e ".[dev]"'
    assert lines[1] == "python -m pytest"
    assert run.startswith("fleetsim run scenarios/")
    _run_console(Block(block.page, block.line, "console", f"$ {run}\n", "console"), capsys)


def _load_and_simulate(path: Path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", fleetsim.FleetsimWarning)
        return fleetsim.simulate(fleetsim.load(path))


def _check_observations(path: Path, block: Block) -> None:
    from fleetsim.scoring import observations

    scenario = fleetsim.load(Path("scenarios/colossus.yaml"))
    table = observations.read(path, scenario).table
    assert len(table), f"{block.where}: no observations"


def _run(block: Block, folder: Path, namespace: dict, capsys) -> None:
    kind = block.kind
    if kind == "file":
        (folder / block.arg).write_text(block.body, encoding="utf-8")
        if block.arg.endswith((".yaml", ".yml")):
            _load_and_simulate(folder / block.arg)
        elif block.lang == "csv":
            _check_observations(folder / block.arg, block)
    elif kind == "yaml":
        path = folder / f"snippet-{block.line}.yaml"
        path.write_text(block.body, encoding="utf-8")
        _load_and_simulate(path)
    elif kind == "csv":
        path = folder / f"snippet-{block.line}.csv"
        path.write_text(block.body, encoding="utf-8")
        _check_observations(path, block)
    elif kind == "python":
        exec(compile(block.body, block.where, "exec"), namespace)
    elif kind == "pycon":
        test = doctest.DocTestParser().get_doctest(block.body, namespace, block.where, block.page, block.line)
        runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
        runner.run(test, clear_globs=False)
        namespace.update(test.globs)  # DocTest works on a copy of the namespace
        assert runner.failures == 0, f"{block.where}: the doctest's output differs (see the captured output)"
    elif kind == "console":
        _run_console(block, capsys)
    elif kind == "synopsis":
        _check_synopsis(block)
    elif kind == "tree":
        _check_tree(block)
    elif kind == "quickstart":
        _check_quickstart(block, capsys)


@pytest.mark.parametrize("page", [p for p in PAGES if any(b.kind != "fragment" for b in blocks(p))],
                         ids=lambda p: p.name)
def test_page_snippets_run(page, tmp_path, monkeypatch, capsys):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    shutil.copytree(ROOT / "scenarios", tmp_path / "scenarios")
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"__name__": f"snippets_{page.stem}"}
    try:
        for block in blocks(page):
            if block.kind != "fragment":
                _run(block, tmp_path, namespace, capsys)
    finally:
        plt.close("all")
