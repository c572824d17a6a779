"""The JSON API's foundations: bearer tokens, the error format, pagination, OpenAPI.

Every package builds its JSON blueprint with `api_blueprint` and documents each endpoint
with `@operation`; the OpenAPI document is generated from those and the marshmallow
schemas, so an endpoint cannot exist without being documented.
"""

import hashlib
import re
from collections.abc import Callable
from typing import Any, Protocol, TypedDict

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, current_app, g, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.exceptions import HTTPException

from kernel.errors import DomainError, ValidationFailed
from kernel.extensions import csrf, db, limiter
from kernel.text import CONTROL_MESSAGE, LINE_BREAK_MESSAGE, has_control_characters, has_line_breaks

PREFIX = "/api/v1"
MAX_PER_PAGE = 200
MAX_PAGE = 1_000_000
_PUBLIC = "api_public"
# Ids and counts are INTEGER columns: 32 bits on PostgreSQL. An integer the API accepts fits one.
INT_MIN, INT_MAX = -(2**31), 2**31 - 1


class DecimalFormat(TypedDict):
    as_string: bool
    places: int


# Prices travel as exact decimal strings to four places, what a Numeric(12, 4) column holds:
# `fields.Decimal(required=True, **PRICE)`.
PRICE: DecimalFormat = {"as_string": True, "places": 4}


class ErrorDetailSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    # Named `fields` in the JSON; not as an attribute, where marshmallow keeps a schema's own fields.
    field_errors = fields.Dict(
        data_key="fields",
        keys=fields.String(),
        values=fields.List(fields.String()),
        required=True,
        metadata={"description": "Messages by field name; empty when no one field is at fault."},
    )


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=MAX_PAGE))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


def error_response(status: int, code: str, message: str, field_errors: dict | None = None):
    """The one error shape of the API, `fields` always there so clients need not test for it."""
    return jsonify({"error": {"code": code, "message": message, "fields": field_errors or {}}}), status


class BearerToken(Protocol):
    """What the app's token loader answers: whose token it is, and whether it may only read."""

    read_only: bool

    @property
    def user(self) -> Any: ...


READING_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def _bearer() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _authenticate():
    view = _view()
    if getattr(view, _PUBLIC, False):
        return None
    plain = _bearer()
    load_token: Callable[[str], BearerToken | None] = current_app.extensions["api_token_loader"]
    token = load_token(plain) if plain else None
    if token is None:
        response, status = error_response(401, "unauthorized", "A valid bearer token is required.")
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
        return response, status
    if token.read_only and request.method not in READING_METHODS:
        return error_response(403, "read_only_token", "This token can only read; create a token that can write.")
    g.api_user, g.api_token = token.user, token
    return None


def rate_limit_key() -> str:
    """Each token has its own allowance (by the token's hash, never the token); callers without one share
    their address's."""
    plain = _bearer()
    if plain:
        return "api-token:" + hashlib.sha256(plain.encode()).hexdigest()
    return "api-address:" + (request.remote_addr or "unknown")


def init_app(app: Flask, load_token: Callable[[str], BearerToken | None]) -> None:
    """`load_token(text)` answers the live token a bearer's text is, or None: the app wires in who people are."""
    app.extensions["api_token_loader"] = load_token


def api_blueprint(name: str, import_name: str) -> Blueprint:
    """A JSON blueprint under /api/v1: bearer tokens instead of cookies, so no CSRF."""
    blueprint = Blueprint(name, import_name, url_prefix=PREFIX)
    blueprint.before_request(_authenticate)
    csrf.exempt(blueprint)
    # One allowance per token across the whole API, not one per endpoint.
    limiter.shared_limit(lambda: current_app.config["API_RATE_LIMIT"], scope="api", key_func=rate_limit_key)(blueprint)
    return blueprint


