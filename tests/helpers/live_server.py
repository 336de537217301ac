"""The real server as a subprocess on loopback: the way a kiosk meets it in production."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process (Linux /proc), for benches' cost per request."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return float("nan")


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(child) for child in text.split()]


class LiveServer:
    """``rentguy-server serve`` in a subprocess; stop and start it again on the same port."""

    def __init__(
        self,
        database_url: str,
        log_path: Path,
        port: int | None = None,
        workers: int = 1,
        env: dict[str, str] | None = None,
    ) -> None:
        self.database_url = database_url
        self.workers = workers
        self.extra_env = env or {}
        self.port = port or free_port()
        self.log_path = log_path
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "RENTGUY_DATABASE_URL": self.database_url,
            "RENTGUY_ENVIRONMENT": "test",
            "RENTGUY_WORKERS": str(self.workers),
            **self.extra_env,
        }

    def cli(self, *args: str) -> str:
        return subprocess.run(
            [sys.executable, "-m", "server.cli", *args],
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        ).stdout

    def start(self, timeout: float = 90.0) -> None:
        # Generous: a start takes 2-5 s, but 2 cores shared with the other pytest worker and
        # its own live servers have taken over 30 s. Only a broken start waits this long.
        assert self.process is None, "already running"
        log = self.log_path.open("ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port)],
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited: {self.log_path.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        else:
            self.stop()
            raise TimeoutError(f"server not ready in {timeout}s")
        # Every worker serving: ask on fresh connections until each pid has answered.
        pids: set[int] = set()
        while len(pids) < self.workers and time.monotonic() < deadline:
            pids.add(httpx.get(f"{self.url}/healthz", timeout=5).json()["pid"])
        if len(pids) < self.workers:
            self.stop()
            raise TimeoutError(f"only {len(pids)} of {self.workers} workers answered")

    def pids(self) -> list[int]:
        """The server's processes: the ``serve`` process and, with workers, its children."""
        if self.process is None:
            return []
        found, todo = [], [self.process.pid]
        while todo:
            pid = todo.pop()
            found.append(pid)
            todo.extend(_children(pid))
        return found

    def stop(self, sig: int = signal.SIGTERM) -> int | None:
        """Stop the server with ``sig`` as systemd (SIGTERM) or Ctrl-C (SIGINT) would;
        the exit code, or None when it had to be killed (then its workers are, too)."""
        if self.process is None:
            return None
        tree = self.pids()
        self.process.send_signal(sig)
        try:
            code = self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            for pid in tree:  # a SIGKILLed parent would leave its workers running
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            self.process.wait()
            code = None
        self.process = None
        return code
