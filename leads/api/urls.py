from django.urls import path

from leads.api import scoring_analysis, views

app_name = "api"

urlpatterns = [
    path("leads/", views.LeadListCreate.as_view(), name="lead_list"),
    path("leads/bulk/", views.LeadBulk.as_view(), name="lead_bulk"),
    path("leads/<int:pk>/", views.LeadDetail.as_view(), name="lead_detail"),
    path("activities/", views.ActivityCreate.as_view(), name="activities"),
    path("jobs/<int:pk>/", views.JobDetail.as_view(), name="job_detail"),
    path(
        "scoring/models/<int:pk>/evaluation/",
        scoring_analysis.ScoringEvaluation.as_view(),
        name="scoring_evaluation",
    ),
    path(
        "scoring/calibration/",
        scoring_analysis.ScoringCalibration.as_view(),
        name="scoring_calibration",
    ),
    path(
        "scoring/calibration/draft/",
        scoring_analysis.ScoringCalibrationDraft.as_view(),
        name="scoring_calibration_draft",
    ),
]
