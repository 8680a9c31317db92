from django.urls import path

from leads import job_views
from leads.intake import views as import_views
from leads.people import views as token_views
from leads.pipeline import views as pipeline_views
from leads.queue import distribution as distribution_views
from leads.queue import views as work_views
from leads.scoring import analysis_views as scoring_analysis_views
from leads.scoring import predictive_views
from leads.scoring import views as scoring_views
from leads.web import views

app_name = "leads"

urlpatterns = [
    path("leads/", views.lead_list, name="lead_list"),
    path("leads/export.csv", views.lead_export, name="lead_export"),
    path("leads/bulk-assign/", views.lead_bulk_assign, name="lead_bulk_assign"),
    path("leads/<int:pk>/", views.lead_detail, name="lead_detail"),
    path("import/", import_views.import_start, name="import_start"),
    path("import/<int:pk>/", import_views.import_detail, name="import_detail"),
    path("import/<int:pk>/map/", import_views.import_map, name="import_map"),
    path("import/<int:pk>/preview/", import_views.import_preview, name="import_preview"),
    path("import/<int:pk>/run/", import_views.import_run, name="import_run"),
    path("import/<int:pk>/progress/", import_views.import_progress, name="import_progress"),
    path("import/<int:pk>/report.csv", import_views.import_report, name="import_report"),
    path("scoring/", scoring_views.scoring_models, name="scoring_models"),
    path("scoring/new/", scoring_views.scoring_new, name="scoring_new"),
    path("scoring/compare/", scoring_views.scoring_compare, name="scoring_compare"),
    path("scoring/models/<int:pk>/", scoring_views.scoring_model, name="scoring_model"),
    path("scoring/models/<int:pk>/icp/", scoring_views.scoring_icp, name="scoring_icp"),
    path("scoring/models/<int:pk>/diff/", scoring_views.scoring_diff, name="scoring_diff"),
    path("scoring/models/<int:pk>/copy/", scoring_views.scoring_copy, name="scoring_copy"),
    path("scoring/models/<int:pk>/publish/", scoring_views.scoring_publish, name="scoring_publish"),
    path(
        "scoring/models/<int:pk>/evaluation/",
        scoring_analysis_views.scoring_evaluation,
        name="scoring_evaluation",
    ),
    path(
        "scoring/calibration/",
        scoring_analysis_views.scoring_calibration,
        name="scoring_calibration",
    ),
    path("routing/distribution/", distribution_views.distribution, name="distribution"),
    path("jobs/<int:pk>/", job_views.job_detail, name="job_detail"),
    path("jobs/<int:pk>/progress/", job_views.job_progress, name="job_progress"),
    path("scoring/predictive/", predictive_views.scoring_predictive, name="scoring_predictive"),
    path(
        "scoring/predictive/refresh/",
        predictive_views.scoring_predictive_refresh,
        name="scoring_predictive_refresh",
    ),
    # --- working a lead: actions on the lead page, returned-leads inbox (h6) ---
    path("leads/<int:pk>/work/<str:action>/", work_views.lead_act, name="lead_act"),
    path("returns/", work_views.returns_inbox, name="returns"),
    path("returns/<int:pk>/<str:action>/", work_views.return_act, name="return_act"),
    path("queue/", work_views.queue, name="queue"),
    path("queue/next/", work_views.queue_next, name="queue_next"),
    path("team/", work_views.team, name="team"),
    path("team/people/<int:user_id>/away/", work_views.team_away, name="team_away"),
    path("team/leads/<int:pk>/assign/", work_views.team_assign, name="team_assign"),
    # --- end of working a lead ---
    # --- the AE's pipeline ---
    path("pipeline/", pipeline_views.pipeline, name="pipeline"),
    path("pipeline/sqls/<int:pk>/<str:action>/", pipeline_views.pipeline_sql, name="pipeline_sql"),
    path(
        "pipeline/opportunities/<int:pk>/",
        pipeline_views.pipeline_opportunity,
        name="pipeline_opportunity",
    ),
    # --- end of the AE's pipeline ---
    path("settings/tokens/", token_views.integration_tokens, name="integration_tokens"),
    path(
        "settings/tokens/<int:user_id>/rotate/",
        token_views.integration_token_rotate,
        name="integration_token_rotate",
    ),
    path(
        "settings/tokens/<int:user_id>/revoke/",
        token_views.integration_token_revoke,
        name="integration_token_revoke",
    ),
]
