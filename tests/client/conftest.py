"""Fixtures for the kiosk client tests: Qt off-screen, demo reference data, stores, clocks."""

from __future__ import annotations

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")  # before anything imports Qt

import functools
import json
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from client.config import KioskConfig
from client.store import LocalStore
from shared.badges import VERIFIER_COST, badge_hash, offline_verifier, pin_join
from shared.reference import (
    BadgeAuth,
    RefBadge,
    RefCase,
    ReferenceSnapshot,
    RefPickLine,
    RefProduct,
    RefProject,
    RefUnit,
)
from tests.helpers.kiosk import fail_on_qt_warnings

_HERE = Path(__file__).parent


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "gui: shows Qt widgets (pytest-qt, offscreen platform)")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    fail_on_qt_warnings(items, _HERE)


def _id(name: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"https://rentguy.test/{name}")


@functools.lru_cache(maxsize=256)
def _verifier(h1: str, join: str | None, salt: bytes) -> str:
    """scrypt costs ~20 ms: a test suite builds the same snapshot many times."""
    return offline_verifier(h1, join, salt)


def ean13(first12: str) -> str:
    """A valid EAN-13 for a 12-digit stem (GS1 mod-10 check digit)."""
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(first12))
    return first12 + str((10 - total % 10) % 10)


@dataclass
class Demo:
    """Reference data like a small Dutch AV rental company's, with handles for tests."""

    badge_code: str = "BADGE-0042"
    badge_key: bytes = b"rentguy-test-badge-key-32-bytes!"
    pin_key: bytes = b"rentguy-test-pin-key-32-bytes!!!"
    station_salt: bytes = b"station-1-salt-of-32-bytes......"
    signing_seed: bytes = b"rentguy-test-signing-seed-32b!!!"
    station_id: uuid.UUID = field(default_factory=lambda: _id("station/1"))
    user_id: uuid.UUID = field(default_factory=lambda: _id("user/sanne"))
    project_id: uuid.UUID = field(default_factory=lambda: _id("project/koningsdag"))
    other_project_id: uuid.UUID = field(default_factory=lambda: _id("project/philips"))
    sm58: uuid.UUID = field(default_factory=lambda: _id("product/sm58"))
    aura: uuid.UUID = field(default_factory=lambda: _id("product/aura"))
    e12: uuid.UUID = field(default_factory=lambda: _id("product/e12"))
    xlr: uuid.UUID = field(default_factory=lambda: _id("product/xlr10"))
    powercon: uuid.UUID = field(default_factory=lambda: _id("product/powercon"))
    xlr_barcode: str = field(default_factory=lambda: ean13("871234500001"))

    @property
    def signing_key(self) -> Ed25519PrivateKey:
        return Ed25519PrivateKey.from_private_bytes(self.signing_seed)

    def badge_auth(self, salt: bytes | None = None) -> BadgeAuth:
        public = self.signing_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return BadgeAuth(
            pin_key=self.pin_key.hex(),
            salt=(salt or self.station_salt).hex(),
            scrypt_n=VERIFIER_COST.n,
            scrypt_r=VERIFIER_COST.r,
            scrypt_p=VERIFIER_COST.p,
            version=1,
            public_key=public.hex(),
        )

    def badge_entry(
        self,
        code: str,
        name: str,
        roles: list[str],
        *,
        pin: str | None = None,
        badge_id: uuid.UUID | None = None,
        user_id: uuid.UUID | None = None,
    ) -> RefBadge:
        """The station's offline entry for ``code`` (+ ``pin``), as the server makes it."""
        join = pin_join(self.pin_key, pin) if pin else None
        return RefBadge(
            id=badge_id or _id(f"badge/{code}"),
            verifier=_verifier(badge_hash(self.badge_key, code), join, self.station_salt),
            user_id=user_id or self.user_id,
            name=name,
            roles=roles,
            pin=pin is not None,
        )

    def add_badge(self, store, code: str, name: str, roles: list[str], **kw) -> RefBadge:
        """Put one more badge entry into a kiosk's mirror (as a reference delta would)."""
        entry = self.badge_entry(code, name, roles, **kw)
        store.db.conn.execute(
            "INSERT OR REPLACE INTO ref_badges (id, verifier, user_id, name, roles, pin)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [str(entry.id), entry.verifier, str(entry.user_id), name, json.dumps(roles), entry.pin],
        )
        return entry

    def unit_code(self, n: int) -> str:
        return f"RG-U-{n:04d}"

    def unit_id(self, n: int) -> uuid.UUID:
        return _id(f"unit/{n}")

    @property
    def xlr_normalized(self) -> str:
        return "0" + self.xlr_barcode

    def snapshot(self, cursor: str = "c1", *, pick_out: int = 1) -> ReferenceSnapshot:
        products = [
            RefProduct(
                id=self.sm58,
                sku="MIC-SM58",
                name="Shure SM58",
                tracking="serialized",
                barcode="RG-P-SM58",
            ),
            RefProduct(
                id=self.aura, sku="LGT-AURA", name="Martin MAC Aura XB", tracking="serialized"
            ),
            RefProduct(id=self.e12, sku="SPK-E12", name="d&b E12 top", tracking="serialized"),
            RefProduct(
                id=self.xlr,
                sku="CBL-XLR10",
                name="XLR-kabel 10 m",
                tracking="bulk",
                barcode=self.xlr_normalized,
            ),
            RefProduct(
                id=self.powercon,
                sku="CBL-PC5",
                name="Powercon kabel 5 m",
                tracking="bulk",
                barcode="RG-B-PC5",
            ),
        ]
        # Units 1-6: SM58 (6 is out on the other project), 7-10: Aura, 11-12: E12.
        units = [
            RefUnit(
                id=self.unit_id(n),
                product_id=product,
                barcode=self.unit_code(n),
                status="out" if n == 6 else "available",
                project_id=self.other_project_id if n == 6 else None,
            )
            for n, product in [(n, self.sm58) for n in range(1, 7)]
            + [(n, self.aura) for n in range(7, 11)]
            + [(n, self.e12) for n in (11, 12)]
        ]
        units.append(
            RefUnit(
                id=self.unit_id(13),
                product_id=self.e12,
                barcode=self.unit_code(13),
                status="damaged",
            )
        )
        cases = [
            RefCase(
                id=_id("case/mics"),
                barcode="RG-C-0001",
                name="Case microfoons 1",
                kind="fixed",
                unit_ids=[self.unit_id(4), self.unit_id(5)],
            ),
            RefCase(id=_id("case/kit"), barcode="RG-C-0002", name="Kit DJ-set", kind="kit"),
        ]
        projects = [
            RefProject(
                id=self.project_id,
                name="Koningsdag Utrecht 2025",
                customer="Gemeente Utrecht",
                starts_on="2025-04-26",
                ends_on="2025-04-27",
                status="open",
                pick_lines=[
                    RefPickLine(product_id=self.sm58, qty=4, out=pick_out),
                    RefPickLine(product_id=self.aura, qty=4),
                    RefPickLine(product_id=self.e12, qty=2),
                    RefPickLine(product_id=self.xlr, qty=20),
                ],
            ),
            RefProject(
                id=self.other_project_id,
                name="Bedrijfsfeest Philips",
                customer="Philips Nederland B.V.",
                starts_on="2025-05-02",
                status="open",
                pick_lines=[RefPickLine(product_id=self.sm58, qty=2, out=1)],
            ),
            RefProject(
                id=_id("project/old"), name="Oud project", customer="Niemand", status="closed"
            ),
        ]
        badges = [self.badge_entry(self.badge_code, "Sanne de Vries", ["warehouse"])]
        return ReferenceSnapshot(
            cursor=cursor,
            full=True,
            station_id=self.station_id,
            badge_hash_key=self.badge_key.hex(),
            badge_auth=self.badge_auth(),
            products=products,
            units=units,
            cases=cases,
            projects=projects,
            badges=badges,
        )


