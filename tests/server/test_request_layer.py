"""The request layer routers share (``server.deps``, ``server.paging``, ``get_or_404``):
paging counts and slices alike on both databases, a missing row is a 404 with its own
message, the caller's address and actor come from one dependency, and every list route
answers the one page shape."""

from __future__ import annotations

import typing
import uuid
from typing import Annotated

import pytest
from fastapi import APIRouter, Depends
from fastapi.routing import APIRoute, iter_route_contexts
from pydantic import BaseModel
from sqlalchemy import select

from server.audit.service import Actor
from server.db import get_or_404
from server.deps import ActingWith, ClientAddress, Requires
from server.errors import NotFound
from server.identity.permissions import Permission
from server.paging import Page, Paging, page_rows, paged
from server.warehouse.models import Product
from tests.server.test_db_helpers import _products


def test_paged_counts_what_it_slices(session):
    _products(session, 7)  # SKU-0 … SKU-6
    by_sku = select(Product).order_by(Product.sku)

    page = paged(session, by_sku, Paging(limit=3, offset=3), lambda p: p.sku)
    assert page == Page(items=["SKU-3", "SKU-4", "SKU-5"], total=7, limit=3, offset=3)

    past_the_end = paged(session, by_sku, Paging(limit=3, offset=9), lambda p: p.sku)
    assert (past_the_end.items, past_the_end.total) == ([], 7)

    # The count sees the filter, not the order or the slice.
    odd = by_sku.where(Product.sku.in_(["SKU-1", "SKU-3", "SKU-5"]))
    rows, total = page_rows(session, odd, limit=2, offset=0)
    assert ([p.sku for p in rows], total) == (["SKU-1", "SKU-3"], 3)


def test_get_or_404_answers_the_row_or_its_message(session):
    (product,) = _products(session, 1)
    assert get_or_404(session, Product, product.id, "unused") is product
    missing = uuid.uuid4()
    with pytest.raises(NotFound) as raised:
        get_or_404(session, Product, missing, f"no product {missing}")
    assert raised.value.status_code == 404
    assert str(missing) in str(raised.value)


def test_a_missing_row_is_a_404_naming_it(client, user_headers):
    missing = uuid.uuid4()
    response = client.get(f"/api/v1/products/{missing}", headers=user_headers("admin"))
    assert response.status_code == 404
    assert response.json()["error"]["message"] == f"no product {missing}"


@pytest.fixture
def probe(app, client):
    """A route that answers what the request layer made of its caller."""
    router = APIRouter()

    @router.get("/api/v1/probe/actor")
    def actor_probe(
        address: ClientAddress,
        actor: Annotated[Actor, Depends(ActingWith(Permission.USERS_WRITE))],
    ) -> dict:
        return {
            "address": address,
            "user_id": str(actor.user_id),
            "station_id": actor.station_id and str(actor.station_id),
            "ip": actor.ip,
        }

    app.include_router(router)
    return client


def test_the_actor_is_the_user_at_its_address(probe, user_headers):
    answer = probe.get("/api/v1/probe/actor", headers=user_headers("admin")).json()
    # The TestClient's peer is "testclient"; ClientAddress and the actor agree on it.
    assert answer["address"] == answer["ip"] == "testclient"
    assert answer["station_id"] is None
    uuid.UUID(answer["user_id"])


def test_the_actor_checks_its_permission(probe, user_headers):
    assert probe.get("/api/v1/probe/actor").status_code == 401
    refused = probe.get("/api/v1/probe/actor", headers=user_headers("planner"))
    assert refused.status_code == 403
    assert "users:write" in refused.json()["error"]["message"]


def test_a_badge_session_acts_at_its_station(probe, session_factory, settings, demo):
    from server.db import transaction
    from server.identity.login import open_session
    from server.identity.models import Role, User
    from server.identity.service import create_user

    with transaction(session_factory) as session:
        admin = create_user(session=session, name="Kiosk admin", roles=[Role.ADMIN])
        grant = open_session(
            session=session,
            settings=settings,
            user=session.get(User, admin.id),
            method="badge",
            station_id=uuid.UUID(demo["station_id"]),
        )
        admin_id = str(admin.id)
    headers = {"Authorization": f"Bearer {grant.access_token}"}
    answer = probe.get("/api/v1/probe/actor", headers=headers).json()
    assert (answer["user_id"], answer["station_id"]) == (admin_id, demo["station_id"])


def test_acting_with_is_a_permission_rule():
    # The access-control walk reads a route's permission from any Requires it depends on.
    assert isinstance(ActingWith(Permission.USERS_WRITE), Requires)
    assert ActingWith(Permission.USERS_WRITE).permission is Permission.USERS_WRITE


# -- every list route answers a page ----------------------------------------------------------


def _is_list(annotation) -> bool:
    return typing.get_origin(annotation) in (list, tuple, set, frozenset) or annotation in (
        list,
        tuple,
    )


def _is_page(annotation) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, Page)


def _get_routes(app) -> list[tuple[str, APIRoute]]:
    """(full path, route) of every GET route, those of included routers too."""
    return [
        (ctx.path, ctx.original_route)
        for ctx in iter_route_contexts(app.routes)
        if isinstance(ctx.original_route, APIRoute) and "GET" in (ctx.methods or set())
    ]


def _query_names(route: APIRoute) -> set[str]:
    names = set()
    for param in route.dependant.query_params:
        model = param.field_info.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):  # a query model
            names |= set(model.model_fields)
        else:
            names.add(param.alias)
    return names


def _list_problems(app) -> list[str]:
    problems = []
    for path, route in _get_routes(app):
        answers = route.response_model
        if _is_list(answers):
            problems.append(f"GET {path} answers a bare list, not a Page")
        elif _is_page(answers) and not {"limit", "offset"} <= _query_names(route):
            problems.append(f"GET {path} answers a Page without ?limit=&offset=")
    return problems


def test_every_list_route_answers_a_page(app):
    assert _list_problems(app) == []
    pages = [path for path, route in _get_routes(app) if _is_page(route.response_model)]
    assert {
        "/api/v1/invoices",
        "/api/v1/customers",
        "/api/v1/exports/{target}/runs",
        "/api/v1/invoices/{invoice_id}/payments",
        "/api/v1/payments/{payment_id}/refunds",
    } <= set(pages)
    assert len(pages) >= 12  # the walk really saw the app's lists


def test_a_new_bare_list_is_caught(app):
    router = APIRouter()

    @router.get("/api/v1/forgotten", response_model=list[dict])
    def forgotten(_: Annotated[object, Depends(Requires(Permission.USERS_READ))]) -> list:
        return []

    app.include_router(router)
    assert _list_problems(app) == ["GET /api/v1/forgotten answers a bare list, not a Page"]


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/invoices",
        "/api/v1/customers",
        "/api/v1/exports/exact/runs",
        "/api/v1/invoices/01900000-0000-7000-8000-000000000001/payments",
        "/api/v1/payments/01900000-0000-7000-8000-000000000002/refunds",
    ],
)
def test_the_former_bare_lists_answer_pages(client, user_headers, path):
    headers = user_headers("admin")
    body = client.get(path, params={"limit": 5, "offset": 0}, headers=headers).json()
    assert set(body) == {"items", "total", "limit", "offset"}
    assert (body["limit"], body["offset"]) == (5, 0)
    assert client.get(path, params={"limit": 0}, headers=headers).status_code == 422
