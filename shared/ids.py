"""Time-ordered ids (UUIDv7, RFC 9562) for everything a kiosk or the server creates.

UUIDv7 sorts by creation time, so scan ids made offline on several kiosks still index
well on the server. Python 3.11 has no ``uuid.uuid7``; ``uuid_utils.compat`` returns a
standard-library ``uuid.UUID`` so the rest of the code never sees a foreign type.
"""

import uuid

from uuid_utils import compat as _uuid_compat


def uuid7() -> uuid.UUID:
    """A new UUIDv7 as a standard ``uuid.UUID``."""
    return _uuid_compat.uuid7()


def is_uuid7(value: uuid.UUID) -> bool:
    """True when ``value`` is an RFC 9562 version-7 UUID."""
    return value.version == 7 and value.variant == uuid.RFC_4122
