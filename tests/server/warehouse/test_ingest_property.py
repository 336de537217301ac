"""Property: however batches from several stations are split, interleaved and resent,
the ledger ends up exactly as after one clean upload of every station's scans."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from server.db import transaction
from server.identity import service as identity
from server.warehouse.models import Movement, Scan
from tests.helpers.scans import ScanFactory


def _ledger(session_factory) -> list[tuple]:
    with session_factory() as session:
        movements = session.execute(
            select(
                Movement.scan_id,
                Movement.kind,
                Movement.unit_id,
                Movement.product_id,
                Movement.project_id,
                Movement.qty,
            )
        ).all()
        # Which scans were rejected does not depend on other stations; "conflict" flags may
        # (who was first out with a unit), so they are not part of the ledger compared.
        rejected = session.scalars(select(Scan.scan_id).where(Scan.status == "rejected")).all()
        total = len(session.scalars(select(Scan.scan_id)).all())
    return sorted(map(tuple, movements), key=str), sorted(rejected), total


def _wipe_scans(session_factory) -> None:
    with transaction(session_factory) as session:
        if session.get_bind().dialect.name == "postgresql":
            session.execute(text("TRUNCATE movements, scans"))
        else:
            session.execute(text("DELETE FROM movements"))
            session.execute(text("DELETE FROM scans"))


op = st.one_of(
    st.tuples(st.sampled_from(["out", "in"]), st.integers(0, 8), st.integers(1, 4)),
    st.tuples(st.just("annul"), st.integers(0, 30), st.just(1)),
)


def test_any_interleaving_and_resend_ends_in_the_clean_ledger(client, demo, session_factory):
    stations = [(demo["station_id"], demo["station_token"])]
    with transaction(session_factory) as session:
        for name in ("Dock 2", "Dock 3"):
            station, token = identity.create_station(session=session, name=name)
            stations.append((str(station.id), token))
    codes = [*demo["unit_codes"][:5], demo["case_code"], demo["bulk_code"], "UNKNOWN", "RG-X"]

    def scans_for(station_id: str, ops: list[tuple]) -> list[dict]:
        factory = ScanFactory(station_id, demo["crew_user_id"], demo["project_id"])
        made: list[dict] = []
        for mode, arg, qty in ops:
            if mode == "annul":
                if made:
                    made.append(factory.annul(made[arg % len(made)]))
                continue
            code = codes[arg]
            made.append(factory.scan(code, mode=mode, qty=qty if code == demo["bulk_code"] else 1))
        return made

    def post(token: str, batch: list[dict]) -> None:
        response = client.post(
            "/api/v1/scans/batch",
            json={"scans": batch},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert response.status_code == 200, response.text

    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )
    @given(data=st.data())
    def check(data) -> None:
        per_station = [
            (token, scans_for(station_id, data.draw(st.lists(op, min_size=1, max_size=12))))
            for station_id, token in stations
        ]
        # One clean upload: each station's scans in one batch.
        _wipe_scans(session_factory)
        for token, made in per_station:
            if made:
                post(token, made)
        clean = _ledger(session_factory)

        # The messy way: random batch splits, interleaved across stations (each station
        # still uploads in seq order, as the kiosk does), with resends and overlaps.
        _wipe_scans(session_factory)
        queues = []
        for token, made in per_station:
            cuts = sorted(data.draw(st.sets(st.integers(1, max(1, len(made) - 1)), max_size=4)))
            bounds = [0, *[c for c in cuts if c < len(made)], len(made)]
            batches = [made[a:b] for a, b in zip(bounds, bounds[1:], strict=False) if made[a:b]]
            queues.append((token, batches))
        sent: list[tuple[str, list[dict]]] = []
        while any(batches for _, batches in queues):
            live = [i for i, (_, batches) in enumerate(queues) if batches]
            i = data.draw(st.sampled_from(live))
            token, batches = queues[i]
            batch = batches.pop(0)
            if sent and data.draw(st.booleans()):
                # A lost answer: an earlier batch goes again, maybe glued to this one.
                old_token, old = data.draw(st.sampled_from(sent))
                if old_token == token and data.draw(st.booleans()):
                    batch = old + batch
                else:
                    post(old_token, old)
            post(token, batch)
            sent.append((token, batch))
        for token, batch in sent:  # and everything once more, for good measure
            post(token, batch)
        assert _ledger(session_factory) == clean

    check()
