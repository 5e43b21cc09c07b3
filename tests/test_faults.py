"""Faults outside fleetsim: a Dask scheduler with no workers, an address that never speaks Dask
(issue 10, part 8). Each is a message and exit 1 within seconds, never a hang or a traceback."""

import socket
import threading
from pathlib import Path

import pytest

from fleetsim.cli.main import main
from fleetsim.uncertainty.executors import CONNECT_SECONDS

ROOT = Path(__file__).resolve().parents[1]
UNCERTAIN = ROOT / "scenarios" / "colossus-uncertain.yaml"


@pytest.fixture
def silent_server():
    """A TCP port that accepts connections and never says a word."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    accepted = []
    stop = threading.Event()

    def serve() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"tcp://127.0.0.1:{server.getsockname()[1]}", accepted
    stop.set()
    thread.join(5)
    for connection in accepted:
        connection.close()
    server.close()


def test_an_address_that_never_speaks_dask_is_refused_in_seconds(silent_server, tmp_path, capsys, monkeypatch):
    import fleetsim.uncertainty.executors as executors

    assert CONNECT_SECONDS == 5.0  # the deadline users get; this test waits for a shorter one
    monkeypatch.setattr(executors, "CONNECT_SECONDS", 1.0)
    address, accepted = silent_server
    code = main(["run", str(UNCERTAIN), "--draws", "2", "--scheduler", address, "-o", str(tmp_path / "d"),
                 "--quiet"])
    err = capsys.readouterr().err
    assert code == 1 and accepted, err
    assert f"{address} did not answer as a Dask scheduler within 1 s" in err
    assert "Traceback" not in err and not (tmp_path / "d").exists()


def test_a_scheduler_without_workers_is_a_message(tmp_path, capsys, monkeypatch):
    from dask.distributed import LocalCluster

    import fleetsim.uncertainty.executors as executors

    monkeypatch.setattr(executors, "CONNECT_SECONDS", 2.0)  # waits for a worker that never comes: 2 s, not 5
    with LocalCluster(n_workers=0, processes=False, dashboard_address=":0") as cluster:
        code = main(["run", str(UNCERTAIN), "--draws", "2", "--scheduler", cluster.scheduler_address,
                     "-o", str(tmp_path / "d"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 1, err
    assert "has no workers" in err and "dask worker" in err and "Traceback" not in err
    assert not (tmp_path / "d").exists()
