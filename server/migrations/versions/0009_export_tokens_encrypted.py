"""exports: OAuth tokens encrypted at rest; the target's own document number

Upgrade encrypts the stored access/refresh tokens with the key derived from
RENTGUY_SECRET_KEY (``server.exports.crypto``); downgrade decrypts them again, so an older
server can read them. Both need the same RENTGUY_SECRET_KEY as the server (only when
tokens are stored). ``export_records.remote_number`` keeps Exact's EntryNumber of a sales
entry, which its payment bank lines refer to (OurRef).

Revision ID: 0009_export_tokens_encrypted
Revises: 0008_chargebacks
Create Date: 2026-11-26 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from server.migrations.ops import drop_column

revision: str = "0009_export_tokens_encrypted"
down_revision: str | None = "0008_chargebacks"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TOKENS = ("access_token", "refresh_token")


def _convert(encrypt: bool) -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT target, access_token, refresh_token FROM export_credentials")
    ).all()
    if not any(value for row in rows for value in row[1:]):
        return  # nothing stored: no key needed
    from server.config import Settings
    from server.exports.crypto import TokenCipher, TokenUnreadable

    cipher = TokenCipher.from_settings(Settings())  # RENTGUY_SECRET_KEY from the environment
    convert = cipher.encrypt if encrypt else cipher.decrypt
    for target, *values in rows:
        try:
            new = {name: convert(value) for name, value in zip(_TOKENS, values, strict=True)}
        except TokenUnreadable:
            raise RuntimeError(
                f"the {target} tokens cannot be decrypted with this RENTGUY_SECRET_KEY; "
                "run the downgrade with the key the server used"
            ) from None
        conn.execute(
            sa.text(
                "UPDATE export_credentials SET access_token = :access_token, "
                "refresh_token = :refresh_token WHERE target = :target"
            ),
            {**new, "target": target},
        )


def upgrade() -> None:
    op.add_column("export_records", sa.Column("remote_number", sa.String(length=32)))
    _convert(encrypt=True)


def downgrade() -> None:
    _convert(encrypt=False)
    drop_column("export_records", "remote_number")
