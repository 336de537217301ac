"""Barcode decoders for camera frames: zxing-cpp (with its cascade) and pyzbar behind one
interface.

Both are asked for the kiosk's formats only (Code 128, EAN-13/8, UPC-A/E, QR, Data Matrix):
a decoder told to look for everything is slower and finds phantom codes in the noise of a
warehouse floor. zxing-cpp comes first (faster, and it reads Data Matrix, which zbar does
not).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

# The kiosk's names (also the ``symbology`` the scan carries; shared.barcodes knows them).
FORMATS = ("code128", "ean13", "ean8", "upca", "upce", "qrcode", "datamatrix")
BACKENDS = ("zxing-cpp", "zxing-cpp-single", "pyzbar")


@dataclass(frozen=True, slots=True)
class Decoded:
    text: str
    symbology: str  # one of FORMATS
    points: tuple[tuple[int, int], ...]  # the code's outline in frame pixels


class Decoder(Protocol):
    name: str

    def decode(self, gray: np.ndarray) -> list[Decoded]:
        """Decode a grayscale (H×W uint8) frame."""
        ...


class ZxingDecoder:
    name = "zxing-cpp-single"
    _NAMES = {
        "code128": "Code128",
        "ean13": "EAN13",
        "ean8": "EAN8",
        "upca": "UPCA",
        "upce": "UPCE",
        "qrcode": "QRCode",
        "datamatrix": "DataMatrix",
    }

    def __init__(self, formats: Sequence[str] = FORMATS) -> None:
        import zxingcpp

        self._zx = zxingcpp
        # zxing-cpp takes the formats OR-ed together (its BarcodeFormats flag type).
        self._formats: Any = tuple(getattr(zxingcpp.BarcodeFormat, self._NAMES[f]) for f in formats)
        self._back = {getattr(zxingcpp.BarcodeFormat, v): k for k, v in self._NAMES.items()}

    def decode(self, gray: np.ndarray) -> list[Decoded]:
        return self.read(gray)

    def read(self, gray: np.ndarray, **options: Any) -> list[Decoded]:
        """One zxing-cpp pass; ``options`` are ``read_barcodes``'s (binarizer, try_downscale…)."""
        found = []
        for barcode in self._zx.read_barcodes(gray, formats=self._formats, **options):
            if not barcode.valid or not barcode.text:
                continue
            p = barcode.position
            corners = (p.top_left, p.top_right, p.bottom_right, p.bottom_left)
            found.append(
                Decoded(
                    barcode.text,
                    self._back.get(barcode.format, str(barcode.format).lower()),
                    tuple((c.x, c.y) for c in corners),
                )
            )
        return found


class ZbarDecoder:
    name = "pyzbar"
    _NAMES = {
        "code128": "CODE128",
        "ean13": "EAN13",
        "ean8": "EAN8",
        "upca": "UPCA",
        "upce": "UPCE",
        "qrcode": "QRCODE",
        # zbar has no Data Matrix reader: asking for it is silently skipped.
    }

    def __init__(self, formats: Sequence[str] = FORMATS) -> None:
        from pyzbar import pyzbar

        self._zbar = pyzbar
        self._symbols = [
            getattr(pyzbar.ZBarSymbol, self._NAMES[f]) for f in formats if f in self._NAMES
        ]
        self._back = {v: k for k, v in self._NAMES.items()}

    def decode(self, gray: np.ndarray) -> list[Decoded]:
        found = []
        for symbol in self._zbar.decode(gray, symbols=self._symbols):
            text = symbol.data.decode("utf-8", errors="replace")
            if not text:
                continue
            # zbar may report a UPC-A as EAN-13 with a leading 0: normalization agrees.
            symbology = self._back.get(symbol.type, symbol.type.lower())
            found.append(Decoded(text, symbology, tuple((p.x, p.y) for p in symbol.polygon)))
        return found


def make_decoder(backend: str = "zxing-cpp", formats: Sequence[str] = FORMATS) -> Decoder:
    """The named backend; ``"auto"`` takes zxing-cpp and falls back to pyzbar.

    ``"zxing-cpp"`` is the cascade (``client.scanners.cascade``): the full-frame read plus
    second looks at located codes it missed. ``"zxing-cpp-single"`` is the full-frame read
    alone (the kiosk's decoder before the cascade; the bench compares against it).
    """
    unknown = set(formats) - set(FORMATS)
    if unknown:
        raise ValueError(f"unknown barcode formats: {sorted(unknown)}")
    if backend == "zxing-cpp":
        from client.scanners.cascade import CascadeDecoder  # it builds on this module

        return CascadeDecoder(formats)
    if backend == "zxing-cpp-single":
        return ZxingDecoder(formats)
    if backend == "pyzbar":
        return ZbarDecoder(formats)
    if backend == "auto":
        try:
            return make_decoder("zxing-cpp", formats)
        except ImportError:
            return ZbarDecoder(formats)
    raise ValueError(f"unknown decoder backend {backend!r} (known: {', '.join(BACKENDS)}, auto)")
