"""Why a scan was flagged, in the operator's language (SPEC §10 "Reasons are codes").

The server answers conflicts and rejections with codes and parameters
(``shared.reasons``); the kiosk's own verdicts have codes too (``LocalReason``). Both are
stored with the scan and turned into text only when shown, in the language the kiosk
speaks at that moment, so a language switch re-renders every stored reason. The server's
English text is never parsed: it is shown only for a code this kiosk does not know yet
(a newer server) or for an answer stored before reasons had codes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from enum import StrEnum
from typing import cast

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication

from shared.reasons import ReasonCode, english

CONTEXT = "Reasons"


class LocalReason(StrEnum):
    """The kiosk's own verdict on a scan, before (or without) the server's answer."""

    UNREADABLE = "local.unreadable"  # error
    UNKNOWN_CODE = "local.unknown_code"
    PRODUCT_LABEL = "local.product_label"
    UNIT_STATUS = "local.unit_status"  # status
    ALREADY_OUT_HERE = "local.already_out_here"
    OUT_ELSEWHERE = "local.out_elsewhere"
    NOT_OUT = "local.not_out"
    OUT_ON_OTHER = "local.out_on_other"
    NOT_ON_PICK_LIST = "local.not_on_pick_list"
    OVER_PICK_LIST = "local.over_pick_list"


# English source texts; Dutch in client/i18n/nl.py. ``{name}`` is a parameter.
_TEXTS = {
    ReasonCode.INVALID_TEXT: QT_TRANSLATE_NOOP(
        "Reasons", "The scan could not be stored: {field} contains {char}."
    ),
    ReasonCode.INVALID_TIMESTAMP: QT_TRANSLATE_NOOP(
        "Reasons", "The scan could not be stored: its time is out of range."
    ),
    ReasonCode.NOT_STORABLE: QT_TRANSLATE_NOOP(
        "Reasons", "The server could not store this scan ({error})."
    ),
    ReasonCode.UNKNOWN_USER: QT_TRANSLATE_NOOP(
        "Reasons", "The server does not know this user. Log in again."
    ),
    ReasonCode.UNKNOWN_PROJECT: QT_TRANSLATE_NOOP(
        "Reasons", "The server does not know this project. Choose another project."
    ),
    ReasonCode.INVALID_CODE: QT_TRANSLATE_NOOP("Reasons", "Unreadable code {code}: {error}"),
    ReasonCode.UNKNOWN_CODE: QT_TRANSLATE_NOOP("Reasons", "Unknown code {code}"),
    ReasonCode.QTY_ONLY_FOR_BULK: QT_TRANSLATE_NOOP(
        "Reasons", "A quantity is only allowed for bulk items."
    ),
    ReasonCode.PACK_NEEDS_UNIT: QT_TRANSLATE_NOOP(
        "Reasons", "Only a single unit can be packed into a case."
    ),
    ReasonCode.UNKNOWN_CASE: QT_TRANSLATE_NOOP("Reasons", "Unknown case {case_code}"),
    ReasonCode.UNIT_TAKEN_FROM_CASE: QT_TRANSLATE_NOOP(
        "Reasons", "Unit {barcode} was taken out of case {case}."
    ),
    ReasonCode.ALREADY_OUT_THIS_PROJECT: QT_TRANSLATE_NOOP(
        "Reasons", "Unit {barcode} was already out on this project."
    ),
    ReasonCode.ALREADY_OUT_OTHER_PROJECT: QT_TRANSLATE_NOOP(
        "Reasons", "Unit {barcode} is still out on another project."
    ),
    ReasonCode.UNIT_MARKED: QT_TRANSLATE_NOOP("Reasons", "Unit {barcode} is marked {status}."),
    ReasonCode.NOT_A_NAMED_UNIT: QT_TRANSLATE_NOOP(
        "Reasons", "Unit {barcode} is not one of the units named on the pick list."
    ),
    ReasonCode.NOT_OUT: QT_TRANSLATE_NOOP("Reasons", "Unit {barcode} was not out."),
    ReasonCode.KIT_NOT_OUT: QT_TRANSLATE_NOOP(
        "Reasons", "Kit {kit}: {count} unit(s) not out on this project: {units}"
    ),
    ReasonCode.KIT_NOT_BACK: QT_TRANSLATE_NOOP(
        "Reasons", "Kit {kit}: {count} unit(s) not back in: {units}"
    ),
    ReasonCode.NOT_ON_PICK_LIST: QT_TRANSLATE_NOOP(
        "Reasons", "This item is not on the project's pick list."
    ),
    ReasonCode.OVER_PICKED: QT_TRANSLATE_NOOP(
        "Reasons", "More than the pick list asks for: {out} out, {wanted} asked."
    ),
    ReasonCode.USER_DEACTIVATED: QT_TRANSLATE_NOOP(
        "Reasons", "Scanned by a user who has been deactivated: to be reviewed."
    ),
    ReasonCode.NO_LOGIN_SESSION: QT_TRANSLATE_NOOP(
        "Reasons", "The server has no login of this user at this station: to be reviewed."
    ),
    ReasonCode.LOGIN_SESSION_MISMATCH: QT_TRANSLATE_NOOP(
        "Reasons", "This scan names another user's or station's login: to be reviewed."
    ),
    ReasonCode.ANNUL_UNKNOWN_SCAN: QT_TRANSLATE_NOOP(
        "Reasons", "Undo refused: the server does not know that scan from this station."
    ),
    ReasonCode.ANNUL_TARGET_REJECTED: QT_TRANSLATE_NOOP(
        "Reasons", "Nothing to undo: that scan was rejected."
    ),
    ReasonCode.ANNUL_OF_ANNUL: QT_TRANSLATE_NOOP(
        "Reasons", "An undo cannot be undone: scan the item again."
    ),
    ReasonCode.ANNUL_WINDOW_PASSED: QT_TRANSLATE_NOOP(
        "Reasons", "Too late to undo: the time to undo has passed."
    ),
    ReasonCode.ANNUL_ALREADY_DONE: QT_TRANSLATE_NOOP(
        "Reasons", "That scan was already undone."
    ),
    ReasonCode.ANNUL_NEEDS_ADMIN: QT_TRANSLATE_NOOP(
        "Reasons", "A damaged or missing return cannot be undone here; an admin corrects it."
    ),
    LocalReason.UNREADABLE: QT_TRANSLATE_NOOP("Reasons", "Unreadable code: {error}"),
    LocalReason.UNKNOWN_CODE: QT_TRANSLATE_NOOP("Reasons", "Unknown code"),
    LocalReason.PRODUCT_LABEL: QT_TRANSLATE_NOOP("Reasons", "scan the unit's own label"),
    LocalReason.UNIT_STATUS: QT_TRANSLATE_NOOP("Reasons", "status is {status}"),
    LocalReason.ALREADY_OUT_HERE: QT_TRANSLATE_NOOP(
        "Reasons", "already scanned out for this project"
    ),
    LocalReason.OUT_ELSEWHERE: QT_TRANSLATE_NOOP("Reasons", "still out on another project"),
    LocalReason.NOT_OUT: QT_TRANSLATE_NOOP("Reasons", "was not out"),
    LocalReason.OUT_ON_OTHER: QT_TRANSLATE_NOOP("Reasons", "is out on another project"),
    LocalReason.NOT_ON_PICK_LIST: QT_TRANSLATE_NOOP("Reasons", "not on the pick list"),
    LocalReason.OVER_PICK_LIST: QT_TRANSLATE_NOOP("Reasons", "more than the pick list asks for"),
}
# QT_TRANSLATE_NOOP returns its text unchanged; PySide6's stubs say ``object``.
TEXTS = cast("dict[str, str]", _TEXTS)

# Unit statuses are words too: "status is damaged" must read in the operator's language.
_STATUS_WORDS = {
    "available": QT_TRANSLATE_NOOP("Reasons", "available"),
    "out": QT_TRANSLATE_NOOP("Reasons", "out"),
    "damaged": QT_TRANSLATE_NOOP("Reasons", "damaged"),
    "missing": QT_TRANSLATE_NOOP("Reasons", "missing"),
    "maintenance": QT_TRANSLATE_NOOP("Reasons", "maintenance"),
    "retired": QT_TRANSLATE_NOOP("Reasons", "retired"),
    "lost": QT_TRANSLATE_NOOP("Reasons", "lost"),
}
STATUS_WORDS = cast("dict[str, str]", _STATUS_WORDS)


def translate(source: str) -> str:
    return QCoreApplication.translate(CONTEXT, source)


def reason_text(code: str, params: Mapping[str, str | int]) -> str:
    """One reason in the kiosk's language, parameters filled in. A code this kiosk does
    not know (a newer server) reads as the server's English for it."""
    source = TEXTS.get(code)
    if source is None:
        return english(code, dict(params))
    values = {k: _word(k, v) for k, v in params.items()}
    return translate(source).format_map(_Lenient(values))


def reasons_text(reasons: Iterable[Mapping]) -> str:
    """Several reasons (``{"code", "params"}``), one sentence after the other."""
    return "; ".join(reason_text(r["code"], r.get("params") or {}) for r in reasons)


def _word(name: str, value: str | int) -> str:
    if name == "status" and isinstance(value, str) and value in STATUS_WORDS:
        return translate(STATUS_WORDS[value])
    return str(value)


class _Lenient(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def scan_reason(scan) -> str:
    """What to show as a stored scan's reason (a ``client.store.QueuedScan``), rendered
    now: the server's codes once it answered, else the kiosk's own verdict."""
    result = scan.server_result or {}
    if result.get("reasons"):
        return reasons_text(result["reasons"])
    if result:  # a server from before codes: its English text, as it always was
        return result.get("reason") or ""
    if scan.reason_codes:
        return reasons_text(scan.reason_codes)
    return scan.reason or ""
