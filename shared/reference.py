"""Reference data a station mirrors (SPEC §4): what codes exist and what is expected.

``GET /api/v1/sync/reference?cursor=<opaque>&limit=<n>`` answers one ``ReferenceSnapshot``
page. The contract, for both sides:

- No cursor, or a cursor the server can no longer serve a delta from: the answer has
  ``full=true``. The kiosk discards its mirror before applying that first page.
- Otherwise ``full=false``: the page holds rows changed since the cursor (upserts, by id)
  and ``deleted`` tombstones; the kiosk applies them on top of its mirror.
- Each page is applied atomically together with storing its ``cursor``. While
  ``has_more`` is true the kiosk asks again with the new cursor at once; so a first full
  download that is interrupted resumes from the last stored page, not from scratch.
- An unchanged data set answers the same cursor and no rows.
"""

from __future__ import annotations

import uuid
from datetime import date

from pydantic import BaseModel, ConfigDict, Field


class _Ref(BaseModel):
    model_config = ConfigDict(extra="ignore")


class RefProduct(_Ref):
    id: uuid.UUID
    sku: str
    name: str
    tracking: str  # "serialized" | "bulk"
    barcode: str | None = None  # normalized; bulk products are scanned by this code


class RefUnit(_Ref):
    id: uuid.UUID
    product_id: uuid.UUID
    barcode: str  # normalized
    status: str
    project_id: uuid.UUID | None = None  # where it is out, if it is out


class RefCase(_Ref):
    id: uuid.UUID
    barcode: str  # normalized
    name: str
    kind: str  # "fixed" | "kit"
    unit_ids: list[uuid.UUID] = Field(default_factory=list)


class RefPickLine(_Ref):
    product_id: uuid.UUID
    qty: int
    out: int = 0
    returned: int = 0


class RefProject(_Ref):
    id: uuid.UUID
    name: str
    customer: str
    starts_on: date | None = None
    ends_on: date | None = None
    status: str
    pick_lines: list[RefPickLine] = Field(default_factory=list)


class RefBadge(_Ref):
    """One badge's offline verifier *for this station* (shared.badges.offline_verifier).

    ``pin``: the verifier joins code and PIN; the kiosk asks the PIN before it can look
    it up. Admin and planner badges without a PIN are not sent at all."""

    id: uuid.UUID  # the badge's id
    verifier: str  # hex
    user_id: uuid.UUID
    name: str
    roles: list[str]
    pin: bool = False


class RefSignedBadge(_Ref):
    """A signed QR badge (shared.badges.sign_badge): checked offline with ``public_key``
    alone. ``revoked`` ones stay listed so the kiosk refuses them; ``pin``: the user has a
    PIN, checked against the joint verifier of the same badge id."""

    id: uuid.UUID
    user_id: uuid.UUID
    name: str
    roles: list[str]
    revoked: bool = False
    pin: bool = False


class BadgeAuth(_Ref):
    """What a station needs to check badges offline (shared.badges); one per station."""

    pin_key: str  # hex; shared.badges.pin_join
    salt: str  # hex; this station's own verifier salt
    scrypt_n: int
    scrypt_r: int
    scrypt_p: int
    version: int  # shared.badges.VERIFIER_VERSION
    public_key: str  # hex Ed25519 public key of signed badges


class Tombstones(_Ref):
    """Ids removed since the cursor the kiosk sent."""

    products: list[uuid.UUID] = Field(default_factory=list)
    units: list[uuid.UUID] = Field(default_factory=list)
    cases: list[uuid.UUID] = Field(default_factory=list)
    projects: list[uuid.UUID] = Field(default_factory=list)
    badges: list[str] = Field(default_factory=list)  # badge ids
    signed_badges: list[str] = Field(default_factory=list)  # badge ids


class ReferenceSnapshot(_Ref):
    cursor: str
    full: bool = True
    has_more: bool = False
    station_id: uuid.UUID
    badge_hash_key: str  # hex; see shared.badges
    badge_auth: BadgeAuth | None = None
    products: list[RefProduct] = Field(default_factory=list)
    units: list[RefUnit] = Field(default_factory=list)
    cases: list[RefCase] = Field(default_factory=list)
    projects: list[RefProject] = Field(default_factory=list)
    badges: list[RefBadge] = Field(default_factory=list)
    signed_badges: list[RefSignedBadge] = Field(default_factory=list)
    deleted: Tombstones = Field(default_factory=Tombstones)
