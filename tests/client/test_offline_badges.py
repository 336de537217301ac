"""Issue 15 on the kiosk: offline PIN prompt and lock-out that survives a restart, a cache
that is useless at another station, signed QR badges, and what a stolen data directory
yields to a guesser."""

from __future__ import annotations

import dataclasses
import shutil
import time
import uuid
from datetime import date, timedelta

import pytest
from PySide6.QtCore import Qt

from client.app import build_app
from client.auth import OFFLINE_LOCK, AuthError, PinRequired, offline_login
from client.store import LocalStore
from client.timeutil import utc_now
from shared.badges import (
    SignedBadge,
    VerifierCost,
    badge_hash,
    new_badge_code,
    offline_verifier,
    sign_badge,
)
from tests.helpers.kiosk import enter_pin, wedge_scan

PIN_BADGE, PIN = "BADGE-PIN-7", "4711"
OTHER_USER = uuid.uuid5(uuid.NAMESPACE_URL, "https://rentguy.test/user/pim")


@pytest.fixture
def pin_store(mirrored_store, demo):
    demo.add_badge(mirrored_store, PIN_BADGE, "Pim", ["crew"], pin=PIN, user_id=OTHER_USER)
    return mirrored_store


# -- the PIN prompt on the real kiosk, offline --------------------------------------------


@pytest.mark.gui
def test_the_kiosk_asks_the_pin_offline_and_refuses_a_wrong_one(
    qtbot, kiosk_config, tmp_path, demo
):
    # Port 9 (discard) on loopback: nothing listens, the connection is refused: offline.
    config = dataclasses.replace(kiosk_config, server_url="http://127.0.0.1:9")
    kiosk = build_app(config, start_sync=False)
    qtbot.addWidget(kiosk.window)
    try:
        kiosk.store.replace_reference(demo.snapshot())
        demo.add_badge(kiosk.store, PIN_BADGE, "Pim", ["crew"], pin=PIN, user_id=OTHER_USER)
        kiosk.show()
        window = kiosk.window
        with qtbot.waitSignal(kiosk.controller.pin_needed, timeout=10_000):
            wedge_scan(qtbot, kiosk, PIN_BADGE)
        assert window.stack.currentWidget() is window.pin
        assert not window.pin.ok.isEnabled()  # fewer than 4 digits
        with qtbot.waitSignal(kiosk.controller.login_failed, timeout=10_000):
            enter_pin(qtbot, kiosk, "1234")
        assert window.stack.currentWidget() is window.login
        assert "not recognised" in window.login.message.text()
        with qtbot.waitSignal(kiosk.controller.pin_needed, timeout=10_000):
            wedge_scan(qtbot, kiosk, PIN_BADGE)
        with qtbot.waitSignal(kiosk.controller.logged_in, timeout=10_000) as done:
            enter_pin(qtbot, kiosk, PIN)
        session = done.args[0]
        assert session.offline and session.pin_checked and session.name == "Pim"
        # A badge without a PIN still logs in offline without one.
        kiosk.controller.logout()
        with qtbot.waitSignal(kiosk.controller.logged_in, timeout=10_000):
            wedge_scan(qtbot, kiosk, demo.badge_code)
        # Cancel on the PIN screen goes back to the login screen.
        kiosk.controller.logout()
        with qtbot.waitSignal(kiosk.controller.pin_needed, timeout=10_000):
            wedge_scan(qtbot, kiosk, PIN_BADGE)
        qtbot.mouseClick(window.pin.cancel, Qt.MouseButton.LeftButton)
        assert window.stack.currentWidget() is window.login
        assert kiosk.controller.pin_pending is None
    finally:
        kiosk.shutdown()


# -- lock-out -------------------------------------------------------------------------------


def test_offline_lockout_survives_a_restart_and_grows(pin_store, demo):
    path = pin_store.path
    for _ in range(OFFLINE_LOCK.threshold):
        with pytest.raises(AuthError, match="not recognised"):
            offline_login(pin_store, PIN_BADGE, "0000")
    with pytest.raises(AuthError, match="Too many attempts"):
        offline_login(pin_store, PIN_BADGE, PIN)  # even the right PIN, while locked
    pin_store.close()

    restarted = LocalStore(path)  # a reboot, a new process: the counter is in the file
    with pytest.raises(AuthError, match="Too many attempts"):
        offline_login(restarted, PIN_BADGE, PIN)
    # Other badges are not locked by it.
    assert offline_login(restarted, demo.badge_code).name == "Sanne de Vries"
    restarted.close()

    later = utc_now() + OFFLINE_LOCK.first_lock + timedelta(seconds=1)
    after = LocalStore(path, now=lambda: later)
    with pytest.raises(AuthError, match="not recognised"):
        offline_login(after, PIN_BADGE, "0000")  # one more failure: locked twice as long
    [row] = after.db.query("SELECT failures, locked_until FROM badge_failures")
    assert row["failures"] == OFFLINE_LOCK.threshold + 1
    assert OFFLINE_LOCK.lock_for(row["failures"]) == 2 * OFFLINE_LOCK.first_lock
    after.close()
    much_later = later + 2 * OFFLINE_LOCK.first_lock + timedelta(seconds=1)
    final = LocalStore(path, now=lambda: much_later)
    assert offline_login(final, PIN_BADGE, PIN).pin_checked  # success resets the counter
    assert final.db["badge_failures"].count == 0
    final.close()


