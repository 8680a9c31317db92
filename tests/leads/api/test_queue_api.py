"""The queue API: GET /queue/, POST /queue/claim/, POST /leads/{id}/assign/ and the
routing rules (admins only, validation naming the field)."""

from datetime import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from leads.models import Lead, LeadEvent, RoutingRule
from tests.factories import LeadFactory, TeamFactory, UserFactory, with_history

pytestmark = pytest.mark.django_db


# ------------------------------------------------------------------ queue


def test_the_queue_needs_authentication(api_client):
    assert api_client.get("/api/v1/queue/").status_code == 401


def test_my_queue_lists_my_open_leads_and_the_pool_count(api_as, sdr, other_sdr):
    east = sdr.teams.get()
    mine = with_history(
        LeadFactory(owner=sdr, stage="mql", assigned_at=timezone.now(), score_quadrant="hot")
    )
    LeadFactory(owner=other_sdr, stage="mql")
    LeadFactory(team=east, stage="mql")
    LeadFactory(team=east, stage="mql")

    body = api_as(sdr).get("/api/v1/queue/").json()

    assert [row["id"] for row in body["leads"]] == [mine.pk]
    assert body["pool"] == {"count": 2}
    assert "deadline_hours" not in body  # replaced by the SLA clocks' due times
    row = body["leads"][0]
    assert row["team"] is None
    acceptance = mine.clocks.get(term="acceptance")
    assert datetime.fromisoformat(row["next_step_deadline"]) == acceptance.due_at


def test_the_queue_endpoint_runs_a_fixed_number_of_queries(api_as, sdr):
    client = api_as(sdr)
    LeadFactory(owner=sdr, stage="mql", assigned_at=timezone.now(), team=sdr.teams.get())
    client.get("/api/v1/queue/")  # warm the token / role caches equally

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/api/v1/queue/").status_code == 200
        return len(ctx.captured_queries)

    few = count()
    for _ in range(20):
        LeadFactory(owner=sdr, stage="sal", assigned_at=timezone.now(), team=sdr.teams.get())
    assert count() == few


# ------------------------------------------------------------------ claim


def test_an_sdr_claims_the_next_lead_then_the_empty_pool_answers_204(api_as, sdr):
    lead = with_history(LeadFactory(team=sdr.teams.get(), stage="mql"))  # in the pool
    client = api_as(sdr)

    first = client.post("/api/v1/queue/claim/")
    second = client.post("/api/v1/queue/claim/")

    assert first.status_code == 200
    assert (first.json()["id"], first.json()["stage"]) == (lead.pk, "mql")
    assert first.json()["next_step_deadline"] is not None
    assert second.status_code == 204
    lead.refresh_from_db()
    assert lead.owner == sdr


@pytest.mark.parametrize("who", ["marketer", "ae", "director", "sales_manager"])
def test_only_sdrs_claim(request, api_as, sdr, who):
    lead = LeadFactory(team=sdr.teams.get(), stage="mql")
    response = api_as(request.getfixturevalue(who)).post("/api/v1/queue/claim/")
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.owner is None


# ------------------------------------------------------------------ assign


def test_a_manager_assigns_a_team_lead(api_as, sales_manager, sdr):
    colleague = UserFactory(username="cora", roles=["sdr"])
    sdr.teams.get().members.add(colleague)
    lead = LeadFactory(owner=sdr, stage="mql", team=sdr.teams.get())

    response = api_as(sales_manager).post(
        f"/api/v1/leads/{lead.pk}/assign/", {"to_user": colleague.pk, "note": "load"}, format="json"
    )

    assert response.status_code == 200
    lead.refresh_from_db()
    assert lead.owner == colleague
    event = lead.events.get(kind="assignment")
    assert (event.reason, event.actor_user, event.data["note"]) == ("manual", sales_manager, "load")


def test_assign_outside_visibility_is_404_and_nothing_changes(api_as, sales_manager, other_sdr):
    lead = LeadFactory(owner=other_sdr, stage="mql", team=other_sdr.teams.get())
    response = api_as(sales_manager).post(
        f"/api/v1/leads/{lead.pk}/assign/", {"to_user": sales_manager.pk}, format="json"
    )
    assert response.status_code == 404
    lead.refresh_from_db()
    assert lead.owner == other_sdr


def test_an_sdr_assigning_their_own_lead_gets_403(api_as, sdr, other_sdr):
    lead = LeadFactory(owner=sdr, stage="mql")
    response = api_as(sdr).post(
        f"/api/v1/leads/{lead.pk}/assign/", {"to_user": other_sdr.pk}, format="json"
    )
    assert response.status_code == 403
    assert "managers" in response.json()["detail"]
    lead.refresh_from_db()
    assert lead.owner == sdr
    assert not LeadEvent.objects.filter(kind="assignment").exists()


