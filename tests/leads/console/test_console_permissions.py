"""Every console URL × every role: admins 200 (or a redirect after a POST), everyone else
403 with nothing changed, anonymous people sent to the login page. The history is read
by directors too."""

from __future__ import annotations

import pytest
from django.urls import reverse

from leads.audit.models import AuditRecord
from leads.models import DomainListEntry, RoutingRule, Stage
from tests.factories import LeadFactory, UserFactory

pytestmark = pytest.mark.django_db

ROLES = [
    "marketer",
    "sdr",
    "ae",
    "sales_manager",
    "director",
    "admin_user",
    "integration",
    "outsider",
]


@pytest.fixture
def objects(sdr_team_east):
    person = UserFactory(username="newbie", roles=["sdr"])
    rule = RoutingRule.objects.create(name="APAC", team=sdr_team_east, conditions={})
    entry = DomainListEntry.objects.create(kind="competitor", domain="rival.example")
    lead = LeadFactory(stage=Stage.MQL)
    return {"person": person, "team": sdr_team_east, "rule": rule, "entry": entry, "lead": lead}


def _urls(o) -> list[tuple[str, str, dict]]:
    """(method, path, data) of every console page and action."""
    p, t, r = o["person"].pk, o["team"].pk, o["rule"].pk
    return [
        ("get", reverse("console:index"), {}),
        ("get", reverse("console:people"), {}),
        ("post", reverse("console:people"), {"username": "x1", "roles": ["sdr"]}),
        ("get", reverse("console:person", args=[p]), {}),
        (
            "post",
            reverse("console:person", args=[p]),
            {"first_name": "N", "email": "n@example.com", "roles": ["sdr"]},
        ),
        ("post", reverse("console:person_routing", args=[p]), {"weight": 3}),
        ("post", reverse("console:person_invite", args=[p]), {}),
        ("post", reverse("console:person_active", args=[p]), {"active": "0"}),
        ("get", reverse("console:teams"), {}),
        (
            "post",
            reverse("console:teams"),
            {"name": "T2", "kind": "sdr", "mode": "pool", "framework": "bant"},
        ),
        ("get", reverse("console:team", args=[t]), {}),
        (
            "post",
            reverse("console:team", args=[t]),
            {"name": "T3", "kind": "sdr", "mode": "pool", "framework": "bant"},
        ),
        ("get", reverse("console:rules"), {}),
        ("get", reverse("console:rules") + f"?try=1&lead={o['lead'].pk}&applies_to=mql", {}),
        ("post", reverse("console:rules"), {"name": "R", "applies_to": "mql", "team": t}),
        ("get", reverse("console:rule", args=[r]), {}),
        ("post", reverse("console:rule", args=[r]), {"name": "R2", "applies_to": "mql", "team": t}),
        ("post", reverse("console:rule_move", args=[r]), {"direction": "down"}),
        ("post", reverse("console:rule_active", args=[r]), {"active": "0"}),
        ("post", reverse("console:route_now", args=[o["lead"].pk]), {}),
        ("get", reverse("console:domains"), {}),
        ("post", reverse("console:domains"), {"kind": "customer", "domain": "c.example"}),
        ("post", reverse("console:domain_remove", args=[o["entry"].pk]), {}),
        ("get", reverse("console:history"), {}),
    ]


@pytest.mark.parametrize("role", ROLES)
def test_only_admins_use_the_console(client, request, objects, role):
    user = request.getfixturevalue(role)
    client.force_login(user)
    domains = DomainListEntry.objects.count()
    for method, path, data in _urls(objects):
        response = getattr(client, method)(path, data)
        if role == "admin_user":
            assert response.status_code in (200, 302), (method, path, response.status_code)
        elif role == "director" and path.startswith(reverse("console:history")):
            assert response.status_code == 200, path
        else:
            assert response.status_code == 403, (role, method, path, response.status_code)
    if role != "admin_user":
        assert AuditRecord.objects.count() == 0
        objects["person"].refresh_from_db()
        assert objects["person"].is_active
        assert DomainListEntry.objects.count() == domains
        assert RoutingRule.objects.get().name == "APAC"


def test_anonymous_people_are_sent_to_log_in(client, objects):
    for method, path, data in _urls(objects):
        response = getattr(client, method)(path, data)
        assert response.status_code == 302, (method, path)
        assert response["Location"].startswith("/accounts/login/"), path
    assert AuditRecord.objects.count() == 0
