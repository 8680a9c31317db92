"""API of sla.compliance (mounted under /api/v1/ by sla/api_urls.py)."""

from django.urls import path

from sla.compliance import api

urlpatterns = [
    path("sla/targets/", api.TargetList.as_view(), name="sla-targets"),
]
