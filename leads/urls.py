from django.urls import path

from leads import import_views, token_views, views

app_name = "leads"

urlpatterns = [
    path("leads/", views.lead_list, name="lead_list"),
    path("leads/<int:pk>/", views.lead_detail, name="lead_detail"),
    path("import/", import_views.import_start, name="import_start"),
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
