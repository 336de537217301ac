"""Webhook throughput and correctness over loopback HTTP against a real server subprocess.

    .venv/bin/python bench/payments_webhooks.py [--db sqlite|postgresql|both]
        [--deliveries 10000] [--concurrency 8] [--workers N]

For each database: payments are created through the real adapters (real SDKs → strict
fakes), the fake provider plays each payment's life (succeeded, failed then retried,
refunds, disputes/chargebacks) and records the webhooks it would send; then the bench
POSTs them to ``rentguy-server serve``: Stripe events signed for real, 20 % duplicates,
10 % moved later (out of order), from ``--concurrency`` threads; then the same for Mollie
(``id=tr_…`` bodies). It prints deliveries/s and the share of payments whose final state
(payment status, refunded and charged-back amounts, invoice state) matches what the
provider says — which must be 100 %. ``--workers``: the server's worker processes
(default: what ``rentguy-server serve`` uses on this machine); the server CPU is summed
over its parent and workers.
"""

from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import random
import resource
import secrets
import sys
import tempfile
import threading
import time
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
os.environ.setdefault("RENTGUY_SECRET_KEY", secrets.token_urlsafe(32))


from server.config import Settings, default_workers  # noqa: E402
from server.db import make_engine, make_session_factory, transaction  # noqa: E402
from server.invoicing import service as invoicing  # noqa: E402
from server.invoicing.models import Invoice  # noqa: E402
from server.migrations import upgrade  # noqa: E402
from server.payments import service  # noqa: E402
from server.payments.models import Payment  # noqa: E402
from server.payments.providers import ProviderSet  # noqa: E402
from tests.helpers.billing import make_project  # noqa: E402
from tests.helpers.fakes import FakeMollie, FakeStripe  # noqa: E402
from tests.helpers.live_server import LiveServer, cpu_seconds  # noqa: E402

WEBHOOK_SECRET = "whsec_bench_" + secrets.token_hex(8)
AMOUNT = 12_100  # €100 + 21 % VAT per invoice


def _stripe_life(fake: FakeStripe, pi: str, rng: random.Random) -> tuple[list, tuple]:
    """Play one PaymentIntent's life; return its events and the expected final state."""
    kind = rng.choices(["paid", "retry", "refund", "dispute", "failed"], [4, 2, 2, 1, 1])[0]
    ev = []
    if kind == "paid":
        ev += [fake.processing(pi), fake.succeed(pi)]
        return ev, ("paid", 0, 0, "paid")
    if kind == "retry":
        ev += [fake.fail(pi), fake.processing(pi), fake.succeed(pi)]
        return ev, ("paid", 0, 0, "paid")
    if kind == "refund":
        ev += [fake.succeed(pi), fake.refund(pi, 2_000), fake.refund(pi, 1_000)]
        return ev, ("paid", 3_000, 0, "partially_refunded")
    if kind == "dispute":
        ev += [fake.succeed(pi), fake.dispute(pi), fake.close_dispute(pi, won=False)]
        return ev, ("paid", 0, AMOUNT, "paid")
    ev += [fake.processing(pi), fake.fail(pi)]
    return ev, ("failed", 0, 0, "open")


def _mollie_life(fake: FakeMollie, tr: str, rng: random.Random) -> tuple[list, tuple]:
    kind = rng.choices(["paid", "refund", "chargeback", "failed", "expired"], [5, 2, 1, 1, 1])[0]
    ev = [fake.set_status(tr, "pending")]
    if kind in ("failed", "expired"):
        ev.append(fake.set_status(tr, kind))
        return ev, (kind, 0, 0, "open")
    ev.append(fake.set_status(tr, "paid"))
    if kind == "refund":
        # Mollie answers a refund "pending" and pays it out later: it counts once done.
        ev += [fake.refund(tr, 2_500), fake.settle_refunds(tr)]
        return ev, ("paid", 2_500, 0, "partially_refunded")
    if kind == "chargeback":
        ev.append(fake.chargeback(tr))
        return ev, ("paid", 0, AMOUNT, "paid")
    return ev, ("paid", 0, 0, "paid")


