"""The working-a-lead API: the permission matrix (every action × every role: 404
outside visibility, 403 when visible but forbidden, the lead unchanged), the 409
shape of a refused transition, 400s naming the field, the returns inbox and the
opportunities list."""

from __future__ import annotations

import pytest

from leads.models import LeadEvent, LeadReturn, Opportunity, Qualification, Touch
from leads.pipeline import services as pipeline_services
from leads.queue import work
from tests.factories import LeadFactory, TeamFactory, UserFactory
from tests.helpers import rolled_back

pytestmark = pytest.mark.django_db

ROLE_FIXTURES = {
    "sdr_owner": "sdr",
    "other_sdr": "other_sdr",
    "ae": "ae",
    "sales_manager": "sales_manager",
    "marketing": "marketer",
    "director": "director",
    "admin": "admin_user",
    "integration": "integration",
}
ROLES = list(ROLE_FIXTURES)


def _sdr_lead(cast, stage):
    return LeadFactory(stage=stage, owner=cast["sdr"], team=cast["sdr_team_east"])


def _touched(cast, stage):
    lead = _sdr_lead(cast, stage)
    for _ in range(6):
        Touch.objects.create(lead=lead, user=cast["sdr"], channel="call", outcome="no_answer")
    return lead


def _qualified(cast):
    lead = _sdr_lead(cast, "sal")
    Qualification.objects.create(
        lead=lead,
        framework="bant",
        criteria={n: {"value": "yes", "note": ""} for n in work.FRAMEWORK_CRITERIA["bant"]},
    )
    return lead


def _ae_lead(cast, stage="sql"):
    return LeadFactory(stage=stage, owner=cast["ae"])


def _opportunity(cast):
    lead = _ae_lead(cast)
    return pipeline_services.sql_accept(
        lead=lead, by=cast["ae"], amount=10, expected_close="2031-01-01"
    )


def _return(cast, dispute=False):
    lead = _sdr_lead(cast, "mql")
    row = work.lead_return(lead=lead, by=cast["sdr"], reason="not_icp", note="too small")
    if dispute:
        work.return_dispute(lead_return=row, by=cast["marketer"], note="they grew")
    return row


# Visibility of an SDR-owned lead of SDR East (managed by sales_manager).
SDR_LEAD = {
    "sdr_owner": 200,
    "other_sdr": 404,
    "ae": 404,
    "sales_manager": 403,
    "marketing": 403,
    "director": 403,
    "admin": 403,
    "integration": 403,
}
SDR_LEAD_READ = {
    **SDR_LEAD,
    "sales_manager": 200,
    "marketing": 200,
    "director": 200,
    "admin": 200,
    "integration": 200,
}
# An AE-owned SQL / opportunity: only read-all roles besides the AE see it.
AE_LEAD = {
    "sdr_owner": 404,
    "other_sdr": 404,
    "ae": 200,
    "sales_manager": 404,
    "marketing": 403,
    "director": 403,
    "admin": 403,
    "integration": 403,
}
# A lead that left sales (no owner): only read-all roles see it.
MARKETING_SIDE = {
    "sdr_owner": 404,
    "other_sdr": 404,
    "ae": 404,
    "sales_manager": 404,
    "marketing": 200,
    "director": 403,
    "admin": 403,
    "integration": 403,
}
# A lead the SDR returned: it left sales, but the SDR who worked it still reads it
# (leads.selectors.leads_worked_by), so their refusal is a 403, not a 404.
RETURNED_BY_SDR = {**MARKETING_SIDE, "sdr_owner": 403}

