"""``rentguy-server serve --workers 2``: the real server, two worker processes, real HTTP.

Which worker answers a connection is the kernel's choice. The tests pin keep-alive
connections to known workers (``/healthz`` says which pid answered) and read the server's
JSON log, where every line carries the pid of the worker that wrote it.
"""

from __future__ import annotations

import json
import os
import re
import signal
import threading
import uuid
from pathlib import Path

import httpx
import pytest

from server.identity.models import Station
from server.warehouse.feed import feed_for
from server.warehouse.ingest import ingest_batch
from shared.protocol import ScanBatch
from tests.helpers.live_server import LiveServer
from tests.helpers.scans import ScanFactory

WORKERS = 2


def _start(database_url: str, log_dir: Path) -> LiveServer:
    live = LiveServer(
        database_url, log_dir / "server.log", workers=WORKERS, env={"RENTGUY_LOG_LEVEL": "INFO"}
    )
    live.start()
    return live


@pytest.fixture(scope="module")
def server(database_url, tmp_path_factory):
    """One server per database for this module (each test seeds its own data)."""
    live = _start(database_url, tmp_path_factory.mktemp("workers"))
    yield live
    live.stop()


@pytest.fixture
def own_server(database_url, tmp_path):
    live = _start(database_url, tmp_path)
    yield live
    live.stop()


def pinned_clients(server: LiveServer, headers: dict | None = None) -> dict[int, httpx.Client]:
    """One client per worker, each on one keep-alive connection: pid -> client."""
    clients: dict[int, httpx.Client] = {}
    for _ in range(200):
        client = httpx.Client(
            base_url=server.url,
            headers=headers or {},
            timeout=30,
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
        )
        pid = client.get("/healthz").json()["pid"]
        if pid in clients:
            client.close()
        else:
            clients[pid] = client
        if len(clients) == server.workers:
            return clients
    raise AssertionError(f"200 connections reached only workers {sorted(clients)}")


def log_lines(path: Path) -> list[dict]:
    lines = []
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            lines.append(json.loads(line))
    return lines


def test_every_worker_serves_and_logs_its_pid(server):
    clients = pinned_clients(server)
    assert len(clients) == WORKERS
    assert set(clients) <= set(server.pids())  # the workers are the serve process's children
    for client in clients.values():
        client.close()
    started = {
        line["pid"]
        for line in log_lines(server.log_path)
        if line["message"] == "Application startup complete."
    }
    assert started == set(clients)


def test_a_stream_on_either_worker_sees_every_worker_scans_once(
    server, demo, user_headers, station_headers, session_factory, engine
):
    scans = ScanFactory.for_demo(demo)
    batches = [[scans.scan(code) for code in demo["unit_codes"][:4]]]
    batches += [[scans.scan(f"NOPE-{b}-{i}") for i in range(10)] for b in range(5)]
    expected = [s["scan_id"] for batch in batches for s in batch]

    # One subscriber on each worker, each reading until it has every committed scan.
    admin = user_headers("warehouse")
    received: dict[int, list[str]] = {}
    connected = threading.Semaphore(0)

    def subscribe(pid: int, client: httpx.Client) -> None:
        chunks = []
        params = {"limit": len(expected)}
        with client.stream("GET", "/api/v1/scans/stream", params=params) as response:
            for chunk in response.iter_text():
                if chunk.startswith(": connected"):
                    connected.release()
                chunks.append(chunk)
        received[pid] = re.findall(r"^id: (\S+)$", "".join(chunks), re.M)

    threads = [
        threading.Thread(target=subscribe, args=item)
        for item in pinned_clients(server, admin).items()
    ]
    for thread in threads:
        thread.start()
    for _ in threads:
        assert connected.acquire(timeout=60), "a stream never said it was connected"

    # A third process ingests a batch and rolls it back: no stream may show it.
    feed = feed_for(engine)
    rolled_back = [scans.scan(code) for code in demo["unit_codes"][4:6]]
    with session_factory() as session:
        ingest_batch(
            session=session,
            station=session.get(Station, uuid.UUID(demo["station_id"])),
            batch=ScanBatch.model_validate({"scans": rolled_back}),
            on_applied=lambda decided: feed.publish_after_commit(session, decided),
        )
        session.rollback()
    feed.close()

    # The batches go in through both workers, alternately.
    uploaders = list(pinned_clients(server, station_headers).values())
    for i, batch in enumerate(batches):
        response = uploaders[i % len(uploaders)].post("/api/v1/scans/batch", json={"scans": batch})
        assert response.status_code == 200, response.text
    for thread in threads:
        thread.join(timeout=60)
        assert not thread.is_alive()

    assert len(received) == WORKERS
    for ids in received.values():
        assert sorted(ids) == sorted(expected)  # each once; the rolled-back ones never
    uploads_by = {
        line["pid"]
        for line in log_lines(server.log_path)
        if line["message"] == "POST /api/v1/scans/batch 200"
    }
    assert len(uploads_by) == WORKERS  # each stream got scans another worker ingested