def _interleave(lives: list[list], rng: random.Random) -> list:
    """Merge the payments' event lists at random, each payment's own order kept."""
    queues = [list(reversed(life)) for life in lives]
    merged = []
    while queues:
        i = rng.randrange(len(queues))
        merged.append(queues[i].pop())
        if not queues[i]:
            queues[i] = queues[-1]
            queues.pop()
    return merged


def _schedule(events: list, total: int, rng: random.Random) -> list:
    """``total`` deliveries: every event once, 20 % duplicates, 10 % moved later."""
    deliveries = list(events)
    for _ in range(total - len(events)):
        pos = rng.randrange(len(deliveries))
        deliveries.insert(rng.randrange(pos, len(deliveries) + 1), deliveries[pos])
    for _ in range(total // 10):
        i = rng.randrange(len(deliveries) - 1)
        j = min(len(deliveries) - 1, i + rng.randint(1, 200))
        deliveries.insert(j, deliveries.pop(i))
    return deliveries


def _setup_payments(factory, providers, settings, provider: str, count: int) -> list:
    with transaction(factory) as session:
        project_id = make_project(session, lines=[(10_000, 1)], days=1).id
    created = []
    for _ in range(count):
        with transaction(factory) as session:
            invoice = invoicing.create_invoice_from_project(session=session, project_id=project_id)
            invoicing.open_invoice(session=session, invoice_id=invoice.id)
            payment = service.create_payment(
                session=session,
                providers=providers,
                settings=settings,
                invoice_id=invoice.id,
                provider=provider,
            )
            created.append((payment.id, invoice.id, payment.provider_payment_id))
    return created


def _send_chunk(url: str, items: list[tuple[bytes, dict]], threads: int) -> dict[int, int]:
    """Runs in a sender process: POST ``items`` from ``threads`` keep-alive connections.

    Plain ``http.client``, not httpx: the senders stand in for Stripe's and Mollie's
    servers, and share this machine's two cores with the server under test, so the
    cheaper each POST is here, the less the load generator distorts what is measured."""
    parts = urlsplit(url)
    codes: dict[int, int] = {}
    lock = threading.Lock()

    def worker(part):
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        try:
            for content, headers in part:
                conn.request("POST", parts.path, body=content, headers=headers)
                response = conn.getresponse()
                response.read()
                with lock:
                    codes[response.status] = codes.get(response.status, 0) + 1
        finally:
            conn.close()

    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(worker, [items[i::threads] for i in range(threads)]))
    return codes


