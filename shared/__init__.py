"""What the kiosk and the server both import: protocol models, barcode parsing, ids.

No I/O, no Qt, no SQLAlchemy in here: both sides must be able to import it cheaply.
"""

from shared.barcodes import BarcodeError, NormalizedCode, normalize_code
from shared.ids import is_uuid7, uuid7
from shared.protocol import (
    PROTOCOL_VERSION,
    MovementKind,
    MovementOut,
    ScanBatch,
    ScanBatchResponse,
    ScanIn,
    ScanMode,
    ScanResult,
    ScanSource,
    ScanStatus,
)

__all__ = [
    "PROTOCOL_VERSION",
    "BarcodeError",
    "MovementKind",
    "MovementOut",
    "NormalizedCode",
    "ScanBatch",
    "ScanBatchResponse",
    "ScanIn",
    "ScanMode",
    "ScanResult",
    "ScanSource",
    "ScanStatus",
    "is_uuid7",
    "normalize_code",
    "uuid7",
]
