"""The SLA's pages, under /sla/: each package lists its own."""

from django.urls import include, path

app_name = "sla"

urlpatterns = [
    path("", include("sla.calendars.urls")),
    path("", include("sla.policies.urls")),
    path("", include("sla.notify.urls")),
    path("", include("sla.clocks.urls")),
    path("", include("sla.compliance.urls")),
]
