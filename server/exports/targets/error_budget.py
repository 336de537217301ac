"""Errors per target endpoint per hour, counted across runs and processes.

Exact Online blocks an app after 10 errors per endpoint per hour (SPEC §6). A single run
already stops after a few refusals from one endpoint (``runner``), but runs follow each
other (the scheduler, a person pressing "export" again), so the errors are kept in the
database (``export_endpoint_errors``) and a call to an endpoint is not made once the
last hour holds ``threshold - 1`` errors from it: the next error would be the one that
gets the app blocked.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from server.db import transaction, utcnow
from server.exports.models import ExportEndpointError
from server.exports.targets.http import ExportApiError


class ErrorBudgetSpent(ExportApiError):
    """An endpoint has as many errors this hour as may be risked: the run stops."""


class ErrorBudget:
    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        target: str,
        threshold: int,
        hour: float = 3600.0,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        if threshold < 2:
            raise ValueError("threshold must be >= 2 (the block comes at the threshold)")
        self.sf = session_factory
        self.target = target
        self.allowed = threshold - 1  # errors we may hold; the threshold'th would block us
        self.hour = timedelta(seconds=hour)
        self.clock = clock
        self._seen: dict[str, deque[datetime]] = {}  # endpoint -> error times (this hour)

    def _recent(self, endpoint: str) -> deque[datetime]:
        since = self.clock() - self.hour
        if endpoint not in self._seen:  # once per endpoint and run: what others recorded
            with transaction(self.sf) as session:
                self._seen[endpoint] = deque(
                    session.execute(
                        select(ExportEndpointError.at)
                        .where(
                            ExportEndpointError.target == self.target,
                            ExportEndpointError.endpoint == endpoint,
                            ExportEndpointError.at > since,
                        )
                        .order_by(ExportEndpointError.at)
                    ).scalars()
                )
        times = self._seen[endpoint]
        while times and times[0] <= since:
            times.popleft()
        return times

    def check(self, endpoint: str) -> None:
        """Raise ``ErrorBudgetSpent`` when no further error from ``endpoint`` may be risked."""
        times = self._recent(endpoint)
        if len(times) >= self.allowed:
            until = times[0] + self.hour
            raise ErrorBudgetSpent(
                f"{len(times)} errors from {self.target} {endpoint} in the last hour; "
                f"{self.target} blocks an app at {self.allowed + 1}, so no call goes there "
                f"until {until:%Y-%m-%d %H:%M} UTC (fix the cause named in the report)",
                endpoint=endpoint,
            )

    def record(self, endpoint: str, status: int) -> None:
        at = self.clock()
        with transaction(self.sf) as session:
            session.add(
                ExportEndpointError(target=self.target, endpoint=endpoint, status=status, at=at)
            )
        self._recent(endpoint).append(at)
