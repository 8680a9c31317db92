"""The rows the predictive score learns from and predicts (leads.scoring.predictive_selectors)."""

from datetime import timedelta
from decimal import Decimal

import pytest

from leads.scoring.predictive import train
from leads.scoring.predictive_selectors import (
    FUNNEL,
    employees_bucket,
    lead_fields,
    owner_teams,
    prediction_team,
    predictive_open_rows,
    predictive_training_rows,
    revenue_bucket,
)
from tests.factories import (
    AccountFactory,
    ActivityFactory,
    LeadFactory,
    TeamFactory,
    UserFactory,
)
from tests.leads.scoring.predictive_history import START, WON_PATH, lead_with_history

pytestmark = pytest.mark.django_db


def by_id(rows):
    return {row.id: row for row in rows}


def test_won_lost_and_disqualified_are_learned_from_nothing_else():
    won = lead_with_history(stage="won", path=WON_PATH)
    lost = lead_with_history(stage="lost", path=WON_PATH)
    disqualified = lead_with_history(stage="disqualified", path=("mql",))
    for stage in ("customer_success", "excluded", "inquiry", "sal", "nurture"):
        lead_with_history(stage=stage)

    rows = by_id(predictive_training_rows())

    assert set(rows) == {won.pk, lost.pk, disqualified.pk}
    assert [rows[won.pk].won, rows[lost.pk].won, rows[disqualified.pk].won] == [True, False, False]


def test_a_lost_lead_counts_on_the_last_funnel_stage_it_was_in():
    at_opportunity = lead_with_history(stage="lost", path=WON_PATH)
    at_sal = lead_with_history(stage="disqualified", path=("mql", "sal"))
    # returned from MQL, then disqualified by marketing: lost at MQL
    returned = lead_with_history(stage="disqualified", path=("mql", "returned"))
    # got to SQL, nurtured, recycled to MQL, then disqualified: lost at MQL (the last)
    recycled = lead_with_history(stage="disqualified", path=("mql", "sal", "sql", "nurture", "mql"))
    at_inquiry = lead_with_history(stage="disqualified")
    no_events = LeadFactory(stage="disqualified")  # e.g. imported already closed

    rows = by_id(predictive_training_rows())

    assert {pk: rows[pk].funnel_stage for pk in rows} == {
        at_opportunity.pk: "opportunity",
        at_sal.pk: "sal",
        returned.pk: "mql",
        recycled.pk: "mql",
        at_inquiry.pk: "inquiry",
        no_events.pk: "inquiry",
    }


def test_stages_count_cumulatively_through_the_database():
    lead_with_history(stage="won", path=WON_PATH)
    lead_with_history(stage="won", path=WON_PATH)
    lead_with_history(stage="lost", path=WON_PATH)
    lead_with_history(stage="disqualified", path=("mql", "sal"))
    lead_with_history(stage="disqualified")

    model = train(rows=[r.training_row() for r in predictive_training_rows()], stages=FUNNEL)

    counts = model.teams[""]
    assert counts.stage_won == dict.fromkeys(FUNNEL, 2)
    assert counts.stage_lost == {"inquiry": 3, "mql": 2, "sal": 2, "sql": 1, "opportunity": 1}


def test_activities_count_up_to_the_moment_the_lead_closed():
    lead = lead_with_history(stage="lost", path=WON_PATH)  # closed at START + 5 h
    for hours in (1, 2, 5):  # the last one at the very moment it closed
        ActivityFactory(lead=lead, type="demo_request", occurred_at=START + timedelta(hours=hours))
    ActivityFactory(lead=lead, type="webinar", occurred_at=START + timedelta(hours=3))
    ActivityFactory(lead=lead, type="pricing_page", occurred_at=START + timedelta(hours=6))
    ActivityFactory(lead=lead, type="webinar", occurred_at=START + timedelta(days=30))

    [row] = predictive_training_rows()

    assert row.fields["activity:demo_request"] == "2+"
    assert row.fields["activity:webinar"] == "1"
    assert row.fields["activity:pricing_page"] == "0"  # after it closed
    assert sum(1 for name in row.fields if name.startswith("activity:")) == 14


def test_open_leads_count_their_activities_up_to_now():
    lead = lead_with_history(stage="sal", path=("mql",))
    ActivityFactory(lead=lead, type="webinar", occurred_at=START)
    ActivityFactory(lead=lead, type="webinar", occurred_at=START + timedelta(days=400))

    [at_start] = predictive_open_rows(now=START + timedelta(days=1))
    [later] = predictive_open_rows(now=START + timedelta(days=401))

    assert (at_start.fields["activity:webinar"], later.fields["activity:webinar"]) == ("1", "2+")
    assert at_start.funnel_stage == "sal"


def test_open_nurture_and_returned_leads_are_predicted_at_their_last_funnel_stage():
    nurtured = lead_with_history(stage="nurture", path=("mql", "sal", "sql"))
    returned = lead_with_history(stage="returned", path=("mql",))
    parked = lead_with_history(stage="nurture")
    lead_with_history(stage="excluded")
    lead_with_history(stage="won", path=WON_PATH)

    rows = by_id(predictive_open_rows())

    assert {pk: row.funnel_stage for pk, row in rows.items()} == {
        nurtured.pk: "sql",
        returned.pk: "mql",
        parked.pk: "inquiry",
    }


