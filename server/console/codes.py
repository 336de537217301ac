"""QR and Code 128 images as inline SVG, made on the server (segno, python-barcode).

Code 128 is drawn here from python-barcode's module pattern: its own SVG writer styles
with ``style=`` attributes, which the console's Content-Security-Policy (no inline
styles) would drop, turning the white background black.
"""

from __future__ import annotations

import io

import barcode
import segno
from markupsafe import Markup, escape


def qr_svg(data: str, *, title: str = "") -> Markup:
    """A QR code (error correction M, quiet zone 4) that scales to its box."""
    qr = segno.make(data, error="m", micro=False)
    out = io.BytesIO()
    qr.save(
        out,
        kind="svg",
        border=4,
        xmldecl=False,
        svgns=True,
        omitsize=True,
        title=title or None,
        nl=False,
        svgclass="qr-code",
        lineclass=None,
        dark="#000",
    )
    return Markup(out.getvalue().decode())


def code128_svg(data: str, *, height: int = 40, title: str = "") -> Markup:
    """Code 128 bars (auto code set), quiet zone of 10 modules each side, scalable."""
    pattern = barcode.get("code128", data).build()[0]
    quiet = 10
    width = len(pattern) + 2 * quiet
    bars = []
    run_start = None
    for index, module in enumerate(pattern + "0"):
        if module == "1" and run_start is None:
            run_start = index
        elif module != "1" and run_start is not None:
            bars.append(
                f'<rect x="{run_start + quiet}" y="0" width="{index - run_start}" '
                f'height="{height}"/>'
            )
            run_start = None
    label = escape(title or data)
    return Markup(
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'preserveAspectRatio="none" role="img" aria-label="{label}" class="code128">'
        f'<title>{label}</title><rect width="{width}" height="{height}" fill="#fff"/>'
        f'<g fill="#000">{"".join(bars)}</g></svg>'
    )
