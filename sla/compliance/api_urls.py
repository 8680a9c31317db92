"""API of sla.compliance (mounted under /api/v1/ by sla/api_urls.py)."""

from django.urls import path

from sla.compliance import api, report_api

urlpatterns = [
    path("sla/targets/", api.TargetList.as_view(), name="sla-targets"),
    path("sla/scorecard/", report_api.Scorecard.as_view(), name="sla-scorecard"),
    path("sla/reports/", report_api.ReportList.as_view(), name="sla-reports"),
    path("sla/reports/<str:month>/", report_api.ReportDetail.as_view(), name="sla-report"),
    path(
        "sla/reports/<str:month>/regenerate/",
        report_api.Regenerate.as_view(),
        name="sla-report-regenerate",
    ),
]
