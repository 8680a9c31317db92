from django.urls import path

from leads.api import predictive, views

app_name = "api"

urlpatterns = [
    path("leads/", views.LeadListCreate.as_view(), name="lead_list"),
    path("leads/bulk/", views.LeadBulk.as_view(), name="lead_bulk"),
    path("leads/<int:pk>/", views.LeadDetail.as_view(), name="lead_detail"),
    path("activities/", views.ActivityCreate.as_view(), name="activities"),
    path("jobs/<int:pk>/", views.JobDetail.as_view(), name="job_detail"),
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
]
