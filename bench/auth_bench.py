"""Login and token-check latency, in-process (FastAPI TestClient, real database).

    .venv/bin/python bench/auth_bench.py [--n 500] [--postgres | --database-url URL]

Measures, over ``--n`` logins each: password login (argon2id verify), badge login without
a PIN, badge login with a PIN (one argon2id verify), and the cost of checking an access
token (JWT HS256 verify + claims) on its own and as part of an authenticated request.
Targets (issue 3): password p95 < 200 ms, badge p95 < 50 ms, token check < 1 ms.

Issue 15 (offline badges, docs/identity.md): badge + PIN online p95 < 60 ms; the kiosk's
offline login (a real LocalStore holding the station's downloaded verifiers) p95 < 300 ms;
guesses per second per core against a stolen cache <= 100; and what the per-station
verifiers cost the reference download (``--badges`` badges: a station's first download
computes them, later downloads and other data changes read them from the table).
Defaults to a fresh SQLite file; ``--postgres`` creates (and drops) a scratch database on
the local server (127.0.0.1:5432, user postgres); ``--database-url`` must name an empty
database of its own (it is migrated and written to).
"""

from __future__ import annotations

import argparse
import os
import secrets
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("RENTGUY_SECRET_KEY", secrets.token_urlsafe(32))

from fastapi.testclient import TestClient  # noqa: E402

from client.auth import offline_login  # noqa: E402
from client.store import LocalStore  # noqa: E402
from server.app import create_app  # noqa: E402
from server.config import Settings  # noqa: E402
from server.db import transaction  # noqa: E402
from server.identity import security  # noqa: E402
from server.identity import service as identity  # noqa: E402
from server.identity.login import session_live  # noqa: E402
from server.identity.models import Role  # noqa: E402
from server.identity.tokens import decode_access_token, issue_access_token  # noqa: E402
from server.migrations import upgrade  # noqa: E402
from shared.badges import VERIFIER_COST, badge_hash, offline_verifier  # noqa: E402
from shared.ids import uuid7  # noqa: E402
from shared.protocol import version_headers  # noqa: E402
from shared.reference import ReferenceSnapshot  # noqa: E402
from shared.version import __version__  # noqa: E402
from tests.conftest import create_pg_database, drop_pg_database  # noqa: E402

PASSWORD = "bench password 1234"


