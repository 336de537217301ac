"""Every field of every request body and every query parameter, given hostile values.

For each operation in ``/openapi.json`` a plausible request is built from its schema, then
one field at a time is replaced by: ``null``, a string with U+0000, a lone surrogate (as a
JSON escape; in a query, as the invalid UTF-8 that encodes one), a 10 kB string, 2**31 (one
past PostgreSQL's INTEGER), 2**63 and NaN (JSON's non-standard ``NaN`` token; in a query,
the text ``NaN``). Every answer must be below 500 and match the response schema the
operation declares for its status.

Runs in-process on the ASGI app, as admin (who can reach every handler) and, for the
station routes, with the station token; on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from urllib.parse import quote

import jsonschema
import pytest

from shared.ids import uuid7
from tests.fuzz.test_openapi_fuzz import SKIPPED_OPERATIONS

TEN_KB = "x" * 10_240
# name -> (value in a JSON body, value in a query string: already percent-encoded)
HOSTILE = {
    "null": (None, "null"),
    "nul": ("a\x00b", "a%00b"),
    "lone_surrogate": ("a\ud800b", "a%ED%A0%80b"),
    "10kB": (TEN_KB, TEN_KB),
    "2**31": (2**31, str(2**31)),  # one past PostgreSQL's INTEGER
    "2**63": (2**63, str(2**63)),
    "NaN": (math.nan, "NaN"),
}
# Strings whose pattern or validator a generic value would not pass.
NAMED_STRINGS = {
    "email": "fuzz@example.nl",
    "pin": "4821",
    "zipcode": "1234AB",
    "country": "NL",
    "vat_number": "NL000099998B57",
    "kvk": "12345678",
    "phone": "+31 20 123 4567",
}
STATION_OPERATIONS = {"/api/v1/scans/batch", "/api/v1/sync/reference"}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    spec: dict[str, Any]


def operations(openapi: dict) -> Iterator[Operation]:
    for path, methods in openapi["paths"].items():
        if path in SKIPPED_OPERATIONS:
            continue
        for method, spec in methods.items():
            yield Operation(method.upper(), path, spec)


def resolve(openapi: dict, schema: dict) -> dict:
    while "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        schema = openapi["components"]["schemas"][name]
    return schema


def plausible(
    openapi: dict, schema: dict, ids: dict[str, str], name: str = "", *, sparse: bool = False
) -> Any:
    """A value of ``schema`` a handler will get past validation with (mostly). ``sparse``
    leaves out optional fields that may be null: the hostile value is then the only one
    that is not plain (a PATCH changes that field alone)."""
    schema = resolve(openapi, schema)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if resolve(openapi, s).get("type") != "null"]
            choice = options[0] if options else schema[key][0]
            return plausible(openapi, choice, ids, name, sparse=sparse)
    if "allOf" in schema:
        return plausible(openapi, schema["allOf"][0], ids, name, sparse=sparse)
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    if "default" in schema and schema["default"] is not None:
        return schema["default"]
    kind = schema.get("type")
    fmt = schema.get("format")
    if kind == "object" or "properties" in schema:
        required = set(schema.get("required", ()))
        return {
            prop: plausible(openapi, sub, ids, prop, sparse=sparse)
            for prop, sub in schema.get("properties", {}).items()
            if not (sparse and prop not in required | ids.keys() and _nullable(openapi, sub))
        }
    if kind == "array":
        item = plausible(openapi, schema.get("items", {}), ids, name, sparse=sparse)
        return [item] * max(1, schema.get("minItems", 1))
    if kind == "integer":
        return int(max(schema.get("minimum", 1), 1))  # a bound may be written as 1.0
    if kind == "number":
        return max(schema.get("minimum", 1), 1)
    if kind == "boolean":
        return True
    if kind == "string":
        if schema.get("examples"):
            return schema["examples"][0]
        if fmt == "uuid":
            if name == "scan_id":
                return str(uuid7())
            return ids.get(name, ids.get(name.removesuffix("s"), str(uuid.uuid4())))
        if fmt == "date-time":
            return datetime.now(UTC).isoformat()
        if fmt == "date":
            return date.today().isoformat()
        if name in NAMED_STRINGS:
            return NAMED_STRINGS[name]
        # Unique: a code or a name a row already has would stop at a 409.
        return f"fz{uuid.uuid4().hex[:10]}"[: schema.get("maxLength", 12)]
    return "x"


def _nullable(openapi: dict, schema: dict) -> bool:
    options = resolve(openapi, schema).get("anyOf", ())
    return any(resolve(openapi, option).get("type") == "null" for option in options)


def field_paths(value: Any, prefix: tuple = ()) -> Iterator[tuple]:
    """Every leaf and container position in a JSON value (lists: their first item)."""
    if isinstance(value, dict):
        for key, sub in value.items():
            yield (*prefix, key)
            yield from field_paths(sub, (*prefix, key))
    elif isinstance(value, list) and value:
        yield from field_paths(value[0], (*prefix, 0))


def replaced(value: Any, full: Any, path: tuple, new: Any) -> Any:
    """``value`` with ``new`` at ``path``; what ``value`` leaves out comes from ``full``."""
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(value, dict):
        inner = value[head] if head in value else full[head]
        return {**value, head: replaced(inner, full[head], rest, new)}
    return [replaced(value[0], full[0], rest, new), *value[1:]]


def encode(body: Any) -> bytes:
    # ensure_ascii: a lone surrogate travels as the escape "\ud800", as a hostile client
    # would send it (it has no UTF-8 form); allow_nan: NaN as the bare token.
    return json.dumps(body, ensure_ascii=True, allow_nan=True).encode()


def wrong_answer(openapi: dict, op: Operation, response) -> str | None:
    """What is wrong with ``response`` (a 5xx, an undeclared status, a body that breaks the
    declared schema), or None."""
    status = response.status_code
    if status >= 500:
        return f"{status} {response.text[:200]}"
    declared = op.spec.get("responses", {}).get(str(status))
    if declared is None:
        return f"undeclared status {status}"
    schema = declared.get("content", {}).get("application/json", {}).get("schema")
    if schema is None or not response.content:
        return None
    validator = jsonschema.Draft202012Validator({**schema, "components": openapi["components"]})
    errors = [e.message for e in validator.iter_errors(response.json())]
    return f"{status} breaks its schema: {errors[:3]}" if errors else None


def path_url(op: Operation, ids: dict[str, str]) -> str:
    url = op.path
    for param in op.spec.get("parameters", []):
        if param["in"] == "path":
            value = ids.get(param["name"], str(uuid.uuid4()))
            if param["name"] == "target":
                value = "moneybird"
            url = url.replace("{" + param["name"] + "}", value)
    return url


def existing_ids(client, openapi: dict, headers: dict[str, str]) -> dict[str, str]:
    """``{"product_id": <an existing product's id>, ...}``: a hostile value sent to
    ``/products/{product_id}`` should reach the handler, not stop at a 404."""
    ids = {}
    for path in openapi["paths"]:
        collection, _, last = path.rpartition("/")
        if not (last.startswith("{") and last.endswith("_id}")) or "{" in collection:
            continue
        answer = client.get(collection, headers=headers)
        if answer.status_code != 200:
            continue
        body = answer.json()
        items = body if isinstance(body, list) else body.get("items", [])
        if items and isinstance(items[0], dict) and "id" in items[0]:
            ids[last.strip("{}")] = str(items[0]["id"])
    return ids


@pytest.fixture
def sweep(client, demo, user_headers):
    openapi = client.get("/openapi.json").json()
    admin = user_headers("admin")
    station = {"Authorization": f"Bearer {demo['station_token']}"}
    ids = existing_ids(client, openapi, admin)
    ids.update(
        project_id=demo["project_id"], station_id=demo["station_id"], user_id=demo["crew_user_id"]
    )

    def headers_for(op: Operation) -> dict[str, str]:
        return station if op.path in STATION_OPERATIONS else admin

    return openapi, ids, headers_for


def test_hostile_values_in_every_body_field(client, sweep):
    openapi, ids, headers_for = sweep
    sent, wrong = 0, []
    for op in operations(openapi):
        body_spec = op.spec.get("requestBody", {}).get("content", {}).get("application/json")
        if body_spec is None:
            continue
        schema = body_spec["schema"]
        url = path_url(op, ids)
        headers = {**headers_for(op), "Content-Type": "application/json"}
        for field in field_paths(plausible(openapi, schema, ids)):
            for name, (value, _query) in HOSTILE.items():
                # Fresh unique codes and names each time: not stopped by the last one's 409.
                full = plausible(openapi, schema, ids)
                base = plausible(openapi, schema, ids, sparse=True)
                body = replaced(base, full, field, value)
                response = client.request(op.method, url, content=encode(body), headers=headers)
                if problem := wrong_answer(openapi, op, response):
                    where = ".".join(map(str, field))
                    wrong.append(f"{op.method} {op.path} body {where}={name}: {problem}")
                sent += 1
    assert sent > 500  # the sweep reached the bodies, not an empty schema
    assert not wrong, f"{len(wrong)} of {sent} wrong answers:\n" + "\n".join(wrong)


def test_hostile_values_in_every_query_parameter(client, sweep):
    openapi, ids, headers_for = sweep
    sent, wrong = 0, []
    for op in operations(openapi):
        params = [p for p in op.spec.get("parameters", []) if p["in"] == "query"]
        url = path_url(op, ids)
        for param in params:
            for name, (_body, query) in HOSTILE.items():
                target = f"{url}?{quote(param['name'])}={query}"
                response = client.request(op.method, target, headers=headers_for(op))
                if problem := wrong_answer(openapi, op, response):
                    wrong.append(f"{op.method} {op.path} query {param['name']}={name}: {problem}")
                sent += 1
    assert sent > 100
    assert not wrong, f"{len(wrong)} of {sent} wrong answers:\n" + "\n".join(wrong)


# A value of each wrong JSON type per field type (shared/json_input.py): lax parsing would
# take each of these as a value of the field's own type.
WRONG_TYPE = {
    "integer": {"false": False, "true": True, "string": "7", "float": 7.0},
    "boolean": {"one": 1, "zero": 0, "string": "true"},
    "date-time": {"unix_time": 1_700_000_000, "float_time": 1.7e9},
    "date": {"day_number": 20_000},
}


def typed_fields(openapi: dict, schema: dict, prefix: tuple = ()) -> Iterator[tuple[tuple, str]]:
    """(path, kind) of every integer, boolean, date and date-time field in a body schema."""
    schema = resolve(openapi, schema)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [s for s in schema[key] if resolve(openapi, s).get("type") != "null"]
            if len(options) == 1:
                yield from typed_fields(openapi, options[0], prefix)
            return
    if "allOf" in schema:
        yield from typed_fields(openapi, schema["allOf"][0], prefix)
        return
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        for prop, sub in schema.get("properties", {}).items():
            yield from typed_fields(openapi, sub, (*prefix, prop))
    elif kind == "array":
        yield from typed_fields(openapi, schema.get("items", {}), (*prefix, 0))
    elif kind in ("integer", "boolean"):
        yield prefix, kind
    elif kind == "string" and schema.get("format") in ("date", "date-time"):
        yield prefix, schema["format"]


def test_a_value_of_the_wrong_json_type_is_422_naming_the_field(client, sweep):
    openapi, ids, headers_for = sweep
    sent, wrong = 0, []
    for op in operations(openapi):
        body_spec = op.spec.get("requestBody", {}).get("content", {}).get("application/json")
        if body_spec is None:
            continue
        schema = body_spec["schema"]
        url = path_url(op, ids)
        headers = {**headers_for(op), "Content-Type": "application/json"}
        for field, kind in typed_fields(openapi, schema):
            for name, value in WRONG_TYPE[kind].items():
                full = plausible(openapi, schema, ids)
                body = replaced(full, full, field, value)
                response = client.request(op.method, url, content=encode(body), headers=headers)
                where = ".".join(map(str, field))
                details = response.json().get("error", {}).get("details") or []
                named = any(list(d.get("loc", []))[1:] == list(field) for d in details)
                if response.status_code != 422 or not named:
                    wrong.append(
                        f"{op.method} {op.path} {where}={name}: "
                        f"{response.status_code} {response.text[:160]}"
                    )
                sent += 1
    assert sent > 50  # the sweep found typed fields, not an empty schema
    assert not wrong, f"{len(wrong)} of {sent} accepted or unnamed:\n" + "\n".join(wrong)
