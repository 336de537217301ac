"""Demo data for a first look and for outside tests: ``rentguy-server seed-demo``.

Idempotent: running it again keeps the data and issues a fresh demo station token, admin
password and admin badge (only their hashes are stored, so the old ones cannot be shown
again; the old admin badge is revoked). The crew member is logged in at the demo station
(``login_session_id``), so scans posted as her are backed by a login (issue 15).

The admin badge is what a kiosk asks for before its settings, the language switch and
(in full-screen kiosk mode) leaving; the crew badge only scans. The crew badge is a
typeable imported (weak) code; the admin badge is a strong issued code (80 random bits)
and the admin has a PIN (``admin_pin``), so the kiosk can also check both offline.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.config import Settings
from server.db import utcnow
from server.identity import service as identity
from server.identity.login import open_session
from server.identity.models import Badge, Role, Station, User
from server.warehouse.models import Case, CaseUnit, PickLine, Product, Project, Unit
from shared.badges import badge_hash
from shared.barcodes import normalize_code

ADMIN_EMAIL = "admin@rentguy.demo"
CREW_EMAIL = "sanne@rentguy.demo"
DEMO_BADGE = "BADGE-0001"
ADMIN_BADGE_LABEL = "demo admin"
DEMO_STATION = "Demo station"
DEMO_PROJECT = "Zomerfestival Utrecht"

# (sku, name, category, tracking, units, bulk barcode, day price in cents)
_BULK_CODE = "8712345678906"  # the cables' EAN-13 (the only bulk product)
_CATALOGUE = [
    ("SPK-K2", "L-Acoustics K2 speaker", "audio", "serialized", 8, None, 12_500),
    ("LGT-MAC", "Martin MAC Aura XB", "lighting", "serialized", 6, None, 4_500),
    ("TRS-3M", "Prolyte H30V truss 3 m", "rigging", "serialized", 4, None, 1_500),
    ("CBL-XLR10", "XLR cable 10 m", "cables", "bulk", 0, _BULK_CODE, 150),
]


def _code(raw: str) -> str:
    return normalize_code(raw).value


def seed_demo(*, session: Session, settings: Settings) -> dict:
    """Load the demo data (once) and return what a person or a test needs to drive it."""
    admin_password = secrets.token_urlsafe(12)
    admin_pin = f"{secrets.randbelow(10**6):06d}"
    admin = session.scalar(select(User).where(User.email == ADMIN_EMAIL))
    if admin is None:
        admin = identity.create_user(
            session=session,
            name="Demo Admin",
            email=ADMIN_EMAIL,
            password=admin_password,
            roles=[Role.ADMIN],
        )
    else:
        identity.set_password(session=session, user=admin, password=admin_password)
    identity.set_pin(session=session, user=admin, pin=admin_pin, pin_key=settings.badge_pin_key)
    admin_badge = _issue_admin_badge(session, admin, settings.badge_hash_key)

    crew = session.scalar(select(User).where(User.email == CREW_EMAIL))
    if crew is None:
        crew = identity.create_user(
            session=session,
            name="Sanne de Vries",
            email=CREW_EMAIL,
            roles=[Role.WAREHOUSE, Role.CREW],
        )
    key = settings.badge_hash_key
    if session.scalar(select(Badge).where(Badge.code_hash == badge_hash(key, DEMO_BADGE))) is None:
        identity.issue_badge(session=session, user=crew, code=DEMO_BADGE, key=key, label="demo")

    station = session.scalar(select(Station).where(Station.name == DEMO_STATION))
    if station is None:
        station, token = identity.create_station(session=session, name=DEMO_STATION)
    else:
        token = identity.rotate_station_token(session=session, station=station)

    # The crew member is logged in at the demo station (as after a badge login there), so
    # scans posted as her through the API are backed by a login (issue 15).
    crew_login = open_session(
        session=session, settings=settings, user=crew, method="badge", station_id=station.id
    )

    project = session.scalar(select(Project).where(Project.name == DEMO_PROJECT))
    if project is None:
        project = _seed_inventory(session)
    units = session.scalars(select(Unit).order_by(Unit.barcode)).all()
    case = session.execute(select(Case).order_by(Case.barcode).limit(1)).scalar_one()
    session.flush()
    return {
        "admin_email": ADMIN_EMAIL,
        "admin_password": admin_password,
        "badge_code": DEMO_BADGE,
        "admin_badge_code": admin_badge,
        "admin_pin": admin_pin,
        "crew_user_id": str(crew.id),
        "station_id": str(station.id),
        "station_token": token,
        "login_session_id": str(crew_login.session_id),
        "project_id": str(project.id),
        "project_name": project.name,
        "unit_codes": [u.barcode for u in units if not _in_case(session, u)],
        "case_code": case.barcode,
        "bulk_code": _code(_BULK_CODE),
    }


def _issue_admin_badge(session: Session, admin: User, key: bytes) -> str:
    """A fresh strong admin badge (an issued code: it opens the settings and lets one
    leave a kiosk); the one from an earlier run is revoked."""
    for badge in identity.live_badges(session=session, user_id=admin.id):
        if badge.label == ADMIN_BADGE_LABEL:
            identity.revoke_badge(session=session, badge=badge, reason="seed-demo re-run")
    _badge, code = identity.issue_generated_badge(
        session=session, user=admin, key=key, label=ADMIN_BADGE_LABEL
    )
    return code


def _in_case(session: Session, unit: Unit) -> bool:
    return session.scalar(select(CaseUnit.case_id).where(CaseUnit.unit_id == unit.id)) is not None


def _seed_inventory(session: Session) -> Project:
    products: dict[str, Product] = {}
    units_by_sku: dict[str, list[Unit]] = {}
    for sku, name, category, tracking, count, barcode, price in _CATALOGUE:
        product = Product(
            sku=sku,
            name=name,
            category=category,
            tracking=tracking,
            barcode=_code(barcode) if barcode else None,
            day_price_cents=price,
        )
        session.add(product)
        session.flush()
        products[sku] = product
        units_by_sku[sku] = []
        for n in range(1, count + 1):
            unit = Unit(
                product_id=product.id, barcode=_code(f"RG-{sku}-{n:03d}"), serial=f"{n:03d}"
            )
            session.add(unit)
            units_by_sku[sku].append(unit)
    session.flush()

    # A fixed case holding two moving heads: one scan moves both.
    case = Case(barcode=_code("RG-CASE-001"), name="Flightcase MAC Aura 2x", kind="fixed")
    session.add(case)
    session.flush()
    for unit in units_by_sku["LGT-MAC"][:2]:
        session.add(CaseUnit(case_id=case.id, unit_id=unit.id))

    today = utcnow().date()
    project = Project(
        name=DEMO_PROJECT,
        customer="Festivals Midden-Nederland B.V.",
        status="planned",
        starts_on=today + timedelta(days=2),
        ends_on=today + timedelta(days=5),
    )
    session.add(project)
    session.flush()
    for sku, qty in (("SPK-K2", 4), ("LGT-MAC", 4), ("TRS-3M", 2), ("CBL-XLR10", 40)):
        session.add(PickLine(project_id=project.id, product_id=products[sku].id, qty=qty))
    session.flush()
    return project