def operation(
    summary: str,
    *,
    tags: list[str],
    response: Any = None,
    body: Any = None,
    query: Any = None,
    status: int = 200,
    errors: tuple[int, ...] = (),
    public: bool = False,
    content: dict | None = None,
    also: tuple[int, ...] = (),
):
    """Documents an endpoint for the OpenAPI document; `public` ones need no token.

    `also` lists other success statuses answered with the same body (a PUT that creates: 201).
    401, 403 (a role is required), 404 (an id in the path) and 400/422 (a body or query) are added;
    `errors` names the others the endpoint can answer.
    """

    def decorator(view):
        view.openapi = {
            "summary": summary,
            "tags": tags,
            "response": response,
            "body": body,
            "query": query,
            "status": status,
            "errors": errors,
            "public": public,
            "content": content,
            "also": also,
        }
        if public:
            setattr(view, _PUBLIC, True)
        return view

    return decorator


class Paragraphs(fields.String):
    """Text written as paragraphs (a description, a note, a reason): the one kind of string that may
    hold line breaks; every other string of a request must stay on one line."""


MAX_JSON_DEPTH = 20


def json_body(schema: Schema) -> dict:
    """The request's JSON object loaded by `schema`: 400 if not JSON (or nested past reason), 422 naming bad fields."""
    try:
        data = request.get_json(silent=True)
    except RecursionError:
        data = None
    if not isinstance(data, dict) or _deeper_than(data, MAX_JSON_DEPTH):
        raise DomainError("The request body must be a JSON object, nested at most 20 deep.")
    _refuse_unprintable(data, schema)
    return _bounded(schema).load(data)


def query_args(schema: Schema) -> dict:
    _refuse_unprintable(dict(request.args.items(multi=True)), schema)
    return _bounded(schema).load(request.args)


def _deeper_than(data: Any, limit: int) -> bool:
    """Walked without recursion, so no body can exhaust the stack here or in the checks after it."""
    stack = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > limit:
                return True
            items = value.values() if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)
    return False


def _refuse_unprintable(data: dict, schema: Schema) -> None:
    """A control character is in no name or reference, would make a UBL document malformed, and (NUL)
    cannot be held by PostgreSQL text; a line break in a one-line field would split an email's subject:
    422 naming the field, not a broken document, a stuck outbox or a 500."""
    found = _unprintable_fields(data, schema.fields)
    if found:
        raise ValidationFailed("Some fields are not valid.", dict(found))


Problems = list[tuple[str, list[str]]]


def _unprintable_fields(value: Any, schema_fields: dict[str, fields.Field], name: str = "") -> Problems:
    """Where unprintable text is, named as validation errors name fields: "lines.0.reason"."""
    if isinstance(value, dict):
        by_key = {field.data_key or key: field for key, field in schema_fields.items()}
        return [
            found
            for key, item in value.items()
            for found in _field_problems(item, by_key.get(str(key)), f"{name}.{key}" if name else str(key))
        ]
    return []


def _field_problems(value: Any, field: fields.Field | None, name: str) -> Problems:
    if isinstance(value, str):
        if has_control_characters(value):
            return [(name, [CONTROL_MESSAGE])]
        if has_line_breaks(value) and not isinstance(field, Paragraphs):
            return [(name, [LINE_BREAK_MESSAGE])]
        return []
    if isinstance(value, list):
        inner = field.inner if isinstance(field, fields.List) else None
        return [found for n, item in enumerate(value) for found in _field_problems(item, inner, f"{name}.{n}")]
    if isinstance(value, dict):
        nested = field.schema.fields if isinstance(field, fields.Nested) else {}
        return _unprintable_fields(value, nested, name)
    return []


def _bounded(schema: Schema) -> Schema:
    """`schema` with every integer held to INT_MIN..INT_MAX where it says no narrower range.

    So an id or count too big for the database is a 422 naming the field, never a 500;
    the OpenAPI document declares the same bounds on request integers.
    """
    for field in schema.fields.values():
        _bound_field(field)
    return schema


