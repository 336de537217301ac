"""The one event every scan input ends in, and the interface every scanner implements.

Keyboard wedge (here), serial and camera scanners (later) all emit ``scanned(ScanRead)``
from the GUI thread's point of view: a scanner that reads in a worker thread emits from
there and Qt queues the signal to the receivers' thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from PySide6.QtCore import QObject, Signal

from client.timeutil import utc_now


@dataclass(frozen=True, slots=True)
class ScanRead:
    """One code as a scanner read it, before any interpretation."""

    code: str
    symbology: str = ""  # "" when the input cannot tell (a keyboard wedge usually cannot)
    source: str = "wedge"  # shared.protocol.ScanSource value
    read_at: datetime = field(default_factory=utc_now)

    def __post_init__(self) -> None:
        if self.read_at.tzinfo is None:
            raise ValueError("ScanRead.read_at must be timezone-aware (UTC)")


class Scanner(QObject):
    """Base class of scan inputs.

    Subclasses emit ``scanned`` with a ``ScanRead`` for every accepted read and ``error``
    with a human-readable message when the device fails (unplugged, no permission);
    ``start()``/``stop()`` acquire and release the device and must be idempotent.
    """

    scanned = Signal(object)  # ScanRead
    error = Signal(str)

    source = "manual"  # the ScanSource value its reads carry

    def start(self) -> None:
        """Begin reading."""

    def stop(self) -> None:
        """Stop reading and release the device."""
