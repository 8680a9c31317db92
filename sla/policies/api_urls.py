"""API of sla.policies (mounted under /api/v1/ by sla/api_urls.py)."""

from django.urls import path

from sla.policies import api

urlpatterns = [
    path("sla/terms/", api.TermSetListCreate.as_view(), name="sla_terms_api"),
    path("sla/terms/<int:pk>/", api.TermSetDetail.as_view(), name="sla_terms_api_detail"),
    path(
        "sla/terms/<int:pk>/publish/",
        api.TermSetPublish.as_view(),
        name="sla_terms_api_publish",
    ),
]
