"""The platform as real processes, for tests and benchmarks: start one, wait until it answers
/healthz, stop it with everything it started (gunicorn's workers, a queue worker)."""
from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.request
from pathlib import Path


def start(command: list[str], *, env: dict, cwd, log_path: Path) -> subprocess.Popen:
    """`command` in a session of its own (so stopping it stops its children), output to `log_path`."""
    with open(log_path, "w") as log:  # the child keeps its own copy of the file
        return subprocess.Popen(command, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT,
                                start_new_session=True)


def wait_healthy(base_url: str, processes: list[subprocess.Popen], *, seconds: float = 60) -> None:
    """Until `base_url`/healthz answers 200; RuntimeError if one of `processes` exits first or the
    time runs out."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(process.poll() is not None for process in processes):
            raise RuntimeError("a server or worker exited early (see its log)")
        try:
            with urllib.request.urlopen(base_url.rstrip("/") + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{base_url} did not answer /healthz within {seconds:g} s")


def stop(process: subprocess.Popen, *, timeout: float = 20) -> None:
    """SIGTERM to the process's group, SIGKILL if it is still there after `timeout` seconds."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