# action → (make the object, method, url, payload, expected per role, success code)
ACTIONS = {
    "accept": (
        lambda c: _sdr_lead(c, "mql"),
        "post",
        "/api/v1/leads/{id}/accept/",
        {},
        SDR_LEAD,
        200,
    ),
    "return": (
        lambda c: _sdr_lead(c, "mql"),
        "post",
        "/api/v1/leads/{id}/return/",
        {"reason": "bad_timing", "note": "next year"},
        SDR_LEAD,
        201,
    ),
    "touch": (
        lambda c: _sdr_lead(c, "sal"),
        "post",
        "/api/v1/leads/{id}/touches/",
        {"channel": "call", "outcome": "connected"},
        SDR_LEAD,
        201,
    ),
    "touch_list": (
        lambda c: _touched(c, "sal"),
        "get",
        "/api/v1/leads/{id}/touches/",
        None,
        SDR_LEAD_READ,
        200,
    ),
    "qualification_put": (
        lambda c: _sdr_lead(c, "sal"),
        "put",
        "/api/v1/leads/{id}/qualification/",
        {"criteria": {"budget": {"value": "yes", "note": "ok"}}},
        SDR_LEAD,
        200,
    ),
    "qualification_get": (
        lambda c: _qualified(c),
        "get",
        "/api/v1/leads/{id}/qualification/",
        None,
        SDR_LEAD_READ,
        200,
    ),
    "convert": (lambda c: _qualified(c), "post", "/api/v1/leads/{id}/convert/", {}, SDR_LEAD, 200),
    "disqualify": (
        lambda c: _touched(c, "sal"),
        "post",
        "/api/v1/leads/{id}/disqualify/",
        {"reason": "no_response"},
        SDR_LEAD,
        200,
    ),
    "resend": (
        lambda c: LeadFactory(stage="returned"),
        "post",
        "/api/v1/leads/{id}/resend/",
        {"note": "fixed"},
        MARKETING_SIDE,
        200,
    ),
    "reject": (
        lambda c: _ae_lead(c),
        "post",
        "/api/v1/leads/{id}/reject/",
        {"reason": "no project", "to": "nurture"},
        AE_LEAD,
        200,
    ),
    "opportunity_create": (
        lambda c: _ae_lead(c),
        "post",
        "/api/v1/opportunities/",
        {"lead": "{id}", "amount": "5000.00", "expected_close": "2031-06-30"},
        AE_LEAD,
        201,
    ),
    "opportunity_patch": (
        lambda c: _opportunity(c),
        "patch",
        "/api/v1/opportunities/{id}/",
        {"stage": "validation"},
        AE_LEAD,
        200,
    ),
    "dispute": (
        lambda c: _return(c),
        "post",
        "/api/v1/returns/{id}/dispute/",
        {"note": "they have 80 people"},
        RETURNED_BY_SDR,
        200,
    ),
    "settle": (
        lambda c: _return(c, dispute=True),
        "post",
        "/api/v1/returns/{id}/settle/",
        {"outcome": "overturned"},
        {**RETURNED_BY_SDR, "marketing": 403, "director": 200},
        200,
    ),
}


def _state(obj):
    """Everything an action may change, for the lead behind ``obj``."""
    lead = obj.lead if isinstance(obj, LeadReturn | Opportunity) else obj
    lead.refresh_from_db()
    return {
        "lead": (lead.stage, lead.owner_id, lead.team_id, lead.updated_at),
        "events": LeadEvent.objects.filter(lead=lead).count(),
        "touches": Touch.objects.filter(lead=lead).count(),
        "qualification": list(
            Qualification.objects.filter(lead=lead).values_list("criteria", flat=True)
        ),
        "returns": list(LeadReturn.objects.filter(lead=lead).values_list("dispute", "resolved_at")),
        "opportunities": list(Opportunity.objects.filter(lead=lead).values_list("stage", "amount")),
    }


def _make_cast() -> dict:
    """The cast as tests/conftest.py's fixtures make it (``ROLE_FIXTURES``' names and
    ``sdr_team_east``), for the matrix's 120 tests to share."""
    marketing_team = TeamFactory(name="Marketing", kind="marketing")
    east = TeamFactory(name="SDR East", kind="sdr")
    west = TeamFactory(name="SDR West", kind="sdr")
    marketer = UserFactory(
        username="mia", first_name="Mia", last_name="Marketing", roles=["marketing"]
    )
    marketing_team.members.add(marketer)
    sdr = UserFactory(username="sam", first_name="Sam", last_name="East", roles=["sdr"])
    east.members.add(sdr)
    other_sdr = UserFactory(username="wendy", first_name="Wendy", last_name="West", roles=["sdr"])
    west.members.add(other_sdr)
    sales_manager = UserFactory(
        username="max", first_name="Max", last_name="Manager", roles=["sales_manager"]
    )
    east.manager = sales_manager
    east.save()
    admin_user = UserFactory(username="ada", first_name="Ada", last_name="Admin", roles=["admin"])
    admin_user.is_staff = True
    admin_user.save()
    return {
        "sdr_team_east": east,
        "marketer": marketer,
        "sdr": sdr,
        "other_sdr": other_sdr,
        "ae": UserFactory(username="alex", first_name="Alex", last_name="Closer", roles=["ae"]),
        "sales_manager": sales_manager,
        "director": UserFactory(
            username="dana", first_name="Dana", last_name="Director", roles=["director"]
        ),
        "admin_user": admin_user,
        "integration": UserFactory(username="hubspot-sync", roles=["integration"]),
    }