def test_a_pin_badge_without_its_pin_asks_and_never_opens(pin_store):
    with pytest.raises(PinRequired):
        offline_login(pin_store, PIN_BADGE)
    with pytest.raises(PinRequired):
        offline_login(pin_store, "NO-SUCH-BADGE")  # the same answer: nothing enumerated


def test_a_misread_issued_code_is_not_a_guess(pin_store):
    code = new_badge_code()
    wrong_check = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(AuthError, match="misread"):
        offline_login(pin_store, wrong_check)
    assert pin_store.db["badge_failures"].count == 0


# -- one station's cache at another ---------------------------------------------------------


def test_a_cache_copied_from_station_a_verifies_nothing_at_station_b(pin_store, demo, tmp_path):
    assert offline_login(pin_store, demo.badge_code).offline  # at station A: fine
    copy = tmp_path / "stolen" / "kiosk.sqlite3"
    copy.parent.mkdir()
    pin_store.close()
    shutil.copy(pin_store.path, copy)
    station_b = LocalStore(copy)
    # Station B's own salt (its reference data), A's verifiers (the copied table).
    station_b.set_setting(
        "badge_auth", demo.badge_auth(salt=b"station-2-salt".ljust(32, b".")).model_dump_json()
    )
    with pytest.raises(PinRequired):
        offline_login(station_b, demo.badge_code)
    with pytest.raises(AuthError, match="not recognised"):
        offline_login(station_b, PIN_BADGE, PIN)
    station_b.close()


# -- signed QR badges -----------------------------------------------------------------------


def _signed(demo, store, *, revoked=False, pin=False):
    badge_id = uuid.uuid4()
    code = sign_badge(demo.signing_key, SignedBadge(badge_id, OTHER_USER, date(2026, 12, 1)))
    store.db.conn.execute(
        "INSERT INTO ref_signed_badges (id, user_id, name, roles, revoked, pin)"
        " VALUES (?, ?, 'Qr', '[\"crew\"]', ?, ?)",
        [str(badge_id), str(OTHER_USER), revoked, pin],
    )
    return badge_id, code


def test_signed_badge_offline_ok_revoked_refused_tampered_refused(mirrored_store, demo):
    badge_id, code = _signed(demo, mirrored_store)
    session = offline_login(mirrored_store, code)
    assert session.offline and session.name == "Qr" and session.user_id == str(OTHER_USER)
    # Tampered: one character of the payload changed; the signature no longer holds.
    body = code[len("RGS1.") :]
    flipped = "A" if body[10] != "A" else "B"
    with pytest.raises(AuthError, match="not recognised"):
        offline_login(mirrored_store, "RGS1." + body[:10] + flipped + body[11:])
    # Signed by another key (a forger's): refused.
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    forged = sign_badge(
        Ed25519PrivateKey.generate(), SignedBadge(badge_id, OTHER_USER, date(2026, 12, 1))
    )
    with pytest.raises(AuthError, match="not recognised"):
        offline_login(mirrored_store, forged)
    # Revoked (the reference data says so): refused.
    mirrored_store.db.conn.execute("UPDATE ref_signed_badges SET revoked = 1")
    with pytest.raises(AuthError, match="not recognised"):
        offline_login(mirrored_store, code)


def test_a_signed_badge_of_a_pin_user_needs_the_pin(mirrored_store, demo):
    badge_id, code = _signed(demo, mirrored_store, pin=True)
    demo.add_badge(
        mirrored_store, code, "Qr", ["crew"], pin=PIN, badge_id=badge_id, user_id=OTHER_USER
    )
    with pytest.raises(PinRequired):
        offline_login(mirrored_store, code)
    with pytest.raises(AuthError, match="not recognised"):
        offline_login(mirrored_store, code, "0000")
    assert offline_login(mirrored_store, code, PIN).pin_checked


# -- the attack: a stolen data directory ---------------------------------------------------


