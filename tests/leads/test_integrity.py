"""``leads.integrity`` and ``manage.py check_integrity``: leads worked through the
product's own services break no invariant; a fixture broken one way is found by the
invariant about it. (The seeded demo's zero violations: tests/leads/test_seed_demo.py.)"""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from leads import integrity
from leads.models import LeadEvent, LeadReturn, Opportunity, ScoringModelVersion
from leads.people import roles
from leads.people.models import Team
from leads.pipeline import services as pipeline
from leads.queue import work
from leads.scoring.rescore import OPEN_STAGES as RESCORED_STAGES
from tests.factories import LeadFactory, TeamFactory, UserFactory
from tests.helpers import rolled_back


def _new_lead(name: str):
    lead = LeadFactory(name=name)
    LeadEvent.objects.create(
        lead=lead, kind="created", to_stage="inquiry", actor_system="test", at=lead.received_at
    )
    return lead


def _world() -> dict:
    """Leads taken through the services: an MQL in an SDR's queue, a returned lead, an
    open opportunity (its SQL taken from the AE team's pool) and a won deal (routed to
    the AE by round-robin)."""
    marketing = UserFactory(username="integrity-marketing", roles=[roles.MARKETING])
    sdr = UserFactory(username="integrity-sdr", roles=[roles.SDR])
    sdr2 = UserFactory(username="integrity-sdr2", roles=[roles.SDR])
    ae = UserFactory(username="integrity-ae", roles=[roles.AE])
    sdr_team = TeamFactory(name="A SDRs", kind=Team.Kind.SDR, mode=Team.Mode.ROUND_ROBIN)
    sdr_team.members.add(sdr)
    ae_team = TeamFactory(name="A AEs", kind=Team.Kind.AE, mode=Team.Mode.ROUND_ROBIN)
    ae_team.members.add(ae)
    leads = {}
    for name in ("mql", "returned", "opportunity", "won"):
        lead = _new_lead(name)
        work.lead_marketing_move(lead=lead, by=marketing, to_stage="mql", reason="event")
        lead.refresh_from_db()
        leads[name] = lead
    work.lead_return(lead=leads["returned"], by=sdr, reason="wrong_information")
    for name in ("opportunity", "won"):
        lead = leads[name]
        # the first SQL waits in the AE team's pool until the AE takes it
        Team.objects.filter(pk=ae_team.pk).update(
            mode=Team.Mode.POOL if name == "opportunity" else Team.Mode.ROUND_ROBIN
        )
        work.lead_accept(lead=lead, by=sdr)
        work.touch_log(lead=lead, by=sdr, channel="call", outcome="connected")
        work.qualification_update(
            lead=lead, by=sdr, criteria=dict.fromkeys(work.FRAMEWORK_CRITERIA["bant"], "yes")
        )
        work.lead_convert(lead=lead, by=sdr)
        lead.refresh_from_db()
        pipeline.sql_accept(lead=lead, by=ae, amount="1000", expected_close="2030-01-31")
    pipeline.opportunity_update(opportunity=Opportunity.objects.get(lead=leads["won"]), by=ae,
                                stage="won")  # fmt: skip
    for lead in leads.values():
        lead.refresh_from_db()
    return {"leads": leads, "sdr": sdr, "sdr2": sdr2, "ae": ae, "ae_team": ae_team}


@pytest.fixture(scope="class")
def world(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), rolled_back():
        yield _world()


def _found(name: str) -> set[int]:
    (finding,) = integrity.integrity_check(names=[name], limit=50)
    return {pk for pk, _label in finding.leads}


def _update(lead, **fields):
    type(lead).objects.filter(pk=lead.pk).update(**fields)


def _mql(w):
    return w["leads"]["mql"]


def _event(lead, **fields):
    LeadEvent.objects.create(lead=lead, actor_system="test", **fields)


# Each invariant, and one way of breaking it: (invariant, lead broken, how).
def _clocks_tampered(lead) -> None:
    from sla.models import Clock

    Clock.objects.filter(lead=lead, term="acceptance").update(due_at=None)


