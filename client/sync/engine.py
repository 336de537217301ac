"""One sync round: upload the outbox in ``seq`` order, then download reference data.

Plain Python, no Qt: ``SyncWorker`` runs it on a thread, tests drive it with
``httpx.MockTransport``. The rules (SPEC §4):

- upload before download, batches in ``seq`` order, until the outbox is empty;
- a scan leaves the outbox only by an answer from the server (or, when it can never be
  sent, by being marked rejected locally); nothing is ever deleted;
- a batch whose answer was lost is simply sent again: the server dedupes by ``scan_id``;
- network down or 5xx: keep everything, retry later; 401/403: stop until the station
  token changes; another 4xx: keep the rows and show the server's message;
- but a poison scan must never block the queue: when the server refuses a batch with a
  422 naming scans (``body.scans.<i>…``) those scans are kept locally as rejected with the
  server's reason and the others are sent again; a 413, or a 422 that names no scan, is
  answered by splitting the batch in halves until the scan it is about stands alone;
- offline logins go first, in a batch of their own, until the server acknowledges them
  (issue 15): the server then knows the login its scans name;
- a 401 ``station_revoked``: the server accepts nothing more from this station. Its queued
  scans and offline logins are exported to a file next to the store and taken out of the
  queue (kept, marked rejected), the mirror and badge cache are wiped, and the kiosk shows
  it is revoked (``LocalStore.wipe_revoked``; docs/identity.md).
- versions (the rule: ``shared.protocol``): every request states the kiosk's protocol,
  accepted range and release (and its queue depth, for the server's metrics); a server that
  refuses the protocol (426 / 409 ``server_too_old``) or states an accepted range without
  ours stops the round as ``update_needed``: the rows stay queued, the kiosk says so and
  tries again later (the server may be upgraded or rolled back meanwhile).
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TypeVar

import httpx
from pydantic import ValidationError

from client.api import (
    DEFAULT_TIMEOUT_S,
    ServerApi,
    ServerUnreachable,
    error_code,
    server_message,
    update_needed,
)
from client.store import LocalStore
from client.timeutil import from_iso, utc_now
from shared.protocol import (
    QUEUE_DEPTH_HEADER,
    LoginStatus,
    OfflineLoginIn,
    ScanBatch,
    ScanBatchResponse,
    ScanIn,
)
from shared.reference import ReferenceSnapshot

BATCH_PATH = "/api/v1/scans/batch"
REFERENCE_PATH = "/api/v1/sync/reference"
MIN_BATCH_SIZE = 10
MAX_REFERENCE_PAGES = 10_000  # a server that never says "no more" must not spin us forever

_Model = TypeVar("_Model", ScanBatchResponse, ReferenceSnapshot)
log = logging.getLogger(__name__)


class SyncState(StrEnum):
    OK = "ok"
    OFFLINE = "offline"  # no connection or a timeout
    SERVER_ERROR = "server_error"  # 5xx, 429, or an answer we cannot read: retry later
    REFUSED = "refused"  # another 4xx: the server's message is shown, rows stay queued
    AUTH_FAILED = "auth_failed"  # 401/403: the station token is no good
    STATION_REVOKED = "station_revoked"  # 401 station_revoked: wiped, shows "revoked"
    UPDATE_NEEDED = "update_needed"  # kiosk and server speak no common protocol version
    NO_TOKEN = "no_token"  # this station is not enrolled yet
    LOCAL_ERROR = "local_error"  # a bug or a disk problem here: logged, retried later


@dataclass(frozen=True)
class SyncReport:
    state: SyncState
    uploaded: Mapping[str, int] = field(default_factory=dict)  # ScanStatus value -> count
    changed: int = 0  # outbox rows whose state changed (server answers and local rejects)
    error: str | None = None
    reference_updated: bool = False
    finished_at: datetime = field(default_factory=utc_now)

    @property
    def ok(self) -> bool:
        return self.state is SyncState.OK

    @property
    def online(self) -> bool:
        """The server answered (even if it said no)."""
        return self.state not in (SyncState.OFFLINE, SyncState.NO_TOKEN, SyncState.LOCAL_ERROR)


@dataclass
class _Tally:
    uploaded: Counter[str] = field(default_factory=Counter)
    changed: int = 0


class SyncFailure(Exception):
    def __init__(
        self,
        state: SyncState,
        message: str,
        *,
        timed_out: bool = False,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message)
        self.state = state
        self.message = message
        self.timed_out = timed_out
        self.response = response  # the refusal, for a batch to find what it is about


class SyncEngine:
    """Sync a store file with the server. Opens its own store in the thread that uses it.

    ``server`` is the kiosk's ``ServerApi`` (shared with login), or the server's URL (or a
    callable asked before every request) for an engine of its own, with ``token_provider``
    and optionally ``http_client``."""

    def __init__(
        self,
        store_path: str | Path,
        server: ServerApi | str | Callable[[], str],
        token_provider: Callable[[], str | None] | None = None,
        http_client: httpx.Client | None = None,
        *,
        batch_size: int = 500,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        export_dir: str | Path | None = None,
    ) -> None:
        self.store_path = store_path
        # Where a revoked station's unsent work is exported: next to the store by default.
        self.export_dir = Path(export_dir) if export_dir else Path(store_path).parent
        self.batch_size = batch_size
        # What the next upload sends: halved after a timeout, doubled after a round that
        # emptied the outbox.
        # A server that needs longer than the timeout for a full batch would otherwise see
        # the same batch resent (and answered, and lost) forever.
        self.current_batch_size = batch_size
        self._owns_api = not isinstance(server, ServerApi)
        if isinstance(server, ServerApi):
            self.api = server
        else:
            if token_provider is None:
                raise TypeError("an engine of its own needs a token_provider")
            self.api = ServerApi(server, token_provider, http_client, timeout_s=timeout_s)
        self._store: LocalStore | None = None
        self._rejected_token: str | None = None

    @property
    def server_url(self) -> str:
        return self.api.base_url

    @property
    def store(self) -> LocalStore:
        # Opened lazily so that it belongs to the sync thread, not the one that built us.
        if self._store is None:
            self._store = LocalStore(self.store_path)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
        if self._owns_api:
            self.api.close()

    def sync_once(self) -> SyncReport:
        """Upload until the outbox is empty, then download the reference. Never raises for
        network or server trouble: that is reported in the returned ``SyncReport``."""
        token = self.api.station_token()
        if not token:
            return SyncReport(SyncState.NO_TOKEN, error="no station token: enrol this station")
        if token == self._rejected_token:  # no retry storm until someone changes the token
            if self.store.station_revoked():
                return SyncReport(SyncState.STATION_REVOKED, error="station revoked")
            return SyncReport(SyncState.AUTH_FAILED, error="station token rejected")
        tally = _Tally()
        try:
            self._upload(token, tally)
            # The whole outbox went through: try bigger batches again next round.
            self.current_batch_size = min(self.batch_size, self.current_batch_size * 2)
            updated = self._download(token)
        except SyncFailure as failure:
            if failure.state in (SyncState.AUTH_FAILED, SyncState.STATION_REVOKED):
                self._rejected_token = token
            if failure.state is SyncState.STATION_REVOKED:
                path = self.store.wipe_revoked(self.export_dir)
                log.error("station revoked: mirror wiped, unsent work exported to %s", path)
                return SyncReport(
                    failure.state,
                    dict(tally.uploaded),
                    tally.changed + 1,
                    f"station revoked; unsent scans exported to {path}",
                )
            log.warning("sync failed (%s): %s", failure.state, failure.message)
            return SyncReport(failure.state, dict(tally.uploaded), tally.changed, failure.message)
        return SyncReport(
            SyncState.OK, dict(tally.uploaded), tally.changed, reference_updated=updated
        )

    def _upload(self, token: str, tally: _Tally) -> None:
        self._upload_logins(token, tally)
        while batch := self.store.queued_batch(self.current_batch_size):
            scans = []
            for row in batch:
                try:
                    scans.append(row.to_scan_in())
                except (ValidationError, ValueError) as exc:
                    # It would fail the whole batch forever; keep it, visibly, out of the queue.
                    self.store.reject_locally(row.scan_id, f"cannot be sent: {exc}")
                    tally.changed += 1
            if not scans:
                continue
            self._send(token, scans, tally)

    def _upload_logins(self, token: str, tally: _Tally) -> None:
        """Send pending offline logins ahead of the scans that name them. A server that
        refuses them (an older one, a bad row) does not hold the scans up: those are then
        answered as conflicts, never lost, and the logins are offered again next round."""
        pending = self.store.pending_logins()
        if not pending:
            return
        logins = []
        station = self.store.station_id()
        for row in pending:
            if station is not None and row["station_id"] != station:
                # Made under an earlier enrolment: this station's token cannot vouch for it.
                self.store.mark_logins(
                    [(row["login_id"], LoginStatus.REJECTED, "another station's login")]
                )
                continue
            try:
                # From a mapping: pydantic turns the stored text into the model's types.
                logins.append(
                    OfflineLoginIn.model_validate(
                        {
                            "login_id": row["login_id"],
                            "station_id": row["station_id"],
                            "user_id": row["user_id"],
                            "logged_in_at": from_iso(row["logged_in_at"]),
                            "verifier": row["verifier"] or "unknown",
                        }
                    )
                )
            except ValidationError as exc:
                self.store.mark_logins(
                    [(row["login_id"], LoginStatus.REJECTED, f"cannot be sent: {exc}")]
                )
        if not logins:
            return
        body = ScanBatch(scans=[], logins=logins).model_dump(mode="json")
        try:
            response = self._request("POST", BATCH_PATH, token, json=body)
        except SyncFailure as failure:
            if failure.state is not SyncState.REFUSED:
                raise
            log.warning("server refused %d offline login(s): %s", len(logins), failure.message)
            return
        answer = _parse(ScanBatchResponse, response)
        sent = {login.login_id for login in logins}
        tally.changed += self.store.mark_logins(
            (str(ack.login_id), ack.status, ack.reason)
            for ack in answer.logins
            if ack.login_id in sent
        )

    def _send(self, token: str, scans: list[ScanIn], tally: _Tally) -> None:
        """Upload ``scans``; a refusal about some of them sets those aside (see module doc)."""
        body = ScanBatch(scans=scans).model_dump(mode="json")
        try:
            response = self._request("POST", BATCH_PATH, token, json=body)
        except SyncFailure as failure:
            if failure.timed_out and self.current_batch_size > MIN_BATCH_SIZE:
                self.current_batch_size = max(MIN_BATCH_SIZE, self.current_batch_size // 2)
                log.warning("upload timed out: batches of %d now", self.current_batch_size)
            if failure.state is not SyncState.REFUSED or failure.response is None:
                raise
            status = failure.response.status_code
            named = _scans_named(failure.response, len(scans)) if status == 422 else set()
            if named:
                for index in sorted(named):
                    self.store.reject_locally(str(scans[index].scan_id), failure.message)
                    tally.changed += 1
                log.warning("server refused %d scan(s): %s", len(named), failure.message)
                rest = [scan for index, scan in enumerate(scans) if index not in named]
                if rest:
                    self._send(token, rest, tally)
                return
            if status in (413, 422) and len(scans) > 1:
                self._isolate(token, scans, tally)
                return
            raise
        answer = _parse(ScanBatchResponse, response)
        self._record_answer(scans, answer, tally)

    def _isolate(self, token: str, scans: list[ScanIn], tally: _Tally) -> None:
        """Send a refused batch as two halves. A lone scan refused while its sibling half
        went through is what the refusal is about: kept locally as rejected. When both
        halves are refused the server refuses more than one scan (or everything, e.g. a
        protocol it does not speak): the rows stay queued and the refusal is reported."""
        middle = len(scans) // 2
        refused: list[tuple[list[ScanIn], SyncFailure]] = []
        for half in (scans[:middle], scans[middle:]):
            try:
                self._send(token, half, tally)
            except SyncFailure as failure:
                if failure.state is not SyncState.REFUSED:
                    raise
                refused.append((half, failure))
        if len(refused) == 2:
            raise refused[0][1]
        for half, refusal in refused:
            if len(half) > 1:
                raise refusal
            self.store.reject_locally(str(half[0].scan_id), refusal.message)
            tally.changed += 1
            log.warning("server refused scan %s: %s", half[0].scan_id, refusal.message)

    def _record_answer(self, scans: list[ScanIn], answer: ScanBatchResponse, tally: _Tally) -> None:
        sent = {scan.scan_id for scan in scans}
        results = [result for result in answer.results if result.scan_id in sent]
        changed = self.store.apply_results(results)
        tally.changed += changed
        tally.uploaded.update(str(result.status) for result in results)
        if changed == 0:
            raise SyncFailure(
                SyncState.SERVER_ERROR,
                f"server answered none of the {len(scans)} scans sent; will resend",
            )

    def _download(self, token: str) -> bool:
        """Fetch reference pages until ``has_more`` is false (shared.reference's contract).

        Each page is stored atomically with its cursor, so an interrupted first download
        resumes from the last stored page. True when the mirror changed.
        """
        changed = False
        for _page in range(MAX_REFERENCE_PAGES):
            cursor = self.store.reference_cursor()
            params = {"cursor": cursor} if cursor else None
            response = self._request("GET", REFERENCE_PATH, token, params=params)
            page = _parse(ReferenceSnapshot, response)
            if not page.full and cursor is None:
                raise SyncFailure(SyncState.SERVER_ERROR, "server sent a delta without a cursor")
            # Applied even when empty: it also marks the answered scans as counted.
            self.store.apply_reference_page(page)
            changed = changed or page.full or _has_rows(page)
            if not page.has_more:
                return changed
            if page.cursor == cursor and not page.full:
                raise SyncFailure(
                    SyncState.SERVER_ERROR, "server said has_more but did not move the cursor"
                )
        raise SyncFailure(
            SyncState.SERVER_ERROR, f"reference download did not end in {MAX_REFERENCE_PAGES} pages"
        )

    def _request(
        self,
        method: str,
        path: str,
        token: str,
        *,
        json: object = None,
        params: Mapping[str, str] | None = None,
    ) -> httpx.Response:
        """One request of the round; every answer but a success becomes a ``SyncFailure``."""
        # The queue depth, for the server's metrics.
        depth = {QUEUE_DEPTH_HEADER: str(self.store.queue_depth())}
        try:
            response = self.api.request(
                method, path, token=token, headers=depth, json=json, params=params
            )
        except ServerUnreachable as exc:
            raise SyncFailure(
                SyncState.OFFLINE, f"server unreachable: {exc.detail}", timed_out=exc.timed_out
            ) from exc
        status = response.status_code
        update = update_needed(response)
        if update is not None:
            raise SyncFailure(SyncState.UPDATE_NEEDED, update)
        if status < 400:
            return response
        message = server_message(response)
        if status == 401 and error_code(response) == "station_revoked":
            raise SyncFailure(SyncState.STATION_REVOKED, f"station revoked: {message}")
        if status in (401, 403):
            raise SyncFailure(SyncState.AUTH_FAILED, f"station token rejected: {message}")
        if status in (408, 429) or status >= 500:
            raise SyncFailure(SyncState.SERVER_ERROR, f"server error: {message}")
        raise SyncFailure(
            SyncState.REFUSED, f"server refused the request: {message}", response=response
        )


def _has_rows(page: ReferenceSnapshot) -> bool:
    gone = page.deleted
    return any(
        (
            page.products,
            page.units,
            page.cases,
            page.projects,
            page.badges,
            gone.products,
            gone.units,
            gone.cases,
            gone.projects,
            gone.badges,
        )
    )


def _scans_named(response: httpx.Response, count: int) -> set[int]:
    """Indexes of the batch's scans a 422 names (``loc`` = ``body, scans, <i>, …``)."""
    try:
        details = response.json()["error"]["details"]
        named = {
            loc[2]
            for loc in (item.get("loc") or [] for item in details)
            if len(loc) >= 3 and loc[:2] == ["body", "scans"] and isinstance(loc[2], int)
        }
    except (ValueError, KeyError, TypeError, AttributeError):
        return set()
    return {index for index in named if 0 <= index < count}


def _parse(model: type[_Model], response: httpx.Response) -> _Model:
    try:
        return model.model_validate_json(response.content)
    except ValidationError as exc:
        raise SyncFailure(
            SyncState.SERVER_ERROR, f"unexpected answer from {response.request.url.path}: {exc}"
        ) from exc