def _bound_field(field: fields.Field) -> None:
    if isinstance(field, fields.Integer):
        ranges = [v for v in field.validators if isinstance(v, validate.Range)]
        has_min, has_max = any(r.min is not None for r in ranges), any(r.max is not None for r in ranges)
        if not (has_min and has_max):
            field.validators.append(validate.Range(min=None if has_min else INT_MIN, max=None if has_max else INT_MAX))
    elif isinstance(field, fields.List):
        _bound_field(field.inner)
    elif isinstance(field, fields.Nested) and isinstance(field.schema, Schema):
        _bounded(field.schema)


def page_of(select) -> tuple[list, dict]:
    """One page of a select's rows and the page's facts; `?page=` and `?per_page=` (up to 200).

    An endpoint with a query schema has checked its other arguments already; one without
    any refuses arguments it does not know, as the others do.
    """
    documented_query = getattr(_view(), "openapi", {}).get("query")
    args = PageArgsSchema().load(
        request.args
        if documented_query is None
        else {k: v for k, v in request.args.items() if k in ("page", "per_page")}
    )
    page = db.paginate(select, page=args["page"], per_page=args["per_page"], error_out=False)
    return list(page.items), {"page": page.page, "per_page": page.per_page, "total": page.total}


def paginated(select, schema: Schema) -> dict:
    items, facts = page_of(select)
    return {"items": schema.dump(items, many=True)} | facts


def _view() -> Callable[..., Any] | None:
    """The view the request is routed to; None when no route matched."""
    return current_app.view_functions.get(request.endpoint) if request.endpoint else None


class _PageSchema(Schema):
    is_page = True


def page_schema(item_schema: type[Schema]) -> type[Schema]:
    """The shape of a page of `item_schema`; operations answering one document `?page=` and `?per_page=`."""
    return _PageSchema.from_dict(
        {
            "items": fields.List(fields.Nested(item_schema), required=True),
            "page": fields.Integer(required=True),
            "per_page": fields.Integer(required=True),
            "total": fields.Integer(required=True),
        },
        name=f"{item_schema.__name__.removesuffix('Schema')}PageSchema",
    )


def is_api_request() -> bool:
    return request.path == PREFIX or request.path.startswith(PREFIX + "/")


def http_error_response(error: HTTPException):
    """Werkzeug's error as JSON, keeping its headers (a 405's `Allow`, a 429's `Retry-After`)."""
    code = re.sub(r"[^a-z]+", "_", (error.name or "error").lower()).strip("_")
    response, status = error_response(error.code or 500, code, error.description or error.name)
    for name, value in error.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response, status


def domain_error_response(error: DomainError):
    return error_response(error.status_code, error.code, error.message, error.fields)


def validation_error_response(error: ValidationError):
    messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    return error_response(422, "validation_failed", "Some fields are not valid.", flat_messages(messages))


def flat_messages(messages: dict, prefix: str = "") -> dict[str, list[str]]:
    """marshmallow's nested messages as the API names fields: {"lines.0.reason": [...]}."""
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flat_messages(value, f"{name}."))
        else:
            flat[name] = [str(v) for v in (value if isinstance(value, list) else [value])]
    return flat


_RULE_ARG = re.compile(r"<(?:(?P<converter>[a-z]+):)?(?P<name>\w+)>")


def _decimal_strings(converter, field, **kwargs) -> dict:
    """Decimals the API writes as strings (unit prices, percentages) are strings in the document too."""
    if isinstance(field, fields.Decimal) and field.as_string:
        return {"type": "string", "format": "decimal"}
    return {}


