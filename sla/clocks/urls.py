"""Pages of sla.clocks (mounted under /sla/ by sla/urls.py)."""

from django.urls import path

from sla.clocks import views

urlpatterns = [
    path("team/", views.team_clocks, name="team_clocks"),
]
