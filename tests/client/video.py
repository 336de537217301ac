"""Test footage: real barcodes rendered by a real encoder (zxing-cpp), filmed into a file.

Codes are rendered at an integer module scale and shrunk with INTER_AREA (SPEC §8): linear
upscaling of 1-px modules blurs edges that a real camera sees sharp.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import zxingcpp

WIDTH, HEIGHT = 1280, 720
_FORMATS = {
    "code128": zxingcpp.BarcodeFormat.Code128,
    "ean13": zxingcpp.BarcodeFormat.EAN13,
    "ean8": zxingcpp.BarcodeFormat.EAN8,
    "upca": zxingcpp.BarcodeFormat.UPCA,
    "qrcode": zxingcpp.BarcodeFormat.QRCode,
    "datamatrix": zxingcpp.BarcodeFormat.DataMatrix,
}


def render(text: str, symbology: str, width: int = 520) -> np.ndarray:
    """A grayscale label about ``width`` pixels wide (quiet zone included)."""
    barcode = zxingcpp.create_barcode(text, _FORMATS[symbology])
    image = np.array(barcode.to_image(scale=8))
    scale = width / image.shape[1]
    height = max(1, round(image.shape[0] * scale))
    return cv2.resize(image, (width, height), interpolation=cv2.INTER_AREA)


def frame(label: np.ndarray | None = None, *, seed: int = 0) -> np.ndarray:
    """A 1280×720 BGR frame: a grey bench with some noise, the label in the middle."""
    rng = np.random.default_rng(seed)
    canvas = np.full((HEIGHT, WIDTH), 150, np.uint8)
    canvas = cv2.add(canvas, rng.integers(0, 12, canvas.shape, dtype=np.uint8))
    if label is not None:
        h, w = label.shape
        y, x = (HEIGHT - h) // 2, (WIDTH - w) // 2
        canvas[y : y + h, x : x + w] = label
    return cv2.cvtColor(canvas, cv2.COLOR_GRAY2BGR)


def write_video(path: Path, shots: list[tuple[str | None, str, int]], fps: int = 30) -> Path:
    """``shots``: (text or None for an empty bench, symbology, frame count) in order."""
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (WIDTH, HEIGHT))
    assert writer.isOpened(), "cv2.VideoWriter could not open the file"
    n = 0
    for text, symbology, count in shots:
        label = render(text, symbology) if text else None
        for _ in range(count):
            writer.write(frame(label, seed=n))
            n += 1
    writer.release()
    return path
