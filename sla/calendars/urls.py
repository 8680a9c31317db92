"""Pages of sla.calendars (mounted under /sla/ by sla/urls.py)."""

urlpatterns: list = []
