"""Scan inputs. Each one is a ``Scanner`` emitting ``scanned(ScanRead)``; the rest of the
kiosk never knows which kind of scanner read a code (SPEC §3)."""

from client.scanners.base import Scanner, ScanRead

__all__ = ["ScanRead", "Scanner"]
