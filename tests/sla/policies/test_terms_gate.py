"""The queue's gate before giving up on a lead is the published SLA terms' minimum
attempts (``period.min_attempts``, through ``leads.hooks.MIN_ATTEMPTS``): a new
version counts from its publication on, through the real API and services."""

from __future__ import annotations

import pytest

from leads import hooks
from leads.models import LeadEvent, Touch
from leads.queue import work
from sla import terms as sla_terms
from sla.models import TermSet
from sla.policies import selectors, services
from tests.factories import LeadFactory, publish_terms

TERMS = "/api/v1/sla/terms/"


def touch(client, lead):
    answer = client.post(
        f"/api/v1/leads/{lead.pk}/touches/",
        {"channel": "call", "outcome": "no_answer"},
        format="json",
    )
    assert answer.status_code == 201, answer.content


def disqualify(client, lead):
    return client.post(
        f"/api/v1/leads/{lead.pk}/disqualify/", {"reason": "no_response"}, format="json"
    )


def test_sla_fills_the_seam():
    assert hooks.MIN_ATTEMPTS.current is selectors.min_attempts_in_force


def test_publishing_a_minimum_of_3_lets_an_sdr_give_up_after_3_touches(
    api_as, director, sdr, sdr_team_east
):
    services.published_terms()
    assert hooks.min_attempts() == 6  # version 1: product.md's default
    boss = api_as(director)
    definition = sla_terms.default_definition()
    definition["period"]["min_attempts"] = 3
    draft = boss.post(TERMS, {"name": "Three tries", "definition": definition}, format="json")
    assert draft.status_code == 201, draft.json()
    lead = LeadFactory(stage="sal", owner=sdr, team=sdr_team_east)
    client = api_as(sdr)
    touch(client, lead)
    touch(client, lead)

    # a draft is not in force: still 6
    refused = disqualify(client, lead)
    assert refused.status_code == 400
    assert "at least 6 touch attempts (2 so far)" in refused.json()["errors"]["reason"][0]

    published = boss.post(f"{TERMS}{draft.json()['id']}/publish/")
    assert published.status_code == 200, published.json()
    assert hooks.min_attempts() == 3

    refused = disqualify(client, lead)
    assert refused.status_code == 400
    assert "at least 3 touch attempts (2 so far)" in refused.json()["errors"]["reason"][0]
    lead.refresh_from_db()
    assert (lead.stage, lead.owner_id) == ("sal", sdr.pk)

    touch(client, lead)
    answer = disqualify(client, lead)
    assert answer.status_code == 200, answer.json()
    lead.refresh_from_db()
    assert lead.stage == "disqualified"
    moved = LeadEvent.objects.get(lead=lead, kind="stage_change", to_stage="disqualified")
    assert moved.data["attempts"] == 3


def test_a_later_version_raises_the_bar_again(director, sdr, sdr_team_east):
    publish_terms(director, min_attempts=3)
    publish_terms(director, min_attempts=8)
    lead = LeadFactory(stage="mql", owner=sdr, team=sdr_team_east)
    for _ in range(7):
        Touch.objects.create(lead=lead, user=sdr, channel="call", outcome="no_answer")
    with pytest.raises(work.WorkInvalid) as invalid:
        work.lead_disqualify(lead=lead, by=sdr, reason="no_need")
    assert "at least 8 touch attempts (7 so far)" in invalid.value.errors["reason"][0]
    lead.refresh_from_db()
    assert lead.stage == "mql"


def test_zero_attempts_gives_up_at_once(director, sdr, sdr_team_east):
    publish_terms(director, min_attempts=0)
    lead = LeadFactory(stage="mql", owner=sdr, team=sdr_team_east)
    work.lead_disqualify(lead=lead, by=sdr, reason="no_need")
    lead.refresh_from_db()
    assert lead.stage == "disqualified"


def test_a_version_without_a_period_section_means_the_default(db, director):
    """Versions published before issue 13 hold no ``period``: product.md's 6."""
    version = services.published_terms()
    definition = dict(version.definition)
    definition.pop("period", None)
    TermSet.objects.filter(pk=version.pk).update(definition=definition)
    assert selectors.min_attempts_in_force() == 6


def test_nothing_published_means_the_default(db):
    TermSet.objects.all().delete()
    assert selectors.min_attempts_in_force() == 6


def test_the_gate_costs_one_query(db, director, django_assert_num_queries):
    publish_terms(director, min_attempts=4)
    with django_assert_num_queries(1):
        assert hooks.min_attempts() == 4
