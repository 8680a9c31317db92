"""Pages of sla.calendars (mounted under /sla/ by sla/urls.py)."""

from django.urls import path

from sla.calendars import views

urlpatterns = [
    path("calendars/", views.calendar_list, name="calendars"),
    path("calendars/new/", views.calendar_new, name="calendar_new"),
    path("calendars/<int:calendar_id>/", views.calendar_edit, name="calendar"),
    path("calendars/<int:calendar_id>/dates/", views.calendar_date_add, name="calendar_date_add"),
    path(
        "calendars/<int:calendar_id>/dates/<int:date_id>/remove/",
        views.calendar_date_remove,
        name="calendar_date_remove",
    ),
]
