"""Rows the benches bulk-insert to build a large warehouse fast (no services, no audit)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from shared.ids import uuid7


def product_rows(count: int, now: datetime) -> list[dict[str, Any]]:
    """``count`` serialized audio products ``P-0000``… at 1.00 a day, no bulk stock."""
    return [
        {
            "id": uuid7(),
            "sku": f"P-{i:04d}",
            "name": f"Product {i}",
            "category": "audio",
            "tracking": "serialized",
            "day_price_cents": 100,
            "stock_qty": 0,
            "created_at": now,
        }
        for i in range(count)
    ]