def test_a_manager_giving_a_lead_outside_their_teams_gets_403(
    api_as, sales_manager, sdr, other_sdr
):
    lead = LeadFactory(owner=sdr, stage="mql", team=sdr.teams.get())
    response = api_as(sales_manager).post(
        f"/api/v1/leads/{lead.pk}/assign/", {"to_user": other_sdr.pk}, format="json"
    )
    assert response.status_code == 403
    lead.refresh_from_db()
    assert lead.owner == sdr


@pytest.mark.parametrize(
    ("body", "field"),
    [({}, "to_user"), ({"to_user": 999999}, "to_user"), ({"to_team": 999999}, "to_team")],
)
def test_assign_validation_names_the_field(api_as, admin_user, sdr, body, field):
    lead = LeadFactory(owner=sdr, stage="mql")
    response = api_as(admin_user).post(f"/api/v1/leads/{lead.pk}/assign/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_an_admin_sends_a_lead_to_a_team_pool(api_as, admin_user, sdr, other_sdr):
    lead = LeadFactory(owner=sdr, stage="mql")
    west = other_sdr.teams.get()
    response = api_as(admin_user).post(
        f"/api/v1/leads/{lead.pk}/assign/", {"to_team": west.pk}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["team"]["id"] == west.pk
    lead.refresh_from_db()
    assert (lead.owner, lead.team) == (None, west)


# ------------------------------------------------------------------ routing rules


def test_rules_are_for_admins_only(api_as, sales_manager, sdr_team_east):
    rule = RoutingRule.objects.create(name="all", team=sdr_team_east)
    client = api_as(sales_manager)
    assert client.get("/api/v1/routing/rules/").status_code == 403
    assert client.post("/api/v1/routing/rules/", {"name": "x"}, format="json").status_code == 403
    assert client.delete(f"/api/v1/routing/rules/{rule.pk}/").status_code == 403
    assert RoutingRule.objects.count() == 1


def test_an_admin_creates_lists_edits_and_deletes_rules(api_as, admin_user, sdr_team_east):
    client = api_as(admin_user)
    created = client.post(
        "/api/v1/routing/rules/",
        {
            "name": "China big",
            "order": 5,
            "conditions": {"country": ["CN"], "min_employees": 200},
            "team": sdr_team_east.pk,
        },
        format="json",
    )
    assert created.status_code == 201
    pk = created.json()["id"]
    assert [r["name"] for r in client.get("/api/v1/routing/rules/").json()] == ["China big"]

    patched = client.patch(f"/api/v1/routing/rules/{pk}/", {"active": False}, format="json")
    assert patched.status_code == 200
    assert RoutingRule.objects.get(pk=pk).active is False

    assert client.delete(f"/api/v1/routing/rules/{pk}/").status_code == 204
    assert not RoutingRule.objects.exists()


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"conditions": {"planet": ["Mars"]}}, "conditions.planet"),
        ({"conditions": {"industry": "software"}}, "conditions.industry"),
        ({"conditions": {"min_employees": -1}}, "conditions.min_employees"),
        ({"team": None}, "team"),
        ({"user": "SAM"}, "user"),
        ({"applies_to": "sql"}, "team"),
    ],
)
def test_rule_validation_names_the_field(api_as, admin_user, sdr, sdr_team_east, extra, field):
    body = {"name": "r", "team": sdr_team_east.pk, **extra}
    if body.get("user") == "SAM":
        body["user"] = sdr.pk  # both a team and a person
    response = api_as(admin_user).post("/api/v1/routing/rules/", body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not RoutingRule.objects.exists()


def test_patching_a_rule_to_both_targets_is_refused(api_as, admin_user, sdr, sdr_team_east):
    rule = RoutingRule.objects.create(name="all", team=sdr_team_east)
    response = api_as(admin_user).patch(
        f"/api/v1/routing/rules/{rule.pk}/", {"user": sdr.pk}, format="json"
    )
    assert response.status_code == 400
    assert "user" in response.json()["errors"]
    rule.refresh_from_db()
    assert rule.user is None


def test_an_ae_rule_routes_sqls(api_as, admin_user):
    aes = TeamFactory(name="AE", kind="ae")
    response = api_as(admin_user).post(
        "/api/v1/routing/rules/", {"name": "ae", "applies_to": "sql", "team": aes.pk}, format="json"
    )
    assert response.status_code == 201
    assert Lead.objects.count() == 0
