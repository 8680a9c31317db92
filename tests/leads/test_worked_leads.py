"""After their step, the SDR and the AE go back to their list (the queue, the pipeline)
and keep reading the leads they worked (``leads.selectors.leads_worked_by``) — read
only: every action on a lead they no longer hold answers 403 and changes nothing;
a lead they never worked stays out of sight (404)."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from leads.models import LeadEvent, Opportunity, Qualification, Touch
from leads.people.models import Team
from leads.queue import work
from leads.selectors import leads_visible_to, leads_worked_by
from tests.factories import LeadFactory, TeamFactory

pytestmark = pytest.mark.django_db

# Every lead-page action with data its form accepts (a refusal must be the service's).
ACTIONS = {
    "accept": {},
    "touch": {"touch-channel": "call", "touch-outcome": "connected"},
    "qualify": {f"q-{n}": "yes" for n in work.FRAMEWORK_CRITERIA["bant"]},
    "convert": {},
    "return": {"return-reason": "bad_timing"},
    "disqualify": {"disqualify-reason": "no_need"},
    "sql_accept": {
        "sql_accept-amount": "1000",
        "sql_accept-currency": "CNY",
        "sql_accept-expected_close": "2030-01-01",
    },
    "sql_reject": {"sql_reject-reason": "no project", "sql_reject-to": "nurture"},
}


def act(client, lead, action, data=None):
    return client.post(reverse("leads:lead_act", args=[lead.pk, action]), data or {})


def state(lead):
    lead.refresh_from_db()
    return (
        lead.stage,
        lead.owner_id,
        lead.events.count(),
        Touch.objects.filter(lead=lead).count(),
        list(Qualification.objects.filter(lead=lead).values_list("criteria", flat=True)),
        Opportunity.objects.filter(lead=lead).count(),
    )


@pytest.fixture
def ae_team(ae):
    team = TeamFactory(name="AE North", kind="ae", mode=Team.Mode.ROUND_ROBIN)
    team.members.add(ae)
    return team


@pytest.fixture
def converted(client, sdr, sdr_team_east, ae_team, ae):
    """A SAL the SDR touched, qualified and converted on the lead page: now the AE's."""
    lead = LeadFactory(stage="sal", owner=sdr, team=sdr_team_east)
    client.force_login(sdr)
    assert act(client, lead, "touch", ACTIONS["touch"]).status_code == 302
    assert act(client, lead, "qualify", ACTIONS["qualify"]).status_code == 302
    response = act(client, lead, "convert")
    lead.refresh_from_db()
    assert (lead.stage, lead.owner) == ("sql", ae)
    return lead, response


def test_after_converting_the_sdr_returns_to_the_queue(converted):
    _, response = converted

    assert response.status_code == 302
    assert response["Location"] == reverse("leads:queue")


def test_the_sdr_still_reads_the_lead_they_converted_with_no_action_offered(
    client, converted, api_as, sdr
):
    lead, _ = converted

    page = client.get(reverse("leads:lead_detail", args=[lead.pk]))
    api = api_as(sdr).get(f"/api/v1/leads/{lead.pk}/")
    listed = client.get(reverse("leads:lead_list"))

    assert page.status_code == 200
    body = page.content.decode()
    assert 'data-stage="sql"' in body
    # read only: no working form, but the opt-out anyone who works leads may record
    # (a person's "do not contact" must be recordable by whoever hears it)
    assert re.findall(r'data-work-form="([^"]+)"', body) == ["opt_out"]
    note = re.search(r"data-read-only>(.*?)</p>", body).group(1)
    assert note == "You worked this lead; Alex Closer holds it now."
    assert api.status_code == 200
    assert f'href="/leads/{lead.pk}/"' in listed.content.decode()


@pytest.mark.parametrize("action", sorted(ACTIONS))
def test_every_action_on_a_worked_lead_is_refused_403_and_changes_nothing(
    client, converted, action
):
    lead, _ = converted
    before = state(lead)

    response = act(client, lead, action, ACTIONS[action])

    assert response.status_code == 403
    assert "data-work-error" in response.content.decode()
    assert state(lead) == before


def test_the_api_refuses_the_sdr_on_a_worked_lead_403(converted, api_as, sdr):
    lead, _ = converted
    before = state(lead)
    client = api_as(sdr)

    touch = client.post(
        f"/api/v1/leads/{lead.pk}/touches/",
        {"channel": "call", "outcome": "connected"},
        format="json",
    )
    convert = client.post(f"/api/v1/leads/{lead.pk}/convert/", {}, format="json")

    assert (touch.status_code, convert.status_code) == (403, 403)
    assert state(lead) == before


