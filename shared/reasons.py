"""Why a scan was flagged or refused, as stable codes plus parameters (SPEC §10).

The server answers every ``conflict``/``rejected`` scan with one or more ``Reason``s: a
``ReasonCode`` (never renamed: kiosks and the console translate it) and parameters (text
or integers: barcodes, counts, ids). ``ENGLISH`` holds the text API users read; the kiosk
has its own translations of every code (``client.reasons``) and never parses this text.

Adding a code: add it here with its English template, give the kiosk a translation (a
test fails until every code has an English and a Dutch one).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from enum import StrEnum

ReasonParams = dict[str, str | int]
# What ``reason()`` takes: ints stay numbers, the rest is sent as text (None as "None").
ParamValue = str | int | uuid.UUID | None


class ReasonCode(StrEnum):
    # -- the scan cannot be stored at all (rejected, not kept)
    INVALID_TEXT = "invalid_text"  # field, char
    INVALID_TIMESTAMP = "invalid_timestamp"
    NOT_STORABLE = "not_storable"  # error
    # -- who and where (rejected)
    UNKNOWN_USER = "unknown_user"  # user_id
    UNKNOWN_PROJECT = "unknown_project"  # project_id
    # -- what was scanned (rejected)
    INVALID_CODE = "invalid_code"  # code, error
    UNKNOWN_CODE = "unknown_code"  # code
    QTY_ONLY_FOR_BULK = "qty_only_for_bulk"
    PACK_NEEDS_UNIT = "pack_needs_unit"
    UNKNOWN_CASE = "unknown_case"  # case_code
    # -- flagged for review (conflict; the scan still applies)
    UNIT_TAKEN_FROM_CASE = "unit_taken_from_case"  # barcode, case
    ALREADY_OUT_THIS_PROJECT = "already_out_this_project"  # barcode, project_id
    ALREADY_OUT_OTHER_PROJECT = "already_out_other_project"  # barcode, project_id
    UNIT_MARKED = "unit_marked"  # barcode, status
    NOT_A_NAMED_UNIT = "not_a_named_unit"  # barcode
    NOT_OUT = "not_out"  # barcode
    KIT_NOT_OUT = "kit_not_out"  # kit, count, units
    KIT_NOT_BACK = "kit_not_back"  # kit, count, units
    NOT_ON_PICK_LIST = "not_on_pick_list"  # product_id
    OVER_PICKED = "over_picked"  # out, wanted
    USER_DEACTIVATED = "user_deactivated"
    # -- who scanned: no login backs the scan (conflict; issue 15)
    NO_LOGIN_SESSION = "no_login_session"  # user_id
    LOGIN_SESSION_MISMATCH = "login_session_mismatch"  # login_session_id
    # -- undo (annul) refused (rejected)
    ANNUL_UNKNOWN_SCAN = "annul_unknown_scan"  # scan_id
    ANNUL_TARGET_REJECTED = "annul_target_rejected"  # scan_id
    ANNUL_OF_ANNUL = "annul_of_annul"
    ANNUL_WINDOW_PASSED = "annul_window_passed"
    ANNUL_ALREADY_DONE = "annul_already_done"  # scan_id, by
    ANNUL_NEEDS_ADMIN = "annul_needs_admin"


# English for API users; ``{name}`` is filled in from the reason's parameters.
ENGLISH: dict[ReasonCode, str] = {
    ReasonCode.INVALID_TEXT: "invalid_text: {field} contains {char}, which is not valid text",
    ReasonCode.INVALID_TIMESTAMP: (
        "invalid_timestamp: scanned_at is outside the years 1-9999 in UTC"
    ),
    ReasonCode.NOT_STORABLE: "not_storable: the database refused this scan ({error})",
    ReasonCode.UNKNOWN_USER: "unknown user {user_id}",
    ReasonCode.UNKNOWN_PROJECT: "unknown project {project_id}",
    ReasonCode.INVALID_CODE: "invalid code '{code}': {error}",
    ReasonCode.UNKNOWN_CODE: "unknown code '{code}'",
    ReasonCode.QTY_ONLY_FOR_BULK: "a quantity is only allowed for bulk products",
    ReasonCode.PACK_NEEDS_UNIT: "only a unit can be packed into a case",
    ReasonCode.UNKNOWN_CASE: "unknown case '{case_code}'",
    ReasonCode.UNIT_TAKEN_FROM_CASE: "unit {barcode} was taken out of case {case}",
    ReasonCode.ALREADY_OUT_THIS_PROJECT: (
        "unit {barcode} is already out on this project ({project_id})"
    ),
    ReasonCode.ALREADY_OUT_OTHER_PROJECT: (
        "unit {barcode} is already out on another project ({project_id})"
    ),
    ReasonCode.UNIT_MARKED: "unit {barcode} is marked {status}",
    ReasonCode.NOT_A_NAMED_UNIT: (
        "unit {barcode} is not one of the named units on the pick list"
    ),
    ReasonCode.NOT_OUT: "unit {barcode} was not out",
    ReasonCode.KIT_NOT_OUT: "kit {kit}: {count} expected unit(s) not out on this project: {units}",
    ReasonCode.KIT_NOT_BACK: "kit {kit}: {count} expected unit(s) not back in: {units}",
    ReasonCode.NOT_ON_PICK_LIST: "product {product_id} is not on this project's pick list",
    ReasonCode.OVER_PICKED: "over-picked: {out} out, pick list asks {wanted}",
    ReasonCode.USER_DEACTIVATED: "user deactivated — review",
    ReasonCode.NO_LOGIN_SESSION: (
        "no_login_session: user {user_id} has no login at this station — review"
    ),
    ReasonCode.LOGIN_SESSION_MISMATCH: (
        "login_session_mismatch: login {login_session_id} is not this user's login at"
        " this station — review"
    ),
    ReasonCode.ANNUL_UNKNOWN_SCAN: "no scan {scan_id} from this station to annul",
    ReasonCode.ANNUL_TARGET_REJECTED: "scan {scan_id} was rejected: nothing to annul",
    ReasonCode.ANNUL_OF_ANNUL: "an annul cannot itself be annulled; scan the item again",
    ReasonCode.ANNUL_WINDOW_PASSED: "too late to annul: the annul window has passed",
    ReasonCode.ANNUL_ALREADY_DONE: "scan {scan_id} was already annulled by {by}",
    ReasonCode.ANNUL_NEEDS_ADMIN: (
        "a damaged/missing return cannot be annulled at the kiosk; an admin corrects it"
    ),
}


@dataclass(frozen=True, slots=True)
class Reason:
    """One reason: its code, its parameters and the English text for API users."""

    code: ReasonCode
    params: ReasonParams = field(default_factory=dict)

    @property
    def text(self) -> str:
        return english(self.code, self.params)

    def as_json(self) -> dict[str, object]:
        return {"code": self.code.value, "params": dict(self.params)}


def reason(code: ReasonCode, /, **params: ParamValue) -> Reason:
    return Reason(code, {k: v if isinstance(v, int) else str(v) for k, v in params.items()})


def english(code: str, params: ReasonParams) -> str:
    """The English text of ``code``; an unknown code (a newer server) is shown as is."""
    try:
        template = ENGLISH[ReasonCode(code)]
    except ValueError:
        return code
    return template.format_map(_Lenient(params))


class _Lenient(dict[str, str | int]):
    """A missing parameter shows as ``{name}`` instead of raising: text is for people."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
