"""What needs no database: the vendored files, the Dutch catalogue, the code images."""

from __future__ import annotations

import hashlib
import re

import cv2
import numpy as np
import pytest
import zxingcpp

from server.console.codes import code128_svg, qr_svg
from server.console.i18n import DUTCH, pick_language
from server.console.money import euros_to_cents
from server.console.nav import NAV
from server.console.plots import nice_step
from server.console.web import HERE, money

VENDOR = HERE / "static" / "vendor"


def test_vendored_files_match_their_recorded_sha256():
    table = (VENDOR / "VENDORED.md").read_text()
    rows = re.findall(r"^\| (\S+) \| (\S+) \| (\S+) \| .*`([0-9a-f]{64})` \|$", table, re.M)
    assert rows, "VENDORED.md lists no file"
    listed = set()
    for name, _package, _version, digest in rows:
        listed.add(name)
        assert hashlib.sha256((VENDOR / name).read_bytes()).hexdigest() == digest, name
    shipped = {p.name for p in VENDOR.iterdir() if p.suffix == ".js"}
    assert shipped == listed  # nothing served that is not recorded


def _texts() -> set[str]:
    """Every text the console translates: ``_("…")`` in templates and modules, menu labels."""
    found: set[str] = set()
    pattern = re.compile(r"""_\(\s*(["'])((?:(?!\1).)+)\1\s*\)""")
    for path in [*HERE.glob("templates/*.html"), *HERE.glob("*.py")]:
        for match in pattern.finditer(path.read_text()):
            found.add(match.group(2))
    found |= {label for _path, label, _perm in NAV}
    # Texts handed to _() by a variable: titles of error pages, notices, statuses.
    found |= {
        "Not allowed",
        "Not found",
        "Something went wrong",
        "You are logged out.",
        "Your session has ended; log in again.",
        "Saved.",
        "Refund requested.",
        "PIN saved.",
        "PIN cleared.",
        "Badge revoked.",
        "Online",
        "Offline",
        "Revoked",
    }
    return found


def test_every_console_text_has_a_dutch_translation():
    missing = sorted(text for text in _texts() if text not in DUTCH)
    assert missing == []


def test_language_is_the_users_choice_else_the_browsers():
    assert pick_language("en", "nl-NL,nl;q=0.9") == "en"
    assert pick_language(None, "en-GB,en;q=0.9") == "en"
    assert pick_language(None, "de-DE, nl;q=0.5") == "nl"
    assert pick_language(None, None) == "nl"
    assert pick_language("xx", "fr") == "nl"


def _raster(svg: str, size: int) -> np.ndarray:
    """Rasterise our Code 128 SVG (plain rects) without a browser. The QR codes are read
    back from Chromium's rendering in test_browser.py."""
    view = [float(v) for v in re.search(r'viewBox="([^"]+)"', svg).group(1).split()]
    w, h = int(view[2]), int(view[3])
    scale = size / w
    image = np.full((int(h * scale) + 1, size), 255, np.uint8)
    for x, y, rw, rh in re.findall(
        r'<rect x="(\d+)" y="(\d+)" width="(\d+)" height="(\d+)"/>', svg
    ):
        x0, y0 = int(float(x) * scale), int(float(y) * scale)
        image[y0 : y0 + int(float(rh) * scale), x0 : x0 + int(float(rw) * scale)] = 0
    return cv2.copyMakeBorder(image, 40, 40, 40, 40, cv2.BORDER_CONSTANT, value=255)


@pytest.mark.parametrize("text", ["BADGE-K7QM-9XP4-HTRZ", "ABCD-EFGH-JKMN"])
def test_code_images_read_back(text):
    codes = zxingcpp.read_barcodes(_raster(str(code128_svg(text)), 1200))
    assert [(c.text) for c in codes] == [text]
    assert 'viewBox="0 0 ' in str(qr_svg(text))  # scales to its box
    assert "style=" not in str(code128_svg(text)) + str(qr_svg(text))  # CSP: no inline style


def test_money_in_and_out():
    assert euros_to_cents("12,50") == 1250
    assert euros_to_cents("1.234,56") == 123456
    assert euros_to_cents("12.5") == 1250
    assert euros_to_cents("12,505") is None
    assert euros_to_cents("NaN") is None and euros_to_cents("abc") is None
    assert money(123456, "nl") == "€1.234,56" and money(-5, "en") == "-€0.05"


def test_plot_gridlines_are_round():
    assert [nice_step(p) for p in (1, 4, 5, 9, 150, 151, 3000)] == [1, 1, 2, 5, 50, 50, 1000]
