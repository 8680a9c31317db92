"""Routing rules and routing settings in the Django admin (RevOps admins)."""

import pytest
from django.urls import reverse

from leads.models import LeadEvent, RepSettings, RoutingRule
from tests.factories import LeadFactory, TeamFactory, UserFactory


@pytest.fixture
def staff_admin(db):
    return UserFactory(username="ops", roles=["admin"], is_staff=True)


def test_a_rule_is_added_and_bad_conditions_are_named(client, staff_admin):
    team = TeamFactory(name="SDR China", kind="sdr")
    client.force_login(staff_admin)
    url = reverse("admin:leads_routingrule_add")
    bad = client.post(
        url,
        {
            "name": "China",
            "order": 10,
            "active": "on",
            "applies_to": "mql",
            "conditions": '{"planet": ["mars"]}',
            "team": team.pk,
        },
    )
    assert bad.status_code == 200
    assert "planet" in bad.content.decode()
    assert not RoutingRule.objects.exists()
    both = client.post(
        url,
        {
            "name": "China",
            "order": 10,
            "applies_to": "mql",
            "conditions": "{}",
            "team": team.pk,
            "user": staff_admin.pk,
        },
    )
    assert "exactly one" in both.content.decode()
    good = client.post(
        url,
        {
            "name": "China",
            "order": 10,
            "active": "on",
            "applies_to": "mql",
            "conditions": '{"country": ["CN"]}',
            "team": team.pk,
        },
    )
    assert good.status_code == 302
    assert RoutingRule.objects.get().conditions == {"country": ["CN"]}


def test_marking_away_in_the_admin_reroutes_through_the_service(client, staff_admin, sdr):
    team = TeamFactory(name="SDR Pool", kind="sdr")
    team.members.add(sdr)
    lead = LeadFactory(stage="mql", owner=sdr, team=team)
    rep = RepSettings.objects.create(user=sdr)
    client.force_login(staff_admin)
    answer = client.post(
        reverse("admin:leads_repsettings_change", args=[rep.pk]),
        {"user": sdr.pk, "away": "on", "weight": 1, "daily_cap": ""},
    )
    assert answer.status_code == 302
    rep.refresh_from_db()
    lead.refresh_from_db()
    assert rep.away is True
    assert rep.away_since is not None
    assert lead.owner != sdr  # released: unaccepted leads go back through routing
    assert LeadEvent.objects.filter(lead=lead, kind="assignment").exists()
