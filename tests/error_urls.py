"""The site's URLs plus a page that fails (for tests/test_error_pages.py: Django's own
500 handler on a real exception, no mock)."""

from django.urls import path

from smarketing.urls import handler400, handler404  # noqa: F401 (the handlers go with the URLs)
from smarketing.urls import urlpatterns as site_urlpatterns


def page_that_fails(request):
    raise RuntimeError("a defect")


urlpatterns = [path("fails/", page_that_fails), *site_urlpatterns]
