"""API of sla.notify (mounted under /api/v1/ by sla/api_urls.py)."""

from django.urls import path

from sla.notify import api

urlpatterns: list = [
    path("notifications/", api.NotificationList.as_view(), name="sla_notifications"),
    path(
        "notifications/<int:pk>/read/",
        api.NotificationRead.as_view(),
        name="sla_notification_read",
    ),
    path(
        "notifications/read-all/",
        api.NotificationReadAll.as_view(),
        name="sla_notifications_read_all",
    ),
]