def test_a_pool_lead_the_sdr_never_worked_is_not_called_read_only(client, sdr, sdr_team_east):
    lead = LeadFactory(stage="mql", team=sdr_team_east, owner=None)
    client.force_login(sdr)

    page = client.get(reverse("leads:lead_detail", args=[lead.pk]))

    assert page.status_code == 200
    assert "data-read-only" not in page.content.decode()


def test_a_lead_the_sdr_never_worked_stays_out_of_sight(client, converted, other_sdr):
    lead, _ = converted
    client.force_login(other_sdr)
    before = state(lead)

    page = client.get(reverse("leads:lead_detail", args=[lead.pk]))
    touch = act(client, lead, "touch", ACTIONS["touch"])

    assert (page.status_code, touch.status_code) == (404, 404)
    assert state(lead) == before


def test_the_ae_goes_back_to_the_pipeline_after_accepting_an_sql(client, ae):
    lead = LeadFactory(stage="sql", owner=ae)
    client.force_login(ae)

    response = act(client, lead, "sql_accept", ACTIONS["sql_accept"])

    assert response.status_code == 302
    assert response["Location"] == reverse("leads:pipeline")
    assert Opportunity.objects.get(lead=lead).owner == ae


def test_the_ae_reads_the_sql_they_rejected_but_may_not_act_on_it(client, ae):
    lead = LeadFactory(stage="sql", owner=ae)
    client.force_login(ae)

    response = act(client, lead, "sql_reject", ACTIONS["sql_reject"])
    lead.refresh_from_db()
    before = state(lead)
    page = client.get(reverse("leads:lead_detail", args=[lead.pk]))
    touch = act(client, lead, "touch", ACTIONS["touch"])

    assert response["Location"] == reverse("leads:pipeline")
    assert (lead.stage, lead.owner_id) == ("nurture", None)
    assert page.status_code == 200
    assert touch.status_code == 403
    assert state(lead) == before


def test_the_ae_stays_on_the_lead_while_the_opportunity_is_open_then_returns(client, ae):
    lead = LeadFactory(stage="sql", owner=ae)
    client.force_login(ae)
    act(client, lead, "sql_accept", ACTIONS["sql_accept"])

    moved = act(client, lead, "opportunity", {"opportunity-stage": "validation"})
    won = act(client, lead, "opportunity", {"opportunity-stage": "won"})

    assert moved["Location"] == reverse("leads:lead_detail", args=[lead.pk])
    assert won["Location"] == reverse("leads:pipeline")
    lead.refresh_from_db()
    assert lead.stage == "won"


@pytest.mark.parametrize("action", ["accept", "touch"])
def test_the_sdr_stays_on_the_lead_while_there_is_work_left(client, sdr, action):
    lead = LeadFactory(stage="mql", owner=sdr)
    client.force_login(sdr)

    response = act(client, lead, action, ACTIONS[action])

    assert response.status_code == 302
    assert response["Location"] == reverse("leads:lead_detail", args=[lead.pk])


def test_leads_worked_by_counts_events_and_touches_whoever_holds_the_lead(sdr, other_sdr):
    by_event = LeadFactory(stage="nurture")
    LeadEvent.objects.create(lead=by_event, kind="touch", actor_user=sdr)
    by_touch = LeadFactory(stage="sql")
    Touch.objects.create(lead=by_touch, user=sdr, channel="call", outcome="connected")
    LeadFactory(stage="sql")  # nobody worked it
    someone_elses = LeadFactory(stage="nurture")
    LeadEvent.objects.create(lead=someone_elses, kind="touch", actor_user=other_sdr)

    assert set(leads_worked_by(user=sdr)) == {by_event, by_touch}
    assert set(leads_visible_to(viewer=sdr)) == {by_event, by_touch}


def test_visibility_stays_one_query_with_the_worked_leads(sdr, django_assert_num_queries):
    lead = LeadFactory(stage="nurture")
    Touch.objects.create(lead=lead, user=sdr, channel="call", outcome="connected")
    sdr.groups.all()  # noqa: B018 (roles are read once per user object: warm them)
    leads_visible_to(viewer=sdr)

    with django_assert_num_queries(1):
        assert list(leads_visible_to(viewer=sdr)) == [lead]
