"""Refuse a NUL byte anywhere in what a request names: its path, query string, cookies,
or form fields. PostgreSQL cannot hold one in text, so it would otherwise surface as a
500 from whichever query first received it (`/invoices/?q=%00`); nobody honest sends
one. Bodies that views read themselves (CloudPayments' notifications, the JSON APIs) are
bounded by those views, which is why CSRF-exempt views' POST is left to them."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, QueryDict

NUL = "\x00"


def _has_nul(values: QueryDict | dict[str, str]) -> bool:
    pairs: Iterable[tuple[str, str]]
    if isinstance(values, QueryDict):
        pairs = ((key, value) for key, items in values.lists() for value in items)
    else:
        pairs = values.items()
    return any(NUL in key or NUL in value for key, value in pairs)


def _refuse() -> HttpResponse:
    # No browser sends one: the answer is for a program, in plain words.
    return HttpResponseBadRequest("NUL byte in request", content_type="text/plain")


class NulGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if NUL in request.path_info or _has_nul(request.GET) or _has_nul(request.COOKIES):
            return _refuse()
        return self.get_response(request)

    def process_view(
        self, request: HttpRequest, view: Callable, args: tuple, kwargs: dict
    ) -> HttpResponse | None:
        # The same POST the CSRF check reads for every view that is not exempt.
        exempt = getattr(view, "csrf_exempt", False)
        if request.method == "POST" and not exempt and _has_nul(request.POST):
            return _refuse()
        return None
