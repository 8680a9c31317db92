"""Teams, routing rules, "which rule would take this lead?", route now, domain lists and
the history page of the console."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from leads.audit.models import AuditRecord
from leads.audit.services import audit_record
from leads.models import Account, DomainListEntry, LeadEvent, RoutingRule, Stage
from leads.people.models import Team
from leads.queue import routing
from tests.factories import AccountFactory, LeadFactory, UserFactory

pytestmark = pytest.mark.django_db

TEAM = {"name": "North", "kind": "sdr", "mode": "round_robin", "framework": "bant"}


def test_a_team_is_created_and_changed_with_its_records(client, admin_user, sdr, sales_manager):
    client.force_login(admin_user)
    created = client.post(
        reverse("console:teams"),
        {**TEAM, "members": [sdr.pk], "manager": sales_manager.pk, "required_criteria": ["budget"]},
    )
    team = Team.objects.get(name="North")
    assert created["Location"] == reverse("console:team", args=[team.pk])
    assert (team.mode, team.manager, team.required_criteria) == (
        "round_robin",
        sales_manager,
        ["budget"],
    )
    assert list(team.members.all()) == [sdr]

    changed = client.post(
        reverse("console:team", args=[team.pk]),
        {**TEAM, "mode": "pool", "framework": "meddic", "required_criteria": ["champion"]},
    )
    assert changed.status_code == 302
    records = AuditRecord.objects.filter(target_type="team").order_by("id")
    assert [r.action for r in records] == ["team.create", "team.update"]
    assert records[1].before == {
        "mode": "round_robin",
        "framework": "bant",
        "required_criteria": ["budget"],
        "manager": sales_manager.pk,
        "members": [sdr.pk],
    }
    assert records[1].after == {
        "mode": "pool",
        "framework": "meddic",
        "required_criteria": ["champion"],
        "manager": None,
        "members": [],
    }
    page = client.get(reverse("console:team", args=[team.pk]))
    assert page.status_code == 200
    assert "Team changed" in page.content.decode()


def test_a_team_refuses_criteria_of_another_framework_and_a_taken_name(
    client, admin_user, sdr_team_east
):
    client.force_login(admin_user)
    wrong = client.post(reverse("console:teams"), {**TEAM, "required_criteria": ["champion"]})
    taken = client.post(reverse("console:teams"), {**TEAM, "name": "sdr east"})
    nul = client.post(reverse("console:teams"), {**TEAM, "name": "N\x00"})
    assert wrong.status_code == taken.status_code == nul.status_code == 400
    assert "required_criteria" in wrong.context["form"].errors
    assert "name" in taken.context["form"].errors
    assert "name" in nul.context["form"].errors
    assert not Team.objects.filter(name="North").exists()
    assert AuditRecord.objects.count() == 0


def _rule(client, **data):
    return client.post(reverse("console:rules"), {"applies_to": "mql", "active": "on", **data})


def test_rules_are_created_ordered_switched_off_and_edited(client, admin_user, sdr_team_east):
    client.force_login(admin_user)
    _rule(client, name="APAC", team=sdr_team_east.pk, region="APAC, emea", min_employees=50)
    _rule(client, name="Software", team=sdr_team_east.pk, industry="Software")
    apac, software = RoutingRule.objects.order_by("order")
    assert apac.conditions == {"region": ["APAC", "emea"], "min_employees": 50}
    assert (apac.order, software.order) == (10, 20)

    client.post(reverse("console:rule_move", args=[software.pk]), {"direction": "up"})
    assert list(RoutingRule.objects.order_by("order").values_list("name", flat=True)) == [
        "Software",
        "APAC",
    ]
    client.post(reverse("console:rule_active", args=[apac.pk]), {"active": "0"})
    apac.refresh_from_db()
    assert not apac.active
    edited = client.post(
        reverse("console:rule", args=[apac.pk]),
        {"name": "APAC big", "applies_to": "mql", "team": sdr_team_east.pk, "region": "APAC"},
    )
    assert edited.status_code == 302
    apac.refresh_from_db()
    assert (apac.name, apac.conditions, apac.order) == ("APAC big", {"region": ["APAC"]}, 20)
    actions = list(
        AuditRecord.objects.filter(target_type="routingrule")
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == ["rule.create", "rule.create", "rule.reorder", "rule.update", "rule.update"]
    last = AuditRecord.objects.filter(action="rule.update").latest("id")
    assert last.before == {
        "name": "APAC",
        "conditions": {"region": ["APAC", "emea"], "min_employees": 50},
    }


def test_a_bad_rule_names_its_field(client, admin_user, sdr_team_east):
    client.force_login(admin_user)
    sql_to_sdr = _rule(client, name="x", applies_to="sql", team=sdr_team_east.pk)
    nobody = _rule(client, name="x")
    sizes = _rule(client, name="x", team=sdr_team_east.pk, min_employees=10, max_employees=5)
    nul = _rule(client, name="x", team=sdr_team_east.pk, region="AP\x00AC")
    long = _rule(client, name="x", team=sdr_team_east.pk, industry="y" * 201)
    for response, field in [
        (sql_to_sdr, "team"),
        (nobody, "team"),
        (sizes, "max_employees"),
        (nul, "region"),
        (long, "industry"),
    ]:
        assert response.status_code == 400
        assert field in response.context["form"].errors, (field, response.context["form"].errors)
    assert RoutingRule.objects.count() == 0
    assert AuditRecord.objects.count() == 0


def test_trying_a_lead_shows_the_rule_routing_applies_then_route_it_now(
    client, admin_user, sdr_team_east
):
    rep = UserFactory(username="rita", first_name="Rita", last_name="Rep", roles=["sdr"])
    north = Team.objects.create(name="North", kind="sdr", mode="round_robin")
    north.members.add(rep)
    RoutingRule.objects.create(name="Software", order=1, team=north, conditions={"industry": ["x"]})
    RoutingRule.objects.create(name="APAC", order=2, team=north, conditions={"region": ["APAC"]})
    lead = LeadFactory(stage=Stage.MQL, account=AccountFactory(region="APAC"))
    client.force_login(admin_user)

    tried = client.get(reverse("console:rules"), {"try": "1", "lead": lead.pk, "applies_to": "mql"})

    assert tried.status_code == 200
    preview = tried.context["preview"]
    assert (preview.decision.reason, preview.decision.rule.name) == ("rule", "APAC")
    assert preview.decision.user == rep
    assert [(row["rule"].name, row["matches"]) for row in preview.tried] == [
        ("Software", False),
        ("APAC", True),
    ]
    assert 'data-action="route-now"' in tried.content.decode()
    assert not LeadEvent.objects.filter(lead=lead).exists()  # trying writes nothing

    routed = client.post(reverse("console:route_now", args=[lead.pk]))

    assert routed.status_code == 302
    lead.refresh_from_db()
    assert (lead.owner, lead.team) == (rep, north)
    event = LeadEvent.objects.get(lead=lead)
    assert (event.actor_user, event.reason, event.data["rule"]["name"]) == (
        admin_user,
        "rule",
        "APAC",
    )
    record = AuditRecord.objects.get(action="lead.route")
    assert record.after == {"owner": rep.pk, "team": north.pk, "stage": "mql"}
    # owned now: no second routing from the console
    again = client.post(reverse("console:route_now", args=[lead.pk]), follow=True)
    assert "This lead has an owner" in again.content.decode()
    assert LeadEvent.objects.filter(lead=lead).count() == 1


def test_a_typed_in_example_is_tried_without_writing(client, admin_user, sdr_team_east):
    RoutingRule.objects.create(
        name="Big", order=1, team=sdr_team_east, conditions={"min_employees": 1000}
    )
    DomainListEntry.objects.create(kind="competitor", domain="rival.example")
    client.force_login(admin_user)
    accounts = Account.objects.count()

    big = client.get(reverse("console:rules"), {"try": "1", "applies_to": "mql", "employees": 5000})
    small = client.get(reverse("console:rules"), {"try": "1", "applies_to": "mql", "employees": 5})
    rival = client.get(
        reverse("console:rules"), {"try": "1", "applies_to": "mql", "email": "a@rival.example"}
    )
    bad = client.get(reverse("console:rules"), {"try": "1", "applies_to": "x", "lead": "abc"})

    assert big.context["preview"].decision.rule.name == "Big"
    assert small.context["preview"].decision.reason == "default_team"
    assert rival.context["preview"].competitor == "rival.example"
    assert bad.status_code == 400
    assert set(bad.context["try_form"].errors) == {"applies_to", "lead"}
    assert Account.objects.count() == accounts
    assert AuditRecord.objects.count() == 0


def test_the_preview_is_what_routing_does(admin_user, sdr_team_east, sdr):
    """route_preview and route_lead take the same path: the decision shown is the one applied."""
    RoutingRule.objects.create(name="DE", order=1, user=sdr, conditions={"country": ["DE"]})
    lead = LeadFactory(stage=Stage.MQL, account=AccountFactory(country="DE"))
    preview = routing.route_preview(lead=lead, applies_to="mql")
    event = routing.route_lead(lead=lead, applies_to="mql")
    assert (event.reason, event.data["to_user"], event.data["rule"]["name"]) == (
        preview.decision.reason,
        preview.decision.user.pk,
        preview.decision.rule.name,
    )


def test_domains_are_normalised_added_once_and_removed(client, admin_user):
    client.force_login(admin_user)
    added = client.post(
        reverse("console:domains"), {"kind": "competitor", "domain": "https://www.Rival.example/x"}
    )
    twice = client.post(
        reverse("console:domains"), {"kind": "competitor", "domain": "rival.example"}
    )
    bad = client.post(reverse("console:domains"), {"kind": "competitor", "domain": "nodot"})
    nul = client.post(reverse("console:domains"), {"kind": "customer", "domain": "a\x00.example"})
    assert added.status_code == 302
    assert twice.status_code == bad.status_code == nul.status_code == 400
    for response in (twice, bad, nul):
        assert "domain" in response.context["form"].errors
    entry = DomainListEntry.objects.get(kind="competitor")
    assert entry.domain == "rival.example"

    client.post(reverse("console:domain_remove", args=[entry.pk]))
    assert not DomainListEntry.objects.filter(kind="competitor").exists()
    records = AuditRecord.objects.order_by("id")
    assert [(r.action, r.after, r.before) for r in records] == [
        ("domain.add", {"domain": "rival.example", "kind": "competitor"}, {}),
        ("domain.remove", {}, {"domain": "rival.example", "kind": "competitor"}),
    ]


def test_the_history_shows_every_record_to_admins_and_directors(client, admin_user, director):
    for n in range(3):
        audit_record(actor=admin_user, action="domain.add", target_type="x", target_label=f"d{n}")
    audit_record(actor=admin_user, action="team.update", target_type="team", target_label="T")
    client.force_login(director)
    client.get(reverse("console:history"))

    with CaptureQueriesContext(connection) as ctx:
        everything = client.get(reverse("console:history"))
    teams = client.get(reverse("console:history"), {"what": "team."})

    assert len(everything.context["records"]) == 4
    assert [r.target_label for r in teams.context["records"]] == ["T"]
    assert "Domain added" in everything.content.decode()
    for n in range(5):
        audit_record(actor=admin_user, action="domain.add", target_type="x", target_label=f"e{n}")
    with CaptureQueriesContext(connection) as more:
        client.get(reverse("console:history"))
    assert len(more.captured_queries) == len(ctx.captured_queries)


def test_a_team_keeps_its_kind_while_rules_send_it_leads_of_that_kind(
    client, admin_user, sdr_team_east
):
    RoutingRule.objects.create(name="All MQLs", team=sdr_team_east, conditions={})
    client.force_login(admin_user)
    response = client.post(
        reverse("console:team", args=[sdr_team_east.pk]), {**TEAM, "name": "SDR East", "kind": "ae"}
    )
    assert response.status_code == 400
    assert "All MQLs" in response.context["form"].errors["kind"][0]
    sdr_team_east.refresh_from_db()
    assert sdr_team_east.kind == "sdr"


def test_only_unowned_mqls_and_sqls_are_routed_from_the_console(client, admin_user, sdr_team_east):
    inquiry = LeadFactory(stage=Stage.INQUIRY)
    client.force_login(admin_user)
    tried = client.get(reverse("console:rules"), {"try": "1", "lead": inquiry.pk})
    assert 'data-action="route-now"' not in tried.content.decode()
    refused = client.post(reverse("console:route_now", args=[inquiry.pk]), follow=True)
    assert "Only MQLs and SQLs are routed from here." in refused.content.decode()
    inquiry.refresh_from_db()
    assert (inquiry.owner, inquiry.team) == (None, None)
    assert not LeadEvent.objects.filter(lead=inquiry).exists()


def test_a_rules_conditions_read_in_the_readers_language(client, admin_user, sdr_team_east):
    RoutingRule.objects.create(
        name="China",
        conditions={"language": ["zh-hans"], "country": ["CN"], "source_channel": ["website"]},
        team=sdr_team_east,
    )
    client.force_login(admin_user)
    english = client.get(reverse("console:rules"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Simplified Chinese" in english
    assert "China" in english
    chinese = client.get(reverse("console:rules"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "简体中文" in chinese
    assert "中国" in chinese
    assert "语言:</span> 简体中文" in chinese  # the rule's row: a value in words, not "zh-hans"
