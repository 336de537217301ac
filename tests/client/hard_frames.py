"""Hard camera frames from a seed: the shop floor the kiosk's camera really sees.

Each *scene* is one or more labels on a grey bench, filmed as two consecutive 1280×720
frames that differ only in sensor noise (a label held still under the camera): the kiosk
accepts a code only when two consecutive frames read it (``ReadConfirmer``), so recall is
counted on that rule. Categories: ``clean``, ``rotated`` (any angle), ``small`` (about one
pixel per module), ``blur`` (defocus and motion), ``noise`` (low contrast, uneven light,
sensor noise) and ``several`` (three or four codes in one frame).

Labels are rendered by a real encoder (zxing-cpp) at an integer scale, rotated at that
resolution and only then shrunk with INTER_AREA (SPEC §8): the camera integrates sharp
edges over its pixels, it does not interpolate blurry 1-px modules.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np
import zxingcpp

from client.scanners.camera import ReadConfirmer
from client.scanners.decoders import Decoded, Decoder
from shared.barcodes import BarcodeError, normalize_code
from tests.client.video import HEIGHT, WIDTH

CATEGORIES = ("clean", "rotated", "small", "blur", "noise", "several")
HARD = ("rotated", "small", "blur", "noise", "several")
SYMBOLOGIES = ("code128", "ean13", "ean8", "upca", "qrcode", "datamatrix")
_FORMATS = {
    "code128": zxingcpp.BarcodeFormat.Code128,
    "ean13": zxingcpp.BarcodeFormat.EAN13,
    "ean8": zxingcpp.BarcodeFormat.EAN8,
    "upca": zxingcpp.BarcodeFormat.UPCA,
    "qrcode": zxingcpp.BarcodeFormat.QRCode,
    "datamatrix": zxingcpp.BarcodeFormat.DataMatrix,
}
_SCALE = 8  # encoder pixels per module before the "camera" shrinks the label


@dataclass(frozen=True)
class Code:
    text: str
    symbology: str


@dataclass(frozen=True)
class Scene:
    category: str
    codes: tuple[Code, ...]
    frames: tuple[np.ndarray, np.ndarray]  # grayscale, two consecutive frames


def _gtin(rng: np.random.Generator, digits: int) -> str:
    body = "".join(str(d) for d in rng.integers(0, 10, digits - 1))
    total = sum(int(c) * (3 if i % 2 == 0 else 1) for i, c in enumerate(reversed(body)))
    return body + str((10 - total % 10) % 10)


def random_code(rng: np.random.Generator, symbology: str | None = None) -> Code:
    symbology = symbology or SYMBOLOGIES[rng.integers(len(SYMBOLOGIES))]
    if symbology == "ean13":
        return Code(_gtin(rng, 13), symbology)
    if symbology == "ean8":
        return Code(_gtin(rng, 8), symbology)
    if symbology == "upca":
        return Code(_gtin(rng, 12), symbology)
    kind = "UCK"[rng.integers(3)]
    return Code(f"RG-{kind}-{rng.integers(1, 10_000):04d}", symbology)


def _label(code: Code, module_px: float, angle: float) -> tuple[np.ndarray, np.ndarray]:
    """The label (white card, quiet zone included) as the camera sees it, and its mask."""
    image = np.array(zxingcpp.create_barcode(code.text, _FORMATS[code.symbology]).to_image(
        scale=_SCALE
    ))
    pad = 2 * _SCALE
    image = cv2.copyMakeBorder(image, pad, pad, pad, pad, cv2.BORDER_CONSTANT, value=255)
    h, w = image.shape
    turn = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    cos, sin = abs(turn[0, 0]), abs(turn[0, 1])
    bw, bh = int(h * sin + w * cos) + 2, int(h * cos + w * sin) + 2
    turn[0, 2] += bw / 2 - w / 2
    turn[1, 2] += bh / 2 - h / 2
    rotated = cv2.warpAffine(image, turn, (bw, bh), flags=cv2.INTER_LINEAR, borderValue=0)
    mask = cv2.warpAffine(
        np.full_like(image, 255), turn, (bw, bh), flags=cv2.INTER_LINEAR, borderValue=0
    )
    shrink = module_px / _SCALE
    size = (max(1, round(bw * shrink)), max(1, round(bh * shrink)))
    return (
        cv2.resize(rotated, size, interpolation=cv2.INTER_AREA),
        cv2.resize(mask, size, interpolation=cv2.INTER_AREA),
    )


def _bench(rng: np.random.Generator) -> np.ndarray:
    """A grey bench with some texture (wood grain, shadows), float32."""
    base = rng.uniform(110, 170)
    coarse = cv2.resize(rng.normal(0, 12, (9, 16)).astype(np.float32), (WIDTH, HEIGHT))
    return np.full((HEIGHT, WIDTH), base, np.float32) + coarse


def _place(canvas: np.ndarray, label: np.ndarray, mask: np.ndarray, x: int, y: int) -> None:
    h, w = label.shape
    alpha = mask.astype(np.float32) / 255
    region = canvas[y : y + h, x : x + w]
    region[:] = region * (1 - alpha) + label.astype(np.float32) * alpha


def _fits(boxes: list[tuple[int, int, int, int]], box: tuple[int, int, int, int]) -> bool:
    x, y, w, h = box
    return all(
        x + w <= bx or bx + bw <= x or y + h <= by or by + bh <= y for bx, by, bw, bh in boxes
    )


def _module_px(rng: np.random.Generator, category: str) -> float:
    return {
        "clean": (2.2, 4.0),
        "rotated": (1.8, 3.2),
        "small": (1.25, 1.6),
        "blur": (2.0, 3.5),
        "noise": (1.6, 3.0),
        "several": (1.3, 2.6),
    }[category][0] + rng.random() * (
        {
            "clean": 1.8,
            "rotated": 1.4,
            "small": 0.5,
            "blur": 1.5,
            "noise": 1.4,
            "several": 1.3,
        }[category]
    )


def _angle(rng: np.random.Generator, category: str) -> float:
    if category == "rotated":
        return float(rng.uniform(10, 80) + 90 * rng.integers(4))
    if category == "several":
        return float(rng.uniform(-12, 12) + 90 * rng.integers(2))
    return float(rng.uniform(-4, 4))


def scene(rng: np.random.Generator, category: str) -> Scene:
    canvas = _bench(rng)
    count = int(rng.integers(3, 5)) if category == "several" else 1
    codes: list[Code] = []
    boxes: list[tuple[int, int, int, int]] = []
    while len(codes) < count:
        code = random_code(rng)
        label, mask = _label(code, _module_px(rng, category), _angle(rng, category))
        h, w = label.shape
        if w >= WIDTH - 20 or h >= HEIGHT - 20:
            continue
        for _try in range(50):
            x = int(rng.integers(10, WIDTH - w - 10))
            y = int(rng.integers(10, HEIGHT - h - 10))
            if _fits(boxes, (x, y, w, h)):
                break
        else:
            continue
        if any(c.text == code.text for c in codes):
            continue
        _place(canvas, label, mask, x, y)
        boxes.append((x, y, w, h))
        codes.append(code)
    if category == "blur":
        if rng.random() < 0.5:
            canvas = cv2.GaussianBlur(canvas, (0, 0), float(rng.uniform(1.0, 1.8)))
        else:  # the label moved while the shutter was open
            length = int(rng.integers(4, 8))
            kernel = np.zeros((length, length), np.float32)
            kernel[length // 2, :] = 1 / length
            middle = (length / 2 - 0.5, length / 2 - 0.5)
            turn = cv2.getRotationMatrix2D(middle, float(rng.uniform(0, 180)), 1)
            kernel = cv2.warpAffine(kernel, turn, (length, length))
            canvas = cv2.filter2D(canvas, -1, kernel / kernel.sum())
    else:
        canvas = cv2.GaussianBlur(canvas, (0, 0), 0.6)  # every lens is a little soft
    sigma = 3.0
    if category == "noise":
        low, high = rng.uniform(30, 70), rng.uniform(160, 210)
        canvas = low + canvas * (high - low) / 255
        ramp = np.linspace(-1, 1, WIDTH, dtype=np.float32)[None, :] * rng.uniform(20, 45)
        canvas = canvas + ramp
        sigma = float(rng.uniform(10, 18))
    frames = tuple(
        np.clip(canvas + rng.normal(0, sigma, canvas.shape), 0, 255).astype(np.uint8)
        for _ in range(2)
    )
    return Scene(category, tuple(codes), frames)  # type: ignore[arg-type]


def scenes(
    seed: int, per_category: int, categories: tuple[str, ...] = CATEGORIES
) -> Iterator[Scene]:
    """``per_category`` scenes of each category, the same for the same seed."""
    for category in categories:  # a category's scenes do not depend on the others asked for
        rng = np.random.default_rng([seed, CATEGORIES.index(category)])
        for _ in range(per_category):
            yield scene(rng, category)


def canonical(text: str, symbology: str) -> str:
    """What the kiosk would book: a GTIN-14 for EAN/UPC (zbar reads UPC-A as EAN-13)."""
    try:
        return normalize_code(text, symbology).value
    except BarcodeError:
        return "\0" + text  # never equal to a true code: counts as a misread


@dataclass
class Score:
    """Codes confirmed (two consecutive reads), per category and symbology, and misreads."""

    expected: dict[str, int] = field(default_factory=dict)
    read: dict[str, int] = field(default_factory=dict)
    misreads: list[str] = field(default_factory=list)
    frame_s: list[float] = field(default_factory=list)  # wall time per decode
    frame_cpu_s: list[float] = field(default_factory=list)  # this thread's CPU time

    def add(self, key: str, hit: bool) -> None:
        self.expected[key] = self.expected.get(key, 0) + 1
        self.read[key] = self.read.get(key, 0) + hit

    def recall(self, keys: tuple[str, ...] | None = None) -> float:
        keys = keys or tuple(k for k in self.expected if not k.startswith("sym:"))
        expected = sum(self.expected.get(k, 0) for k in keys)
        return sum(self.read.get(k, 0) for k in keys) / expected if expected else 0.0


def score(decoder: Decoder, scene_list: list[Scene], *, timed: bool = False) -> Score:
    """Feed each scene's two frames through the decoder and a fresh ``ReadConfirmer``."""
    result = Score()
    for item in scene_list:
        confirmer = ReadConfirmer(confirmations=2, hold_off_s=0.0)
        if hasattr(decoder, "reset"):
            decoder.reset()  # a new scene is a new label under the camera
        accepted: list[Decoded] = []
        for gray in item.frames:
            wall, cpu = time.perf_counter(), time.thread_time()
            codes = decoder.decode(gray)
            if timed:
                result.frame_s.append(time.perf_counter() - wall)
                result.frame_cpu_s.append(time.thread_time() - cpu)
            accepted += confirmer.feed(codes)
        truth = {canonical(c.text, c.symbology) for c in item.codes}
        got = {canonical(c.text, c.symbology) for c in accepted}
        for code in item.codes:
            hit = canonical(code.text, code.symbology) in got
            result.add(item.category, hit)
            result.add("sym:" + code.symbology, hit)
        result.misreads += sorted(got - truth)
    return result


