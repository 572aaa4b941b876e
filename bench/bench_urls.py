from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as project_urls


@csrf_exempt
def ping(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b'{"code": 0}', content_type="application/json")


urlpatterns = [path("bench/ping/", ping), *project_urls]
