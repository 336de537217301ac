"""A decoding cascade: the fast full-frame read, then second looks where a code was seen.

One zxing-cpp pass over the whole 1280×720 frame reads clean labels in a few
milliseconds, but misses labels that are small (about one pixel per module), blurred,
noisy or turned between 10° and 80° (a linear reader scans rows and columns). Those labels
are still *visible*: a cheap locator (edge density on a quarter-size frame) finds the
regions that look like a code. Every region that the full-frame pass did not read is cut
out turned straight (its minimum-area rectangle), and read again with one strategy after
another (as is, upscaled and sharpened, sharpened, upscaled) until one reads it.

The work per frame is bounded by ``attempts_per_frame`` (region reads, not time: a
bounded count keeps the result reproducible). What a frame has no budget left for is
tried on the next frame, starting where the last one stopped: a camera delivers 30 frames
a second, so strategies alternate across frames. A strategy that read a region is tried
first at that place on the next frame, so the same code is read on consecutive frames
(the ``ReadConfirmer``'s two-read rule) at the cost of one region read.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np

from client.scanners.decoders import FORMATS, Decoded, ZxingDecoder

LOCATOR_SHRINK = 4  # the locator works on a quarter-size frame (320×180): well under 1 ms
MIN_REGION_AREA = 40  # locator pixels (a 1-px-module EAN-8 covers about 300)
MIN_EDGE_STRENGTH = 24  # mean edge response of a region: below it is bench texture or noise
MEMORY_CELL = 64  # frame pixels: a code held still stays in the same cell between frames
MAX_CROP_PIXELS = 700_000  # an upscaled crop larger than this is shrunk (time bound)


def _unsharp(image: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.addWeighted(image, 2.0, cv2.GaussianBlur(image, (0, 0), sigma), -1.0, 0)


@dataclass(frozen=True)
class Strategy:
    """How to look again at a region: upscale factor, then a filter."""

    name: str
    scale: float
    prepare: Callable[[np.ndarray], np.ndarray] | None = None


STRATEGIES = (
    Strategy("straightened", 1.0),
    Strategy("upscaled, sharpened", 2.0, lambda image: _unsharp(image, 3.0)),
    Strategy("sharpened", 1.0, lambda image: _unsharp(image, 2.0)),
    Strategy("upscaled", 2.0),
)


@dataclass(frozen=True)
class Region:
    """A rotated rectangle in frame pixels where the locator saw a code."""

    center: tuple[float, float]
    size: tuple[float, float]
    angle: float

    @property
    def area(self) -> float:
        return self.size[0] * self.size[1]

    @property
    def cell(self) -> tuple[int, int]:
        return (int(self.center[0] // MEMORY_CELL), int(self.center[1] // MEMORY_CELL))

    def contains(self, point: tuple[float, float]) -> bool:
        box = cv2.boxPoints((self.center, self.size, self.angle)).astype(np.float32)
        return cv2.pointPolygonTest(box, (float(point[0]), float(point[1])), False) >= 0


def locate(gray: np.ndarray) -> list[Region]:
    """Regions dense in edges (bars, modules), largest first."""
    shrink = LOCATOR_SHRINK
    small = cv2.resize(
        gray, (gray.shape[1] // shrink, gray.shape[0] // shrink), interpolation=cv2.INTER_AREA
    )
    dx = cv2.convertScaleAbs(cv2.Sobel(small, cv2.CV_16S, 1, 0))
    dy = cv2.convertScaleAbs(cv2.Sobel(small, cv2.CV_16S, 0, 1))
    edges = cv2.blur(cv2.add(dx, dy), (5, 5))
    _, mask = cv2.threshold(edges, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    regions = []
    for contour in contours:
        if cv2.contourArea(contour) < MIN_REGION_AREA:
            continue
        x, y, w, h = cv2.boundingRect(contour)
        inside = np.zeros((h, w), np.uint8)
        cv2.drawContours(inside, [contour - (x, y)], -1, 255, cv2.FILLED)
        if cv2.mean(edges[y : y + h, x : x + w], inside)[0] < MIN_EDGE_STRENGTH:
            continue
        (cx, cy), (rw, rh), angle = cv2.minAreaRect(contour)
        regions.append(Region((cx * shrink, cy * shrink), (rw * shrink, rh * shrink), angle))
    return sorted(regions, key=lambda r: r.area, reverse=True)


def _cut(gray: np.ndarray, region: Region, scale: float) -> tuple[np.ndarray, np.ndarray]:
    """The region turned straight with a margin (quiet zone), and the crop→frame transform."""
    width = region.size[0] * 1.25 + 16
    height = region.size[1] * 1.25 + 16
    scale = min(scale, (MAX_CROP_PIXELS / (width * height)) ** 0.5)
    turn = cv2.getRotationMatrix2D(region.center, region.angle, scale)
    turn[0, 2] += scale * width / 2 - region.center[0]
    turn[1, 2] += scale * height / 2 - region.center[1]
    size = (max(8, int(scale * width)), max(8, int(scale * height)))
    crop = cv2.warpAffine(
        gray, turn, size, flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
    return crop, cv2.invertAffineTransform(turn)


def _center(code: Decoded) -> tuple[float, float]:
    xs, ys = zip(*code.points, strict=True)
    return (sum(xs) / len(xs), sum(ys) / len(ys))


class CascadeDecoder:
    """zxing-cpp on the whole frame, then strategies on located regions it did not read."""

    name = "zxing-cpp"

    def __init__(
        self,
        formats: Sequence[str] = FORMATS,
        *,
        strategies: Sequence[Strategy] = STRATEGIES,
        attempts_per_frame: int = 6,
        full_frame: dict[str, object] | None = None,
    ) -> None:
        import zxingcpp

        # The full-frame pass skips what the region pass covers more cheaply: inverted
        # labels (a region read tries both polarities) and the slower local binarizer
        # (uneven light is local, and so is a region). Measured on the bench's frame set:
        # the same recall at about half the CPU time per frame.
        self.full_frame = (
            {"try_invert": False, "binarizer": zxingcpp.Binarizer.GlobalHistogram}
            if full_frame is None
            else dict(full_frame)
        )
        self._zxing = ZxingDecoder(formats)
        self.strategies = tuple(strategies)
        self.attempts_per_frame = attempts_per_frame
        self._next: dict[tuple[int, int], int] = {}  # cell → strategy to try first there

    def reset(self) -> None:
        """Forget where codes were (a new scene)."""
        self._next = {}

    def decode(self, gray: np.ndarray) -> list[Decoded]:
        found = {code.text: code for code in self._zxing.read(gray, **self.full_frame)}
        centers = [_center(code) for code in found.values()]
        remembered, self._next = self._next, {}
        budget = self.attempts_per_frame
        for region in locate(gray):
            if budget <= 0:
                break
            if any(region.contains(point) for point in centers):
                continue  # the full-frame pass read this one
            first = remembered.get(region.cell, 0)
            tries = min(budget, len(self.strategies))
            for step in range(tries):
                index = (first + step) % len(self.strategies)
                budget -= 1
                codes = self._read_region(gray, region, self.strategies[index])
                if codes:
                    self._next[region.cell] = index
                    for code in codes:
                        found.setdefault(code.text, code)
                        centers.append(_center(code))
                    break
            else:
                self._next[region.cell] = (first + tries) % len(self.strategies)
        return list(found.values())

    def _read_region(self, gray: np.ndarray, region: Region, strategy: Strategy) -> list[Decoded]:
        crop, back = _cut(gray, region, strategy.scale)
        if strategy.prepare is not None:
            crop = strategy.prepare(crop)
        codes = self._zxing.read(crop, try_downscale=False)
        return [
            Decoded(code.text, code.symbology, tuple(_to_frame(back, p) for p in code.points))
            for code in codes
        ]


def _to_frame(back: np.ndarray, point: tuple[int, int]) -> tuple[int, int]:
    x = back[0, 0] * point[0] + back[0, 1] * point[1] + back[0, 2]
    y = back[1, 0] * point[0] + back[1, 1] * point[1] + back[1, 2]
    return (round(float(x)), round(float(y)))
