"""API of sla.calendars (mounted under /api/v1/ by sla/api_urls.py)."""

from django.urls import path

from sla.calendars import api

urlpatterns = [
    path("sla/calendars/", api.CalendarList.as_view(), name="api-sla-calendars"),
    path("sla/calendars/<int:pk>/", api.CalendarDetail.as_view(), name="api-sla-calendar"),
]
