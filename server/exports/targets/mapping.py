"""VAT rates and categories, revenue categories -> the target's tax rate ids / VAT codes and
ledger accounts, from settings. Checked against every document before a run posts anything.

The VAT settings are keyed by rate (``"21"``, ``"9"``, ``"0"``) for Dutch VAT (categories S
and Z) and by category for the others (``"AE"``, ``"O"``, ``"G"``, ``"E"``, ``"K"``): a
reverse-charged line needs the target's own "btw verlegd" code, not the 0 % one. A setting
with rates only still works for documents that have only S and Z lines."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from server.config import Settings
from server.exports.documents import ExportDocument
from server.exports.models import Target
from server.invoicing.vat import CATEGORIES, VatCategory

DUTCH_VAT = (VatCategory.STANDARD.value, VatCategory.ZERO_RATED.value)  # mapped by rate


class MappingError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Mapping:
    target: Target
    vat: dict[str, str]  # "21" or "AE" -> Moneybird tax_rate_id / Exact VATCode
    ledger: dict[str, str]  # revenue category -> ledger account id / GL account
    vat_setting: str
    ledger_setting: str

    def __post_init__(self) -> None:
        # Keys as the settings spell them: a caller may still hand in {21: ...}.
        object.__setattr__(self, "vat", {str(k): str(v) for k, v in self.vat.items()})

    def tax(self, rate: int, category: str = "") -> str:
        return self.vat[vat_key(rate, category)]

    def rate_of(self, tax_id: str) -> int:
        """The rate a remote tax id books (categories other than S are 0 %); -1 unknown."""
        for key, value in self.vat.items():
            if value == str(tax_id):
                return int(key) if key.isdigit() else 0
        return -1

    def account(self, category: str) -> str:
        return self.ledger.get(category) or self.ledger["*"]

    def validate(self, documents: Iterable[ExportDocument]) -> int:
        """Raise ``MappingError`` naming every missing rate/category; return the count."""
        taxes: dict[str, str] = {}
        categories: dict[str, str] = {}
        count = 0
        for doc in documents:
            count += 1
            for line in doc.lines:
                taxes.setdefault(vat_key(line.vat_rate, line.vat_category), doc.number)
                categories.setdefault(line.category, doc.number)
        problems = [
            f"{'VAT rate ' + key + '%' if key.isdigit() else 'VAT category ' + key} "
            f"(first on {number}) has no entry in {self.vat_setting}"
            for key, number in sorted(taxes.items())
            if key not in self.vat
        ]
        if "*" not in self.ledger:
            problems += [
                f"revenue category {cat!r} (first on {number}) has no entry in "
                f"{self.ledger_setting}"
                for cat, number in sorted(categories.items())
                if cat not in self.ledger
            ]
        if problems:
            raise MappingError(problems)
        return count


def vat_key(rate: int, category: str = "") -> str:
    """The settings key of a line's VAT: its rate for Dutch VAT, else its category."""
    return str(rate) if not category or category in DUTCH_VAT else category


def _vat_keys(raw: dict[str, str], setting: str) -> dict[str, str]:
    out: dict[str, str] = {}
    problems = []
    for key, value in raw.items():
        text = str(key).strip().rstrip("%").upper()
        if text.isdigit():
            out[str(int(text))] = str(value)
        elif text in CATEGORIES and text not in DUTCH_VAT:
            out[text] = str(value)
        elif text in DUTCH_VAT:
            problems.append(f"{setting}: {key!r}: S and Z lines map by their rate ('21', '0')")
        else:
            problems.append(
                f"{setting}: {key!r} is neither a VAT percentage nor a VAT category "
                f"({', '.join(c for c in CATEGORIES if c not in DUTCH_VAT)})"
            )
    if problems:
        raise MappingError(problems)
    return out


def mapping_for(settings: Settings, target: Target) -> Mapping:
    if target is Target.MONEYBIRD:
        vat_setting, ledger_setting = (
            "RENTGUY_MONEYBIRD_TAX_RATE_IDS",
            "RENTGUY_MONEYBIRD_LEDGER_ACCOUNT_IDS",
        )
        vat, ledger = settings.moneybird_tax_rate_ids, settings.moneybird_ledger_account_ids
    else:
        vat_setting, ledger_setting = "RENTGUY_EXACT_VAT_CODES", "RENTGUY_EXACT_GL_ACCOUNTS"
        vat, ledger = settings.exact_vat_codes, settings.exact_gl_accounts
    return Mapping(
        target=target,
        vat=_vat_keys(vat, vat_setting),
        ledger={str(k): str(v) for k, v in ledger.items()},
        vat_setting=vat_setting,
        ledger_setting=ledger_setting,
    )
