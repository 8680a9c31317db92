from django.urls import path

from leads.console import views

app_name = "console"

urlpatterns = [
    path("", views.index, name="index"),
    path("people/", views.people, name="people"),
    path("people/<int:user_id>/", views.person, name="person"),
    path("people/<int:user_id>/routing/", views.person_routing, name="person_routing"),
    path("people/<int:user_id>/invite/", views.person_invite, name="person_invite"),
    path("people/<int:user_id>/active/", views.person_active, name="person_active"),
    path("teams/", views.teams, name="teams"),
    path("teams/<int:team_id>/", views.team, name="team"),
    path("routing/", views.rules, name="rules"),
    path("routing/<int:rule_id>/", views.rule, name="rule"),
    path("routing/<int:rule_id>/move/", views.rule_move, name="rule_move"),
    path("routing/<int:rule_id>/active/", views.rule_active, name="rule_active"),
    path("routing/leads/<int:lead_id>/route/", views.route_now, name="route_now"),
    path("domains/", views.domains, name="domains"),
    path("domains/<int:entry_id>/remove/", views.domain_remove, name="domain_remove"),
    path("history/", views.history, name="history"),
]
