"""JSON log lines, each carrying the id of the request that caused it and the pid of the
worker process that wrote it (``serve --workers N`` interleaves several on one stderr).

Both are stamped where every log record is made (a record factory), not by one handler's
filter: so every logger and every handler (pytest's caplog included) sees the request id,
and no handler can write a record that skipped the scrubbing of secrets (``scrub``).
"""

from __future__ import annotations

import logging
import re
import sys
from contextvars import ContextVar
from typing import Any

from pythonjsonlogger.json import JsonFormatter

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)

# What a database error repeats that must never reach a log: PostgreSQL's DETAIL line
# (``Key (email)=(x@y) already exists``, ``Failing row contains (...)``), SQLAlchemy's
# ``[parameters: ...]`` (engines hide them; this also covers an engine made elsewhere),
# and argon2 hashes (a PIN's hash is cheap to invert: 4–12 digits).
_SECRET_PATTERNS = (
    (re.compile(r"DETAIL:.*"), "DETAIL: [scrubbed]"),
    (re.compile(r"\[parameters: .*?\](?=\n|$)", re.DOTALL), "[parameters: scrubbed]"),
    (re.compile(r"Key \((.*?)\)=\(.*?\)"), r"Key (\1)=([scrubbed])"),
    (re.compile(r"\$argon2(?:id|i|d)\$[^\s'\",)]+"), "[argon2 hash scrubbed]"),
)


def scrub(text: str) -> str:
    """``text`` without the secrets a database error message can carry."""
    for pattern, replacement in _SECRET_PATTERNS:
        text = pattern.sub(replacement, text)
    return text


_make_record = logging.getLogRecordFactory()
_plain = logging.Formatter()


def _record(*args: Any, **kwargs: Any) -> logging.LogRecord:
    record = _make_record(*args, **kwargs)
    record.request_id = request_id_var.get()
    if record.exc_info and record.exc_info[0] is not None:
        # The traceback's text is fixed here, scrubbed; formatters use ``exc_text`` when no
        # ``exc_info`` is left (logging.Formatter and python-json-logger alike).
        record.exc_text = scrub(_plain.formatException(record.exc_info))
        record.exc_info = None
    if record.args or "DETAIL" in str(record.msg) or "$argon2" in str(record.msg):
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a bad format: logging reports it at emit time
            return record
        cleaned = scrub(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
    return record


def install_record_factory() -> None:
    """Stamp request ids and scrub secrets on every record (idempotent)."""
    if logging.getLogRecordFactory() is not _record:
        logging.setLogRecordFactory(_record)


install_record_factory()


class _HasRequestId(logging.Filter):
    """A record made without the factory (``logging.makeLogRecord``) still formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = None
        return True


def configure_logging(level: str = "INFO", json: bool = True) -> None:
    """Route the app's and uvicorn's logs through one handler on stderr."""
    install_record_factory()
    handler = logging.StreamHandler(sys.stderr)
    handler.addFilter(_HasRequestId())
    if json:
        handler.setFormatter(
            JsonFormatter(
                "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s %(process)d",
                rename_fields={
                    "asctime": "time",
                    "levelname": "level",
                    "name": "logger",
                    "process": "pid",
                },
                datefmt="%Y-%m-%dT%H:%M:%S%z",
            )
        )
    else:
        handler.setFormatter(
            logging.Formatter(
                "%(asctime)s %(levelname)s %(name)s [%(process)d %(request_id)s] %(message)s"
            )
        )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    # Our access log (server.ops.middleware) replaces uvicorn's, which lacks request ids.
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
    logging.getLogger("uvicorn.access").disabled = True
