from django.urls import path

from leads.intake import api as intake_api
from leads.pipeline import api as pipeline_api
from leads.queue import api as queue
from leads.queue import distribution as distribution_views
from leads.queue import work_api as work
from leads.scoring import analysis_api as scoring_analysis
from leads.scoring import api as scoring
from leads.scoring import predictive_api as predictive
from leads.web import api as views

app_name = "api"

urlpatterns = [
    path("leads/", views.LeadListCreate.as_view(), name="lead_list"),
    path("leads/cursor/", views.LeadCursorList.as_view(), name="lead_cursor"),
    path("leads/bulk/", intake_api.LeadBulk.as_view(), name="lead_bulk"),
    path("leads/<int:pk>/", views.LeadDetail.as_view(), name="lead_detail"),
    path("activities/", intake_api.ActivityCreate.as_view(), name="activities"),
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
    # --- working a lead (issue 4 §3; leads.queue.work_api) ---
    path("leads/<int:pk>/accept/", work.LeadAccept.as_view(), name="lead_accept"),
    path("leads/<int:pk>/return/", work.LeadReturnCreate.as_view(), name="lead_return"),
    path("leads/<int:pk>/resend/", work.LeadResend.as_view(), name="lead_resend"),
    path("leads/<int:pk>/move/", work.LeadMove.as_view(), name="lead_move"),
    path("leads/<int:pk>/touches/", work.LeadTouches.as_view(), name="lead_touches"),
    path(
        "leads/<int:pk>/qualification/",
        work.LeadQualification.as_view(),
        name="lead_qualification",
    ),
    path("leads/<int:pk>/convert/", work.LeadConvert.as_view(), name="lead_convert"),
    path("leads/<int:pk>/disqualify/", work.LeadDisqualify.as_view(), name="lead_disqualify"),
    path("leads/<int:pk>/reject/", pipeline_api.LeadReject.as_view(), name="lead_reject"),
    path("leads/<int:pk>/consent/", work.LeadConsent.as_view(), name="lead_consent"),
    path("leads/<int:pk>/opt-out/", work.LeadOptOut.as_view(), name="lead_opt_out"),
    path(
        "leads/<int:pk>/opt-out/reverse/",
        work.LeadOptOutReverse.as_view(),
        name="lead_opt_out_reverse",
    ),
    path("returns/", work.ReturnList.as_view(), name="returns"),
    path("returns/<int:pk>/dispute/", work.ReturnDispute.as_view(), name="return_dispute"),
    path("returns/<int:pk>/settle/", work.ReturnSettle.as_view(), name="return_settle"),
    path("opportunities/", pipeline_api.OpportunityListCreate.as_view(), name="opportunities"),
    path("opportunities/<int:pk>/", pipeline_api.OpportunityDetail.as_view(), name="opportunity"),
    # --- end working a lead ---
    # --- the queue, claiming, assignment, routing rules (leads.queue.api) ---
    path("queue/", queue.QueueView.as_view(), name="queue"),
    path("queue/claim/", queue.QueueClaim.as_view(), name="queue_claim"),
    path("leads/<int:pk>/assign/", queue.LeadAssign.as_view(), name="lead_assign"),
    path("routing/rules/", queue.RoutingRuleListCreate.as_view(), name="routing_rules"),
    path(
        "routing/distribution/",
        distribution_views.DistributionReport.as_view(),
        name="routing_distribution",
    ),
    path("routing/rules/<int:pk>/", queue.RoutingRuleDetail.as_view(), name="routing_rule"),
]
