"""Serving the explorer: the Voila command line, a free port, the port check, and :func:`serve`,
which runs Voila under supervision so that a service manager can stop it cleanly.

Process model of ``llq app``: Voila runs in its own session (process group); jupyter_client starts
every kernel in a session of its own. :func:`serve` forwards SIGTERM, SIGINT and SIGHUP to Voila
as SIGTERM/SIGINT (Voila then shuts its kernels down itself, preheated ones included), waits
``grace`` seconds, then kills Voila's process group and every process that Voila started and
that is still alive (remembered while it runs; on Linux ``llq`` is also a child subreaper, so an
orphaned kernel becomes its child). ``llq`` then exits with 128 + the signal number. If ``llq``
is killed outright (SIGKILL), Linux sends Voila SIGTERM (parent-death signal), so the kernels are
still shut down.
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

from ... import paths

__all__ = ["free_port", "voila_argv", "port_in_use", "app_env", "estimate_in_subprocess", "serve",
           "FORWARDED_SIGNALS"]

#: signals ``llq app`` passes on to Voila (the one Voila gets: SIGINT stays SIGINT, the rest SIGTERM)
FORWARDED_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for tests and ``llq app --port 0``)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def voila_argv(*, port: int = 8866, open_browser: bool = False, base_url: str = "/", ip: str = "127.0.0.1",
               preheat: int = 0, notebook: str | os.PathLike | None = None) -> list[str]:
    """The command that serves ``notebooks/app.ipynb`` with Voila (standalone: no token).

    ``preheat`` > 0 keeps that many kernels with the notebook already executed (Voila's
    ``--preheat_kernel``/``--pool_size``); Voila refills the pool when a visitor takes one.
    """
    nb = Path(notebook) if notebook is not None else paths.NOTEBOOK_DIR / "app.ipynb"
    if not nb.exists():
        raise FileNotFoundError(f"{nb}: the app notebook is missing")
    port = free_port() if port == 0 else int(port)
    if not base_url.startswith("/"):
        base_url = "/" + base_url
    if not base_url.endswith("/"):
        base_url += "/"
    argv = [sys.executable, "-m", "voila", str(nb), f"--port={port}", f"--Voila.ip={ip}",
            f"--base_url={base_url}", "--Voila.port_retries=0", "--theme=light",
            "--VoilaConfiguration.show_tracebacks=False"]
    argv.append("--Voila.open_browser=" + ("True" if open_browser else "False"))
    if preheat > 0:
        argv += ["--preheat_kernel=True", f"--pool_size={int(preheat)}"]
    return argv


def port_in_use(port: int, ip: str = "127.0.0.1") -> str | None:
    """None if ``ip:port`` can be bound, else one line: which process holds it (if known)."""
    with socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as tornado: TIME_WAIT is fine
        try:
            s.bind((ip, int(port)))
            return None
        except OSError as exc:
            if exc.errno != errno.EADDRINUSE:
                return f"port {port} on {ip} cannot be used: {exc.strerror}"
    return f"port {port} on {ip} is already in use{_holder(port)}; stop that process or choose " \
           "another port (--port 0 picks a free one)"


def _holder(port: int) -> str:
    try:
        import psutil

        for c in psutil.net_connections(kind="inet"):
            if c.laddr and c.laddr.port == int(port) and c.status == psutil.CONN_LISTEN and c.pid:
                p = psutil.Process(c.pid)
                cmd = " ".join(p.cmdline()[:4]) or p.name()
                return f" by process {c.pid} ({cmd[:80]})"
    except Exception:  # psutil missing or access denied: the holder stays unnamed
        return ""
    return ""


def app_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """Environment for Voila and its kernels.

    When ``PYTHONDONTWRITEBYTECODE`` is set (and no ``PYTHONPYCACHEPREFIX``), every kernel would
    compile pandas, ipywidgets and the package from source again (measured: ~1.4 s of a 3.6 s
    explorer build). The bytecode then goes to ``$LLQ_CACHE_DIR/pycache`` (default
    ``~/.cache/llq_analysis/pycache``) instead: nothing is written next to the sources.
    """
    env = dict(os.environ if base is None else base)
    env.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")
    if env.get("PYTHONDONTWRITEBYTECODE") and not env.get("PYTHONPYCACHEPREFIX"):
        root = Path(env.get("LLQ_CACHE_DIR") or Path(env.get("XDG_CACHE_HOME") or Path.home() / ".cache")
                    / "llq_analysis")
        env.pop("PYTHONDONTWRITEBYTECODE")
        env["PYTHONPYCACHEPREFIX"] = str(root / "pycache")
    return env


def estimate_in_subprocess(env: Mapping[str, str] | None = None, timeout: float = 600) -> str | None:
    """Fill the effect cache (:func:`~.effects.estimate_effects`) in a separate process, so the
    long-running ``llq app`` supervisor never holds pyfixest/numba (~120 MB). Returns None on
    success, else the last line of the error."""
    code = "from llq_analysis.outputs.dashboard.effects import estimate_effects; estimate_effects()"
    try:
        r = subprocess.run([sys.executable, "-c", code], env=None if env is None else dict(env),
                           capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return str(exc)
    if r.returncode != 0:
        lines = [ln for ln in (r.stderr or "").strip().splitlines() if ln.strip()]
        return lines[-1] if lines else f"exit code {r.returncode}"
    return None


def _become_subreaper() -> bool:
    """Linux: orphaned descendants (a kernel whose Voila died) are re-parented to this process."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(36, 1, 0, 0, 0) == 0  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        return False


