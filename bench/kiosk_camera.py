"""Camera decoding: recall on hard frames per decoder, and the worker on a looped video.

    .venv/bin/python bench/kiosk_camera.py --seed 1 [--per-category 20] [--backends ...]
    .venv/bin/python bench/kiosk_camera.py --video [--seconds 10]

Frame set (default): ``tests.client.hard_frames`` renders, from the seed, scenes of real
barcodes (zxing-cpp's encoder, integer scale, INTER_AREA) in six categories: clean,
rotated, small, blur, noise, several codes. Each scene is two consecutive 1280×720 frames;
a code counts as read when the kiosk's ``ReadConfirmer`` accepts it (two consecutive
identical reads), a misread is an accepted code that is not on the frame. Printed per
decoder: recall per category and per symbology, misreads, median and p95 decode time per
frame (wall time in ``decoder.decode`` only, in this one thread, as in the camera worker),
and the median CPU time of that thread per frame (less sensitive to a loaded machine).
``zxing-cpp-single`` is the single full-frame read the kiosk had before the cascade;
``zxing+zbar`` runs both libraries on every frame.

Video (``--video``): a video file of real barcodes (cv2.VideoWriter) is the camera. Each
backend runs in the CameraScanner's worker thread, looping over the file, while the GUI
thread shows the live preview; a 1 ms timer in the GUI thread measures the longest gap
between its ticks (target: no stall > 16 ms). Decode rate is frames / time spent in
the decoder; capture rate adds reading and converting the frames.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from client.scanners.camera import CameraPreview, CameraScanner, ReadConfirmer  # noqa: E402
from client.scanners.decoders import Decoded, make_decoder  # noqa: E402
from tests.client import hard_frames  # noqa: E402
from tests.client.conftest import ean13  # noqa: E402
from tests.client.video import write_video  # noqa: E402


class BothLibraries:
    """zxing-cpp and zbar on every frame, their reads merged: the naive "read more"."""

    name = "zxing+zbar"

    def __init__(self) -> None:
        self._zxing = make_decoder("zxing-cpp-single")
        self._zbar = make_decoder("pyzbar")

    def decode(self, gray) -> list[Decoded]:
        found = {c.text: c for c in self._zxing.decode(gray)}
        for code in self._zbar.decode(gray):
            found.setdefault(code.text, code)
        return list(found.values())


def frame_set(seed: int, per_category: int, backends: list[str]) -> None:
    t0 = time.perf_counter()
    scenes = list(hard_frames.scenes(seed, per_category))
    codes = sum(len(s.codes) for s in scenes)
    print(
        f"frame set: seed {seed}, {len(scenes)} scenes × 2 frames of 1280×720, {codes} codes"
        f" (rendered in {time.perf_counter() - t0:.1f} s); load {os.getloadavg()[0]:.2f}"
    )
    cats = hard_frames.CATEGORIES
    print(f"{'decoder':18s} " + " ".join(f"{c:>8s}" for c in cats) + "      all     hard"
          "  misreads  median    p95   median CPU")
    for backend in backends:
        decoder = BothLibraries() if backend == "zxing+zbar" else make_decoder(backend)
        decoder.decode(scenes[0].frames[0])  # warm up (imports, first allocations)
        score = hard_frames.score(decoder, scenes, timed=True)
        times = sorted(score.frame_s)
        cells = " ".join(f"{100 * score.recall((c,)):7.1f}%" for c in cats)
        print(
            f"{backend:18s} {cells} {100 * score.recall():7.1f}%"
            f" {100 * score.recall(hard_frames.HARD):7.1f}%"
            f"  {len(score.misreads):8d} {1000 * statistics.median(times):5.1f} ms"
            f" {1000 * times[int(0.95 * len(times))]:5.1f} ms"
            f" {1000 * statistics.median(score.frame_cpu_s):5.1f} ms"
        )
        syms = " ".join(
            f"{s} {score.read.get('sym:' + s, 0)}/{score.expected.get('sym:' + s, 0)}"
            for s in hard_frames.SYMBOLOGIES
        )
        print(f"{'':18s} {syms}")
        if score.misreads:
            print(f"{'':18s} misread: {', '.join(score.misreads)}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--per-category", type=int, default=20)
    parser.add_argument(
        "--backends", nargs="+", default=["zxing-cpp-single", "zxing+zbar", "zxing-cpp"]
    )
    parser.add_argument("--video", action="store_true", help="the worker on a looped video")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()
    if args.video:
        video_bench(args.seconds)
    else:
        frame_set(args.seed, args.per_category, args.backends)


def video_bench(seconds: float) -> None:
    app = QApplication(sys.argv[:1])
    video = Path(tempfile.mkdtemp(prefix="rg-cam-")) / "warehouse.avi"
    shots = [
        ("RG-U-0001", "code128", 30),
        (None, "", 10),
        (ean13("871234500001"), "ean13", 30),
        ("RG-C-0001", "qrcode", 30),
        ("RG-U-0002", "datamatrix", 30),
        (None, "", 20),
    ]
    write_video(video, shots)
    print(f"camera: {sum(n for *_x, n in shots)}-frame 1280×720 MJPG video, looped")
    for backend in ("zxing-cpp-single", "zxing-cpp", "pyzbar"):
        scanner = CameraScanner(
            str(video),
            decoder=make_decoder(backend),
            confirmer=ReadConfirmer(hold_off_s=0.5),
            loop=True,
        )
        reads: list[str] = []
        scanner.scanned.connect(lambda read, reads=reads: reads.append(read.code))
        preview = CameraPreview()
        preview.resize(640, 360)
        preview.attach(scanner)
        preview.show()
        gaps: list[float] = []
        last = [time.perf_counter()]

        def tick(gaps: list[float] = gaps, last: list[float] = last) -> None:
            now = time.perf_counter()
            gaps.append(now - last[0])
            last[0] = now

        timer = QTimer()
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.timeout.connect(tick)
        timer.start(1)
        scanner.start()
        wall0 = time.perf_counter()
        last[0] = wall0
        while time.perf_counter() - wall0 < seconds:
            app.processEvents()
            time.sleep(0.0005)
        scanner.stop()
        timer.stop()
        wall = time.perf_counter() - wall0
        stats = scanner.stats
        ordered = sorted(gaps)
        p99 = ordered[int(0.99 * len(ordered))] * 1000
        print(
            f"  {backend:9s}: decode {stats.decode_fps:6.1f} frames/s in the worker"
            f" ({stats.frames} frames, capture+decode {stats.frames / wall:5.1f}/s);"
            f" {len(reads)} codes accepted; GUI event-loop gap p99 {p99:4.1f} ms,"
            f" max {ordered[-1] * 1000:5.1f} ms"
        )
        preview.close()


if __name__ == "__main__":
    main()