class TestPermissionMatrix:
    """Every action × every role. The cast is made once for the class, inside a
    transaction rolled back after its last test (``tests.helpers.rolled_back``); what
    each test makes and does (the object, the action, tokens) is rolled back after it,
    with its own atomic block."""

    @pytest.fixture(scope="class")
    @classmethod
    def cast(cls, django_db_setup, django_db_blocker):
        with django_db_blocker.unblock(), rolled_back():
            yield _make_cast()

    @pytest.mark.parametrize("role", ROLES)
    @pytest.mark.parametrize("action", sorted(ACTIONS))
    def test_permission_matrix(self, action, role, cast, api_as):
        # given the whole cast and the object the action works on
        make, method, url, payload, expected, success = ACTIONS[action]
        obj = make(cast)
        if payload and payload.get("lead") == "{id}":
            payload = {**payload, "lead": obj.pk}
        before = _state(obj)
        # when the role tries it
        response = getattr(api_as(cast[ROLE_FIXTURES[role]]), method)(
            url.format(id=obj.pk), payload, format="json"
        )
        # then
        want = success if expected[role] == 200 else expected[role]
        assert response.status_code == want, response.content
        if want in (403, 404):
            assert response.json()["detail"]
            assert _state(obj) == before
        elif method != "get":
            assert _state(obj) != before


def test_unauthenticated_is_refused(api_client, sdr, sdr_team_east):
    lead = LeadFactory(stage="mql", owner=sdr, team=sdr_team_east)
    assert api_client.post(f"/api/v1/leads/{lead.pk}/accept/").status_code == 401
    assert api_client.get("/api/v1/returns/").status_code == 401
    assert api_client.get("/api/v1/opportunities/").status_code == 401


def test_a_refused_transition_answers_409_with_both_stages(api_as, sdr, sdr_team_east):
    lead = LeadFactory(stage="sal", owner=sdr, team=sdr_team_east)
    response = api_as(sdr).post(f"/api/v1/leads/{lead.pk}/accept/", format="json")
    assert response.status_code == 409
    body = response.json()
    assert (body["from_stage"], body["to_stage"]) == ("sal", "sal")
    assert "SAL" in body["detail"]
    response = api_as(sdr).post(
        f"/api/v1/leads/{lead.pk}/return/", {"reason": "bad_timing"}, format="json"
    )
    assert response.status_code == 201
    lead.refresh_from_db()
    assert lead.stage == "nurture"


def test_bad_input_answers_400_naming_the_field(api_as, sdr, sdr_team_east, settings):
    lead = LeadFactory(stage="sal", owner=sdr, team=sdr_team_east)
    client = api_as(sdr)
    url = f"/api/v1/leads/{lead.pk}"
    cases = [
        ("post", f"{url}/touches/", {"channel": "fax", "outcome": "connected"}, "channel"),
        (
            "post",
            f"{url}/touches/",
            {"channel": "call", "outcome": "connected", "at": "2025-01-01T10:00"},
            "at",
        ),
        ("put", f"{url}/qualification/", {"criteria": {"magic": "yes"}}, "criteria"),
        ("put", f"{url}/qualification/", {}, "criteria"),
        ("post", f"{url}/convert/", {}, "qualification"),
        ("post", f"{url}/disqualify/", {"reason": "no_response"}, "reason"),
        ("post", f"{url}/disqualify/", {"reason": "bored"}, "reason"),
        ("post", f"{url}/return/", {"reason": "grumpy"}, "reason"),
    ]
    for method, path, payload, field in cases:
        response = getattr(client, method)(path, payload, format="json")
        assert response.status_code == 400, (path, payload, response.content)
        assert field in response.json()["errors"], (path, payload, response.json())
    lead.refresh_from_db()
    assert lead.stage == "sal"
    assert not Touch.objects.exists()


