"""A run's reconciliation report as HTML (jinja2, autoescaped) and as CSV."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape

from server.exports.documents import cents_to_str
from server.exports.models import ExportRun

if TYPE_CHECKING:  # csv.writer()'s return type, named for the checker only
    from _csv import Writer as CsvWriter


@lru_cache(maxsize=1)
def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("server.exports.reconciliation", "templates"),
        autoescape=select_autoescape(["html"]),
    )
    env.globals["money"] = cents_to_str
    return env


def run_summary(run: ExportRun) -> dict:
    return {
        "id": str(run.id),
        "target": run.target,
        "status": run.status,
        "trigger": run.trigger,
        "total": run.total,
        "done": run.done,
        "exported": run.exported,
        "failed": run.failed,
        "skipped": run.skipped,
        "api_calls": run.api_calls,
        "progress": round(run.done / run.total, 4)
        if run.total
        else (1.0 if run.finished_at else 0.0),
        "eta_seconds": run.eta_seconds,
        "message": run.message,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
    }


def render_html(run: ExportRun) -> str:
    return _env().get_template("report.html").render(run=run, report=run.report or {})


def _money(cents: int | None) -> str:
    return "" if cents is None else cents_to_str(cents)


def _csv_failures(writer: CsvWriter, report: dict[str, Any]) -> None:
    writer.writerow(["failure_kind", "id", "number", "reason"])
    for row in report.get("failures", []):
        writer.writerow([row["kind"], row["id"], row["number"] or "", row["reason"]])


def _csv_documents(writer: CsvWriter, report: dict[str, Any]) -> None:
    writer.writerow(["number", "type", "remote_id", "status", "attempts", "last_error"])
    for doc in report.get("documents", []):
        writer.writerow(
            [
                doc["number"],
                doc["type"],
                doc["remote_id"] or "",
                doc["status"],
                doc["attempts"],
                doc["last_error"] or "",
            ]
        )


def _csv_vat(writer: CsvWriter, report: dict[str, Any]) -> None:
    writer.writerow(["vat_rate", "local_net", "remote_net", "local_vat", "remote_vat"])
    for row in report.get("vat", []):
        writer.writerow(
            [
                row["rate"],
                cents_to_str(row["local_net"]),
                cents_to_str(row["remote_net"]),
                cents_to_str(row["local_vat"]),
                cents_to_str(row["remote_vat"]),
            ]
        )


def _csv_mismatches(writer: CsvWriter, report: dict[str, Any]) -> None:
    writer.writerow(
        [
            "mismatch_number",
            "vat_rate",
            "local_net",
            "remote_net",
            "local_vat",
            "remote_vat",
            "note",
        ]
    )
    for row in report.get("mismatches", []):
        writer.writerow(
            [
                row["number"],
                row["rate"],
                cents_to_str(row["local_net"]),
                cents_to_str(row["remote_net"]),
                cents_to_str(row["local_vat"]),
                cents_to_str(row["remote_vat"]),
                row["note"],
            ]
        )


def _csv_payments(writer: CsvWriter, report: dict[str, Any]) -> None:
    writer.writerow(["payment", "kind", "number", "amount", "remote_amount", "status", "matched"])
    for matched, rows in (("yes", "payments_matched"), ("no", "payments_unmatched")):
        for pay in report.get(rows, []):
            writer.writerow(
                [
                    pay["payment"],
                    pay.get("kind", "payment"),
                    pay.get("number") or "",
                    _money(pay.get("amount")),
                    _money(pay.get("remote_amount")),
                    pay["status"],
                    matched,
                ]
            )


def _csv_contacts(writer: CsvWriter, report: dict[str, Any]) -> None:
    writer.writerow(
        ["contact_customer", "name", "address", "vat_number", "kvk", "remote_id", "status", "note"]
    )
    for row in report.get("contacts", []):
        writer.writerow(
            [
                row["customer"],
                row["name"],
                row["address"],
                row["vat_number"],
                row["kvk"],
                row["remote_id"] or "",
                row["status"],
                row["note"],
            ]
        )


def _csv_overpaid(writer: CsvWriter, report: dict[str, Any]) -> None:
    writer.writerow(
        [
            "overpaid_number",
            "total",
            "paid",
            "refunded",
            "refund_pending",
            "overpaid",
            "suggested_refunds",
        ]
    )
    for row in report.get("overpaid", []):
        writer.writerow(
            [
                row["number"],
                cents_to_str(row["total"]),
                cents_to_str(row["paid"]),
                cents_to_str(row["refunded"]),
                cents_to_str(row["refund_pending"]),
                cents_to_str(row["overpaid"]),
                "; ".join(
                    f"{cents_to_str(s['amount'])} {s['provider']} {s['provider_payment_id']}"
                    for s in row["suggested_refunds"]
                ),
            ]
        )


def _csv_changed_remotely(writer: CsvWriter, report: dict[str, Any]) -> None:
    writer.writerow(["changed_remotely_number", "remote_id"])
    for doc in report.get("changed_remotely", []):
        writer.writerow([doc["number"], doc["remote_id"]])


# The CSV file's tables after the run's own lines, in order, a blank line before each.
_CSV_SECTIONS: tuple[Callable[[CsvWriter, dict[str, Any]], None], ...] = (
    _csv_failures,
    _csv_documents,
    _csv_vat,
    _csv_mismatches,
    _csv_payments,
    _csv_contacts,
    _csv_overpaid,
    _csv_changed_remotely,
)


def render_csv(run: ExportRun) -> str:
    """One section per table, separated by a blank line (spreadsheets open it as is)."""
    report = run.report or {}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "run", run.id, run.target, run.status])
    writer.writerow(["api_calls", report.get("api_calls", run.api_calls)])
    if report.get("stopped"):
        writer.writerow(["stopped", report["stopped"]])
    for section in _CSV_SECTIONS:
        writer.writerow([])
        section(writer, report)
    return out.getvalue()
