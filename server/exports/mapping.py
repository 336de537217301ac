"""VAT rates and revenue categories -> the target's tax rate ids / VAT codes and ledger
accounts, from settings. Checked against every document before a run posts anything."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from server.config import Settings
from server.exports.documents import ExportDocument
from server.exports.models import Target


class MappingError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


@dataclass(frozen=True)
class Mapping:
    target: Target
    vat: dict[int, str]  # 21 -> Moneybird tax_rate_id / Exact VATCode
    ledger: dict[str, str]  # revenue category -> ledger account id / GL account
    vat_setting: str
    ledger_setting: str

    def tax(self, rate: int) -> str:
        return self.vat[rate]

    def account(self, category: str) -> str:
        return self.ledger.get(category) or self.ledger["*"]

    def validate(self, documents: Iterable[ExportDocument]) -> int:
        """Raise ``MappingError`` naming every missing rate/category; return the count."""
        rates: dict[int, str] = {}
        categories: dict[str, str] = {}
        count = 0
        for doc in documents:
            count += 1
            for line in doc.lines:
                rates.setdefault(line.vat_rate, doc.number)
                categories.setdefault(line.category, doc.number)
        problems = [
            f"VAT rate {rate}% (first on {number}) has no entry in {self.vat_setting}"
            for rate, number in sorted(rates.items())
            if rate not in self.vat
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


def _int_keys(raw: dict[str, str], setting: str) -> dict[int, str]:
    out: dict[int, str] = {}
    for key, value in raw.items():
        try:
            out[int(str(key).rstrip("%"))] = str(value)
        except ValueError:
            raise MappingError([f"{setting}: {key!r} is not a VAT percentage"]) from None
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
        vat=_int_keys(vat, vat_setting),
        ledger={str(k): str(v) for k, v in ledger.items()},
        vat_setting=vat_setting,
        ledger_setting=ledger_setting,
    )
