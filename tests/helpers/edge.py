"""Bad input the way a broken client or serial-line noise sends it (issue 14)."""

from __future__ import annotations

import json
from typing import Any

# Strings PostgreSQL's text type or psycopg cannot take (SPEC §10 "Strings at the edge").
BAD_TEXT = {"nul": "A\x00B", "lone_surrogate": "A\ud800B", "low_surrogate": "\udfff"}


def raw_json(body: Any) -> dict:
    """``client.post(url, **raw_json(body))``: JSON with \\u escapes, so lone surrogates
    survive (httpx's ``json=`` encodes to UTF-8 and cannot carry them)."""
    return {
        "content": json.dumps(body, ensure_ascii=True).encode(),
        "headers": {"Content-Type": "application/json"},
    }
