"""leads.queue.work: every stage move checked against leads.lifecycle's table, returns per
reason, disputes, touches, BANT / MEDDIC, the convert gate, the disqualify attempts
rule, and the AE's side (accept an SQL, reject it, move the opportunity)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from leads import hooks, lifecycle
from leads.models import LeadEvent, LeadReturn, Opportunity, Qualification, Stage, Touch
from leads.people.models import Team
from leads.pipeline import services as pipeline_services
from leads.queue import work
from tests.factories import LeadFactory, TeamFactory, UserFactory, publish_terms

pytestmark = pytest.mark.django_db

ALL_STAGES = list(Stage.values)


def _lead(stage, owner=None, team=None, **extra):
    return LeadFactory(stage=stage, owner=owner, team=team, **extra)


def _yes(lead, framework="bant"):
    Qualification.objects.create(
        lead=lead,
        framework=framework,
        criteria={
            name: {"value": "yes", "note": ""} for name in work.FRAMEWORK_CRITERIA[framework]
        },
    )


def _touches(lead, user, n):
    for _ in range(n):
        Touch.objects.create(lead=lead, user=user, channel="call", outcome="no_answer")


def _snapshot(lead):
    lead.refresh_from_db()
    return (
        lead.stage,
        lead.owner_id,
        lead.team_id,
        lead.events.count(),
        LeadReturn.objects.filter(lead=lead).count(),
        Opportunity.objects.filter(lead=lead).count(),
    )


# --- every transition through the services ---------------------------------------

# (service name, target stage, lifecycle actor, who acts, setup, call)
SDR_MOVES = {
    "accept": (lifecycle.SAL, lambda lead, by: work.lead_accept(lead=lead, by=by)),
    "convert": (lifecycle.SQL, lambda lead, by: work.lead_convert(lead=lead, by=by)),
    "disqualify": (
        lifecycle.DISQUALIFIED,
        lambda lead, by: work.lead_disqualify(lead=lead, by=by, reason="no_response"),
    ),
    **{
        f"return_{reason}_{target}": (
            target,
            lambda lead, by, reason=reason, target=target: work.lead_return(
                lead=lead, by=by, reason=reason, note="n", choice=target
            ),
        )
        for reason, targets in lifecycle.RETURN_TARGETS.items()
        for target in targets
    },
}


@pytest.mark.parametrize("from_stage", ALL_STAGES)
@pytest.mark.parametrize("move", sorted(SDR_MOVES))
def test_sdr_moves_follow_the_lifecycle_table(move, from_stage, sdr, sdr_team_east):
    # given an SDR's lead in from_stage, qualified and touched enough
    to_stage, call = SDR_MOVES[move]
    lead = _lead(from_stage, owner=sdr, team=sdr_team_east)
    _yes(lead)
    _touches(lead, sdr, 6)
    allowed = lifecycle.check_transition(from_stage, to_stage, "sdr") is None
    before = _snapshot(lead)
    if allowed:
        call(lead, sdr)
        lead.refresh_from_db()
        assert lead.stage == to_stage
        event = lead.events.filter(kind="stage_change").get()
        assert (event.from_stage, event.to_stage, event.actor_user) == (from_stage, to_stage, sdr)
    else:
        with pytest.raises(work.TransitionRefused) as refused:
            call(lead, sdr)
        assert (refused.value.from_stage, refused.value.to_stage) == (from_stage, to_stage)
        assert str(Stage(from_stage).label) in str(refused.value)
        assert str(Stage(to_stage).label) in str(refused.value)
        assert _snapshot(lead) == before


@pytest.mark.parametrize("from_stage", ALL_STAGES)
def test_resend_follows_the_table(from_stage, marketer):
    lead = _lead(from_stage)
    before = _snapshot(lead)
    if lifecycle.check_transition(from_stage, "mql", "marketing") is None:
        work.lead_resend(lead=lead, by=marketer, note="fixed the phone")
        lead.refresh_from_db()
        assert lead.stage == "mql"
    else:
        with pytest.raises(work.TransitionRefused):
            work.lead_resend(lead=lead, by=marketer)
        assert _snapshot(lead) == before


AE_MOVES = {
    "sql_accept": (
        lifecycle.OPPORTUNITY,
        lambda lead, by: pipeline_services.sql_accept(
            lead=lead, by=by, amount="1000", expected_close="2031-01-31"
        ),
    ),
    "reject_nurture": (
        lifecycle.NURTURE,
        lambda lead, by: pipeline_services.sql_reject(
            lead=lead, by=by, reason="no project", to="nurture"
        ),
    ),
    "reject_disqualified": (
        lifecycle.DISQUALIFIED,
        lambda lead, by: pipeline_services.sql_reject(
            lead=lead, by=by, reason="tiny", to="disqualified"
        ),
    ),
}


@pytest.mark.parametrize("from_stage", ALL_STAGES)
@pytest.mark.parametrize("move", sorted(AE_MOVES))
def test_ae_moves_follow_the_lifecycle_table(move, from_stage, ae):
    to_stage, call = AE_MOVES[move]
    lead = _lead(from_stage, owner=ae)
    before = _snapshot(lead)
    if lifecycle.check_transition(from_stage, to_stage, "ae") is None:
        call(lead, ae)
        lead.refresh_from_db()
        assert lead.stage == to_stage
    else:
        with pytest.raises(work.TransitionRefused):
            call(lead, ae)
        assert _snapshot(lead) == before


# --- accept, returns, re-send ---------------------------------------------------


def test_only_the_owning_sdr_accepts(sdr, other_sdr, sdr_team_east):
    lead = _lead("mql", owner=sdr, team=sdr_team_east)
    with pytest.raises(work.WorkForbidden):
        work.lead_accept(lead=lead, by=other_sdr)
    lead.refresh_from_db()
    assert lead.stage == "mql"
    work.lead_accept(lead=lead, by=sdr)
    lead.refresh_from_db()
    assert lead.stage == "sal"
    assert lead.owner == sdr


EXPECTED_RETURNS = [
    ("wrong_information", None, "returned"),
    ("not_icp", None, "nurture"),
    ("not_icp", "disqualified", "disqualified"),
    ("bad_timing", None, "nurture"),
    ("already_customer", None, "customer_success"),
    ("competitor", None, "excluded"),
]


@pytest.mark.parametrize(("reason", "choice", "target"), EXPECTED_RETURNS)
def test_return_routes_each_reason(reason, choice, target, sdr, sdr_team_east):
    lead = _lead("sal", owner=sdr, team=sdr_team_east)
    row = work.lead_return(lead=lead, by=sdr, reason=reason, note="why", choice=choice)
    lead.refresh_from_db()
    assert lead.stage == target
    assert (lead.owner, lead.team, lead.assigned_at) == (None, None, None)
    assert lead.already_customer is (reason == "already_customer")
    assert (row.reason, row.from_stage, row.to_stage, row.note) == (reason, "sal", target, "why")
    kinds = list(lead.events.values_list("kind", "from_stage", "to_stage", "reason"))
    assert kinds == [("return", "sal", target, reason), ("stage_change", "sal", target, reason)]
    assert row.counts_against_marketing is (reason in ("wrong_information", "not_icp"))


def test_a_return_choice_outside_the_reason_is_refused(sdr, sdr_team_east):
    lead = _lead("mql", owner=sdr, team=sdr_team_east)
    with pytest.raises(work.WorkInvalid) as invalid:
        work.lead_return(lead=lead, by=sdr, reason="bad_timing", choice="disqualified")
    assert "to" in invalid.value.errors
    with pytest.raises(work.WorkInvalid) as invalid:
        work.lead_return(lead=lead, by=sdr, reason="grumpy")
    assert "reason" in invalid.value.errors
    lead.refresh_from_db()
    assert lead.stage == "mql"
    assert not LeadReturn.objects.exists()


def test_resend_routes_again_and_resolves_the_return(sdr, sdr_team_east, marketer):
    lead = _lead("mql", owner=sdr, team=sdr_team_east)
    row = work.lead_return(lead=lead, by=sdr, reason="wrong_information", note="bad phone")
    seen = []
    hooks.MQL_HOOKS.append(seen.append)
    try:
        work.lead_resend(lead=lead, by=marketer, note="phone fixed")
    finally:
        hooks.MQL_HOOKS.remove(seen.append)
    lead.refresh_from_db()
    row.refresh_from_db()
    assert lead.stage == "mql"
    assert lead.mql_at is not None
    assert [x.pk for x in seen] == [lead.pk]
    assert row.resolved_at is not None


def test_only_marketing_resends(sdr, director):
    lead = _lead("returned")
    with pytest.raises(work.WorkForbidden):
        work.lead_resend(lead=lead, by=director)
    lead.refresh_from_db()
    assert lead.stage == "returned"


# --- disputes ------------------------------------------------------------------


def _returned(sdr, team, reason):
    lead = _lead("mql", owner=sdr, team=team)
    return work.lead_return(lead=lead, by=sdr, reason=reason)


def test_dispute_once_then_a_director_overturns(sdr, sdr_team_east, marketer, director):
    row = _returned(sdr, sdr_team_east, "not_icp")
    assert row.counts_against_marketing
    work.return_dispute(lead_return=row, by=marketer, note="they are 80 people")
    row.refresh_from_db()
    assert (row.dispute, row.disputed_by, row.dispute_note) == (
        "open",
        marketer,
        "they are 80 people",
    )
    assert row.counts_against_marketing  # until settled
    with pytest.raises(work.WorkConflict):
        work.return_dispute(lead_return=row, by=marketer, note="again")
    with pytest.raises(work.WorkForbidden):
        work.return_settle(lead_return=row, by=marketer, outcome="overturned")
    work.return_settle(lead_return=row, by=director, outcome="overturned", note="fair")
    row.refresh_from_db()
    assert (row.dispute, row.settled_by) == ("overturned", director)
    assert not row.counts_against_marketing
    events = list(row.lead.events.filter(kind="dispute").values_list("reason", "actor_user"))
    assert events == [("open", marketer.pk), ("overturned", director.pk)]
    with pytest.raises(work.WorkConflict):
        work.return_settle(lead_return=row, by=director, outcome="upheld")
    with pytest.raises(work.WorkConflict):
        work.return_dispute(lead_return=row, by=marketer, note="once more")


def test_an_upheld_dispute_still_counts(sdr, sdr_team_east, marketer, director):
    row = _returned(sdr, sdr_team_east, "wrong_information")
    work.return_dispute(lead_return=row, by=marketer, note="the form was right")
    work.return_settle(lead_return=row, by=director, outcome="upheld")
    row.refresh_from_db()
    assert row.dispute == "upheld"
    assert row.counts_against_marketing


@pytest.mark.parametrize("reason", ["bad_timing", "already_customer", "competitor"])
def test_only_quality_returns_are_disputed(reason, sdr, sdr_team_east, marketer):
    row = _returned(sdr, sdr_team_east, reason)
    with pytest.raises(work.WorkConflict):
        work.return_dispute(lead_return=row, by=marketer, note="no")
    row.refresh_from_db()
    assert row.dispute == ""
    assert not row.counts_against_marketing


def test_a_dispute_needs_a_note_and_settling_a_known_outcome(
    sdr, sdr_team_east, marketer, director
):
    row = _returned(sdr, sdr_team_east, "not_icp")
    with pytest.raises(work.WorkInvalid) as invalid:
        work.return_dispute(lead_return=row, by=marketer, note=" ")
    assert "note" in invalid.value.errors
    work.return_dispute(lead_return=row, by=marketer, note="fit")
    with pytest.raises(work.WorkInvalid) as invalid:
        work.return_settle(lead_return=row, by=director, outcome="maybe")
    assert "outcome" in invalid.value.errors


# --- touches -------------------------------------------------------------------


def test_touch_log_records_a_touch_and_an_event(sdr, sdr_team_east):
    lead = _lead("sal", owner=sdr, team=sdr_team_east)
    at = timezone.now() - dt.timedelta(hours=1)
    touch = work.touch_log(
        lead=lead, by=sdr, channel="wechat", outcome="replied", note="hi", at=at.isoformat()
    )
    assert (touch.channel, touch.outcome, touch.at, touch.user) == ("wechat", "replied", at, sdr)
    event = lead.events.get(kind="touch")
    assert (event.reason, event.data["touch_id"], event.at) == ("replied", touch.pk, at)


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("channel", {"channel": "pigeon"}),
        ("outcome", {"outcome": "maybe"}),
        ("at", {"at": "2025-03-01T09:30:00"}),
        ("at", {"at": (timezone.now() + dt.timedelta(hours=1)).isoformat()}),
        ("at", {"at": "yesterday"}),
    ],
)
def test_touch_log_refuses_bad_input(field, kwargs, sdr, sdr_team_east):
    lead = _lead("sal", owner=sdr, team=sdr_team_east)
    given = {"channel": "call", "outcome": "connected", **kwargs}
    with pytest.raises(work.WorkInvalid) as invalid:
        work.touch_log(lead=lead, by=sdr, **given)
    assert list(invalid.value.errors) == [field]
    assert not Touch.objects.exists()


def test_marketing_and_other_sdrs_cannot_log_touches(sdr, other_sdr, marketer, sdr_team_east):
    lead = _lead("sal", owner=sdr, team=sdr_team_east)
    for user in (marketer, other_sdr):
        with pytest.raises(work.WorkForbidden):
            work.touch_log(lead=lead, by=user, channel="call", outcome="connected")
    assert not Touch.objects.exists()
    assert not lead.events.exists()


# --- qualification and convert -------------------------------------------------


def test_bant_by_default_and_convert_needs_every_criterion(sdr):
    lead = _lead("sal", owner=sdr)  # no team on the lead; sdr's team is BANT
    state = work.qualification_update(
        lead=lead, by=sdr, criteria={"budget": {"value": "yes", "note": "200k"}}
    )
    assert state.framework == "bant"
    assert state.criteria["budget"] == {"value": "yes", "note": "200k"}
    assert state.missing == ("authority", "need", "timing")
    with pytest.raises(work.WorkInvalid) as invalid:
        work.lead_convert(lead=lead, by=sdr)
    assert invalid.value.errors["qualification"] == [
        "These required criteria are not “yes” yet: Authority, Need, Timing."
    ]
    lead.refresh_from_db()
    assert lead.stage == "sal"
    work.qualification_update(
        lead=lead, by=sdr, criteria={n: "yes" for n in ("authority", "need", "timing")}
    )
    seen = []
    hooks.SQL_HOOKS.append(seen.append)
    try:
        work.lead_convert(lead=lead, by=sdr)
    finally:
        hooks.SQL_HOOKS.remove(seen.append)
    lead.refresh_from_db()
    assert lead.stage == "sql"
    assert [x.pk for x in seen] == [lead.pk]
    assert lead.events.filter(kind="qualification").count() == 2


def test_meddic_team_with_required_criteria(sdr):
    team = TeamFactory(
        name="Enterprise",
        kind="sdr",
        framework="meddic",
        required_criteria=["economic_buyer", "champion"],
    )
    lead = _lead("sal", owner=sdr, team=team)
    with pytest.raises(work.WorkInvalid) as invalid:
        work.qualification_update(lead=lead, by=sdr, criteria={"budget": "yes", "magic": "no"})
    assert "budget, magic" in invalid.value.errors["criteria"][0]
    with pytest.raises(work.WorkInvalid) as invalid:
        work.qualification_update(lead=lead, by=sdr, criteria={"champion": "perhaps"})
    assert list(invalid.value.errors) == ["criteria.champion"]
    state = work.qualification_update(
        lead=lead, by=sdr, criteria={"champion": {"value": "yes", "note": "Li"}, "metrics": "no"}
    )
    assert (state.framework, state.required, state.missing) == (
        "meddic",
        ("economic_buyer", "champion"),
        ("economic_buyer",),
    )
    work.qualification_update(lead=lead, by=sdr, criteria={"economic_buyer": "yes"})
    work.lead_convert(lead=lead, by=sdr)  # metrics "no" is not required
    lead.refresh_from_db()
    assert lead.stage == "sql"


def test_marketing_cannot_qualify_or_convert(sdr, marketer, sdr_team_east):
    lead = _lead("sal", owner=sdr, team=sdr_team_east)
    _yes(lead)
    with pytest.raises(work.WorkForbidden):
        work.qualification_update(lead=lead, by=marketer, criteria={"budget": "no"})
    with pytest.raises(work.WorkForbidden):
        work.lead_convert(lead=lead, by=marketer)
    lead.refresh_from_db()
    assert lead.stage == "sal"
    assert Qualification.objects.get(lead=lead).criteria["budget"]["value"] == "yes"


# --- disqualify -----------------------------------------------------------------


def test_disqualify_needs_the_minimum_attempts(sdr, other_sdr, sdr_team_east, director):
    publish_terms(director, min_attempts=3)  # the published SLA terms' minimum
    lead = _lead("sal", owner=sdr, team=sdr_team_east)
    _touches(lead, sdr, 2)
    with pytest.raises(work.WorkInvalid) as invalid:
        work.lead_disqualify(lead=lead, by=sdr, reason="no_response")
    assert "3" in invalid.value.errors["reason"][0]
    assert "2" in invalid.value.errors["reason"][0]
    lead.refresh_from_db()
    assert lead.stage == "sal"
    _touches(lead, other_sdr, 1)  # touches by anyone on the lead count
    work.lead_disqualify(lead=lead, by=sdr, reason="no_response", note="6 weeks silent")
    lead.refresh_from_db()
    assert lead.stage == "disqualified"
    assert lead.owner is None
    assert lead.events.get(kind="stage_change").data["attempts"] == 3


def test_disqualify_default_minimum_is_six(sdr, sdr_team_east):
    lead = _lead("mql", owner=sdr, team=sdr_team_east)
    _touches(lead, sdr, 5)
    with pytest.raises(work.WorkInvalid):
        work.lead_disqualify(lead=lead, by=sdr, reason="no_need")
    _touches(lead, sdr, 1)
    work.lead_disqualify(lead=lead, by=sdr, reason="no_need")
    lead.refresh_from_db()
    assert lead.stage == "disqualified"


def test_not_icp_disqualifies_at_once_as_a_return(sdr, sdr_team_east):
    lead = _lead("mql", owner=sdr, team=sdr_team_east)
    work.lead_disqualify(lead=lead, by=sdr, reason="not_icp", note="5 people")
    lead.refresh_from_db()
    assert lead.stage == "disqualified"
    row = LeadReturn.objects.get(lead=lead)
    assert (row.reason, row.to_stage, row.counts_against_marketing) == (
        "not_icp",
        "disqualified",
        True,
    )


def test_a_competitor_is_returned_and_excluded_not_disqualified(sdr, sdr_team_east):
    lead = _lead("sal", owner=sdr, team=sdr_team_east)
    work.lead_disqualify(lead=lead, by=sdr, reason="competitor")
    lead.refresh_from_db()
    assert lead.stage == "excluded"
    assert LeadReturn.objects.get(lead=lead).reason == "competitor"


# --- the AE ---------------------------------------------------------------------


@pytest.mark.parametrize(("channel", "source"), [("website", "marketing"), ("outbound", "sales")])
def test_sql_accept_creates_the_opportunity_with_its_source(channel, source, ae):
    lead = _lead("sql", owner=ae, source_channel=channel, campaign="expo", company_name="ACME")
    opp = pipeline_services.sql_accept(
        lead=lead, by=ae, amount="12500.50", expected_close="2031-03-31"
    )
    assert (opp.source, opp.source_channel, opp.campaign, opp.name) == (
        source,
        channel,
        "expo",
        "ACME",
    )
    assert (opp.amount, opp.expected_close, opp.stage, opp.currency) == (
        Decimal("12500.50"),
        dt.date(2031, 3, 31),
        "discovery",
        "CNY",
    )
    lead.refresh_from_db()
    assert lead.stage == "opportunity"


def test_an_ae_in_the_team_holding_an_unowned_sql_may_accept(ae):
    team = TeamFactory(name="AE North", kind=Team.Kind.AE)
    team.members.add(ae)
    lead = _lead("sql", team=team)
    opp = pipeline_services.sql_accept(
        lead=lead, by=ae, amount=1, expected_close=dt.date(2031, 1, 1)
    )
    lead.refresh_from_db()
    assert lead.owner == ae
    assert opp.owner == ae


@pytest.mark.parametrize(
    ("field", "kwargs"),
    [
        ("amount", {"amount": "lots"}),
        ("amount", {"amount": "-1"}),
        ("expected_close", {"expected_close": "soon"}),
        ("currency", {"currency": "EURO"}),
    ],
)
def test_sql_accept_refuses_bad_input(field, kwargs, ae):
    lead = _lead("sql", owner=ae)
    given = {"amount": "10", "expected_close": "2031-01-01", **kwargs}
    with pytest.raises(work.WorkInvalid) as invalid:
        pipeline_services.sql_accept(lead=lead, by=ae, **given)
    assert list(invalid.value.errors) == [field]
    lead.refresh_from_db()
    assert lead.stage == "sql"
    assert not Opportunity.objects.exists()


def test_another_ae_cannot_accept(ae):
    other = UserFactory(username="other-ae", roles=["ae"])
    lead = _lead("sql", owner=ae)
    with pytest.raises(work.WorkForbidden):
        pipeline_services.sql_accept(lead=lead, by=other, amount=1, expected_close="2031-01-01")
    lead.refresh_from_db()
    assert lead.stage == "sql"


def test_opportunity_moves_forward_then_closes_lost_with_a_reason(ae):
    lead = _lead("sql", owner=ae)
    opp = pipeline_services.sql_accept(lead=lead, by=ae, amount=100, expected_close="2031-01-01")
    pipeline_services.opportunity_update(opportunity=opp, by=ae, stage="validation", amount="150")
    assert (opp.stage, opp.amount) == ("validation", Decimal("150"))
    with pytest.raises(work.WorkConflict):
        pipeline_services.opportunity_update(opportunity=opp, by=ae, stage="discovery")
    with pytest.raises(work.WorkInvalid) as invalid:
        pipeline_services.opportunity_update(opportunity=opp, by=ae, stage="lost")
    assert list(invalid.value.errors) == ["lost_reason"]
    pipeline_services.opportunity_update(opportunity=opp, by=ae, stage="negotiation")
    pipeline_services.opportunity_update(opportunity=opp, by=ae, stage="lost", lost_reason="price")
    opp.refresh_from_db()
    lead.refresh_from_db()
    assert (opp.stage, opp.lost_reason, lead.stage) == ("lost", "price", "lost")
    assert opp.closed_at is not None
    last = lead.events.filter(kind="stage_change").last()
    assert (last.from_stage, last.to_stage, last.reason) == ("opportunity", "lost", "price")
    with pytest.raises(work.WorkConflict):
        pipeline_services.opportunity_update(opportunity=opp, by=ae, stage="won")


def test_opportunity_won_moves_the_lead(ae, director):
    lead = _lead("sql", owner=ae)
    opp = pipeline_services.sql_accept(lead=lead, by=ae, amount=100, expected_close="2031-01-01")
    with pytest.raises(work.WorkForbidden):
        pipeline_services.opportunity_update(opportunity=opp, by=director, stage="won")
    pipeline_services.opportunity_update(opportunity=opp, by=ae, stage="won")
    lead.refresh_from_db()
    assert lead.stage == "won"
    assert LeadEvent.objects.filter(lead=lead, to_stage="won", actor_user=ae).count() == 1


def test_sql_reject_needs_a_reason_and_a_known_target(ae):
    lead = _lead("sql", owner=ae)
    with pytest.raises(work.WorkInvalid) as invalid:
        pipeline_services.sql_reject(lead=lead, by=ae, reason="")
    assert list(invalid.value.errors) == ["reason"]
    with pytest.raises(work.WorkInvalid) as invalid:
        pipeline_services.sql_reject(lead=lead, by=ae, reason="x", to="returned")
    assert list(invalid.value.errors) == ["to"]
    pipeline_services.sql_reject(lead=lead, by=ae, reason="no budget this year", to="nurture")
    lead.refresh_from_db()
    assert (lead.stage, lead.owner) == ("nurture", None)


# --- marketing's own moves ----------------------------------------------------------


@pytest.mark.parametrize(
    ("from_stage", "to_stage"),
    [
        ("inquiry", "mql"),
        ("inquiry", "nurture"),
        ("inquiry", "disqualified"),
        ("inquiry", "excluded"),
        ("returned", "nurture"),
        ("returned", "disqualified"),
        ("lost", "nurture"),
    ],
)
def test_marketing_moves_in_the_table(marketer, from_stage, to_stage):
    from leads.models import LeadEvent
    from leads.queue.work import lead_marketing_move
    from tests.factories import LeadFactory

    lead = LeadFactory(stage=from_stage)
    lead_marketing_move(lead=lead, by=marketer, to_stage=to_stage, reason="cleanup")
    lead.refresh_from_db()
    assert lead.stage == to_stage
    event = LeadEvent.objects.get(lead=lead, kind="stage_change")
    assert (event.from_stage, event.to_stage, event.actor_user) == (from_stage, to_stage, marketer)
    assert (lead.mql_at is not None) == (to_stage == "mql")


@pytest.mark.parametrize(("from_stage", "to_stage"), [("mql", "sal"), ("won", "nurture")])
def test_marketing_moves_outside_the_table_are_refused(marketer, from_stage, to_stage):
    from leads.queue.work import TransitionRefused, lead_marketing_move
    from tests.factories import LeadFactory

    lead = LeadFactory(stage=from_stage)
    with pytest.raises(TransitionRefused):
        lead_marketing_move(lead=lead, by=marketer, to_stage=to_stage, reason="x")
    lead.refresh_from_db()
    assert lead.stage == from_stage


def test_only_marketing_moves(sdr):
    from leads.queue.work import WorkForbidden, lead_marketing_move
    from tests.factories import LeadFactory

    lead = LeadFactory(stage="inquiry")
    with pytest.raises(WorkForbidden):
        lead_marketing_move(lead=lead, by=sdr, to_stage="nurture", reason="x")
    lead.refresh_from_db()
    assert lead.stage == "inquiry"
