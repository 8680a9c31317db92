"""Pages of sla.policies (mounted under /sla/ by sla/urls.py)."""

urlpatterns: list = []
