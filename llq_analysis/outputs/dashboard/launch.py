"""Serving the explorer: the Voila command line for ``notebooks/app.ipynb`` and a free port."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path

from ... import paths


def free_port() -> int:
    """A free TCP port on 127.0.0.1 (for tests and ``llq app --port 0``)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def voila_argv(*, port: int = 8866, open_browser: bool = False, base_url: str = "/", ip: str = "127.0.0.1",
               preheat: int = 0, notebook: str | os.PathLike | None = None) -> list[str]:
    """The command that serves ``notebooks/app.ipynb`` with Voila (standalone: no token)."""
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
