"""The camera scanner on a video file of real barcodes (cv2.VideoWriter), both backends."""

from __future__ import annotations

import cv2
import pytest

from client.scanners.camera import CameraPreview, CameraScanner, ReadConfirmer
from client.scanners.decoders import Decoded, make_decoder
from shared.barcodes import normalize_code
from tests.client.conftest import ean13
from tests.client.video import frame as make_frame
from tests.client.video import render, write_video

pytestmark = pytest.mark.gui

EAN = ean13("871234500001")
SHOTS = [
    (None, "", 3),
    ("RG-U-0001", "code128", 4),
    (None, "", 2),
    (EAN, "ean13", 4),
    ("96385074", "ean8", 4),
    ("036000291452", "upca", 4),
    ("RG-C-0001", "qrcode", 4),
    ("RG-U-0002", "datamatrix", 4),
    ("RG-U-0002", "datamatrix", 4),  # held under the camera: still one scan
    ("RG-U-0007", "code128", 1),  # a single frame is never enough
    (None, "", 2),
]


@pytest.fixture(scope="module")
def video(tmp_path_factory):
    return write_video(tmp_path_factory.mktemp("camera") / "bench.avi", SHOTS)


def run(qtbot, video, backend: str) -> list[tuple[str, str]]:
    scanner = CameraScanner(str(video), decoder=make_decoder(backend))
    reads: list[tuple[str, str]] = []
    scanner.scanned.connect(lambda read: reads.append((read.code, read.symbology)))
    with qtbot.waitSignal(scanner.status_changed, timeout=30_000, check_params_cb=_ended):
        scanner.start()
        scanner.wait(30)
    scanner.stop()
    qtbot.wait(10)  # deliver the queued reads
    return reads


def _ended(state: str, _message: str) -> bool:
    return state in ("ended", "absent")


def test_zxing_reads_every_format_once(qtbot, video):
    reads = run(qtbot, video, "zxing-cpp")
    texts = [normalize_code(code, symbology).value for code, symbology in reads]
    assert texts == [
        "RG-U-0001",
        "0" + EAN,
        "00000096385074",
        "00036000291452",
        "RG-C-0001",
        "RG-U-0002",
    ]
    assert all(source for _code, source in reads)


def test_pyzbar_reads_the_same_except_data_matrix(qtbot, video):
    reads = run(qtbot, video, "pyzbar")
    texts = [normalize_code(code, symbology).value for code, symbology in reads]
    assert texts == ["RG-U-0001", "0" + EAN, "00000096385074", "00036000291452", "RG-C-0001"]


def test_a_missing_camera_is_reported(qtbot, tmp_path):
    scanner = CameraScanner(str(tmp_path / "nope.avi"), decoder=make_decoder("zxing-cpp"))
    with qtbot.waitSignal(scanner.status_changed, timeout=10_000) as signal:
        scanner.start()
    scanner.stop()
    assert signal.args[0] == "absent" and "cannot be opened" in signal.args[1]


def _code(text: str) -> Decoded:
    return Decoded(text, "code128", ((0, 0), (1, 0), (1, 1), (0, 1)))


def test_confirmer_needs_two_consecutive_identical_reads_and_holds_off():
    now = [0.0]
    confirmer = ReadConfirmer(confirmations=2, hold_off_s=2.0, clock=lambda: now[0])
    assert confirmer.feed([_code("A")]) == []
    assert confirmer.feed([]) == []  # a gap breaks the streak
    assert confirmer.feed([_code("A")]) == []
    assert [c.text for c in confirmer.feed([_code("A"), _code("B")])] == ["A"]
    assert [c.text for c in confirmer.feed([_code("A"), _code("B")])] == ["B"]
    now[0] = 1.9
    assert confirmer.feed([_code("A")]) == []  # still within the hold-off
    now[0] = 2.1
    assert [c.text for c in confirmer.feed([_code("A")])] == ["A"]


def test_unknown_backend_or_format_is_refused():
    with pytest.raises(ValueError, match="backend"):
        make_decoder("zbar-ng")
    with pytest.raises(ValueError, match="formats"):
        make_decoder("zxing-cpp", ["pdf417"])


def test_preview_outlines_the_found_code(qtbot, video, tmp_path):
    scanner = CameraScanner(str(video), decoder=make_decoder("zxing-cpp"))
    preview = CameraPreview()
    qtbot.addWidget(preview)
    preview.resize(640, 360)
    preview.attach(scanner)
    preview.show()
    with qtbot.waitSignal(scanner.status_changed, timeout=30_000, check_params_cb=_ended):
        scanner.start()
    scanner.stop()
    frame, codes = scanner.latest_frame()
    assert frame.shape == (360, 640, 3)  # the preview's copy, made in the worker
    # Show a frame with a code in it and check the green outline is painted.
    image = make_frame(render("RG-U-0001", "code128"))
    found = make_decoder("zxing-cpp").decode(cv2.cvtColor(image, cv2.COLOR_BGR2GRAY))
    preview.show_frame(image, found)
    shot = preview.grab().toImage()
    (x, y) = found[0].points[0]
    scale = 640 / 1280
    pixel = shot.pixelColor(round(x * scale), round(y * scale))
    assert (pixel.red(), pixel.green(), pixel.blue()) == (0x2E, 0xE0, 0x5A)
