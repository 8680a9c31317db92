"""Pages of sla.notify (mounted under /sla/ by sla/urls.py)."""

from django.urls import path

from sla.notify import views

urlpatterns: list = [
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification_read"),
    path("notifications/read-all/", views.notification_read_all, name="notification_read_all"),
]
