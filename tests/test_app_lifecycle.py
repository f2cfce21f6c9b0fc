"""``llq app`` under a service manager: SIGTERM to the ``llq`` process alone stops Voila and every
kernel (the preheated one and a visitor's), frees the port within 10 s, and exits 128 + 15; a port
that is already taken is refused at once with one line naming the process. No browser needed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

psutil = pytest.importorskip("psutil")
pytest.importorskip("voila")

ROOT = Path(__file__).resolve().parents[1]
LLQ = [sys.executable, "-c", "import sys; from llq_analysis.cli import main; sys.exit(main())"]


def _kernels(proc: psutil.Process) -> list[psutil.Process]:
    try:
        kids = proc.children(recursive=True)
    except psutil.Error:
        return []
    return [k for k in kids if "ipykernel" in " ".join(k.cmdline())]


def _wait(cond, timeout: float, step: float = 0.2):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        v = cond()
        if v:
            return v
        time.sleep(step)
    return None


@pytest.mark.slow
def test_sigterm_to_llq_stops_voila_and_all_kernels(tmp_path):
    from llq_analysis.outputs.dashboard import free_port, port_in_use

    port = free_port()
    log = tmp_path / "app.log"
    with open(log, "w") as fh:  # NOT a new session for llq: it must do the process handling itself
        app = subprocess.Popen([*LLQ, "app", "--port", str(port), "--no-browser", "--no-estimate",
                                "--preheat", "1"], cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL)
    llq = psutil.Process(app.pid)
    try:
        def serving():
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/llq-readiness-probe", timeout=2)
            except urllib.error.HTTPError as exc:
                return exc.code in (403, 404)
            except OSError:
                return False
            return False

        assert _wait(serving, 120, 0.25), f"app not serving:\n{log.read_text()[-3000:]}"
        assert _wait(lambda: _kernels(llq), 60), "no preheated kernel started"
        # a visitor: takes the preheated kernel; Voila starts a new one to refill the pool
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=120) as r:
            assert r.status == 200
        assert _wait(lambda: len(_kernels(llq)) >= 2, 60), "the pool was not refilled"
        tree = llq.children(recursive=True)
        assert len(tree) >= 3  # Voila + two kernels
        t0 = time.monotonic()
        app.send_signal(signal.SIGTERM)  # the llq process only
        code = app.wait(timeout=10)
        _, alive = psutil.wait_procs(tree, timeout=max(0.1, 10 - (time.monotonic() - t0)))
        free = _wait(lambda: port_in_use(port) is None, max(0.1, 10 - (time.monotonic() - t0)), 0.1)
        took = time.monotonic() - t0
    finally:
        for p in [llq, *llq.children(recursive=True)] if app.poll() is None else []:
            p.kill()
    assert code == 128 + signal.SIGTERM, log.read_text()[-2000:]
    assert not alive, f"still running after SIGTERM: {[(p.pid, p.cmdline()[:3]) for p in alive]}"
    assert free, f"port {port} still taken: {port_in_use(port)}"
    print(f"llq app stopped with Voila and {len(tree) - 1} kernel(s) in {took:.1f} s")
    assert took < 10


def test_port_in_use_is_refused_with_one_line(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        t0 = time.monotonic()
        r = subprocess.run([*LLQ, "app", "--port", str(port), "--no-browser", "--no-estimate"], cwd=ROOT,
                           capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert r.returncode == 1
    err = [ln for ln in r.stderr.splitlines() if ln.strip()]
    assert len(err) == 1, r.stderr
    assert f"port {port}" in err[0] and "already in use" in err[0] and "--port 0" in err[0]
    assert f"process {os.getpid()}" in err[0]  # this test process holds it
    assert time.monotonic() - t0 < 30


def test_app_env_caches_bytecode_outside_the_sources(tmp_path):
    from llq_analysis.outputs.dashboard import app_env

    env = app_env({"PYTHONDONTWRITEBYTECODE": "1", "LLQ_CACHE_DIR": str(tmp_path), "PATH": "/bin"})
    assert "PYTHONDONTWRITEBYTECODE" not in env and env["PYTHONPYCACHEPREFIX"] == str(tmp_path / "pycache")
    assert env["PATH"] == "/bin"
    kept = app_env({"PYTHONDONTWRITEBYTECODE": "1", "PYTHONPYCACHEPREFIX": "/elsewhere"})
    assert kept["PYTHONDONTWRITEBYTECODE"] == "1" and kept["PYTHONPYCACHEPREFIX"] == "/elsewhere"
    assert "PYTHONPYCACHEPREFIX" not in app_env({})  # default Python behaviour untouched