def _send_all(url: str, items: list, concurrency: int) -> tuple[float, dict, float]:
    # Senders run in their own processes so they do not share a GIL with the fake provider
    # (which answers the server's re-fetches from this process).
    procs = 2
    ctx = multiprocessing.get_context("spawn")
    children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with ProcessPoolExecutor(procs, mp_context=ctx) as pool:
        list(pool.map(_noop, range(procs)))  # start the workers before the clock does
        start = time.perf_counter()
        futures = [
            pool.submit(_send_chunk, url, items[i::procs], max(1, concurrency // procs))
            for i in range(procs)
        ]
        codes: dict[int, int] = {}
        for future in futures:
            for code, n in future.result().items():
                codes[code] = codes.get(code, 0) + n
        elapsed = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the senders, once reaped
    sender_cpu = (after.ru_utime + after.ru_stime) - (
        children_before.ru_utime + children_before.ru_stime
    )
    return elapsed, codes, sender_cpu


def _noop(_):
    return None


def _check(factory, expected: dict) -> float:
    ok = 0
    with factory() as session:
        for payment_id, (invoice_id, want) in expected.items():
            payment = session.get(Payment, payment_id)
            invoice = session.get(Invoice, invoice_id)
            got = (
                payment.status,
                payment.amount_refunded_cents,
                payment.amount_charged_back_cents,
                invoice.state,
            )
            ok += got == want
    return 100.0 * ok / len(expected)


def run(db: str, deliveries: int, concurrency: int, seed: int, workers: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="rentguy-bench-"))
    pg_name = None
    if db == "sqlite":
        url = f"sqlite:///{tmp / 'bench.sqlite3'}"
    else:
        from tests.conftest import create_pg_database

        pg_name, url = create_pg_database()
    rng = random.Random(seed)
    try:
        upgrade(url)
        with FakeStripe(webhook_secret=WEBHOOK_SECRET) as stripe_fake, FakeMollie() as mollie_fake:
            os.environ.update(
                {
                    "RENTGUY_STRIPE_API_KEY": stripe_fake.api_key,
                    "RENTGUY_STRIPE_API_BASE": stripe_fake.url,
                    "RENTGUY_STRIPE_WEBHOOK_SECRETS": WEBHOOK_SECRET,
                    "RENTGUY_MOLLIE_API_KEY": mollie_fake.api_key,
                    "RENTGUY_MOLLIE_API_BASE": mollie_fake.url,
                    "RENTGUY_LOG_LEVEL": "WARNING",
                }
            )
            settings = Settings(database_url=url)
            providers = ProviderSet.from_settings(settings)
            engine = make_engine(url)
            factory = make_session_factory(engine)
            server = LiveServer(url, tmp / "server.log", workers=workers)
            server.start()
            try:
                for name, fake, life in (
                    ("stripe", stripe_fake, _stripe_life),
                    ("mollie", mollie_fake, _mollie_life),
                ):
                    unique = int(deliveries * 0.8)
                    per_payment = 2.6 if name == "stripe" else 2.4
                    count = max(1, int(unique / per_payment))
                    t0 = time.perf_counter()
                    payments = _setup_payments(factory, providers, settings, name, count)
                    lives, expected = [], {}
                    for payment_id, invoice_id, remote_id in payments:
                        evs, want = life(fake, remote_id, rng)
                        lives.append(evs)
                        expected[payment_id] = (invoice_id, want)
                    setup = time.perf_counter() - t0
                    events = _interleave(lives, rng)
                    schedule = _schedule(events, deliveries, rng)
                    if name == "stripe":  # signed now: well inside the 300 s tolerance
                        items = [fake.signed(event) for event in schedule]
                    else:
                        form = {"Content-Type": "application/x-www-form-urlencoded"}
                        items = [(body, form) for body in schedule]
                    cpu_before = {pid: cpu_seconds(pid) for pid in server.pids()}
                    fake_before = cpu_seconds(os.getpid())  # the fakes answer from here
                    elapsed, codes, sender_cpu = _send_all(
                        f"{server.url}/api/v1/webhooks/{name}", items, concurrency
                    )
                    used = {p: cpu_seconds(p) - cpu_before.get(p, 0.0) for p in server.pids()}
                    server_cpu_ms = sum(used.values()) * 1000 / len(schedule)
                    # How the work spread over the processes (keep-alive connections stay
                    # with the worker that accepted them).
                    split = "/".join(
                        f"{100 * v / sum(used.values()):.0f}%" for v in sorted(used.values())[::-1]
                    )
                    fake_cpu_ms = (cpu_seconds(os.getpid()) - fake_before) * 1000 / len(schedule)
                    correct = _check(factory, expected)
                    print(
                        f"{db:10s} {name:6s} workers={workers} payments={len(payments):5d} "
                        f"deliveries={len(schedule):6d} unique_events={len(events):5d} "
                        f"time={elapsed:6.2f}s rate={len(schedule) / elapsed:7.1f}/s "
                        f"statuses={dict(sorted(codes.items()))} correct={correct:.1f}% "
                        f"server_cpu={server_cpu_ms:.2f}ms/delivery (split {split}) "
                        f"fake_cpu={fake_cpu_ms:.2f}ms/delivery "
                        f"sender_cpu={sender_cpu * 1000 / len(schedule):.2f}ms/delivery "
                        f"(setup {setup:.1f}s)",
                        flush=True,
                    )
            finally:
                server.stop()
                engine.dispose()
    finally:
        if pg_name:
            from tests.conftest import drop_pg_database

            drop_pg_database(pg_name)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--deliveries", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--seed", type=int, default=6)
    parser.add_argument("--workers", type=int, default=default_workers())
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPUs; server workers: {args.workers}", flush=True)
    for db in ["sqlite", "postgresql"] if args.db == "both" else [args.db]:
        run(db, args.deliveries, args.concurrency, args.seed, args.workers)


if __name__ == "__main__":
    main()
