"""Pages of sla.clocks (mounted under /sla/ by sla/urls.py)."""

urlpatterns: list = []
