"""The SLA's API, under /api/v1/ (``sla/…`` and ``notifications/``): each package
lists its own."""

from django.urls import include, path

urlpatterns = [
    path("", include("sla.calendars.api_urls")),
    path("", include("sla.policies.api_urls")),
    path("", include("sla.notify.api_urls")),
    path("", include("sla.clocks.api_urls")),
    path("", include("sla.compliance.api_urls")),
]
