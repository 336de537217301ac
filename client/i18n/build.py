"""Refresh the Dutch translation: lupdate the sources, fill in ``NL``, lrelease to .qm.

    python -m client.i18n.build          # needs pyside6-lupdate / pyside6-lrelease

A source text without a Dutch entry fails the build (and the test
``test_translations_are_complete_and_compiled`` in tests/client/test_kiosk_screens.py).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

from client.i18n.nl import NL

HERE = Path(__file__).parent
TS = HERE / "rentguy_nl.ts"
QM = HERE / "rentguy_nl.qm"


def _tool(name: str) -> str:
    local = Path(sys.executable).with_name(name)
    return str(local) if local.exists() else (shutil.which(name) or name)


def fill(ts_path: Path = TS) -> list[str]:
    """Write NL's translations into the .ts; returns the source texts that have none."""
    tree = ET.parse(ts_path)
    missing = []
    for message in tree.iter("message"):
        source = message.findtext("source") or ""
        translation = message.find("translation")
        if translation is None:
            translation = ET.SubElement(message, "translation")
        if source in NL:
            translation.text = NL[source]
            translation.attrib.pop("type", None)
        elif translation.attrib.get("type") != "vanished":
            missing.append(source)
    tree.write(ts_path, encoding="utf-8", xml_declaration=True)
    return missing


def main() -> int:
    sources = sorted(str(p) for p in HERE.parent.rglob("*.py") if "i18n" not in p.parts)
    subprocess.run([_tool("pyside6-lupdate"), *sources, "-no-obsolete", "-ts", str(TS)], check=True)
    missing = fill()
    if missing:
        print("no Dutch for:", *missing, sep="\n  ", file=sys.stderr)
        return 1
    subprocess.run([_tool("pyside6-lrelease"), str(TS), "-qm", str(QM)], check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
