"""Entry script of the frozen kiosk: the same as the ``rentguy-kiosk`` console script.

PyInstaller needs a script, not an entry point. ``--selftest`` (handled here, before the
app sees its arguments) imports the native pieces a frozen bundle can lose -- Qt's platform
plugin, OpenCV, zxing-cpp, pyzbar with the system libzbar -- and exits 0 or 1. The imports
are plain statements so PyInstaller's analysis sees them too.
"""

import os
import sys


def _qt() -> None:
    from PySide6.QtWidgets import QApplication

    QApplication.instance() or QApplication([])


def _cv2() -> None:
    import cv2  # noqa: F401


def _zxingcpp() -> None:
    import zxingcpp  # noqa: F401


def _pyzbar() -> None:
    import pyzbar.pyzbar  # noqa: F401  (raises ImportError without the system libzbar.so.0)


def _client() -> None:
    import client.app  # noqa: F401


def _selftest() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    failures = 0
    for check in (_qt, _cv2, _zxingcpp, _pyzbar, _client):
        name = check.__name__.lstrip("_")
        try:
            check()
            print(f"ok   {name}")
        except Exception as exc:  # report every failure, not only the first
            failures += 1
            print(f"FAIL {name}: {type(exc).__name__}: {exc}")
    return 1 if failures else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--selftest"]:
        sys.exit(_selftest())
    from client.app import main

    sys.exit(main())
