"""Output folders and files: fleetsim replaces only what it wrote, never its inputs, and leaves
nothing half-done or behind (issue 10, part 1 and the fault cases of part 8)."""

import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from fleetsim import interrupts
from fleetsim.cli.main import main
from fleetsim.errors import OutputError
from fleetsim.output import MARKER, default_folder, write_file, write_folder

ROOT = Path(__file__).resolve().parents[1]
SMALL = ROOT / "scenarios" / "neocloud-10k.yaml"
UNCERTAIN = ROOT / "scenarios" / "colossus-uncertain.yaml"
FLAGSHIP = ROOT / "scenarios" / "colossus.yaml"


def hidden_leftovers(folder: Path) -> list[str]:
    """Temporary or backup entries fleetsim might leave in ``folder`` (there must be none)."""
    return sorted(p.name for p in folder.iterdir() if ".tmp-" in p.name or ".old-" in p.name
                  or p.name.endswith(".tmp"))


@pytest.fixture
def study(tmp_path, monkeypatch):
    """A user's folder: study/campus.yaml (the scenario) and mydata/notes.txt (their own file)."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "study").mkdir()
    shutil.copy(SMALL, tmp_path / "study" / "campus.yaml")
    (tmp_path / "mydata").mkdir()
    (tmp_path / "mydata" / "notes.txt").write_text("three weeks of work\n")
    return tmp_path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------------------- the scenario's folder
@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]], ids=["plain", "overwrite"])
def test_run_never_replaces_the_folder_holding_its_scenario(study, capsys, overwrite):
    before = snapshot(study)
    assert main(["run", "study/campus.yaml", "-o", "study", "--quiet", *overwrite]) == 1
    err = capsys.readouterr().err
    assert "study" in err and "campus.yaml" in err and "an input of this run" in err
    assert "Traceback" not in err
    assert snapshot(study) == before
    assert hidden_leftovers(study) == [] and hidden_leftovers(study / "study") == []


def test_run_refuses_a_folder_it_did_not_write_and_overwrite_replaces_it(study, capsys):
    assert main(["run", "study/campus.yaml", "-o", "mydata", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "mydata" in err and "notes.txt" in err and "--overwrite" in err
    assert (study / "mydata" / "notes.txt").read_text() == "three weeks of work\n"
    assert main(["run", "study/campus.yaml", "-o", "mydata", "--quiet", "--overwrite"]) == 0
    assert not (study / "mydata" / "notes.txt").exists()
    assert (study / "mydata" / "monthly.csv").is_file()
    assert hidden_leftovers(study) == []


def test_a_folder_fleetsim_wrote_is_replaced_but_not_once_the_user_adds_a_file(study, capsys):
    assert main(["run", "study/campus.yaml", "-o", "runs/a", "--quiet"]) == 0
    marker = json.loads((study / "runs" / "a" / MARKER).read_text())
    assert marker["written_by"] == "fleetsim" and "monthly.csv" in marker["files"]
    assert main(["run", "study/campus.yaml", "-o", "runs/a", "--quiet", "--set", "seed=2"]) == 0
    assert json.loads((study / "runs" / "a" / "meta.json").read_text())["overrides"] == {"seed": 2}
    (study / "runs" / "a" / "my-chart.png").write_bytes(b"mine")
    assert main(["run", "study/campus.yaml", "-o", "runs/a", "--quiet"]) == 1
    assert "my-chart.png" in capsys.readouterr().err
    assert (study / "runs" / "a" / "my-chart.png").read_bytes() == b"mine"


def test_an_empty_folder_is_used(study):
    (study / "empty").mkdir()
    assert main(["run", "study/campus.yaml", "-o", "empty", "--quiet"]) == 0
    assert (study / "empty" / "monthly.csv").is_file()


@pytest.mark.parametrize("target", [".", "./", "..", "."], ids=["dot", "dot-slash", "parent", "dot-again"])
@pytest.mark.parametrize("overwrite", [[], ["--overwrite"]], ids=["plain", "overwrite"])
def test_the_current_folder_and_its_parents_are_never_replaced(study, capsys, target, overwrite):
    before = snapshot(study)
    assert main(["run", "study/campus.yaml", "-o", target, "--quiet", *overwrite]) == 1
    err = capsys.readouterr().err
    assert "current folder" in err and "Traceback" not in err
    assert snapshot(study) == before
    assert hidden_leftovers(study) == [] and hidden_leftovers(study.parent) == []


def test_a_file_the_scenario_extends_or_reads_is_never_replaced(study, capsys):
    (study / "base").mkdir()
    (study / "base" / "base.yaml").write_text(SMALL.read_text())
    (study / "inputs").mkdir()
    (study / "inputs" / "prices.csv").write_text("month,price\n2025-01,70 USD/MWh\n")
    child = study / "study" / "child.yaml"
    child.write_text("extends: ../base/base.yaml\nname: child\n")
    before = snapshot(study)
    for target in ("base", "study"):
        assert main(["run", str(child), "-o", target, "--quiet", "--overwrite"]) == 1
        err = capsys.readouterr().err
        assert "an input of this run" in err and target in err
    assert snapshot(study) == before


def test_input_files_lists_the_extends_chain_and_schedules(study):
    import fleetsim

    (study / "base.yaml").write_text(SMALL.read_text())
    (study / "mid.yaml").write_text("extends: base.yaml\nname: mid\n")
    (study / "top.yaml").write_text("extends: mid.yaml\nname: top\n")
    files = fleetsim.load(study / "top.yaml").input_files()
    assert files[:3] == tuple((study / n).resolve() for n in ("top.yaml", "mid.yaml", "base.yaml"))


# ------------------------------------------------------------------------------- every writing command
WRITERS = {
    "compare": lambda target: ["compare", "study/campus.yaml", str(SMALL), "-o", target],
    "sweep": lambda target: ["sweep", "study/campus.yaml", "--vary", "seed=1,2", "-o", target, "--quiet"],
    "draws": lambda target: ["run", str(UNCERTAIN), "--draws", "2", "--workers", "1", "-o", target, "--quiet"],
    "sensitivity": lambda target: ["sensitivity", str(UNCERTAIN), "--metric", "cash_burn_usd", "--samples", "0",
                                   "--workers", "1", "-o", target, "--quiet"],
}


@pytest.mark.parametrize("command", WRITERS)
def test_every_writing_command_refuses_a_foreign_folder(study, capsys, command):
    before = snapshot(study)
    assert main(WRITERS[command]("mydata")) == 1
    err = capsys.readouterr().err
    assert "mydata" in err and "--overwrite" in err
    assert snapshot(study) == before
    assert main([*WRITERS[command]("mydata"), "--overwrite"]) == 0
    assert not (study / "mydata" / "notes.txt").exists() and (study / "mydata" / MARKER).is_file()
    assert hidden_leftovers(study) == []


@pytest.mark.parametrize("command", ["compare", "sweep"])
def test_every_writing_command_protects_the_scenario(study, capsys, command):
    before = snapshot(study)
    assert main([*WRITERS[command]("study"), "--overwrite"]) == 1
    assert "an input of this run" in capsys.readouterr().err
    assert snapshot(study) == before


# ------------------------------------------------------------------------------- the report file
def test_report_replaces_only_its_own_file_and_never_the_scenario(study, stand_in_charts, capsys):
    (study / "mine.html").write_text("<html>my own page</html>")
    assert main(["report", "study/campus.yaml", "-o", "mine.html", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "mine.html" in err and "--overwrite" in err
    assert (study / "mine.html").read_text() == "<html>my own page</html>"
    assert main(["report", "study/campus.yaml", "-o", "r.html", "--quiet"]) == 0
    first = (study / "r.html").stat().st_mtime_ns
    assert main(["report", "study/campus.yaml", "-o", "r.html", "--quiet"]) == 0  # its own: replaced
    assert (study / "r.html").stat().st_mtime_ns >= first
    before = snapshot(study)
    assert main(["report", "study/campus.yaml", "-o", "study/campus.yaml", "--quiet", "--overwrite"]) == 1
    assert "an input of this run" in capsys.readouterr().err
    assert snapshot(study) == before
    assert main(["report", "study/campus.yaml", "-o", "mine.html", "--quiet", "--overwrite"]) == 0
    assert "fleetsim report" in (study / "mine.html").read_text()
    assert hidden_leftovers(study) == []


# ------------------------------------------------------------------------------- names are not paths
@pytest.mark.parametrize("name, folder", [("../../x", "_.._x"), ("/abs/victim", "_abs_victim"), (".", "scenario"),
                                          ("..", "scenario"), ("../index", "_index"), ("a/b", "a_b"),
                                          ("colossus", "colossus"), ("x\x1b[2J", "x__2J")])
def test_a_scenario_name_picks_a_folder_inside_out_never_a_path(name, folder):
    target = default_folder(name, "")
    assert target == Path("out") / folder
    assert target.parent == Path("out") and len(target.parts) == 2


# ------------------------------------------------------------------------------- umask
def test_folders_and_files_honour_the_umask(study, stand_in_charts):
    previous = os.umask(0o027)
    try:
        assert main(["run", "study/campus.yaml", "-o", "runs/u", "--quiet"]) == 0
        assert main(["report", "study/campus.yaml", "-o", "runs/u.html", "--quiet"]) == 0
    finally:
        os.umask(previous)
    assert (study / "runs" / "u").stat().st_mode & 0o777 == 0o750
    assert (study / "runs" / "u" / "monthly.csv").stat().st_mode & 0o777 == 0o640
    assert (study / "runs" / "u" / MARKER).stat().st_mode & 0o777 == 0o640
    assert (study / "runs" / "u.html").stat().st_mode & 0o777 == 0o640


# ------------------------------------------------------------------------------- the swap and its faults
def fill(folder: Path, text: str = "new") -> None:
    (folder / "table.csv").write_text(text)


def test_a_failed_second_rename_restores_the_previous_output(tmp_path, monkeypatch):
    target = tmp_path / "out"
    write_folder(target, lambda f: fill(f, "old"))
    real_rename = os.rename
    calls = []

    def flaky(src, dst):
        calls.append((src, dst))
        if len(calls) == 2:  # the new folder into place: fails
            raise OSError(errno.EIO, "Input/output error")
        return real_rename(src, dst)

    monkeypatch.setattr(os, "rename", flaky)
    with pytest.raises(OutputError, match="nothing was changed"):
        write_folder(target, fill)
    monkeypatch.setattr(os, "rename", real_rename)
    assert (target / "table.csv").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_an_interrupt_between_the_renames_is_held_until_the_swap_is_whole(tmp_path, monkeypatch):
    target = tmp_path / "out"
    write_folder(target, lambda f: fill(f, "old"))
    real_rename = os.rename
    calls = []

    def interrupted(src, dst):
        calls.append(src)
        real_rename(src, dst)
        if len(calls) == 1:
            os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C lands between the two renames

    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    monkeypatch.setattr(os, "rename", interrupted)
    try:
        with pytest.raises(KeyboardInterrupt):
            write_folder(target, fill)
    finally:
        signal.signal(signal.SIGINT, previous)
    assert (target / "table.csv").read_text() == "new"  # the swap completed before the interrupt landed
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]


def test_a_mount_point_is_refused_with_advice_and_nothing_left(tmp_path, monkeypatch):
    target = tmp_path / "mnt"
    write_folder(target, lambda f: fill(f, "old"))

    def busy(src, dst):
        raise OSError(errno.EBUSY, "Device or resource busy")

    monkeypatch.setattr(os, "rename", busy)
    with pytest.raises(OutputError, match="mount point") as info:
        write_folder(target, fill)
    assert "-o" in str(info.value)
    monkeypatch.undo()
    assert (target / "table.csv").read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mnt"]


def test_a_swallowed_interrupt_still_stops_the_write(tmp_path):
    previous = interrupts.install()
    try:
        interrupts._state["signal"] = signal.SIGINT  # as if a finaliser had swallowed the KeyboardInterrupt
        with pytest.raises(KeyboardInterrupt):
            write_folder(tmp_path / "out", fill)
        with pytest.raises(KeyboardInterrupt):
            write_file(tmp_path / "r.html", b"x", is_ours=lambda head: True)
    finally:
        interrupts.restore(previous)
    assert list(tmp_path.iterdir()) == []


def test_a_failing_writer_leaves_nothing(tmp_path):
    def broken(folder: Path) -> None:
        fill(folder)
        raise OSError(errno.ENOSPC, "No space left on device")

    with pytest.raises(OutputError, match="No space left"):
        write_folder(tmp_path / "out", broken)
    assert list(tmp_path.iterdir()) == []


def _race(target: str, rounds: int) -> None:
    for k in range(rounds):
        write_folder(target, lambda f, k=k: fill(f, f"{os.getpid()}-{k}"))


def test_racing_writers_never_leave_backups_or_a_half_folder(tmp_path):
    import multiprocessing

    target = tmp_path / "out"
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_race, args=(str(target), 25)) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(120)
    assert [w.exitcode for w in workers] == [0, 0, 0]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out"]
    assert sorted(p.name for p in target.iterdir()) == [MARKER, "table.csv"]


# ------------------------------------------------------------------------------- processes and signals
def cli(*args: str, cwd: Path, env: dict | None = None) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "fleetsim", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(stat.parent.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def wait_for(predicate, limit: float = 60.0) -> bool:
    """Poll ``predicate`` (a hang guard, not a speed test)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find worker processes")