def openapi_document(app: Flask) -> dict:
    marshmallow_plugin = MarshmallowPlugin()
    spec = APISpec(
        title="Consortia Marketplace API",
        version="1.0.0",
        openapi_version="3.0.3",
        plugins=[marshmallow_plugin],
        info={
            "description": "Joint purchasing for networks of social enterprises. Money is integer pence "
            "in fields ending _pence; unit prices are decimal strings."
        },
        servers=[{"url": "/"}],
    )
    if marshmallow_plugin.converter is None:  # APISpec sets it up when given the plugin
        raise RuntimeError("The marshmallow plugin has no converter")
    marshmallow_plugin.converter.add_attribute_function(_decimal_strings)
    spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    spec.components.schema("Error", schema=ErrorSchema)
    paths: dict[str, dict] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if not rule.rule.startswith(PREFIX + "/"):
            continue
        view = app.view_functions[rule.endpoint]
        meta = getattr(view, "openapi", None)
        if meta is None:
            raise RuntimeError(f"API endpoint {rule.endpoint} has no @operation")
        path = _RULE_ARG.sub(lambda m: "{" + m.group("name") + "}", rule.rule)
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            roles = getattr(view, "required_roles", ())
            paths.setdefault(path, {})[method.lower()] = _operation_spec(rule, meta, roles)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _instance(schema, **options) -> Schema:
    return schema(**options) if isinstance(schema, type) else schema


def _is_page(schema) -> bool:
    return getattr(schema, "is_page", False)


def _operation_spec(rule, meta: dict, required_roles: tuple) -> dict:
    parameters = []
    for match in _RULE_ARG.finditer(rule.rule):
        kind = (
            {"type": "integer", "minimum": 0, "maximum": INT_MAX}
            if match.group("converter") == "int"
            else {"type": "string"}
        )
        parameters.append({"in": "path", "name": match.group("name"), "required": True, "schema": kind})
    contents = (
        meta["content"]
        if meta["content"] is not None
        else ({"application/json": {"schema": meta["response"]}} if meta["response"] is not None else None)
    )
    paged = contents is not None and any(_is_page(c.get("schema")) for c in contents.values())
    if meta["query"] is not None:
        query = _instance(meta["query"])
        if paged:
            query = _instance(type(query), exclude=[name for name in ("page", "per_page") if name in query.fields])
        parameters.append({"in": "query", "schema": _bounded(query)})
    if paged:
        parameters.append({"in": "query", "schema": PageArgsSchema})
    success = {"description": "OK", "content": contents} if contents is not None else {"description": "Done"}
    responses = {str(code): success for code in sorted({meta["status"], *meta["also"]})}
    error_codes = set(meta["errors"]) | ({401} if not meta["public"] else set())
    if required_roles:
        error_codes.add(403)
    if meta["body"] is not None or meta["query"] is not None or paged:
        error_codes |= {400, 422}
    if "<" in rule.rule:
        error_codes.add(404)
    for code in sorted(error_codes):
        responses[str(code)] = {
            "description": _ERROR_DESCRIPTIONS[code],
            "content": {"application/json": {"schema": ErrorSchema}},
        }
    spec = {
        "summary": meta["summary"],
        "tags": meta["tags"],
        "responses": responses,
        "operationId": rule.endpoint.replace(".", "_"),
    }
    if parameters:
        spec["parameters"] = parameters
    if meta["body"] is not None:
        body = _bounded(_instance(meta["body"]))
        spec["requestBody"] = {"required": True, "content": {"application/json": {"schema": body}}}
    spec["security"] = [] if meta["public"] else [{"bearer": []}]
    return spec


_ERROR_DESCRIPTIONS = {
    400: "The request is malformed",
    401: "No valid bearer token",
    403: "The token's user lacks the role",
    404: "Not found, or not visible to the caller",
    409: "The object's state does not allow this",
    422: "Some fields are not valid",
    429: "Too many requests; wait and try again",
}


bp = api_blueprint("api", __name__)


@bp.get("/openapi.json")
@operation(
    "This OpenAPI document", tags=["meta"], public=True, content={"application/json": {"schema": {"type": "object"}}}
)
def openapi_json():
    return jsonify(openapi_document(current_app))


def wants_csv() -> bool:
    """Content negotiation for list and document endpoints that also speak CSV."""
    return request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"
