"""1C's "exchange with a website" at /exchange/1c/ (type=sale): 1C calls one address and
names the step in `mode` (checkauth, init, query, success, file, import), as the protocol
has it. Answers are plain text, `success` or `failure` and a reason on the next line, in
Russian (1C shows them to its user as they are). Every call is logged (admin: 1C exchange
log)."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from core.http import client_ip
from exchange.models import Direction, ExchangeSession, Mode
from exchange.services import (
    ExchangeRefused,
    exchange_encoding,
    exchange_file_limit,
    exchange_log,
    exchange_zip,
    orders_confirm,
    orders_query,
    session_find,
    session_start,
    upload_append,
    upload_import,
)
from exchange.upload import UploadRefused

COOKIE = "conveyor_1c"


def _answer(*lines: str, status: int = 200) -> HttpResponse:
    return HttpResponse("\n".join(lines), status=status, content_type="text/plain; charset=utf-8")


def _failure(reason: str, status: int = 200) -> HttpResponse:
    return _answer("failure", reason, status=status)


def _basic(request: HttpRequest) -> tuple[str, str]:
    """Login and password of `Authorization: Basic …` ("", "" when there is none)."""
    scheme, _sep, value = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return "", ""
    try:
        login, _sep, password = base64.b64decode(value, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return "", ""
    return login, password


def _misses_key(request: HttpRequest) -> str:
    return f"exchange-1c-misses:{client_ip(request)}"


def _too_many_misses(request: HttpRequest) -> bool:
    """An address that keeps guessing keys is held off for an hour; the cache failing
    open (a Redis outage must not stop the accounts' exchange)."""
    try:
        return (cache.get(_misses_key(request)) or 0) >= settings.EXCHANGE_1C_FAILURES_PER_HOUR
    except Exception:
        return False


def _miss(request: HttpRequest) -> None:
    try:
        cache.add(_misses_key(request), 0, 3600)
        cache.incr(_misses_key(request))
    except Exception:
        pass


def checkauth(request: HttpRequest) -> HttpResponse:
    login, password = _basic(request)
    if _too_many_misses(request):  # not logged: a guesser must not write a row a guess
        return _failure(_("Too many failed sign-ins; try again in an hour."), status=429)
    try:
        session, token = session_start(password=password)
    except ExchangeRefused as refused:
        _miss(request)
        exchange_log(
            mode=Mode.CHECKAUTH,
            ok=False,
            login=login,
            errors=str(refused),
            remote_addr=client_ip(request),
        )
        response = _failure(str(refused), status=401)
        response["WWW-Authenticate"] = 'Basic realm="Conveyor 1C exchange", charset="UTF-8"'
        return response
    exchange_log(
        mode=Mode.CHECKAUTH, ok=True, key=session.key, login=login, remote_addr=client_ip(request)
    )
    return _answer("success", COOKIE, token)


def init(request: HttpRequest, session: ExchangeSession) -> HttpResponse:
    _log(request, session, Mode.INIT, ok=True)
    zipped = "yes" if exchange_zip() else "no"
    return _answer(f"zip={zipped}", f"file_limit={exchange_file_limit()}")


def query(request: HttpRequest, session: ExchangeSession) -> HttpResponse:
    document, count = orders_query(key=session.key)
    encoding = exchange_encoding()
    _log(
        request,
        session,
        Mode.QUERY,
        ok=True,
        direction=Direction.TO_1C,
        document=document,
        encoding=encoding,
        documents=count,
    )
    return HttpResponse(document, content_type=f"application/xml; charset={encoding}")


def success(request: HttpRequest, session: ExchangeSession) -> HttpResponse:
    confirmed = orders_confirm(key=session.key)
    note = "" if confirmed is not None else _("No query waited for confirmation.")
    _log(request, session, Mode.SUCCESS, ok=True, documents=confirmed or 0, errors=note)
    return _answer("success")


def file(request: HttpRequest, session: ExchangeSession) -> HttpResponse:
    filename = request.GET.get("filename", "")
    try:
        chunk = request.body
        size = upload_append(session=session, filename=filename, chunk=chunk)
    except RequestDataTooBig:
        return _refused(request, session, Mode.FILE, _("The chunk is larger than file_limit."))
    except UploadRefused as refused:
        return _refused(request, session, Mode.FILE, str(refused), filename=filename)
    _log(
        request,
        session,
        Mode.FILE,
        ok=True,
        direction=Direction.FROM_1C,
        filename=filename,
        document=chunk,
        encoding=exchange_encoding(),
        size=size,
    )
    return _answer("success")


def import_(request: HttpRequest, session: ExchangeSession) -> HttpResponse:
    filename = request.GET.get("filename", "")
    try:
        result = upload_import(session=session, filename=filename)
    except UploadRefused as refused:
        return _refused(request, session, Mode.IMPORT, str(refused), filename=filename)
    _log(
        request,
        session,
        Mode.IMPORT,
        ok=True,
        direction=Direction.FROM_1C,
        filename=filename,
        result=result,
    )
    return _answer("success")


def _log(request: HttpRequest, session: ExchangeSession, mode: str, **fields) -> None:
    exchange_log(
        mode=mode, key=session.key, login=session.key.name, remote_addr=client_ip(request), **fields
    )


def _refused(
    request: HttpRequest, session: ExchangeSession, mode: str, reason: str, filename: str = ""
) -> HttpResponse:
    _log(
        request,
        session,
        mode,
        ok=False,
        direction=Direction.FROM_1C,
        filename=filename,
        errors=reason,
    )
    return _failure(reason)


STEPS: dict[str, Callable[[HttpRequest, ExchangeSession], HttpResponse]] = {
    Mode.INIT: init,
    Mode.QUERY: query,
    Mode.SUCCESS: success,
    Mode.FILE: file,
    Mode.IMPORT: import_,
}


@csrf_exempt
@never_cache
def exchange_1c(request: HttpRequest) -> HttpResponse:
    """The protocol's one address: checkauth opens a session (its cookie), every other
    step needs that cookie."""
    with translation.override("ru"):
        mode, kind = request.GET.get("mode", ""), request.GET.get("type", "")
        if kind != "sale" or (mode != Mode.CHECKAUTH and mode not in STEPS):
            exchange_log(
                mode=Mode.OTHER,
                ok=False,
                remote_addr=client_ip(request),
                errors=f"type={kind[:40]} mode={mode[:40]}",
            )
            return _failure(_("Only type=sale is exchanged here, in its known modes."))
        if mode == Mode.CHECKAUTH:
            return checkauth(request)
        session = session_find(request.COOKIES.get(COOKIE, ""))
        if session is None:
            exchange_log(
                mode=mode,
                ok=False,
                remote_addr=client_ip(request),
                errors=_("No session: sign in (checkauth) first."),
            )
            return _failure(_("No session: sign in (checkauth) first."), status=401)
        return STEPS[mode](request, session)