def test_static_fields_come_from_the_lead_and_its_account():
    account = AccountFactory(
        industry=" Software ",
        country="cn",
        employees=320,
        annual_revenue=Decimal("7500000.00"),
    )
    lead = lead_with_history(
        stage="won",
        path=WON_PATH,
        account=account,
        seniority="vp",
        source_channel="wechat",
        language="zh-Hans",
    )
    free_mail = lead_with_history(stage="lost", path=WON_PATH, source_system="demo")

    rows = by_id(predictive_training_rows())

    static = {k: v for k, v in rows[lead.pk].fields.items() if not k.startswith("activity:")}
    assert static == {
        "industry": "Software",
        "country": "CN",
        "employees": "201-1000",
        "annual_revenue": "5M-50M",
        "seniority": "vp",
        "source_channel": "wechat",
        "language": "zh-hans",
    }
    no_account = rows[free_mail.pk].fields
    assert [no_account[k] for k in ("industry", "country", "employees", "annual_revenue")] == [
        "",
        "",
        "",
        "",
    ]
    assert (rows[lead.pk].synthetic, rows[free_mail.pk].synthetic) == (False, True)


@pytest.mark.parametrize(
    ("employees", "bucket"),
    [(None, ""), (0, "1-10"), (10, "1-10"), (11, "11-50"), (50, "11-50"), (51, "51-200")]
    + [(1000, "201-1000"), (5000, "1001-5000"), (5001, "5001+")],
)
def test_employee_buckets_have_the_seed_icp_edge_at_50(employees, bucket):
    assert employees_bucket(employees) == bucket


@pytest.mark.parametrize(
    ("revenue", "bucket"),
    [(None, ""), (Decimal("999999.99"), "<1M"), (Decimal("4999999"), "1M-5M")]
    + [(Decimal("5000000"), "5M-50M"), (499_999_999, "50M-500M"), (500_000_000, "500M+")],
)
def test_revenue_buckets_have_the_seed_icp_edge_at_5m(revenue, bucket):
    assert revenue_bucket(revenue) == bucket


def test_lead_fields_leave_unknown_values_empty():
    fields = lead_fields(
        industry=None,
        country=None,
        employees=None,
        annual_revenue=None,
        seniority="",
        source_channel="website",
        language=None,
        activity_counts={},
    )

    assert {k: v for k, v in fields.items() if v and not k.startswith("activity:")} == {
        "source_channel": "website"
    }


# ---------------------------------------------------------------------------- teams


def test_team_is_the_owners_first_team_by_name_else_the_team_they_manage():
    zeta, alpha = TeamFactory(name="Zeta"), TeamFactory(name="Alpha")
    both = UserFactory()
    zeta.members.add(both)
    alpha.members.add(both)
    manager = UserFactory()
    zeta.manager = manager
    zeta.save()
    loner = UserFactory()
    leads = {
        "both": lead_with_history(stage="lost", path=WON_PATH, owner=both),
        "manager": lead_with_history(stage="lost", path=WON_PATH, owner=manager),
        "loner": lead_with_history(stage="lost", path=WON_PATH, owner=loner),
        "nobody": lead_with_history(stage="lost", path=WON_PATH),
    }

    rows = by_id(predictive_training_rows())

    assert {k: (rows[v.pk].team, rows[v.pk].team_name) for k, v in leads.items()} == {
        "both": (str(alpha.pk), "Alpha"),
        "manager": (str(zeta.pk), "Zeta"),
        "loner": (None, ""),
        "nobody": (None, ""),
    }
    assert owner_teams(owner_ids=[loner.pk]) == {}


def test_a_team_uses_its_own_counts_only_with_enough_history_of_both_outcomes():
    ae_team, sdr_team = TeamFactory(name="AE"), TeamFactory(name="SDR")
    ae, sdr = UserFactory(), UserFactory()
    ae_team.members.add(ae)
    sdr_team.members.add(sdr)
    for _ in range(3):
        lead_with_history(stage="won", path=WON_PATH, owner=ae)
        lead_with_history(stage="lost", path=WON_PATH, owner=ae)
    for _ in range(10):  # an SDR team's history holds losses only
        lead_with_history(stage="disqualified", path=("mql",), owner=sdr)
    rows = [r.training_row() for r in predictive_training_rows()]

    lenient = train(rows=rows, stages=FUNNEL, min_count=0, min_team_rows=1)
    strict = train(rows=rows, stages=FUNNEL, min_count=0, min_team_rows=7)

    assert prediction_team(lenient, str(ae_team.pk)) == str(ae_team.pk)
    assert prediction_team(lenient, str(sdr_team.pk)) is None  # no won lead: global counts
    assert prediction_team(lenient, "424242") is None  # no history at all
    assert prediction_team(lenient, None) is None
    assert prediction_team(strict, str(ae_team.pk)) is None  # 6 closed leads < 7


# -------------------------------------------------------------------------- queries


@pytest.mark.parametrize("leads", [2, 12])
def test_gathering_rows_costs_a_constant_number_of_queries(leads, django_assert_num_queries):
    team = TeamFactory()
    owner = UserFactory()
    team.members.add(owner)
    for n in range(leads):
        lead = lead_with_history(stage="lost" if n % 2 else "won", path=WON_PATH, owner=owner)
        ActivityFactory(lead=lead, type="webinar", occurred_at=START)
        lead_with_history(stage="sal", path=("mql",), owner=owner)
        lead_with_history(stage="nurture", path=("mql",), owner=owner)

    # leads; activity counts; funnel-stage events; team members; team managers
    with django_assert_num_queries(5):
        closed = predictive_training_rows()
    # ids of the chunk; leads; activity counts; events of the nurtured; members; managers
    with django_assert_num_queries(6):
        open_rows = predictive_open_rows(limit=100)

    assert (len(closed), len(open_rows)) == (leads, 2 * leads)
    assert {row.funnel_stage for row in open_rows} == {"sal", "mql"}
