"""What ``/openapi.json`` promises, checked for every operation (the class, not one route).

Regressions the fuzzing suites (tests/fuzz) found: FastAPI declared its own 422 body
(``{"detail": ...}``) and no other error, so every 401/403/404/409 broke the schema; a 405
named one method of the path; integers without an upper bound reached INTEGER columns and
came back as 500s.
"""

from __future__ import annotations

import pytest

INT4_MAX = 2**31 - 1
INT8_MAX = 2**63 - 1
# Request integers stored in BIGINT columns (scans.seq: migration 0015); all others are
# INTEGER columns or never stored.
BIGINT_FIELDS = ("body.scans[].seq",)
METHODS = {"GET", "POST", "PUT", "PATCH", "DELETE"}


@pytest.fixture
def openapi(client) -> dict:
    return client.get("/openapi.json").json()


def _ref(schema: dict) -> str:
    return schema.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref", "")


def test_every_operation_declares_the_error_body_it_answers_with(openapi):
    assert "HTTPValidationError" not in openapi["components"]["schemas"]
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            for status in ("400", "401", "403", "404", "409", "422", "429", "503"):
                if path == "/readyz" and status == "503":
                    continue  # its own body: which check failed
                assert _ref(responses[status]).endswith("/ErrorBody"), (method, path, status)


def test_a_validation_error_matches_the_declared_error_body(client, openapi, user_headers):
    answer = client.post("/api/v1/products", json={"sku": ""}, headers=user_headers("admin"))
    assert answer.status_code == 422
    body = answer.json()
    assert set(body) == {"error", "request_id"}
    assert set(body["error"]) == {"code", "message", "details"}
    assert set(openapi["components"]["schemas"]["ErrorBody"]["required"]) == {"error"}


def test_a_405_allows_every_method_of_its_path(client, openapi):
    for path, operations in openapi["paths"].items():
        declared = {method.upper() for method in operations}
        url = path.replace("{target}", "moneybird")
        for name in ("project_id", "product_id", "unit_id", "case_id", "user_id", "run_id"):
            url = url.replace("{" + name + "}", "01a249d2-4d4e-7679-b7f9-84bd0e6e1e94")
        url = url.replace("{", "").replace("}", "")
        unused = sorted(METHODS - declared)
        if not unused:
            continue
        answer = client.request(unused[0], url)
        if answer.status_code != 405:
            continue  # another template of the same shape takes that method
        allowed = {m.strip() for m in answer.headers["Allow"].split(",")}
        if "{" in path:
            assert declared <= allowed, (path, answer.headers["Allow"])
        else:  # a literal path: exactly its own methods, not those of a template it fits
            assert declared == allowed, (path, answer.headers["Allow"])
        assert answer.json()["error"]["code"] == "method_not_allowed"


def _integers(schema: dict, components: dict, where: str, seen=frozenset()):
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name not in seen:
            yield from _integers(components[name], components, where, seen | {name})
        return
    for key in ("anyOf", "oneOf", "allOf"):
        for option in schema.get(key, ()):
            yield from _integers(option, components, where, seen)
    if schema.get("type") == "integer":
        yield where, schema
    for name, sub in schema.get("properties", {}).items():
        yield from _integers(sub, components, f"{where}.{name}", seen)
    if "items" in schema:
        yield from _integers(schema["items"], components, f"{where}[]", seen)


def test_every_integer_a_request_carries_fits_an_integer_column(openapi):
    components = openapi["components"]["schemas"]
    unbounded = []
    for path, operations in openapi["paths"].items():
        for method, operation in operations.items():
            where = f"{method.upper()} {path}"
            found = []
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body:
                found += _integers(body["schema"], components, f"{where} body")
            for param in operation.get("parameters", ()):
                found += _integers(param["schema"], components, f"{where} {param['name']}")
            for name, schema in found:
                if "enum" in schema or "const" in schema:
                    continue
                ceiling = INT8_MAX if name.endswith(BIGINT_FIELDS) else INT4_MAX
                if schema.get("maximum", INT8_MAX + 1) > ceiling:
                    unbounded.append(name)
    assert not unbounded


@pytest.mark.parametrize("field", ["day_price_cents", "stock_qty"])
def test_a_number_past_the_column_is_a_422_naming_the_field(client, user_headers, field):
    body = {"sku": "BIG-1", "name": "Big", "tracking": "bulk", "barcode": "BIG-1", field: 2**31}
    answer = client.post("/api/v1/products", json=body, headers=user_headers("admin"))
    assert answer.status_code == 422
    assert answer.json()["error"]["message"].startswith(f"body.{field}:")
