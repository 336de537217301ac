"""Defect 9: every log line written while serving a request carries its request id, the
unhandled-error line and its 500 answer included (they run outside app middleware)."""

from __future__ import annotations

import logging

from fastapi import Request

log = logging.getLogger("tests.ops.request_id")


def _add_failing_routes(app) -> None:
    @app.get("/test/boom-sync")
    def boom_sync() -> dict:  # runs in the threadpool
        log.warning("about to fail (sync)")
        raise RuntimeError("boom")

    @app.get("/test/boom-async")
    async def boom_async(request: Request) -> dict:
        log.warning("about to fail (async)")
        raise RuntimeError("boom")


def test_every_line_of_a_failing_request_has_its_id(app, client, json_log):
    _add_failing_routes(app)
    for path in ("/test/boom-sync", "/test/boom-async"):
        response = client.get(path, headers={"X-Request-ID": f"req-{path[-4:]}"})
        assert response.status_code == 500
        request_id = response.headers["x-request-id"]
        assert request_id == f"req-{path[-4:]}"
        assert response.json()["request_id"] == request_id
        lines = [line for line in json_log() if line.get("request_id") == request_id]
        messages = {line["message"] for line in lines}
        assert any(m.startswith("about to fail") for m in messages), json_log()
        assert "unhandled error" in messages, json_log()  # server.errors' 500 handler
        assert f"GET {path} 500" in messages  # the access log
    # No line of a request was written without an id (startup lines have none: no request).
    assert not [
        line
        for line in json_log()
        if line["logger"] in ("server.errors", "server.access", log.name)
        and not line.get("request_id")
    ]


def test_caplog_and_any_handler_see_the_request_id(app, client, caplog):
    """Stamped where records are made, not by one handler's filter."""
    _add_failing_routes(app)
    with caplog.at_level(logging.INFO):
        response = client.get("/test/boom-sync")
    request_id = response.headers["x-request-id"]
    errors = [r for r in caplog.records if r.name == "server.errors"]
    assert errors and all(r.request_id == request_id for r in errors)
