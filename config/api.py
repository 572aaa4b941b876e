"""The JSON API at /api/v1/ (django-ninja), its OpenAPI document and its docs page.

Every input is declared in the operations' schemas (orders.api, invoices.api). Here is what
they share: a body over DATA_UPLOAD_MAX_MEMORY_SIZE is answered 413 before anything else
(after reading it to the end, so the client gets the answer instead of a reset
connection); JSON nested deeper than MAX_DEPTH, or with NaN/Infinity, is refused before
pydantic sees it; every refusal is `{"errors": {field: [messages]}}` (400), or
`{"error": message}` for the key (401, 403) and unknown objects (404)."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError, ValidationErrorContext
from ninja.parser import Parser
from pydantic_core import ErrorDetails

from core.jsonbody import NotJson, TooDeep, json_read
from web.api.base import KEY_REFUSED, MUST_BE_TEXT, REQUIRED, SCOPE_MISSING, ScopeMissing
from web.api.orders import router as orders_router
from web.api.payments import router as payments_router

# Our documents are three levels deep (order → lines → line); 20 leaves room and keeps
# json.loads far from its recursion limit.
MAX_DEPTH = 20
# A body past the limit is still read to its end, so the client hears the 413; past this
# much it is not worth reading and the connection is closed instead.
MAX_DRAIN = 64 * 1024 * 1024

NOT_JSON = gettext_lazy("The body is not valid JSON.")
TOO_DEEP = gettext_lazy("The body is nested deeper than %(n)s levels.")
NOT_AN_OBJECT = gettext_lazy("The body must be a JSON object.")
TOO_LARGE = gettext_lazy("The body is larger than %(n)s bytes.")
MUST_BE_OBJECT = gettext_lazy("Must be an object.")
MUST_BE_LIST = gettext_lazy("Must be a list.")

DESCRIPTION = """
Conveyor's API for the company's own systems: the web shop sends orders in and reads their
status; accounting (1C) reports payments it saw on the bank account.

**Keys.** Every call carries `Authorization: Bearer <key>`. An administrator makes a key in
admin (API keys) or with `manage.py create_api_key "Web shop" --scope intake --scope read`;
only its hash is stored. A key holds scopes: `intake` (create orders), `accounting` (record
payments), `read` (order status), `exchange` (the 1C exchange at `/exchange/1c/`, not this
API: docs/exchange-1c.md). A key without the operation's scope gets 403. A `read` key
reads the orders it sent in; a key that also holds `accounting` reads any order.

**Errors.** Bad input is refused as a whole with 400 and every problem under its field:
`{"errors": {"lines[0].quantity": ["…"], "customer.email": ["…"]}}`; nothing is recorded.
A bad key: 401 `{"error": "…"}`. A body over 1 MB: 413. Numbers may be sent as JSON numbers
or as strings (`"13990.00"`); amounts have at most 2 decimals.
"""


class BodyRefused(Exception):
    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class JsonParser(Parser):
    """json.loads with the depth checked first (a deep document would exhaust the
    recursion limit: a 500), amounts kept exact (Decimal, not float) and NaN/Infinity
    refused."""

    def parse_body(self, request: HttpRequest) -> Any:
        try:
            return json_read(request.body, max_depth=MAX_DEPTH)
        except TooDeep:
            raise BodyRefused(str(TOO_DEEP) % {"n": MAX_DEPTH}) from None
        except NotJson:
            raise BodyRefused(str(NOT_JSON)) from None


def body_bounded(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Before the key is even looked at: a body over the limit gets 413, read to its end
    first. A server that answers without reading closes a socket with unread data, the
    kernel resets the connection, and the client sees the reset, not the answer."""

    @wraps(run)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if limit is None or length <= limit:
            return run(request, *args, **kwargs)
        drained = 0
        while drained <= MAX_DRAIN and (chunk := request.read(64 * 1024)):
            drained += len(chunk)
        response = api.create_response(
            request, {"errors": {"body": [str(TOO_LARGE) % {"n": limit}]}}, status=413
        )
        if drained < length:
            response["Connection"] = "close"
        return response

    return wrapper


def _field(loc: tuple[Any, ...]) -> str:
    """("body", "payload", "lines", 0, "sku") → "lines[0].sku"; ("path", "number") →
    "number"; the body itself → "__all__"."""
    parts = loc[2:] if loc[:1] == ("body",) else loc[1:]
    name = ""
    for part in parts:
        if isinstance(part, int):
            name += f"[{part}]"
        else:
            name += f".{part}" if name else str(part)
    return name or "__all__"


_BY_TYPE = {
    "missing": REQUIRED,
    "model_type": MUST_BE_OBJECT,
    "model_attributes_type": MUST_BE_OBJECT,
    "dict_type": MUST_BE_OBJECT,
    "list_type": MUST_BE_LIST,
    "string_type": MUST_BE_TEXT,
}


def _message(field: str, error: ErrorDetails) -> str:
    kind = error["type"]
    if kind == "refused":
        return error["msg"]
    if field == "__all__" and kind in _BY_TYPE:
        return str(NOT_AN_OBJECT)
    if error.get("input", ...) is None:
        return str(REQUIRED)
    if kind in _BY_TYPE:
        return str(_BY_TYPE[kind])
    return error["msg"]


class ConveyorAPI(NinjaAPI):
    def validation_error_from_error_contexts(
        self, error_contexts: list[ValidationErrorContext]
    ) -> ValidationError:
        """Each problem as {"field", "message"}: the field as the caller wrote it, the
        message in the caller's language (ninja's own drops the input, which tells a null
        from a wrong type)."""
        problems = []
        for context in error_contexts:
            source = context.model.__ninja_param_source__
            for error in context.pydantic_validation_error.errors(include_url=False):
                field = _field((source, *error["loc"]))
                problems.append({"field": field, "message": _message(field, error)})
        return ValidationError(problems)


api = ConveyorAPI(
    title="Conveyor API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api",
    parser=JsonParser(),
    docs_url=None,
)
api.add_decorator(body_bounded, mode="view")
api.add_router("/orders/", orders_router)
api.add_router("/payments/", payments_router)


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for problem in exc.errors:
        messages = errors.setdefault(problem["field"], [])
        if problem["message"] not in messages:
            messages.append(problem["message"])
    return api.create_response(request, {"errors": errors}, status=400)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    if isinstance(exc.__cause__, BodyRefused):  # ninja wraps what the parser raises
        return api.create_response(
            request, {"errors": {"__all__": [exc.__cause__.message]}}, status=400
        )
    return api.create_response(request, {"error": str(exc)}, status=exc.status_code)


@api.exception_handler(AuthenticationError)
def _no_key(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = api.create_response(request, {"error": str(KEY_REFUSED)}, status=401)
    response["WWW-Authenticate"] = 'Bearer realm="conveyor"'
    return response


@api.exception_handler(ScopeMissing)
def _no_scope(request: HttpRequest, exc: ScopeMissing) -> HttpResponse:
    return api.create_response(
        request, {"error": str(SCOPE_MISSING) % {"scope": exc.scope}}, status=403
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return api.create_response(request, {"error": str(exc) or _("Not found.")}, status=404)


def api_docs(request: HttpRequest) -> HttpResponse:
    """Swagger UI from our own static files (ninja ships them): the page's only scripts are
    files, its settings a JSON data block, so it runs under `script-src 'self'`."""
    return api.docs.render_page(request, api)
