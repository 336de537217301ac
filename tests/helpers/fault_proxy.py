"""A TCP proxy on loopback that breaks connections the ways networks and servers do.

One client connection is one fault decision (the clients here open a connection per
request, so a fault hits one request). Faults:

    pass          forward both ways
    drop          close the client's connection at once, nothing forwarded
    reset_before  RST the client at once (SO_LINGER 0), nothing forwarded
    reset_after   forward the request, wait for the server's first answer bytes (the
                  server has committed), then RST the client: the answer is lost
    cut           forward the request, pass on half of the answer's first bytes, close
    delay         hold the request ``delay_s`` before forwarding it: past the client's
                  timeout, so the client resends and the original arrives late
    refuse        (while ``cut_upstream`` is set) the upstream is "down": close at once

Threads, not asyncio: the proxy runs beside pytest and subprocesses; blocking sockets
keep each fault a few readable lines. Every connection's fault is counted in ``counts``.
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct
import threading
from collections import Counter
from collections.abc import Mapping

FAULTS = ("pass", "drop", "reset_before", "reset_after", "cut", "delay")
BUFFER = 65536


def _reset(sock: socket.socket) -> None:
    """Close with RST instead of FIN: the peer sees "connection reset"."""
    with contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(BUFFER):
            target.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)


class FaultProxy:
    """Listens on 127.0.0.1:``port`` and forwards to ``upstream_host:upstream_port`` (the
    server, or PostgreSQL for the database fault suite)."""

    def __init__(
        self,
        upstream_port: int,
        *,
        upstream_host: str = "127.0.0.1",
        weights: Mapping[str, float] | None = None,
        delay_s: float = 3.0,
        seed: int = 14,
    ) -> None:
        self.upstream_host = upstream_host
        self.upstream_port = upstream_port
        self.weights = dict(weights or {"pass": 1.0})
        self.delay_s = delay_s
        self.counts: Counter[str] = Counter()
        self.cut_upstream = threading.Event()  # set: every connection is refused
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._live: set[socket.socket] = set()  # open sockets, for sever()
        self._listener = socket.create_server(("127.0.0.1", 0), backlog=128)
        self.port = self._listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, name="fault-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FaultProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)
        self._listener.close()
        self._thread.join(5)

    def sever(self) -> None:
        """Refuse new connections and reset every open one: the far side is gone (a
        database host that died, a cable pulled). ``heal()`` undoes the refusal."""
        self.cut_upstream.set()
        with self._lock:
            live, self._live = list(self._live), set()
        for sock in live:
            _reset(sock)

    def heal(self) -> None:
        self.cut_upstream.clear()

    def set_faults(self, weights: Mapping[str, float]) -> None:
        with self._lock:
            self.weights = dict(weights)

    def _choose(self) -> str:
        with self._lock:
            if self.cut_upstream.is_set():
                fault = "refuse"
            else:
                names = list(self.weights)
                fault = self._random.choices(names, [self.weights[n] for n in names])[0]
            self.counts[fault] += 1
            return fault

    def _accept(self) -> None:
        while not self._stopping.is_set():
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        fault = self._choose()
        if fault in ("drop", "refuse"):
            client.close()
            return
        if fault == "reset_before":
            _reset(client)
            return
        try:
            upstream = socket.create_connection(
                (self.upstream_host, self.upstream_port), timeout=30
            )
            upstream.settimeout(None)  # pooled database connections idle for minutes
        except OSError:  # the server is down (killed): the client sees a closed connection
            client.close()
            return
        with self._lock:
            self._live |= {client, upstream}
        try:
            self._forward(fault, client, upstream)
        finally:
            with self._lock:
                self._live -= {client, upstream}
            upstream.close()
            client.close()

    def _forward(self, fault: str, client: socket.socket, upstream: socket.socket) -> None:
        if fault == "delay":
            # Hold what the client sends, then deliver it late: by then the client has
            # timed out and resent on another connection.
            client.settimeout(self.delay_s)
            held = b""
            with contextlib.suppress(OSError):
                held = client.recv(BUFFER)
            self._stopping.wait(self.delay_s)
            client.settimeout(None)
            with contextlib.suppress(OSError):
                upstream.sendall(held)
            fault = "pass"
        upward = threading.Thread(target=_pump, args=(client, upstream), daemon=True)
        upward.start()
        if fault == "pass":
            _pump(upstream, client)
            upward.join(30)
            return
        # reset_after / cut: the request reaches the server, its answer does not arrive whole.
        try:
            first = upstream.recv(BUFFER)
        except OSError:
            first = b""
        if fault == "cut" and first:
            with contextlib.suppress(OSError):
                client.sendall(first[: max(1, len(first) // 2)])
            client.close()
        else:
            _reset(client)
        upward.join(5)
