"""API of sla.clocks (mounted under /api/v1/ by sla/api_urls.py)."""

from django.urls import path

from sla.clocks import api

urlpatterns = [
    path("sla/clocks/", api.ClockList.as_view(), name="sla-clocks"),
    path("sla/breaches/", api.BreachList.as_view(), name="sla-breaches"),
]
