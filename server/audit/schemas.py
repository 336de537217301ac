"""Audit trail API shapes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict


class AuditEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    occurred_at: datetime
    action: str
    outcome: str
    actor_user_id: uuid.UUID | None
    actor_station_id: uuid.UUID | None
    ip: str | None
    target_type: str | None
    target_id: str | None
    details: dict[str, Any]
