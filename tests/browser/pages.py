"""What the browser journeys share besides fixtures: the two devices, the log-in form, the command line and a
running site."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DEMO_PASSWORD = "demo-federacion-2026"
PHONE = {"viewport": {"width": 360, "height": 640}, "locale": "es-MX", "is_mobile": True, "has_touch": True}
DESKTOP = {"viewport": {"width": 1280, "height": 900}, "locale": "en-US"}


def free_port() -> int:
    """Return a TCP port nobody listens on, for a server a journey starts."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_worker(env: dict, instance: Path) -> subprocess.Popen:
    """Start a job worker for a live server's database, as `make run` does beside the site."""
    with (instance / "worker.log").open("w") as log:  # the child keeps its own copy of the file
        return subprocess.Popen([sys.executable, "-m", "flask", "--app", "deliberate", "worker"], env=env, cwd=ROOT,
                                stdout=log, stderr=subprocess.STDOUT)


@contextmanager
def running_site(env: dict, instance: Path, *, worker: bool = True) -> Iterator[str]:
    """Serve the site on a free port (and its job worker beside it, as `make run` does) until the block ends.

    Yields the site's address once it answers; fails the test if it does not within 90 s (a loaded machine takes
    its time to import the app). The server's and the worker's output go to server.log and worker.log.
    """
    port = free_port()
    with (instance / "server.log").open("w") as log:  # the child keeps its own copy of the file
        server = subprocess.Popen([sys.executable, "-m", "flask", "--app", "deliberate", "run", "--port", str(port),
                                   "--no-reload"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 90
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            break
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                pytest.fail(f"the server did not start; see {instance / 'server.log'}")
            time.sleep(0.2)
    jobs = start_worker(env, instance) if worker else None
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        for process in (server, jobs):
            if process is not None:
                process.terminate()
                process.wait(timeout=10)


def run_deliberate(*args: str, env: dict) -> subprocess.CompletedProcess:
    """Run a ``deliberate`` command against the live server's database; fail the test if it fails."""
    command = [sys.executable, "-m", "flask", "--app", "deliberate", *args]
    result = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)
    if result.returncode != 0:
        pytest.fail(f"deliberate {' '.join(args)} failed ({result.returncode}):\n{result.stderr[-3000:]}")
    return result


def log_in(page, base: str, email: str, password: str = DEMO_PASSWORD, *, language: str | None = "Español") -> None:
    """Log in through the form, then choose the language (it is the member's own setting, which a journey may have
    changed); language=None keeps what the log-in gives."""
    page.goto(f"{base}/account/login")
    page.fill("#email", email)
    page.fill("#password", password)
    page.click("main button[type=submit]")
    if language:
        page.click(f"header >> text={language}")