def test_returns_inbox_lists_open_returns_with_reasons(api_as, sdr, sdr_team_east, marketer):
    kept = LeadFactory(stage="mql", owner=sdr, team=sdr_team_east)
    fixed = LeadFactory(stage="mql", owner=sdr, team=sdr_team_east)
    other = LeadFactory(stage="mql", owner=sdr, team=sdr_team_east)
    work.lead_return(lead=kept, by=sdr, reason="wrong_information", note="bad phone")
    work.lead_return(lead=fixed, by=sdr, reason="wrong_information", note="bad mail")
    work.lead_return(lead=other, by=sdr, reason="bad_timing")
    work.lead_resend(lead=fixed, by=marketer)
    client = api_as(marketer)
    inbox = client.get("/api/v1/returns/").json()
    assert [(r["lead"]["id"], r["reason"], r["note"]) for r in inbox] == [
        (kept.pk, "wrong_information", "bad phone")
    ]
    assert inbox[0]["counts_against_marketing"] is True
    assert len(client.get("/api/v1/returns/?status=all").json()) == 3
    assert client.get("/api/v1/returns/?status=bogus").status_code == 400
    # the leads left the SDR, who still reads the open one they returned (they worked it)
    mine = api_as(sdr).get("/api/v1/returns/").json()
    assert [(r["lead"]["id"], r["returned_by"]["id"]) for r in mine] == [(kept.pk, sdr.pk)]


def test_dispute_twice_answers_409(api_as, sdr, sdr_team_east, marketer):
    lead = LeadFactory(stage="mql", owner=sdr, team=sdr_team_east)
    row = work.lead_return(lead=lead, by=sdr, reason="not_icp")
    client = api_as(marketer)
    first = client.post(f"/api/v1/returns/{row.pk}/dispute/", {"note": "fit"}, format="json")
    assert first.status_code == 200
    assert first.json()["dispute"] == "open"
    again = client.post(f"/api/v1/returns/{row.pk}/dispute/", {"note": "fit"}, format="json")
    assert again.status_code == 409


def test_opportunity_flow_and_list(api_as, ae, director):
    lead = LeadFactory(stage="sql", owner=ae, source_channel="outbound")
    client = api_as(ae)
    created = client.post(
        "/api/v1/opportunities/",
        {"lead": lead.pk, "amount": "900.00", "expected_close": "2031-01-31"},
        format="json",
    )
    assert created.status_code == 201
    opp = created.json()
    assert (opp["stage"], opp["source"], opp["amount"]) == ("discovery", "sales", "900.00")
    lost = client.patch(f"/api/v1/opportunities/{opp['id']}/", {"stage": "lost"}, format="json")
    assert lost.status_code == 400
    assert "lost_reason" in lost.json()["errors"]
    closed = client.patch(
        f"/api/v1/opportunities/{opp['id']}/",
        {"stage": "lost", "lost_reason": "price"},
        format="json",
    )
    assert closed.status_code == 200
    assert closed.json()["closed_at"]
    lead.refresh_from_db()
    assert lead.stage == "lost"
    assert [o["id"] for o in api_as(director).get("/api/v1/opportunities/").json()] == [opp["id"]]
    missing = client.post("/api/v1/opportunities/", {"lead": lead.pk}, format="json")
    assert missing.status_code == 400
    assert "amount" in missing.json()["errors"]


def test_marketing_move_api(api_as, marketer, sdr):
    from tests.factories import LeadFactory

    lead = LeadFactory(stage="lost")
    assert api_as(sdr).post(
        f"/api/v1/leads/{lead.pk}/move/", {"to_stage": "nurture", "reason": "x"}, format="json"
    ).status_code in (403, 404)
    refused = api_as(marketer).post(
        f"/api/v1/leads/{lead.pk}/move/", {"to_stage": "mql", "reason": "x"}, format="json"
    )
    assert refused.status_code == 409
    assert (refused.json()["from_stage"], refused.json()["to_stage"]) == ("lost", "mql")
    missing = api_as(marketer).post(
        f"/api/v1/leads/{lead.pk}/move/", {"to_stage": "nurture"}, format="json"
    )
    assert missing.status_code == 400
    assert "reason" in missing.json()["errors"]
    done = api_as(marketer).post(
        f"/api/v1/leads/{lead.pk}/move/",
        {"to_stage": "nurture", "reason": "recycled"},
        format="json",
    )
    assert done.status_code == 200
    assert done.json()["stage"] == "nurture"
