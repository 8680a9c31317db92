from django.urls import path

from leads.api import predictive, queue, scoring, scoring_analysis, views

app_name = "api"

urlpatterns = [
    path("leads/", views.LeadListCreate.as_view(), name="lead_list"),
    path("leads/bulk/", views.LeadBulk.as_view(), name="lead_bulk"),
    path("leads/<int:pk>/", views.LeadDetail.as_view(), name="lead_detail"),
    path("activities/", views.ActivityCreate.as_view(), name="activities"),
    path("leads/<int:pk>/score/", scoring.LeadScore.as_view(), name="lead_score"),
    path("jobs/<int:pk>/", views.JobDetail.as_view(), name="job_detail"),
    path("scoring/models/", scoring.ScoringModelListCreate.as_view(), name="scoring_models"),
    path("scoring/models/<int:pk>/", scoring.ScoringModelDetail.as_view(), name="scoring_model"),
    path(
        "scoring/models/<int:pk>/publish/",
        scoring.ScoringModelPublish.as_view(),
        name="scoring_model_publish",
    ),
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
    path(
        "scoring/predictive/",
        predictive.PredictiveSnapshotView.as_view(),
        name="scoring_predictive",
    ),
    path(
        "scoring/predictive/refresh/",
        predictive.PredictiveRefresh.as_view(),
        name="scoring_predictive_refresh",
    ),
    # --- the queue, claiming, assignment, routing rules (leads.api.queue) ---
    path("queue/", queue.QueueView.as_view(), name="queue"),
    path("queue/claim/", queue.QueueClaim.as_view(), name="queue_claim"),
    path("leads/<int:pk>/assign/", queue.LeadAssign.as_view(), name="lead_assign"),
    path("routing/rules/", queue.RoutingRuleListCreate.as_view(), name="routing_rules"),
    path("routing/rules/<int:pk>/", queue.RoutingRuleDetail.as_view(), name="routing_rule"),
]