BREAKERS = {
    # the SLA's invariant (sla.clocks.integrity, through leads.hooks.INVARIANTS)
    "sla_clocks_follow_events": ("mql", lambda w, lead: _clocks_tampered(lead)),
    "owned_open_has_assigned_at": ("mql", lambda w, lead: _update(lead, assigned_at=None)),
    "owned_open_has_assignment": ("mql", lambda w, lead: _update(lead, owner=w["sdr2"])),
    "mql_is_routed": (
        "mql",
        lambda w, lead: _update(lead, owner=None, team=None, assigned_at=None),
    ),
    "assigned_at_has_owner": ("mql", lambda w, lead: _update(lead, owner=None)),
    "side_stage_is_unheld": ("returned", lambda w, lead: _update(lead, owner=w["sdr"])),
    "owner_has_stage_role": ("mql", lambda w, lead: _update(lead, owner=w["ae"])),
    "team_kind_matches_stage": ("mql", lambda w, lead: _update(lead, team=w["ae_team"])),
    "opportunity_stage_has_opportunity": (
        "opportunity",
        lambda w, lead: Opportunity.objects.filter(lead=lead).delete(),
    ),
    "opportunity_agrees_with_lead": (
        "won",
        lambda w, lead: Opportunity.objects.filter(lead=lead).update(stage="negotiation"),
    ),
    "returned_has_open_return": (
        "returned",
        lambda w, lead: LeadReturn.objects.filter(lead=lead).update(resolved_at=timezone.now()),
    ),
    "open_return_is_returned": (
        "mql",
        lambda w, lead: LeadReturn.objects.create(
            lead=lead,
            returned_by=w["sdr"],
            reason="wrong_information",
            from_stage="mql",
            to_stage="returned",
        ),  # fmt: skip
    ),
    "stage_is_last_stage_event": ("mql", lambda w, lead: _update(lead, stage="sal")),
    "stage_changes_chain": (
        "mql",
        lambda w, lead: _event(lead, kind="stage_change", from_stage="sal", to_stage="sql"),
    ),
    "stage_changes_allowed": (
        "mql",
        lambda w, lead: _event(lead, kind="stage_change", from_stage="mql", to_stage="won"),
    ),
    "reached_mql_has_mql_at": ("won", lambda w, lead: _update(lead, mql_at=None)),
    "opted_out_not_in_sales": ("mql", lambda w, lead: _update(lead, do_not_contact=True)),
    "open_lead_scored": (
        "mql",
        lambda w, lead: ScoringModelVersion.objects.create(number=99, status="published"),
    ),
    "events_not_in_future": (
        "won",
        lambda w, lead: _event(lead, kind="note", at=timezone.now() + timedelta(hours=1)),
    ),
}


@pytest.mark.django_db
class TestInvariants:
    def test_leads_worked_through_the_services_break_nothing(self, world):
        assert {s: lead.stage for s, lead in world["leads"].items()} == {
            "mql": "mql",
            "returned": "returned",
            "opportunity": "opportunity",
            "won": "won",
        }
        findings = integrity.integrity_check()
        assert {f.invariant.name: f.count for f in findings if f.count} == {}
        assert len(findings) == len(integrity.all_invariants()) == len(BREAKERS)

    @pytest.mark.parametrize("name", sorted(BREAKERS))
    def test_each_broken_invariant_is_found(self, world, name):
        which, breaker = BREAKERS[name]
        lead = world["leads"][which]
        assert lead.pk not in _found(name)
        breaker(world, lead)
        assert lead.pk in _found(name)

    def test_the_command_lists_each_violation_with_its_lead_and_fails(self, world):
        lead = _mql(world)
        _update(lead, assigned_at=None, mql_at=None)
        out = StringIO()
        with pytest.raises(CommandError, match="2 invariants broken, 2 violations") as caught:
            call_command("check_integrity", stdout=out)
        assert caught.value.returncode == 1
        text = out.getvalue()
        assert "FAIL  owned_open_has_assigned_at: 1 lead" in text
        assert f"#{lead.pk}  mql" in text
        assert "ok    stage_is_last_stage_event" in text

    def test_the_command_options(self, world):
        out = StringIO()
        call_command("check_integrity", "--invariant", "mql_is_routed", stdout=out)
        assert "All 1 invariants hold." in out.getvalue()
        out = StringIO()
        call_command("check_integrity", "--list", stdout=out)
        assert all(name in out.getvalue() for name in integrity.BY_NAME)
        with pytest.raises(CommandError, match="Unknown invariant: nope"):
            call_command("check_integrity", "--invariant", "nope", stdout=StringIO())
        _update(_mql(world), stage="sal")
        out = StringIO()
        with pytest.raises(CommandError):
            call_command("check_integrity", "--limit", "0", stdout=out)
        assert "FAIL  stage_is_last_stage_event: 1 lead" in out.getvalue()
        assert "… and 1 more" in out.getvalue()
        assert "#" not in out.getvalue()


def test_the_scored_stages_are_the_rescores():
    assert set(integrity.SCORED_STAGES) == set(RESCORED_STAGES)
