"""API of sla.clocks (mounted under /api/v1/ by sla/api_urls.py)."""

urlpatterns: list = []
