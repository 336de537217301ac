"""invoicing: VAT once per rate (BR-CO-17), recomputed for drafts only

Issued invoices (every state but draft) and credit notes keep the totals they were issued
with: that is what the customer was charged. Drafts are not issued yet, so they move to
the new rule (and back to per-line rounding on downgrade).

Revision ID: 0007_vat_per_rate
Revises: 0006_exports
Create Date: 2026-11-26 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.invoicing.totals import line_vat_shares, vat_cents

revision: str = "0007_vat_per_rate"
down_revision: str | None = "0006_exports"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _recompute_drafts(per_rate: bool) -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text(
            "SELECT l.id, l.invoice_id, l.net_cents, l.vat_rate FROM invoice_lines l "
            "JOIN invoices i ON i.id = l.invoice_id WHERE i.state = 'draft' "
            "ORDER BY l.invoice_id, l.position"
        )
    ).all()
    by_invoice: dict = {}
    for line_id, invoice_id, net, rate in rows:
        by_invoice.setdefault(invoice_id, []).append((line_id, net, rate))
    for invoice_id, lines in by_invoice.items():
        nets = [(net, rate) for _id, net, rate in lines]
        vats = line_vat_shares(nets) if per_rate else [vat_cents(n, r) for n, r in nets]
        for (line_id, _net, _rate), vat in zip(lines, vats, strict=True):
            conn.execute(
                sa.text("UPDATE invoice_lines SET vat_cents = :vat WHERE id = :id"),
                {"vat": vat, "id": line_id},
            )
        subtotal, vat = sum(n for n, _r in nets), sum(vats)
        conn.execute(
            sa.text(
                "UPDATE invoices SET subtotal_cents = :sub, vat_cents = :vat, "
                "total_cents = :total WHERE id = :id"
            ),
            {"sub": subtotal, "vat": vat, "total": subtotal + vat, "id": invoice_id},
        )


def upgrade() -> None:
    _recompute_drafts(per_rate=True)


def downgrade() -> None:
    _recompute_drafts(per_rate=False)