def _stop_with_parent() -> None:  # runs in the child between fork and exec
    """Linux: Voila gets SIGTERM when ``llq`` dies, even by SIGKILL (PR_SET_PDEATHSIG), so it
    still shuts its kernels down."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM), 0, 0, 0)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass


def _descendants(pid: int) -> dict[int, float]:
    """pid -> create time of every process below ``pid`` (empty without psutil)."""
    try:
        import psutil

        return {c.pid: c.create_time() for c in psutil.Process(pid).children(recursive=True)}
    except Exception:
        return {}


def _kill_remembered(seen: Mapping[int, float], grace: float) -> None:
    """SIGTERM, then after ``grace`` s SIGKILL, to every remembered process still alive (same pid
    and create time, so a reused pid is never hit)."""
    try:
        import psutil
    except ImportError:
        return
    alive = []
    for pid, created in seen.items():
        with contextlib.suppress(psutil.Error):
            p = psutil.Process(pid)
            if abs(p.create_time() - created) < 1e-3:
                alive.append(p)
    for p in alive:
        with contextlib.suppress(psutil.Error):
            p.terminate()
    _, rest = psutil.wait_procs(alive, timeout=grace)
    for p in rest:
        with contextlib.suppress(psutil.Error):
            p.kill()
    psutil.wait_procs(rest, timeout=grace)


def serve(argv: Sequence[str], *, env: Mapping[str, str] | None = None, grace: float = 8.0,
          log=None) -> int:
    """Run Voila (``argv``) until it ends or this process gets SIGTERM, SIGINT or SIGHUP.

    Returns Voila's exit code, or 128 + signal number after a signal (the shell convention, so a
    service manager sees why it ended). After a signal Voila has ``grace`` seconds to shut its
    kernels down; then its process group and every process it started are killed.
    """
    log = log or (lambda msg: print(f"llq app: {msg}", file=sys.stderr, flush=True))
    _become_subreaper()
    got: list[int] = []
    previous = {}

    def on_signal(signum, _frame):
        if not got:
            got.append(signum)

    for sig in FORWARDED_SIGNALS:
        previous[sig] = signal.signal(sig, on_signal)
    seen: dict[int, float] = {}
    try:
        proc = subprocess.Popen(list(argv), env=None if env is None else dict(env), start_new_session=True,
                                preexec_fn=_stop_with_parent if sys.platform.startswith("linux") else None)
        seen_at = 0.0
        while proc.poll() is None and not got:
            with contextlib.suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=0.2)
            if time.monotonic() - seen_at > 1.0:  # remember the kernels while Voila runs
                seen.update(_descendants(proc.pid))
                seen_at = time.monotonic()
        if got:
            signum = got[0]
            seen.update(_descendants(proc.pid))
            log(f"{signal.Signals(signum).name} received: stopping Voila and its kernels ...")
            t0 = time.monotonic()
            with contextlib.suppress(ProcessLookupError):
                proc.send_signal(signal.SIGINT if signum == signal.SIGINT else signal.SIGTERM)
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                log(f"Voila did not stop within {grace:g} s: killing it")
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
            _kill_remembered(seen, grace=2.0)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)  # anything left in Voila's own group
            _reap(seen)
            log(f"stopped in {time.monotonic() - t0:.1f} s")
            return 128 + int(signum)
        code = int(proc.returncode)
        _kill_remembered(seen, grace=2.0)  # Voila ended by itself: no kernel may outlive it
        _reap(seen)
        return code
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _reap(seen: Mapping[int, float]) -> None:
    """Collect remembered processes that were re-parented to us and have exited (no zombies)."""
    for pid in seen:
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)