class FakeClock:
    """Monotonic milliseconds that only move when told to (``step`` per reading)."""

    def __init__(self, start: float = 1_000.0, step: float = 0.0) -> None:
        self.now = start
        self.step = step

    def __call__(self) -> float:
        value = self.now
        self.now += self.step
        return value

    def advance(self, ms: float) -> None:
        self.now += ms


@pytest.fixture
def demo() -> Demo:
    return Demo()


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    db = LocalStore(tmp_path / "kiosk.sqlite3")
    yield db
    db.close()


@pytest.fixture
def mirrored_store(store: LocalStore, demo: Demo) -> LocalStore:
    store.replace_reference(demo.snapshot())
    return store


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def make_clock() -> type[FakeClock]:
    """The FakeClock class itself, for tests that need several (or hypothesis examples)."""
    return FakeClock


@pytest.fixture
def kiosk_config(tmp_path: Path) -> KioskConfig:
    token_file = tmp_path / "station-token"
    token_file.write_text("station-token-1\n")
    return KioskConfig(
        data_dir=tmp_path / "data",
        station_token_file=token_file,
        server_url="http://kiosk-test.invalid",
        sync_interval_s=0.2,
        language="en",  # assertions read English; tests/client/test_i18n.py covers Dutch
        sound=False,
    )