def _healthz_count(client: httpx.Client) -> float:
    text = client.get("/metrics").text
    match = re.search(
        r'^rentguy_http_requests_total\{method="GET",route="/healthz",status="200"\} (\S+)$',
        text,
        re.M,
    )
    return float(match.group(1))


def test_metrics_add_up_every_worker(server):
    clients = pinned_clients(server)
    (pid_a, a), (pid_b, b) = clients.items()
    before = _healthz_count(a)
    answered = [a.get("/healthz").json()["pid"] for _ in range(3)]
    answered += [b.get("/healthz").json()["pid"] for _ in range(5)]
    assert answered == [pid_a] * 3 + [pid_b] * 5  # really two workers counting
    assert _healthz_count(a) == before + 8
    assert _healthz_count(b) == before + 8


def test_money_gauges_are_read_once_from_the_database_with_several_workers(server):
    """The overpaid/pending-refund gauges come from the shared database, not per-worker
    files: one sample each, whichever worker answers."""
    for client in pinned_clients(server).values():
        text = client.get("/metrics").text
        for name in ("rentguy_invoices_overpaid", "rentguy_refunds_pending_cents"):
            samples = re.findall(rf"^{name} (\S+)$", text, re.M)
            assert samples == ["0.0"], (name, samples)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_every_worker_even_with_a_stream_open(own_server, user_headers, sig):
    server = own_server
    clients = pinned_clients(server)
    workers = set(clients)
    for client in clients.values():
        client.close()
    streaming = threading.Event()

    def watch() -> None:
        with httpx.Client(base_url=server.url, headers=user_headers("warehouse")) as client:
            try:
                with client.stream("GET", "/api/v1/scans/stream", timeout=60) as response:
                    for _chunk in response.iter_text():
                        streaming.set()
            except httpx.HTTPError:
                pass  # the server went away: expected

    thread = threading.Thread(target=watch, daemon=True)
    thread.start()
    assert streaming.wait(60)
    assert server.stop(sig) == 0  # not killed: it stopped by itself
    for pid in workers:
        assert not Path(f"/proc/{pid}").exists() or _zombie(pid)
    thread.join(timeout=30)


def _zombie(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def test_the_metrics_directory_is_fresh_private_and_removed(monkeypatch):
    from server.ops.metrics import MULTIPROC_ENV, multiprocess_dir

    monkeypatch.delenv(MULTIPROC_ENV, raising=False)
    with multiprocess_dir(1) as none:
        assert none is None and MULTIPROC_ENV not in os.environ  # one process: its registry
    with multiprocess_dir(2) as path:
        assert os.environ[MULTIPROC_ENV] == path and os.listdir(path) == []
    assert not Path(path).exists() and MULTIPROC_ENV not in os.environ
