"""The real app served by uvicorn on a loopback port in a thread (bound to port 0), and
Chromium driven by Playwright: Debian's ``chromium`` package, never a downloaded browser."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import uvicorn

CHROMIUM = os.environ.get("RENTGUY_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


class ThreadedServer:
    """``with ThreadedServer(app) as url:`` — the app, lifespan included, on 127.0.0.1."""

    def __init__(self, app) -> None:
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=1,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, name="console-live", daemon=True)

    def __enter__(self) -> str:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("the live server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        return f"http://127.0.0.1:{port}"

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def screenshot_dir() -> Path:
    path = Path(os.environ.get("RENTGUY_CONSOLE_SCREENSHOT_DIR") or "test-output/console")
    path.mkdir(parents=True, exist_ok=True)
    return path