def _pct(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _report(name: str, samples_s: list[float], target_ms: float | None) -> None:
    ms = [s * 1000 for s in samples_s]
    p50, p95, p99 = _pct(ms, 0.50), _pct(ms, 0.95), _pct(ms, 0.99)
    verdict = ""
    if target_ms is not None:
        verdict = f"  target p95 < {target_ms:g} ms: {'OK' if p95 < target_ms else 'MISSED'}"
    print(
        f"{name:<34} n={len(ms):<5} p50={p50:8.3f} ms  p95={p95:8.3f} ms  "
        f"p99={p99:8.3f} ms  mean={statistics.fmean(ms):8.3f} ms{verdict}"
    )


def _time_requests(n: int, call) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        response = call()
        samples.append(time.perf_counter() - start)
        if response.status_code != 200:
            raise SystemExit(f"unexpected {response.status_code}: {response.text[:200]}")
    return samples


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--badges", type=int, default=100, help="badges for the download cost")
    parser.add_argument("--guesses", type=int, default=100, help="guesses against the cache")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--database-url")
    where.add_argument("--postgres", action="store_true")
    args = parser.parse_args()

    tmp = tempfile.TemporaryDirectory()
    url = args.database_url or f"sqlite:///{Path(tmp.name) / 'bench.sqlite3'}"
    scratch = None
    if args.postgres:
        scratch, url = create_pg_database()
    try:
        return _run(args, url)
    finally:
        tmp.cleanup()
        if scratch:
            drop_pg_database(scratch)


def _run(args: argparse.Namespace, url: str) -> int:
    upgrade(url)
    settings = Settings(database_url=url, environment="test", log_json=False, log_level="WARNING")
    app = create_app(settings)
    suffix = secrets.token_hex(3)
    with transaction(app.state.session_factory) as session:
        identity.create_user(
            session=session,
            name="Bench Planner",
            email=f"bench-{suffix}@example.nl",
            password=PASSWORD,
            roles=[Role.PLANNER],
        )
        crew = identity.create_user(session=session, name="Bench Crew", roles=[Role.CREW])
        identity.issue_badge(
            session=session, user=crew, code=f"B-{suffix}", key=settings.badge_hash_key
        )
        pin_crew = identity.create_user(
            session=session,
            name="Bench PIN",
            pin="4826",
            roles=[Role.CREW],
            pin_key=settings.badge_pin_key,
        )
        identity.issue_badge(
            session=session, user=pin_crew, code=f"P-{suffix}", key=settings.badge_hash_key
        )
        _station, station_token = identity.create_station(session=session, name=f"Bench {suffix}")
    station = {"Authorization": f"Bearer {station_token}"}

    print(
        f"argon2id parameters: m={security.ARGON2_MEMORY_KIB} KiB "
        f"({security.ARGON2_MEMORY_KIB // 1024} MiB), t={security.ARGON2_TIME_COST}, "
        f"p={security.ARGON2_PARALLELISM} (OWASP Password Storage Cheat Sheet minimum); "
        f"PINs m={security.PIN_MEMORY_KIB // 1024} MiB, t={security.PIN_TIME_COST}"
    )
    print(f"database: {url.split('@')[-1]}  cpus: {os.cpu_count()}  n={args.n}")

    # It speaks as today's kiosk: a client stating no protocol is a 0.1.0 kiosk (old shapes).
    with TestClient(app, headers=version_headers(__version__)) as client:
        login_body = {"email": f"bench-{suffix}@example.nl", "password": PASSWORD}
        for _ in range(5):  # warm-up: imports, pools, first argon2 allocation
            client.post("/api/v1/auth/login", json=login_body)
        pw = _time_requests(args.n, lambda: client.post("/api/v1/auth/login", json=login_body))
        badge = _time_requests(
            args.n,
            lambda: client.post(
                "/api/v1/auth/badge", json={"badge_code": f"B-{suffix}"}, headers=station
            ),
        )
        badge_pin = _time_requests(
            args.n,
            lambda: client.post(
                "/api/v1/auth/badge",
                json={"badge_code": f"P-{suffix}", "pin": "4826"},
                headers=station,
            ),
        )
        access = client.post("/api/v1/auth/login", json=login_body).json()["access_token"]
        user_headers = {"Authorization": f"Bearer {access}"}
        me = _time_requests(args.n, lambda: client.get("/api/v1/me", headers=user_headers))
        health = _time_requests(args.n, lambda: client.get("/healthz"))
        offline, guesses = _offline(args, client, station, suffix, settings)
        download = _download_cost(args, app, client, suffix, settings)

    token, claims = issue_access_token(
        settings=settings, user_id=crew.id, session_id=uuid7(), roles=["crew"], station_id=None
    )
    checks = []
    for _ in range(max(args.n, 5000)):
        start = time.perf_counter()
        decode_access_token(settings=settings, token=token)
        checks.append(time.perf_counter() - start)

    # What CurrentUser does per request: verify the JWT, load the user and its roles, and
    # check its login session is live.
    lookups = []
    with app.state.session_factory() as session:
        for _ in range(args.n):
            start = time.perf_counter()
            claims = decode_access_token(settings=settings, token=token)
            user = identity.get_user(session=session, user_id=claims.user_id)
            assert user is not None and user.active and user.role_names
            # ...and the login-session check (a miss here: the bench token has no session).
            session_live(session=session, session_id=claims.session_id, user_id=user.id)
            lookups.append(time.perf_counter() - start)
            session.expunge_all()  # no identity-map shortcut: a real lookup every time

    _report("password login (POST /auth/login)", pw, 200)
    _report("badge login, no PIN", badge, 50)
    _report("badge login + PIN (argon2id)", badge_pin, 60)
    _report("kiosk offline login, no PIN", offline["code"], 300)
    _report("kiosk offline login + PIN", offline["pin"], 300)
    cost = VERIFIER_COST
    print(
        f"stolen cache: scrypt n={cost.n} r={cost.r} p={cost.p} "
        f"({128 * cost.n * cost.r // 2**20} MiB): {guesses:.1f} guesses/s per core "
        f"(target <= 100: {'OK' if guesses <= 100 else 'MISSED'}); a PIN badge needs code "
        "and PIN together"
    )
    for line in download:
        print(line)
    _report("token check (JWT verify only)", checks, 1)
    _report("token check + user/roles + session lookup", lookups, 1)
    _report("GET /me (token + user + query)", me, None)
    _report("GET /healthz (no auth, baseline)", health, None)
    print(
        "token check on an authenticated request ~= GET /me minus /healthz: "
        f"{(_pct(me, 0.5) - _pct(health, 0.5)) * 1000:.3f} ms (p50, includes the /me query)"
    )
    app.state.engine.dispose()
    return 0


def _offline(args, client, station, suffix, settings) -> tuple[dict[str, list[float]], float]:
    """The kiosk side: download this station's reference, log in from it, and guess."""
    snapshot = ReferenceSnapshot.model_validate(
        client.get("/api/v1/sync/reference", headers=station).json()
    )
    with tempfile.TemporaryDirectory() as tmp:
        store = LocalStore(Path(tmp) / "kiosk.sqlite3")
        store.replace_reference(snapshot)
        n = min(args.n, 100)  # ~20-40 ms each: enough for a p95
        samples: dict[str, list[float]] = {"code": [], "pin": []}
        for kind, code, pin in (("code", f"B-{suffix}", None), ("pin", f"P-{suffix}", "4826")):
            for _ in range(n):
                start = time.perf_counter()
                offline_login(store, code, pin)
                samples[kind].append(time.perf_counter() - start)
        # A thief with a copy of the data directory: badge key, salt and verifiers.
        auth, key = store.badge_auth(), store.badge_hash_key()
        verifiers = {r["verifier"] for r in store.db.query("SELECT verifier FROM ref_badges")}
        salt = bytes.fromhex(auth.salt)
        start = time.process_time()
        for n_guess in range(args.guesses):
            guess = f"B-{n_guess:06x}"
            _hit = offline_verifier(badge_hash(key, guess), None, salt) in verifiers
        guesses = args.guesses / (time.process_time() - start)
        store.close()
    return samples, guesses


def _download_cost(args, app, client, suffix, settings) -> list[str]:
    """What per-station verifiers cost a reference download (one scrypt per badge per
    station, once; kept in station_badge_verifiers)."""
    with transaction(app.state.session_factory) as session:
        for n in range(args.badges):
            user = identity.create_user(session=session, name=f"Crew {n}", roles=[Role.CREW])
            identity.issue_badge(
                session=session, user=user, code=f"D-{suffix}-{n}", key=settings.badge_hash_key
            )
        stations = [
            identity.create_station(session=session, name=f"Dock {suffix} {n}")[1] for n in range(2)
        ]

    def download(token: str) -> tuple[float, float, int]:
        """A whole download, page after page: (total s, slowest page s, pages)."""
        headers = {"Authorization": f"Bearer {token}"}
        cursor, pages, slowest, start = None, 0, 0.0, time.perf_counter()
        while True:
            began = time.perf_counter()
            params = {"cursor": cursor} if cursor else {}
            response = client.get("/api/v1/sync/reference", params=params, headers=headers)
            assert response.status_code == 200, response.text
            slowest, pages = max(slowest, time.perf_counter() - began), pages + 1
            page = response.json()
            cursor = page["cursor"]
            if not page["has_more"]:
                return time.perf_counter() - start, slowest, pages

    lines = []
    for what, token in (
        ("a station's first (computes its verifiers)", stations[0]),
        ("its next full download (verifiers from the table)", stations[0]),
        ("another station's first", stations[1]),
    ):
        total, slowest, pages = download(token)
        lines.append(
            f"reference download, {args.badges + 2} badges, {what}: {total * 1000:.0f} ms in "
            f"{pages} page(s), slowest page {slowest * 1000:.0f} ms"
        )
    return lines


if __name__ == "__main__":
    raise SystemExit(main())
