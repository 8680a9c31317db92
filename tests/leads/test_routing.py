"""leads.queue.routing: rules, team modes, account matching, customers, competitors,
away people, manual assignment and the distribution report."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from leads.hooks import on_lead_became_mql
from leads.models import DomainListEntry, Lead, LeadEvent, RepSettings, RoutingRule
from leads.queue.claim import assignment_distribution
from leads.queue.routing import (
    FUZZY_THRESHOLD,
    RoutingError,
    conditions_errors,
    lead_assign,
    person_deactivate,
    person_set_away,
    route_lead,
    routing_rule_create,
    routing_rule_delete,
    routing_rule_update,
)
from tests.factories import AccountFactory, LeadFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def mql(**kwargs) -> Lead:
    kwargs.setdefault("stage", "mql")
    return LeadFactory(**kwargs)


def rep(user, **kwargs):
    return RepSettings.objects.update_or_create(user=user, defaults=kwargs)[0]


def sdrs(team, n, prefix="rep"):
    people = [UserFactory(username=f"{prefix}{i}", roles=["sdr"]) for i in range(n)]
    team.members.add(*people)
    return people


def last_assignment(lead) -> LeadEvent:
    return lead.events.filter(kind="assignment").latest("at", "id")


# ------------------------------------------------------------------ rules


def test_rules_are_written_by_the_services(sdr, other_sdr):
    rule = routing_rule_create(
        name="China", order=20, conditions={"country": ["CN"]}, team=None, user=sdr
    )
    assert (rule.applies_to, rule.active) == ("mql", True)  # the model's defaults
    routing_rule_update(rule=rule, name="China (west)", user=other_sdr)
    rule.refresh_from_db()
    assert (rule.name, rule.order, rule.user) == ("China (west)", 20, other_sdr)
    routing_rule_delete(rule=rule)
    assert not RoutingRule.objects.exists()


def test_the_first_matching_rule_in_order_decides_and_the_event_names_it(sdr, other_sdr):
    east, west = sdr.teams.get(), other_sdr.teams.get()
    RoutingRule.objects.create(name="China", order=20, conditions={"country": ["CN"]}, team=west)
    first = RoutingRule.objects.create(
        name="Big software",
        order=10,
        conditions={"industry": ["software"], "min_employees": 100},
        team=east,
    )
    lead = mql(account=AccountFactory(country="CN", industry="Software", employees=500))

    event = route_lead(lead=lead)

    lead.refresh_from_db()
    assert (lead.team, lead.owner) == (east, None)  # east is a pool
    assert event.reason == "rule"
    assert event.data["rule"] == {"id": first.pk, "name": "Big software"}
    assert event.actor_system == "routing"


def test_conditions_must_all_hold_and_inactive_rules_are_ignored(sdr, other_sdr):
    east, west = sdr.teams.get(), other_sdr.teams.get()
    RoutingRule.objects.create(name="off", order=1, active=False, conditions={}, team=west)
    RoutingRule.objects.create(
        name="small CN", order=2, conditions={"country": ["CN"], "max_employees": 50}, team=west
    )
    catch_all = RoutingRule.objects.create(name="all", order=3, conditions={}, team=east)
    lead = mql(account=AccountFactory(country="CN", employees=51))

    event = route_lead(lead=lead)

    assert event.data["rule"]["id"] == catch_all.pk


@pytest.mark.parametrize(
    ("conditions", "field"),
    [
        ({"colour": ["red"]}, "conditions.colour"),
        ({"country": "CN"}, "conditions.country"),
        ({"country": []}, "conditions.country"),
        ({"min_employees": "ten"}, "conditions.min_employees"),
        ({"min_employees": 10, "max_employees": 5}, "conditions.max_employees"),
    ],
)
def test_bad_conditions_name_the_field(conditions, field):
    assert list(conditions_errors(conditions)) == [field]


def test_a_rule_to_an_away_person_is_passed_over(sdr, other_sdr):
    rep(sdr, away=True)
    RoutingRule.objects.create(name="to sam", order=1, user=sdr)
    RoutingRule.objects.create(name="to wendy", order=2, user=other_sdr)

    route_lead(lead=(lead := mql()))

    lead.refresh_from_db()
    assert lead.owner == other_sdr
    assert lead.assigned_at == NOW


def test_no_rule_goes_to_the_default_sdr_team_pool(sdr, other_sdr):
    event = route_lead(lead=(lead := mql()))
    lead.refresh_from_db()
    assert (lead.team.name, lead.owner, event.reason) == ("SDR East", None, "default_team")


def test_no_team_at_all_leaves_it_unassigned_with_a_reason():
    event = route_lead(lead=(lead := mql()))
    lead.refresh_from_db()
    assert (lead.team, lead.owner, event.reason) == (None, None, "unrouted")
    assert "no rule matched" in event.data["why"]


def test_sql_routing_uses_sql_rules_and_ae_teams(sdr, ae):
    aes = TeamFactory(name="AE North", kind="ae", mode="fewest_open")
    aes.members.add(ae)
    RoutingRule.objects.create(name="mql", order=1, team=sdr.teams.get())
    RoutingRule.objects.create(name="sql", order=1, applies_to="sql", team=aes)
    lead = LeadFactory(stage="sql", owner=sdr)

    event = route_lead(lead=lead, applies_to="sql")

    lead.refresh_from_db()
    assert (lead.owner, lead.team, event.data["rule"]["name"]) == (ae, aes, "sql")
    assert event.data["from_user"] == sdr.pk


def test_becoming_an_mql_routes_the_lead(sdr):
    lead = mql()
    on_lead_became_mql(lead)
    lead.refresh_from_db()
    assert lead.team == sdr.teams.get()
    assert last_assignment(lead).data["trigger"] == "mql"


def test_the_assignment_hook_is_called(sdr, monkeypatch):
    from leads import hooks

    seen = []
    monkeypatch.setattr(hooks, "ASSIGNMENT_HOOKS", [lambda lead, event: seen.append(event.pk)])
    event = route_lead(lead=mql())
    assert seen == [event.pk]


# ------------------------------------------------------------------ team modes


def test_weighted_round_robin_follows_the_weights():
    team = TeamFactory(name="RR", mode="round_robin")
    a, b = sdrs(team, 2)
    rep(a, weight=2)
    RoutingRule.objects.create(name="rr", order=1, team=team)

    owners = []
    for _ in range(9):
        route_lead(lead=(lead := mql()))
        lead.refresh_from_db()
        owners.append(lead.owner)

    assert owners.count(a) == 6
    assert owners.count(b) == 3
    # interleaved, never 6 in a row
    assert owners[:3].count(a) == 2


def test_the_daily_cap_stops_a_person_and_then_the_pool_takes_over():
    team = TeamFactory(name="RR", mode="round_robin")
    a, b = sdrs(team, 2)
    rep(a, daily_cap=1)
    rep(b, daily_cap=2)
    RoutingRule.objects.create(name="rr", order=1, team=team)

    leads = [mql() for _ in range(4)]
    events = [route_lead(lead=lead) for lead in leads]

    counts = {u: Lead.objects.filter(owner=u).count() for u in (a, b)}
    assert counts == {a: 1, b: 2}
    assert events[3].reason == "nobody_available"
    leads[3].refresh_from_db()
    assert (leads[3].team, leads[3].owner) == (team, None)


def test_the_cap_resets_the_next_day():
    team = TeamFactory(name="RR", mode="round_robin")
    (a,) = sdrs(team, 1)
    rep(a, daily_cap=1)
    route_lead(lead=mql())
    with time_machine.travel(NOW + timedelta(days=1), tick=False):
        route_lead(lead=(lead := mql()))
    lead.refresh_from_db()
    assert lead.owner == a


def test_away_and_inactive_people_are_skipped():
    team = TeamFactory(name="RR", mode="round_robin")
    a, b, c = sdrs(team, 3)
    rep(a, away=True)
    c.is_active = False
    c.save()

    for _ in range(3):
        route_lead(lead=mql(), applies_to="mql")

    assert Lead.objects.filter(owner=b).count() == 3
    assert not Lead.objects.filter(owner__in=[a, c]).exists()


def test_someone_back_from_leave_is_not_flooded():
    team = TeamFactory(name="RR", mode="round_robin")
    a, b, c = sdrs(team, 3)
    rep(c, away=True)
    for _ in range(10):  # a and b take 5 each while c is away
        route_lead(lead=mql())
    with time_machine.travel(NOW + timedelta(hours=1), tick=False):
        person_set_away(user=c, away=False, by=c)
        for _ in range(6):
            route_lead(lead=mql())

    counts = {u.username: Lead.objects.filter(owner=u).count() for u in (a, b, c)}
    # c gets a fair third of what came after their return, not all six to catch up
    assert counts == {"rep0": 7, "rep1": 7, "rep2": 2}


def test_fewest_open_leads_wins_and_closed_leads_do_not_count():
    team = TeamFactory(name="FO", mode="fewest_open")
    a, b = sdrs(team, 2)
    for _ in range(2):
        LeadFactory(owner=a, stage="sal")
    LeadFactory(owner=b, stage="sal")
    for _ in range(3):
        LeadFactory(owner=b, stage="won")
    RoutingRule.objects.create(name="fo", order=1, team=team)

    event = route_lead(lead=(lead := mql()))

    lead.refresh_from_db()
    assert lead.owner == b
    assert (event.data["mode"], event.data["open_leads"]) == ("fewest_open", 1)


# ------------------------------------------------------- accounts, customers, competitors


def test_the_account_owner_gets_the_lead(sdr, other_sdr):
    RoutingRule.objects.create(name="all", order=1, team=other_sdr.teams.get())
    account = AccountFactory(owner=sdr)

    event = route_lead(lead=(lead := mql(account=account)))

    lead.refresh_from_db()
    assert (lead.owner, lead.team, event.reason) == (sdr, sdr.teams.get(), "account_owner")
    assert event.data["account"]["id"] == account.pk


def test_an_away_account_owner_falls_back_to_the_rules(sdr, other_sdr):
    rep(sdr, away=True)
    RoutingRule.objects.create(name="wendy", order=1, user=other_sdr)
    route_lead(lead=(lead := mql(account=AccountFactory(owner=sdr))))
    lead.refresh_from_db()
    assert lead.owner == other_sdr


def test_a_lead_without_an_account_matches_by_email_domain(sdr):
    account = AccountFactory(domain="acme.example", owner=sdr)
    lead = mql(email="li@acme.example", email_normalised="li@acme.example")

    event = route_lead(lead=lead)

    lead.refresh_from_db()
    assert (lead.account, lead.owner) == (account, sdr)
    assert event.data["account_match"] == {"id": account.pk, "by": "domain"}


def test_fuzzy_company_name_matching_has_a_threshold(sdr):
    account = AccountFactory(name="Acme Robotics", name_normalised="acme robotics", owner=sdr)
    close = mql(company_name="ACME Robotic Ltd")
    far = mql(company_name="Acme Logistics")

    route_lead(lead=close)
    route_lead(lead=far)

    close.refresh_from_db()
    far.refresh_from_db()
    assert (close.account, close.owner) == (account, sdr)
    assert far.account is None
    assert far.owner is None
    assert 0.8 < FUZZY_THRESHOLD < 1


def test_a_free_mail_domain_never_matches_an_account(sdr):
    AccountFactory(domain="qq.com", owner=sdr)  # a bad row: still no match by free mail
    DomainListEntry.objects.get_or_create(domain="qq.com", kind="free_mail")
    lead = mql(email="x@qq.com", email_normalised="x@qq.com")

    route_lead(lead=lead)

    lead.refresh_from_db()
    assert lead.account is None
    assert lead.owner is None


def test_a_customer_is_flagged_and_offered_to_customer_success(sdr):
    DomainListEntry.objects.create(domain="client.example", kind="customer")
    lead = mql(email="a@client.example", email_normalised="a@client.example")

    event = route_lead(lead=lead)

    lead.refresh_from_db()
    assert lead.already_customer is True
    assert (lead.owner, lead.team, lead.stage) == (None, None, "mql")
    assert (event.reason, event.data["offered_to"]) == ("already_customer", "customer_success")


def test_a_competitor_is_excluded_and_never_routed(sdr):
    DomainListEntry.objects.create(domain="rival.example", kind="competitor")
    RoutingRule.objects.create(name="sam", order=1, user=sdr)
    lead = mql(account=AccountFactory(domain="rival.example"))

    event = route_lead(lead=lead)
    with pytest.raises(RoutingError) as again:
        route_lead(lead=lead)
    assert again.value.code == "not_routable"

    lead.refresh_from_db()
    assert (lead.stage, lead.owner) == ("excluded", None)
    assert (event.kind, event.to_stage, event.reason) == ("stage_change", "excluded", "competitor")
    assert not lead.events.filter(kind="assignment").exists()


# ------------------------------------------------------------------ away, deactivation


def test_going_away_reroutes_unaccepted_leads_and_hands_accepted_ones_to_the_manager(
    sales_manager, sdr
):
    team = sdr.teams.get()
    team.mode = "round_robin"
    team.save()
    (colleague,) = sdrs(team, 1)
    fresh = mql(owner=sdr, team=team)
    accepted = LeadFactory(owner=sdr, team=team, stage="sal")
    done = LeadFactory(owner=sdr, team=team, stage="won")

    counts = person_set_away(user=sdr, away=True, by=sales_manager)

    for lead in (fresh, accepted, done):
        lead.refresh_from_db()
    assert counts == {"rerouted": 1, "to_manager": 1}
    assert fresh.owner == colleague
    assert last_assignment(fresh).data["trigger"] == "away"
    assert accepted.owner == sales_manager
    assert last_assignment(accepted).reason == "to_manager"
    assert done.owner == sdr
    assert RepSettings.objects.get(user=sdr).away_since == NOW


def test_only_managers_of_the_person_admins_or_themselves_set_away(sdr, other_sdr):
    with pytest.raises(RoutingError) as refused:
        person_set_away(user=sdr, away=True, by=other_sdr)
    assert refused.value.code == "forbidden"
    assert not RepSettings.objects.filter(user=sdr, away=True).exists()


def test_deactivation_reroutes_like_away(admin_user, sdr, other_sdr):
    RoutingRule.objects.create(name="wendy", order=1, user=other_sdr)
    lead = mql(owner=sdr)

    person_deactivate(user=sdr, by=admin_user)

    lead.refresh_from_db()
    sdr.refresh_from_db()
    assert (sdr.is_active, lead.owner) == (False, other_sdr)


# ------------------------------------------------------------------ manual assignment


def test_a_manager_assigns_a_lead_of_their_team_to_a_member(sales_manager, sdr):
    team = sdr.teams.get()
    (colleague,) = sdrs(team, 1)
    lead = mql(owner=sdr, team=team)

    event = lead_assign(lead=lead, to_user=colleague, by=sales_manager, note="balance")

    lead.refresh_from_db()
    assert (lead.owner, lead.team) == (colleague, team)
    assert (event.reason, event.actor_user, event.data["note"]) == (
        "manual",
        sales_manager,
        "balance",
    )
    assert event.data["from_user"] == sdr.pk


def test_a_manager_cannot_touch_another_teams_lead_or_give_it_outside(
    sales_manager, sdr, other_sdr
):
    theirs = mql(owner=other_sdr, team=other_sdr.teams.get())
    ours = mql(owner=sdr, team=sdr.teams.get())

    with pytest.raises(RoutingError):
        lead_assign(lead=theirs, to_user=sdr, by=sales_manager)
    with pytest.raises(RoutingError) as outside:
        lead_assign(lead=ours, to_user=other_sdr, by=sales_manager)

    assert outside.value.field == "to_user"
    theirs.refresh_from_db()
    ours.refresh_from_db()
    assert (theirs.owner, ours.owner) == (other_sdr, sdr)


def test_sdrs_cannot_assign_and_admins_can(sdr, other_sdr, admin_user):
    lead = mql(owner=sdr)
    with pytest.raises(RoutingError):
        lead_assign(lead=lead, to_user=other_sdr, by=sdr)
    lead_assign(lead=lead, to_team=other_sdr.teams.get(), by=admin_user)
    lead.refresh_from_db()
    assert (lead.owner, lead.team, lead.assigned_at) == (None, other_sdr.teams.get(), None)


# ------------------------------------------------------------------ distribution report


def test_the_distribution_report_says_who_got_how_many_and_why(sales_manager, sdr):
    team = TeamFactory(name="RR", mode="round_robin")
    a, b = sdrs(team, 2)
    rule = RoutingRule.objects.create(name="rr", order=1, team=team)
    for _ in range(4):
        route_lead(lead=mql())
    lead_assign(
        lead=mql(owner=sdr, team=sdr.teams.get()), to_team=sdr.teams.get(), by=sales_manager
    )

    rows = assignment_distribution(start=NOW - timedelta(days=1), end=NOW + timedelta(days=1))

    by_key = {(r.team, r.user_id): r for r in rows}
    assert by_key[("RR", a.pk)].total == 2
    assert by_key[("RR", a.pk)].by_reason == {"rule:round_robin": 2}
    assert by_key[("RR", b.pk)].by_rule == {rule.name: 2}
    assert by_key[("SDR East", None)].by_reason == {"manual": 1}
    assert sum(r.total for r in rows) == 5


# ------------------------------------------------------------------ batches


def _route_all(leads) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        for lead in leads:
            on_lead_became_mql(lead)
    return len(ctx.captured_queries)


def test_a_batch_reads_the_rules_domain_lists_and_day_counts_once(monkeypatch):
    from leads import hooks

    # routing's own reads: the SLA's clock updates (once per lead, or once per batch)
    # are counted in tests/sla
    monkeypatch.setattr(hooks, "EVENT_HOOKS", [])

    team = TeamFactory(name="RR", mode="round_robin")
    sdrs(team, 3)
    RoutingRule.objects.create(name="all", order=1, team=team, conditions={})
    singles = _route_all([mql() for _ in range(4)])
    batched_leads = [mql() for _ in range(4)]
    with hooks.batch():
        batched = _route_all(batched_leads)

    # 3 domain lists, the rules and the day's assignment counts, read by the first
    # lead only: (4 - 1) × 5 queries saved
    assert singles - batched == 3 * 5
    assert all(last_assignment(lead).reason == "rule" for lead in batched_leads)
    owners = [Lead.objects.get(pk=lead.pk).owner.username for lead in batched_leads]
    assert sorted(owners[:3]) == ["rep0", "rep1", "rep2"]  # the rotation still turns


def test_outside_a_batch_a_changed_rule_applies_to_the_next_lead(sdr, other_sdr):
    from leads import hooks

    rule = RoutingRule.objects.create(name="to sdr", order=1, user=sdr, conditions={})
    with hooks.batch():
        first = mql()
        on_lead_became_mql(first)
    rule.user = other_sdr
    rule.save()
    second = mql()
    on_lead_became_mql(second)

    assert Lead.objects.get(pk=first.pk).owner == sdr
    assert Lead.objects.get(pk=second.pk).owner == other_sdr


@pytest.mark.parametrize("batched", [False, True])
def test_round_robin_weights_and_caps_are_the_same_inside_a_batch(batched):
    # inside a batch the day's counts are read once and kept up to date in memory:
    # the picks must be exactly those of lead-by-lead routing
    from contextlib import nullcontext

    from leads import hooks

    team = TeamFactory(name="RR", mode="round_robin")
    people = sdrs(team, 3)
    rep(people[0], weight=2)
    rep(people[1], daily_cap=2)
    RoutingRule.objects.create(name="all", order=1, team=team, conditions={})
    leads = [mql() for _ in range(9)]

    with hooks.batch() if batched else nullcontext():
        for lead in leads:
            on_lead_became_mql(lead)

    owners = [Lead.objects.get(pk=lead.pk).owner.username for lead in leads]
    assert owners == ["rep0", "rep1", "rep2", "rep0", "rep1", "rep2", "rep0", "rep0", "rep2"]