def test_sigterm_during_draws_exits_143_and_leaves_no_temporary_files(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    # 100 draws: still seconds of draws after the workers appear, when the signal is sent (fleetsim
    # then ends its workers without waiting for their chunks: test_draw_batches)
    process = cli("run", str(UNCERTAIN), "--draws", "100", "--workers", "2", "-o", "d", cwd=tmp_path,
                  env={"TMPDIR": str(tmp)})
    assert wait_for(lambda: any(tmp.iterdir()) and len(children(process.pid)) >= 2)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 143, err
    assert "terminated; nothing was written" in err and "Traceback" not in err
    assert not (tmp_path / "d").exists() and hidden_leftovers(tmp_path) == []
    assert wait_for(lambda: list(tmp.iterdir()) == [], 10), list(tmp.iterdir())


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find worker processes")
def test_kill_9_of_fleetsim_does_not_leave_its_pool_workers_running(tmp_path):
    process = cli("run", str(UNCERTAIN), "--draws", "2000", "--workers", "2", "-o", "d", cwd=tmp_path)
    assert wait_for(lambda: len(children(process.pid)) >= 2)
    workers = children(process.pid)
    process.kill()
    process.communicate(timeout=60)
    assert wait_for(lambda: not any(alive(pid) for pid in workers), 30), "pool workers outlived fleetsim"


@pytest.mark.skipif(not Path("/proc").is_dir(), reason="needs /proc to find worker processes")
def test_ctrl_c_while_the_report_draws_its_charts_writes_nothing_and_ends_the_workers(tmp_path):
    """Ctrl-C at a terminal reaches the whole process group: fleetsim and the processes drawing
    its charts (fleetsim.faces.plots.render). The workers leave it to fleetsim, which ends them."""
    process = subprocess.Popen([sys.executable, "-m", "fleetsim", "report", str(FLAGSHIP), "-o", "r.html"],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               start_new_session=True)
    assert wait_for(lambda: len(children(process.pid)) >= 2)  # the chart workers (a report without draws)
    workers = children(process.pid)
    os.killpg(process.pid, signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 130, err
    assert "interrupted; nothing was written" in err and "Traceback" not in err, err
    assert not (tmp_path / "r.html").exists() and hidden_leftovers(tmp_path) == []
    assert wait_for(lambda: not any(alive(pid) for pid in workers), 30), "chart workers outlived fleetsim"


def fleetsim_frames(err: str) -> list[str]:
    """Traceback lines in fleetsim's own code (the editable-install hook belongs to Python's site)."""
    import re

    return re.findall(r'File "[^"]*/fleetsim/[^"]*"', err)


@pytest.mark.parametrize("delay", [0.0, 0.05, 0.1, 0.2, 0.4, 0.8])
def test_ctrl_c_at_any_moment_of_start_up_gives_no_traceback(tmp_path, delay):
    """From fleetsim's first line on, Ctrl-C never gives a traceback. (Before it, while the
    interpreter itself starts — ``site``, ``runpy`` — Python prints its own; no package can catch
    that, and nothing has been written then.)"""
    process = cli("run", str(SMALL), "-o", "o", cwd=tmp_path)
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=120)
    assert fleetsim_frames(err) == [], err
    if "Traceback" in err:  # the interpreter's own start-up (site, runpy, importing the package) was interrupted
        assert "<frozen" in err or "Could not import runpy module" in err, err
    else:
        assert process.returncode in (0, 130, -signal.SIGINT), err
    if process.returncode == 130:
        assert "interrupted" in err
        assert not (tmp_path / "o").exists() or "after writing" in err
    assert hidden_leftovers(tmp_path) == []


def test_an_interrupt_inside_the_import_system_is_delivered_again_outside_it(monkeypatch):
    """A signal that lands in importlib's own code (a module lock's release) is not raised there,
    where C code can print it as a traceback and swallow it: it is recorded and sent again 10 ms
    later. Anywhere else it raises at once."""
    import types

    sent = []
    monkeypatch.setattr(interrupts.os, "kill", lambda pid, signum: sent.append((pid, signum)))
    monkeypatch.setitem(interrupts._state, "signal", None)
    in_importlib = types.SimpleNamespace(f_code=types.SimpleNamespace(co_filename="<frozen importlib._bootstrap>"))
    interrupts._handler(signal.SIGINT, in_importlib)  # does not raise
    assert interrupts.interrupted() == signal.SIGINT
    deadline = time.monotonic() + 5
    while not sent and time.monotonic() < deadline:
        time.sleep(0.005)
    assert sent == [(os.getpid(), signal.SIGINT)]
    elsewhere = types.SimpleNamespace(f_code=types.SimpleNamespace(co_filename=__file__))
    with pytest.raises(interrupts.Terminated):
        interrupts._handler(signal.SIGTERM, elsewhere)


def test_an_interrupt_swallowed_while_charts_draw_stops_the_report(study, stand_in_charts, monkeypatch, capsys):
    import fleetsim.faces.plots

    real = fleetsim.faces.plots.render_all  # the stand-in: what matters is the flag left set after the charts

    def swallowing(result, on_chart=None, workers=None):
        images = real(result, on_chart, workers)
        interrupts._state["signal"] = signal.SIGINT  # the KeyboardInterrupt vanished inside a callback
        return images

    monkeypatch.setattr(fleetsim.faces.plots, "render_all", swallowing)
    assert main(["report", "study/campus.yaml", "-o", "r.html", "--quiet"]) == 130
    assert "interrupted; nothing was written" in capsys.readouterr().err
    assert not (study / "r.html").exists() and hidden_leftovers(study) == []


def test_a_full_disk_is_a_message_not_a_traceback(study, monkeypatch, capsys):
    import fleetsim.io

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", "/tmp/x/monthly.csv")

    monkeypatch.setattr(fleetsim.io, "write_tables", full)
    assert main(["run", "study/campus.yaml", "-o", "runs/full", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "runs/full" in err
    assert not (study / "runs" / "full").exists() and hidden_leftovers(study / "runs") == []


def test_a_full_temporary_disk_during_draws_is_a_message(study, monkeypatch, capsys):
    import pyarrow.parquet as pq

    class Full(pq.ParquetWriter):
        def write_table(self, *args, **kwargs):
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(pq, "ParquetWriter", Full)
    assert main(["run", str(UNCERTAIN), "--draws", "2", "--workers", "1", "-o", "d", "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "TMPDIR" in err and "Traceback" not in err
    assert not (study / "d").exists() and hidden_leftovers(study) == []
