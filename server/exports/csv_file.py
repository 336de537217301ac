"""CSV export for offline bookkeeping: one line per document line, amounts signed."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable

from server.exports.documents import ExportDocument, cents_to_str

CSV_HEADER = [
    "type",
    "number",
    "date",
    "due_date",
    "customer_ref",
    "customer_name",
    "customer_vat",
    "line",
    "description",
    "category",
    "vat_rate",
    "net",
    "vat",
    "currency",
    "credited_number",
    "vat_category",
    "vat_exemption_reason",
]


def write_csv(documents: Iterable[ExportDocument], out: io.TextIOBase) -> int:
    """Signed amounts (credit notes negative), as a bookkeeper's import expects."""
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    count = 0
    for doc in documents:
        count += 1
        sign = doc.sign()
        for index, (line, vat) in enumerate(zip(doc.lines, doc.line_vats(), strict=True), 1):
            writer.writerow(
                [
                    doc.kind.value,
                    doc.number,
                    doc.date.isoformat(),
                    doc.due_date.isoformat() if doc.due_date else "",
                    doc.customer.ref,
                    doc.customer.name,
                    doc.customer.vat_number or "",
                    index,
                    line.description,
                    line.category,
                    line.vat_rate,
                    cents_to_str(sign * line.amount_cents),
                    cents_to_str(sign * vat),
                    doc.currency,
                    doc.credited_number or "",
                    line.vat_category,
                    line.vat_exemption_reason or "",
                ]
            )
    return count
