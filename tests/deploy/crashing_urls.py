"""A page that fails on the server, for the error-logging tests."""

from django.http import HttpRequest, HttpResponse
from django.urls import path


def broken(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("the printer caught fire")


urlpatterns = [path("broken/", broken)]