def label_frame(
    code: Code,
    *,
    module_px: float = 2.5,
    angle: float = 0.0,
    at: tuple[int, int] = (640, 360),
    inverted: bool = False,
    seed: int = 0,
) -> tuple[np.ndarray, tuple[int, int, int, int]]:
    """One grayscale frame with one label centred ``at``, and the label's box (x, y, w, h)."""
    rng = np.random.default_rng(seed)
    canvas = _bench(rng)
    label, mask = _label(code, module_px, angle)
    if inverted:  # white bars on a black card (etched or printed on dark stock)
        label = 255 - label
    h, w = label.shape
    x, y = at[0] - w // 2, at[1] - h // 2
    _place(canvas, label, mask, x, y)
    canvas = cv2.GaussianBlur(canvas, (0, 0), 0.6)
    frame = np.clip(canvas + rng.normal(0, 3.0, canvas.shape), 0, 255).astype(np.uint8)
    return frame, (x, y, w, h)


def empty_frame(seed: int, noise_sigma: float = 12.0) -> np.ndarray:
    """A bench with no label on it: whatever a decoder reads here is a phantom."""
    rng = np.random.default_rng(seed)
    canvas = _bench(rng)
    return np.clip(canvas + rng.normal(0, noise_sigma, canvas.shape), 0, 255).astype(np.uint8)
