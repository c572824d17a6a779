"""The JSON API's foundations: bearer tokens, the error format, pagination, OpenAPI.

Every package builds its JSON blueprint with `api_blueprint` and documents each endpoint
with `@operation`; the OpenAPI document is generated from those and the marshmallow
schemas, so an endpoint cannot exist without being documented.
"""
import re
from typing import Any, Optional

from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from flask import Blueprint, Flask, current_app, g, jsonify, request
from marshmallow import Schema, ValidationError, fields, validate
from werkzeug.exceptions import HTTPException

from marketplace.access import acting_user
from marketplace.errors import DomainError
from marketplace.extensions import csrf, db
from marketplace.schemas import MeSchema
from marketplace.services import user_for_token

PREFIX = "/api/v1"
MAX_PER_PAGE = 200
_PUBLIC = "api_public"


class ErrorDetailSchema(Schema):
    code = fields.String(required=True)
    message = fields.String(required=True)
    fields = fields.Dict(keys=fields.String(), values=fields.List(fields.String()))


class ErrorSchema(Schema):
    error = fields.Nested(ErrorDetailSchema, required=True)


class PageArgsSchema(Schema):
    page = fields.Integer(load_default=1, validate=validate.Range(min=1, max=1_000_000))
    per_page = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PER_PAGE))


def error_response(status: int, code: str, message: str, field_errors: Optional[dict] = None):
    body = {"error": {"code": code, "message": message}}
    if field_errors:
        body["error"]["fields"] = field_errors
    return jsonify(body), status


def _authenticate():
    view = current_app.view_functions.get(request.endpoint)
    if getattr(view, _PUBLIC, False):
        return None
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    user = user_for_token(token.strip()) if scheme.lower() == "bearer" and token.strip() else None
    if user is None:
        response, status = error_response(401, "unauthorized", "A valid bearer token is required.")
        response.headers["WWW-Authenticate"] = 'Bearer realm="api"'
        return response, status
    g.api_user = user
    return None


def api_blueprint(name: str, import_name: str) -> Blueprint:
    """A JSON blueprint under /api/v1: bearer tokens instead of cookies, so no CSRF."""
    blueprint = Blueprint(name, import_name, url_prefix=PREFIX)
    blueprint.before_request(_authenticate)
    csrf.exempt(blueprint)
    return blueprint


def operation(summary: str, *, tags: list[str], response: Any = None, body: Any = None,
              query: Any = None, status: int = 200, errors: tuple[int, ...] = (),
              public: bool = False, content: Optional[dict] = None, also: tuple[int, ...] = ()):
    """Documents an endpoint for the OpenAPI document; `public` ones need no token.

    `also` lists other success statuses answered with the same body (a PUT that creates: 201).
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


def json_body(schema: Schema) -> dict:
    """The request's JSON object loaded by `schema`: 400 if not JSON, 422 naming bad fields."""
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise DomainError("The request body must be a JSON object.")
    return schema.load(data)


def query_args(schema: Schema) -> dict:
    return schema.load(request.args)


def page_of(select) -> tuple[list, dict]:
    """One page of a select's rows and the page's facts; `?page=` and `?per_page=` (up to 200)."""
    args = PageArgsSchema().load({k: v for k, v in request.args.items() if k in ("page", "per_page")})
    page = db.paginate(select, page=args["page"], per_page=args["per_page"], error_out=False)
    return list(page.items), {"page": page.page, "per_page": page.per_page, "total": page.total}


def paginated(select, schema: Schema) -> dict:
    items, facts = page_of(select)
    return {"items": schema.dump(items, many=True)} | facts


def page_schema(item_schema: type[Schema]) -> type[Schema]:
    return Schema.from_dict(
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
    code = re.sub(r"[^a-z]+", "_", (error.name or "error").lower()).strip("_")
    return error_response(error.code or 500, code, error.description or error.name)


def domain_error_response(error: DomainError):
    return error_response(error.status_code, error.code, error.message, error.fields)


def validation_error_response(error: ValidationError):
    messages = error.messages if isinstance(error.messages, dict) else {"_schema": error.messages}
    return error_response(422, "validation_failed", "Some fields are not valid.", _flatten(messages))


def _flatten(messages: dict, prefix: str = "") -> dict[str, list[str]]:
    flat: dict[str, list[str]] = {}
    for key, value in messages.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{name}."))
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
        info={"description": "Joint purchasing for networks of social enterprises. Money is integer pence "
                             "in fields ending _pence; unit prices are decimal strings."},
        servers=[{"url": "/"}],
    )
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
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            paths.setdefault(path, {})[method.lower()] = _operation_spec(rule, meta)
    for path, operations in paths.items():
        spec.path(path=path, operations=operations)
    return spec.to_dict()


def _operation_spec(rule, meta: dict) -> dict:
    parameters = []
    for match in _RULE_ARG.finditer(rule.rule):
        kind = "integer" if match.group("converter") == "int" else "string"
        parameters.append({"in": "path", "name": match.group("name"), "required": True, "schema": {"type": kind}})
    if meta["query"] is not None:
        parameters.append({"in": "query", "schema": meta["query"]})
    status = meta["status"]
    if meta["content"] is not None:
        success = {"description": "OK", "content": meta["content"]}
    elif meta["response"] is not None:
        success = {"description": "OK", "content": {"application/json": {"schema": meta["response"]}}}
    else:
        success = {"description": "Done"}
    responses = {str(code): success for code in sorted({status, *meta["also"]})}
    error_codes = set(meta["errors"]) | ({401} if not meta["public"] else set())
    if meta["body"] is not None or meta["query"] is not None:
        error_codes |= {400, 422}
    if "<" in rule.rule:
        error_codes.add(404)
    for code in sorted(error_codes):
        responses[str(code)] = {
            "description": _ERROR_DESCRIPTIONS[code],
            "content": {"application/json": {"schema": ErrorSchema}},
        }
    spec = {"summary": meta["summary"], "tags": meta["tags"], "responses": responses,
            "operationId": rule.endpoint.replace(".", "_")}
    if parameters:
        spec["parameters"] = parameters
    if meta["body"] is not None:
        spec["requestBody"] = {"required": True, "content": {"application/json": {"schema": meta["body"]}}}
    spec["security"] = [] if meta["public"] else [{"bearer": []}]
    return spec


_ERROR_DESCRIPTIONS = {
    400: "The request is malformed",
    401: "No valid bearer token",
    403: "The token's user lacks the role",
    404: "Not found, or not visible to the caller",
    409: "The object's state does not allow this",
    422: "Some fields are not valid",
}


api = api_blueprint("api", __name__)


@api.get("/me")
@operation("The caller, their roles and organisations", tags=["people"], response=MeSchema)
def me():
    return MeSchema().dump(acting_user())


@api.get("/openapi.json")
@operation("This OpenAPI document", tags=["meta"], public=True,
           content={"application/json": {"schema": {"type": "object"}}})
def openapi_json():
    return jsonify(openapi_document(current_app))


def wants_csv() -> bool:
    """Content negotiation for list and document endpoints that also speak CSV."""
    return request.accept_mimetypes.best_match(["application/json", "text/csv"]) == "text/csv"
