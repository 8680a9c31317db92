"""Every API endpoint requires authentication; every page asks for a sign-in.

Walks the URL configuration itself, so an endpoint or page added later is covered
without anyone remembering to add a test: anonymous requests with every method
must answer 401 (API) or redirect to the login page (pages), and must not change
anything.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from leads.models import Lead, LeadEvent

# Public on purpose: the sign-in flow itself, the language switch, Django's admin
# (its own login page), the favicon, the home page redirecting to a role's start page is checked
# below with the other pages.
PUBLIC_PREFIXES = ("accounts/", "i18n/", "admin/", "favicon.ico")
PARAM = re.compile(r"<(?:(?P<conv>\w+):)?(?P<name>\w+)>")
METHODS = ("get", "post", "put", "patch", "delete")


def _walk(patterns, prefix=""):
    for entry in patterns:
        route = str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, prefix + route)
        elif isinstance(entry, URLPattern):
            yield prefix + route


def _concrete(route: str) -> str | None:
    """A request path for a route: ids filled with 1; regex routes (DRF's format
    suffixes) skipped — their plain twin is walked."""
    if route.startswith("^") or "(?P" in route:
        return None

    def fill(match):
        conv = match.group("conv") or "str"
        return {"int": "1", "uuid": "00000000-0000-0000-0000-000000000001"}.get(conv, "x")

    return "/" + PARAM.sub(fill, route)


def _routes():
    paths = {_concrete(route) for route in _walk(get_resolver().url_patterns)}
    paths.discard(None)
    return sorted(p for p in paths if not p.lstrip("/").startswith(PUBLIC_PREFIXES))


ROUTES = _routes()
# the Swagger UI is a page people open in a browser: it asks them to sign in
API = [p for p in ROUTES if p.startswith("/api/") and p != "/api/docs/"]
PAGES = [p for p in ROUTES if p not in API]


def test_the_walk_finds_the_known_endpoints():
    # a walk that found nothing would make the tests below pass vacuously
    assert "/api/v1/queue/claim/" in API
    assert "/api/v1/leads/1/score/" in API
    assert "/api/v1/routing/distribution/" in API
    assert "/leads/1/" in PAGES
    assert "/api/docs/" in PAGES
    assert len(API) > 30
    assert len(PAGES) > 20


@pytest.mark.django_db
@pytest.mark.parametrize("path", API)
def test_api_endpoint_refuses_anonymous(client, path):
    for method in METHODS:
        response = getattr(client, method)(path, data={}, content_type="application/json")
        if response.status_code == 405:
            continue
        assert response.status_code == 401, (method.upper(), path, response.status_code)


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_page_asks_anonymous_to_sign_in(client, path):
    for method in ("get", "post"):
        response = getattr(client, method)(path)
        if response.status_code == 405:
            continue
        assert response.status_code == 302, (method.upper(), path, response.status_code)
        assert response["Location"].startswith("/accounts/login/"), (path, response["Location"])


@pytest.mark.django_db
def test_anonymous_requests_change_nothing(client):
    from tests.factories import LeadFactory

    lead = LeadFactory()
    before = (Lead.objects.count(), LeadEvent.objects.count())
    for path in API + PAGES:
        path = path.replace("/1/", f"/{lead.pk}/")
        for method in ("post", "patch", "delete"):
            getattr(client, method)(path, data={}, content_type="application/json")
    lead.refresh_from_db()
    assert (Lead.objects.count(), LeadEvent.objects.count()) == before
    assert lead.owner_id is None
