"""``rentguy-server``: serve, migrate, create-admin, seed-demo, payments recheck, export."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import ValidationError

if TYPE_CHECKING:  # imported by the commands that use them: the CLI starts fast
    import uvicorn

    from server.exports.models import ExportRun


def _settings():
    from server.config import get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"RENTGUY_{'_'.join(str(p) for p in err['loc']).upper()}: {err['msg']}"
            for err in exc.errors()
        )
        raise SystemExit(f"configuration error: {problems}") from None


# Seconds a stopping server waits for open requests; a live scan stream (SSE) never ends
# by itself, so without a bound one watching admin would hold a stopping worker forever.
GRACEFUL_SHUTDOWN_SECONDS = 5


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.ops.logging import configure_logging
    from server.ops.metrics import multiprocess_dir

    settings = _settings()
    workers = args.workers or settings.workers
    configure_logging(settings.log_level, json=settings.log_json)
    # An import string and a factory: with several workers each process builds its own app
    # from the environment (server.app.serve_app); uvicorn's parent only supervises them.
    options = {
        "app": "server.app:serve_app",
        "factory": True,
        "workers": workers,
        "host": args.host,
        "port": args.port,
        "log_config": None,
        # uvicorn would rewrite the client address from X-Forwarded-For for the peers in
        # --forwarded-allow-ips; the app decides it from RENTGUY_TRUSTED_PROXIES instead,
        # in one place (server.ops.proxies), so uvicorn must leave it alone.
        "proxy_headers": False,
        "timeout_graceful_shutdown": GRACEFUL_SHUTDOWN_SECONDS,
    }
    # Build the app here first: a configuration that cannot make an app fails now, with
    # one clear line, instead of in every worker (which uvicorn would restart forever).
    from uvicorn.config import STARTUP_FAILURE

    from server.app import serve_app

    try:
        app = serve_app()
    except Exception as exc:  # noqa: BLE001 - any reason the app cannot be built
        print(f"cannot start the server: {type(exc).__name__}: {exc}", file=sys.stderr)
        return STARTUP_FAILURE
    with multiprocess_dir(workers):
        if workers == 1:
            # uvicorn exits with STARTUP_FAILURE itself when the lifespan fails.
            uvicorn.run(**{**options, "app": app, "factory": False})
            return 0
        return _supervise(uvicorn.Config(**options))


def _supervise(config: uvicorn.Config) -> int:
    """uvicorn's own worker supervisor, plus an exit code: when a worker fails at start-up
    (uvicorn then stops them all), exit non-zero so systemd's Restart=on-failure and
    container restart policies see it; uvicorn.run would return as if all went well."""
    from uvicorn.config import STARTUP_FAILURE
    from uvicorn.supervisors import Multiprocess

    supervisor = Multiprocess(config, sockets=[config.bind_socket()])
    supervisor.run()
    if any(process.exitcode == STARTUP_FAILURE for process in supervisor.processes):
        print("a server worker failed to start; see the log above", file=sys.stderr)
        return STARTUP_FAILURE
    return 0


def _migrate(args: argparse.Namespace) -> int:
    from server.migrations import downgrade, upgrade

    url = args.database_url or _settings().database_url
    if args.downgrade:
        downgrade(url, args.revision or "base")
    else:
        upgrade(url, args.revision or "head")
    print(f"migrations done ({'downgrade' if args.downgrade else 'upgrade'})", file=sys.stderr)
    return 0


def _create_admin(args: argparse.Namespace) -> int:
    from server.db import make_engine, make_session_factory, transaction
    from server.errors import Conflict
    from server.identity import service as identity
    from server.identity.models import Role

    settings = _settings()
    factory = make_session_factory(make_engine(settings.database_url))
    try:
        with transaction(factory) as session:
            user = identity.create_user(
                session=session,
                name=args.name or args.email,
                email=args.email,
                password=args.password,
                roles=[Role.ADMIN],
            )
            print(json.dumps({"id": str(user.id), "email": user.email}))
    except Conflict as exc:
        raise SystemExit(f"error: {exc.message}") from None
    return 0


def _seed_demo(args: argparse.Namespace) -> int:
    from server.db import make_engine, make_session_factory, transaction
    from server.demo import seed_demo

    settings = _settings()
    factory = make_session_factory(make_engine(settings.database_url))
    with transaction(factory) as session:
        info = seed_demo(session=session, settings=settings)
    text = json.dumps(info, indent=2)
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        out.touch(mode=0o600, exist_ok=True)  # it holds a password and a station token
        out.write_text(text + "\n")
        print(f"demo data written to {out}", file=sys.stderr)
    else:
        print(text)
    return 0


def _payments_recheck(args: argparse.Namespace) -> int:
    from server.db import make_engine, make_session_factory
    from server.payments.providers import ProviderSet
    from server.payments.recheck import recheck_once

    settings = _settings()
    engine = make_engine(settings.database_url)
    try:
        stats = recheck_once(
            factory=make_session_factory(engine),
            providers=ProviderSet.from_settings(settings),
            limit=args.limit,
        )
    finally:
        engine.dispose()
    print(json.dumps(stats))
    return 0


def _progress_bar(run: ExportRun) -> None:
    width = 30
    filled = int(width * run.done / run.total) if run.total else 0
    eta = f"eta {run.eta_seconds}s" if run.eta_seconds is not None else ""
    print(
        f"\r[{'#' * filled}{'.' * (width - filled)}] {run.done}/{run.total} "
        f"{run.api_calls} calls {eta}   ",
        end="",
        file=sys.stderr,
        flush=True,
    )


def _export_run(args: argparse.Namespace) -> int:
    from server.db import make_engine, make_session_factory
    from server.errors import AppError
    from server.exports.reconciliation.report import run_summary
    from server.exports.service import parse_target, run_export
    from server.exports.sources import document_source

    settings = _settings()
    factory = make_session_factory(make_engine(settings.database_url))
    try:
        run = run_export(
            session_factory=factory,
            settings=settings,
            target=parse_target(args.target),
            source=document_source(factory),
            trigger="cli",
            on_progress=None if args.quiet else _progress_bar,
        )
    except AppError as exc:
        raise SystemExit(f"error: {exc.message}") from None
    if not args.quiet:
        print(file=sys.stderr)
    print(json.dumps(run_summary(run)))
    return 0 if run.status == "succeeded" else 1


def _export_connect(args: argparse.Namespace) -> int:
    """Store Exact Online's first token set: by the authorization-code exchange (``--code``
    from the consent page's redirect), or an access token (RENTGUY_EXACT_ACCESS_TOKEN, valid
    ``--expires-in`` s) with its refresh token (RENTGUY_EXACT_REFRESH_TOKEN). Tokens come
    from the environment, never the command line."""
    from datetime import timedelta
    from urllib.parse import urlencode

    import httpx

    from server.db import make_engine, make_session_factory, utcnow
    from server.exports.service import exact_tokens
    from server.exports.targets.http import NotAuthorized

    settings = _settings()
    if not (settings.exact_client_id and settings.exact_client_secret.get_secret_value()):
        raise SystemExit("error: set RENTGUY_EXACT_CLIENT_ID and RENTGUY_EXACT_CLIENT_SECRET")
    access = settings.exact_access_token.get_secret_value()
    refresh = settings.exact_refresh_token.get_secret_value()
    redirect_uri = args.redirect_uri or settings.exact_redirect_uri
    if not args.code and not access:
        query = urlencode(
            {
                "client_id": settings.exact_client_id,
                "redirect_uri": redirect_uri or "<RENTGUY_EXACT_REDIRECT_URI>",
                "response_type": "code",
                "force_login": "0",
            }
        )
        print(f"{settings.exact_base_url.rstrip('/')}/api/oauth2/auth?{query}")
        print(
            "open this page, allow access, then run again with --code <code from the "
            "redirect>; or set RENTGUY_EXACT_ACCESS_TOKEN and RENTGUY_EXACT_REFRESH_TOKEN "
            "and pass --expires-in <seconds the access token has left>",
            file=sys.stderr,
        )
        return 2
    if args.code and not redirect_uri:
        raise SystemExit("error: the code exchange needs RENTGUY_EXACT_REDIRECT_URI")
    if access and not args.code and (args.expires_in is None or not refresh):
        raise SystemExit(
            "error: an access token needs --expires-in and RENTGUY_EXACT_REFRESH_TOKEN"
        )
    engine = make_engine(settings.database_url)
    try:
        with httpx.Client(timeout=30) as http:
            store = exact_tokens(
                settings=settings, session_factory=make_session_factory(engine), http=http
            )
            if args.code:
                expires = store.exchange_code(args.code, redirect_uri)
            else:
                expires = utcnow() + timedelta(seconds=args.expires_in)
                store.connect(access_token=access, refresh_token=refresh, expires_at=expires)
    except NotAuthorized as exc:
        raise SystemExit(f"error: {exc.message}") from None
    finally:
        engine.dispose()
    print(json.dumps({"target": "exact", "connected": True, "expires_at": expires.isoformat()}))
    return 0


def _export_files(args: argparse.Namespace) -> int:
    from server.db import make_engine, make_session_factory
    from server.exports.csv_file import write_csv
    from server.exports.sources import document_source
    from server.exports.ubl.writer import Supplier, write_ubl_zip

    settings = _settings()
    factory = make_session_factory(make_engine(settings.database_url))
    docs = list(document_source(factory).documents(since=None))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.format == "csv":
        with out.open("w", newline="", encoding="utf-8") as fh:
            count = write_csv(docs, fh)
    else:
        supplier = Supplier(
            name=settings.company_name,
            kvk=settings.company_kvk,
            vat_number=settings.company_vat_number,
            iban=settings.company_iban,
            street=settings.company_street,
            city=settings.company_city,
            zipcode=settings.company_zipcode,
        )
        if not (supplier.name and supplier.kvk and supplier.vat_number and supplier.iban):
            raise SystemExit("error: UBL needs RENTGUY_COMPANY_NAME, _KVK, _VAT_NUMBER and _IBAN")
        problems: dict[str, list[str]] = {}
        count = write_ubl_zip(docs, supplier, out, problems=problems)
        # Written all the same (nothing is dropped); what a validator will refuse is named.
        for number, found in sorted(problems.items()):
            for problem in found:
                print(f"{number}: {problem}", file=sys.stderr)
        if problems:
            print(f"{len(problems)} documents break SI-UBL 2.0 rules (see above)", file=sys.stderr)
    print(f"{count} documents written to {out}", file=sys.stderr)
    return 0


def _worker_count(value: str) -> int:
    if not value.isdigit() or not 1 <= int(value) <= 64:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number from 1 to 64")
    return int(value)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="rentguy-server", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the HTTP API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8765)
    serve.add_argument(
        "--workers",
        type=_worker_count,
        metavar="N",
        help="worker processes (default: RENTGUY_WORKERS, else one per CPU, at most 4)",
    )
    serve.set_defaults(func=_serve)

    migrate = sub.add_parser("migrate", help="upgrade the database schema (or --downgrade)")
    migrate.add_argument("--revision", help="target revision (default: head, or base)")
    migrate.add_argument("--downgrade", action="store_true")
    migrate.add_argument("--database-url", help="default: RENTGUY_DATABASE_URL")
    migrate.set_defaults(func=_migrate)

    admin = sub.add_parser("create-admin", help="create an admin user")
    admin.add_argument("--email", required=True)
    admin.add_argument("--password", required=True)
    admin.add_argument("--name")
    admin.set_defaults(func=_create_admin)

    seed = sub.add_parser("seed-demo", help="load demo data; print or --out its JSON")
    seed.add_argument("--out", help="write the JSON here (mode 600) instead of stdout")
    seed.set_defaults(func=_seed_demo)

    payments = sub.add_parser("payments", help="payment operations")
    payments_sub = payments.add_subparsers(dest="payments_command", required=True)
    recheck = payments_sub.add_parser(
        "recheck",
        aliases=["reconcile"],  # its old name: deployed crontabs call it
        help="re-fetch stuck payments and retry failed webhook deliveries once",
    )
    recheck.add_argument("--limit", type=int, default=100, help="items per kind (default 100)")
    recheck.set_defaults(func=_payments_recheck)

    export = sub.add_parser("export", help="accounting export (Moneybird, Exact Online)")
    export_sub = export.add_subparsers(dest="export_command", required=True)
    run = export_sub.add_parser("run", help="run an export now, with a progress bar")
    run.add_argument("--target", required=True, choices=["moneybird", "exact"])
    run.add_argument("--quiet", action="store_true", help="no progress bar")
    run.set_defaults(func=_export_run)
    connect = export_sub.add_parser(
        "connect", help="connect Exact Online once: store its first access and refresh token"
    )
    connect.add_argument("target", choices=["exact"])
    connect.add_argument("--code", help="the authorization code from the consent redirect")
    connect.add_argument("--redirect-uri", help="default RENTGUY_EXACT_REDIRECT_URI")
    connect.add_argument(
        "--expires-in",
        type=int,
        help="seconds RENTGUY_EXACT_ACCESS_TOKEN is still valid (without --code)",
    )
    connect.set_defaults(func=_export_connect)
    files = export_sub.add_parser("files", help="write documents as CSV or UBL (zip)")
    files.add_argument("--format", required=True, choices=["csv", "ubl"])
    files.add_argument("--out", required=True)
    files.set_defaults(func=_export_files)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
