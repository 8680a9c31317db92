"""Pages of sla.notify (mounted under /sla/ by sla/urls.py)."""

urlpatterns: list = []
