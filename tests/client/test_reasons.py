"""Reasons in the operator's language (issue 17 item 4, SPEC §10 "Reasons are codes").

Every code the server can answer, and every local verdict, has an English and a Dutch
kiosk text with the same parameters; stored scans keep codes, so a language switch
re-renders them; a code from a newer server still reads (in the server's English).
"""

from __future__ import annotations

import re
import uuid

import pytest
from PySide6.QtCore import QCoreApplication

from client.app import install_translator
from client.controller import ScanController
from client.i18n.nl import NL
from client.reasons import STATUS_WORDS, TEXTS, LocalReason, reason_text, scan_reason
from client.scanners.base import ScanRead
from client.timeutil import utc_now
from shared.protocol import ScanResult
from shared.reasons import ENGLISH, ReasonCode

_PARAM = re.compile(r"\{(\w+)\}")


@pytest.fixture
def dutch(qapp):
    translator = install_translator("nl")
    assert translator is not None
    yield
    QCoreApplication.instance().removeTranslator(translator)


@pytest.mark.parametrize("code", [*ReasonCode, *LocalReason], ids=str)
def test_every_code_has_english_and_dutch_with_the_same_parameters(code):
    english = TEXTS[code]
    assert code in TEXTS and english in NL, f"no Dutch for {english!r}"
    assert set(_PARAM.findall(NL[english])) == set(_PARAM.findall(english))
    if isinstance(code, ReasonCode):
        # The kiosk needs no parameter the server does not send.
        assert set(_PARAM.findall(english)) <= set(_PARAM.findall(ENGLISH[code])) | {
            "code",
            "field",
            "char",
            "error",
        }


def test_status_words_are_translated():
    assert all(word in NL for word in STATUS_WORDS.values())


def test_a_reason_renders_in_the_kiosk_language_with_its_parameters(qapp, dutch):
    params = {"barcode": "RG-U-0001", "status": "damaged"}
    assert reason_text("unit_marked", params) == "Exemplaar RG-U-0001 staat op beschadigd."
    assert reason_text("over_picked", {"out": 5, "wanted": 4}) == (
        "Meer dan de paklijst vraagt: 5 uit, 4 gevraagd."
    )


def test_english_kiosk_and_a_code_from_a_newer_server(qapp):
    assert reason_text("unknown_code", {"code": "X-1"}) == "Unknown code X-1"
    # Not known to this kiosk: the server's code as is, never a crash or an empty cell.
    assert reason_text("from_a_newer_server", {}) == "from_a_newer_server"


def _read(code: str) -> ScanRead:
    return ScanRead(code=code, symbology="", source="wedge", read_at=utc_now())


@pytest.fixture
def controller(qapp, mirrored_store, demo):
    ctl = ScanController(mirrored_store)
    ctl.login_badge(demo.badge_code)
    ctl.choose_project(str(demo.project_id))
    return ctl


def test_stored_reasons_re_render_after_a_language_switch(controller, qapp):
    local = controller.handle(_read("NOT-IN-MIRROR")).scan  # the kiosk's own verdict
    flagged = controller.handle(_read("RG-U-0001")).scan
    controller.store.apply_results(
        [
            ScanResult.model_validate(
                {
                    "scan_id": flagged.scan_id,
                    "status": "conflict",
                    "reason": "unit RG-U-0001 is already out on another project (p)",
                    "reasons": [
                        {
                            "code": "already_out_other_project",
                            "params": {"barcode": "RG-U-0001", "project_id": str(uuid.uuid4())},
                        }
                    ],
                }
            )
        ]
    )
    local, flagged = (controller.store.get_scan(s.scan_id) for s in (local, flagged))
    assert scan_reason(local) == "Unknown code"
    assert scan_reason(flagged) == "Unit RG-U-0001 is still out on another project."
    translator = install_translator("nl")
    try:
        assert scan_reason(local) == "Onbekende code"
        assert scan_reason(flagged) == "Exemplaar RG-U-0001 is nog uit op een ander project."
    finally:
        QCoreApplication.instance().removeTranslator(translator)


def test_an_answer_from_a_server_before_codes_shows_its_text(controller):
    scan = controller.handle(_read("RG-U-0001")).scan
    controller.store.apply_results(
        [ScanResult(scan_id=uuid.UUID(scan.scan_id), status="rejected", reason="old words")]
    )
    assert scan_reason(controller.store.get_scan(scan.scan_id)) == "old words"


def test_recent_rows_show_the_whole_reason_on_tap(qtbot):
    from client.ui.scan_screen import ScanScreen

    screen = ScanScreen()
    qtbot.addWidget(screen)
    long_reason = "Kit RG-K-1: 20 unit(s) not out on this project: " + ", ".join(
        f"RG-U-{n:04d}" for n in range(20)
    )

    class Row:
        scan_id = "s1"
        state = "conflict"
        server_result = {
            "reasons": [
                {
                    "code": "kit_not_out",
                    "params": {
                        "kit": "RG-K-1",
                        "count": 20,
                        "units": ", ".join(f"RG-U-{n:04d}" for n in range(20)),
                    },
                }
            ]
        }
        reason_codes = ()
        reason = None
        condition = None
        qty = 1
        mode = "out"
        scanned_at = utc_now()

    screen.show_recent([(Row(), "Kit")])
    assert screen.recent.item(0, 4).text() == long_reason  # whole, elided only when drawn
    screen.recent.cellClicked.emit(0, 4)
    assert long_reason in screen.banner.text() and screen.banner.wordWrap()