def test_a_stolen_data_directory_yields_few_guesses_per_second(pin_store, demo, tmp_path):
    """Copy the kiosk's data directory, then guess codes against its verifiers as a thief
    would (the thief has the badge key and the salt: both are in the copy). Each guess
    is one scrypt at the station's cost: asserted on the parameters, and on a generous rate
    bound (the measured rate is in bench/auth_bench.py)."""
    pin_store.close()
    stolen_dir = tmp_path / "stolen"
    shutil.copytree(tmp_path, stolen_dir, ignore=shutil.ignore_patterns("stolen"))
    stolen = LocalStore(stolen_dir / "kiosk.sqlite3")
    auth = stolen.badge_auth()
    key = stolen.badge_hash_key()
    verifiers = {row["verifier"] for row in stolen.db.query("SELECT verifier FROM ref_badges")}
    assert demo.badge_code not in open(stolen.path, "rb").read().decode("latin-1")
    cost = VerifierCost(auth.scrypt_n, auth.scrypt_r, auth.scrypt_p)
    assert cost.n >= 2**13 and cost.r >= 8  # >= 8 MiB and ~20 ms per guess on one core
    salt = bytes.fromhex(auth.salt)
    found, guesses = [], 0
    started = time.process_time()
    for n in range(40, 50):  # the demo's short codes: BADGE-0040 .. BADGE-0049
        guess = f"BADGE-{n:04d}"
        guesses += 1
        if offline_verifier(badge_hash(key, guess), None, salt, cost) in verifiers:
            found.append(guess)
    cpu = time.process_time() - started
    rate = guesses / cpu
    assert found == [demo.badge_code]  # a weak code falls in time; a PIN badge does not:
    assert rate < 400, f"{rate:.0f} guesses/s per core"
    # the PIN badge's entry needs code AND PIN together: its code alone matches nothing.
    assert offline_verifier(badge_hash(key, PIN_BADGE), None, salt, cost) not in verifiers
    stolen.close()


def test_kiosk_migration_4_drops_fast_hashes_and_asks_a_full_download(tmp_path):
    """A kiosk from before issue 15 held fast keyed hashes: they go, and its next sync is a
    full download (a cursor the server cannot serve)."""
    import sqlite3

    from sqlite_utils import Database

    from client.store import MIGRATIONS

    path = tmp_path / "old.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    db = Database(conn)
    conn.execute("CREATE TABLE migrations (id INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
    for migration in MIGRATIONS[:3]:
        migration.apply(db)
        conn.execute(
            "INSERT INTO migrations VALUES (?, ?, '2026-01-01T00:00:00+00:00')",
            [migration.number, migration.name],
        )
    conn.execute("INSERT INTO ref_badges VALUES ('ab' || hex(randomblob(31)), 'u', 'Oud', '[]')")
    conn.execute("INSERT INTO settings VALUES ('reference_cursor', 'v1.abc')")
    conn.close()

    store = LocalStore(path)
    assert store.schema_version() == MIGRATIONS[-1].number
    assert store.db["ref_badges"].count == 0
    assert "verifier" in store.db["ref_badges"].columns_dict
    assert store.reference_cursor() != "v1.abc" and store.has_reference()
    assert not store.reference_complete()
    store.close()


@pytest.mark.gui
def test_the_kiosk_reads_a_signed_qr_badge_offline(qtbot, kiosk_config, demo):
    """The real kiosk, offline: a signed badge read by the scanner logs in with nothing but
    the public key; tampered or revoked, it is refused."""
    config = dataclasses.replace(kiosk_config, server_url="http://127.0.0.1:9")
    kiosk = build_app(config, start_sync=False)
    qtbot.addWidget(kiosk.window)
    try:
        kiosk.store.replace_reference(demo.snapshot())
        _badge_id, code = _signed(demo, kiosk.store)
        kiosk.show()
        with qtbot.waitSignal(kiosk.controller.logged_in, timeout=10_000) as done:
            wedge_scan(qtbot, kiosk, code)
        assert done.args[0].offline and done.args[0].name == "Qr"
        kiosk.controller.logout()
        body = code[len("RGS1.") :]
        tampered = "RGS1." + body[:20] + ("A" if body[20] != "A" else "B") + body[21:]
        with qtbot.waitSignal(kiosk.controller.login_failed, timeout=10_000):
            wedge_scan(qtbot, kiosk, tampered)
        kiosk.store.db.conn.execute("UPDATE ref_signed_badges SET revoked = 1")
        with qtbot.waitSignal(kiosk.controller.login_failed, timeout=10_000):
            wedge_scan(qtbot, kiosk, code)
        assert kiosk.controller.session is None
        assert "not recognised" in kiosk.window.login.message.text()
    finally:
        kiosk.shutdown()
