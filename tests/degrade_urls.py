"""The site's URLs plus a page and an endpoint that truly need the cache (nothing in
smarketing reads the cache but the API's throttles, which fall back to memory), and
one that writes the session, which its middleware saves after the view: for
tests/test_degrade.py, real views on the real cache, no mock."""

from django.core.cache import cache
from django.http import HttpResponse
from django.urls import path
from rest_framework.response import Response
from rest_framework.views import APIView

from smarketing.urls import urlpatterns as site_urlpatterns


def page_reading_the_cache(request):
    return HttpResponse(f"hits: {cache.get('degrade-test-hits', 0)}")


class EndpointReadingTheCache(APIView):
    def get(self, request):
        return Response({"hits": cache.get("degrade-test-hits", 0)})


def remember_in_session(request):
    request.session["seen"] = True  # saved by SessionMiddleware, after this view
    return HttpResponse("noted")


urlpatterns = [
    path("remember/", remember_in_session),
    path("api/v1/remember/", remember_in_session),
    path("needs-cache/", page_reading_the_cache),
    path("api/v1/needs-cache/", EndpointReadingTheCache.as_view()),
    *site_urlpatterns,
]
