"""The pipeline page: who may open it (200 / 403), what each role sees (an AE theirs, a
sales manager their teams', a director everyone's, read-only), the totals per stage
split marketing- vs sales-sourced, and every change posted as a browser would:
accept or reject an SQL, move an opportunity forward, won, lost with a reason — 400
by the field, 403 for readers, 404 outside what one sees, 409 for refused moves, and
nothing changed when refused. A fixed number of queries whatever the pipeline."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from leads.models import Lead, LeadEvent, Opportunity
from leads.people.models import Team
from tests.factories import LeadFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

PAGE = "leads:pipeline"


# --- the cast and the data ------------------------------------------------------------


@pytest.fixture
def ae_team(ae):
    team = TeamFactory(name="AE North", kind=Team.Kind.AE)
    team.members.add(ae)
    return team


@pytest.fixture
def other_ae(db):
    return UserFactory(username="olga", first_name="Olga", last_name="Other", roles=["ae"])


@pytest.fixture
def ae_manager(ae_team):
    user = UserFactory(
        username="mona", first_name="Mona", last_name="Boss", roles=["sales_manager"]
    )
    ae_team.manager = user
    ae_team.save()
    return user


def sql_lead(owner, **extra) -> Lead:
    return LeadFactory(stage="sql", owner=owner, assigned_at=timezone.now(), **extra)


def opportunity(owner, *, stage="discovery", amount="1000", source="marketing", **extra):
    lead = LeadFactory(
        stage="opportunity",
        owner=owner,
        source_channel="outbound" if source == "sales" else "website",
    )
    return Opportunity.objects.create(
        lead=lead,
        owner=owner,
        name=extra.pop("name", lead.name),
        amount=Decimal(amount),
        currency=extra.pop("currency", "CNY"),
        expected_close=extra.pop("expected_close", dt.date(2031, 6, 30)),
        stage=stage,
        source=source,
        source_channel=lead.source_channel,
        **extra,
    )


def snapshot(opp: Opportunity):
    opp.refresh_from_db()
    opp.lead.refresh_from_db()
    return (
        opp.stage,
        opp.lost_reason,
        opp.amount,
        opp.closed_at,
        opp.lead.stage,
        opp.lead.events.count(),
    )


def lead_snapshot(lead: Lead):
    lead.refresh_from_db()
    return (lead.stage, lead.owner_id, lead.events.count(), Opportunity.objects.count())


def ids(response, attribute: str) -> list[int]:
    return [int(x) for x in re.findall(rf'{attribute}="(\d+)"', response.content.decode())]


def forms(response) -> list[str]:
    return re.findall(r'data-pipeline-form="([^"]+)"', response.content.decode())


def total_cell(response, stage: str, column: str) -> str:
    """The text of one cell of the totals table, tags stripped."""
    html = response.content.decode()
    row = re.search(rf'data-stage-total="{stage}">(.*?)</tr>', html, re.S).group(1)
    cell = re.search(rf"{column}>(.*?)</td>", row, re.S).group(1)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", cell).replace("&nbsp;", " ")).strip()


def move(client, opp, stage, **extra):
    data = {f"opp{opp.pk}-stage": stage}
    data.update({f"opp{opp.pk}-{k}": v for k, v in extra.items()})
    return client.post(reverse("leads:pipeline_opportunity", args=[opp.pk]), data)


def sql_act(client, lead, action, **fields):
    if action == "accept":
        fields = {"currency": "CNY", **fields}
    data = {f"sql{lead.pk}-{action}-{k}": v for k, v in fields.items()}
    return client.post(reverse("leads:pipeline_sql", args=[lead.pk, action]), data)


def field_errors(response, name: str) -> str:
    match = re.search(rf'data-field="{name}">(.*?)</div>', response.content.decode(), re.S)
    assert match, f"no field {name}"
    return " ".join(re.findall(r'class="field-error">([^<]*)<', match.group(1)))


# --- who opens the page ---------------------------------------------------------------


@pytest.mark.parametrize("user_fixture", ["ae", "ae_manager", "director", "admin_user"])
def test_aes_their_managers_directors_and_admins_open_the_page(client, request, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))

    assert client.get(reverse(PAGE)).status_code == 200


@pytest.mark.parametrize("user_fixture", ["sdr", "marketer", "integration", "outsider"])
def test_sdrs_marketing_and_others_get_403(client, request, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))

    assert client.get(reverse(PAGE)).status_code == 403


def test_anonymous_is_sent_to_log_in(client):
    response = client.get(reverse(PAGE))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("user_fixture", "shown"),
    [("ae", True), ("ae_manager", True), ("director", True), ("sdr", False), ("marketer", False)],
)
def test_the_navigation_offers_the_pipeline(client, request, user_fixture, shown):
    client.force_login(request.getfixturevalue(user_fixture))

    html = client.get(reverse("home"), follow=True).content.decode()

    assert ('data-nav="leads:pipeline"' in html) is shown


# --- what each role sees --------------------------------------------------------------


def test_an_ae_sees_their_sqls_and_open_opportunities_only(client, ae, other_ae):
    mine = sql_lead(ae, name="Wang Fang")
    sql_lead(other_ae)
    discovery = opportunity(ae, stage="discovery")
    validation = opportunity(ae, stage="validation")
    opportunity(other_ae, stage="discovery")
    won = opportunity(ae, stage="won", closed_at=timezone.now())
    client.force_login(ae)

    response = client.get(reverse(PAGE))

    assert ids(response, "data-sql") == [mine.pk]
    assert ids(response, "data-opportunity") == [discovery.pk, validation.pk]
    assert ids(response, "data-closed-opportunity") == [won.pk]
    assert response.context["heading"] == "My pipeline"
    # the AE acts on all of them: accept / reject each SQL, move / won / lost each opportunity
    assert forms(response) == ["accept", "reject"] + ["move", "won", "lost"] * 2


def test_an_sql_in_the_ae_teams_pool_is_there_for_every_member(client, ae, ae_team, other_ae):
    # routed to an AE team in pool mode: nobody owns it yet, any member may take it
    colleague = UserFactory(username="carl", roles=["ae"])
    ae_team.members.add(colleague)
    pooled = LeadFactory(stage="sql", team=ae_team, owner=None, company_name="Pool Co")
    client.force_login(other_ae)  # not in the team: the lead does not exist for them
    assert ids(client.get(reverse(PAGE)), "data-sql") == []
    assert sql_act(client, pooled, "accept", amount="5000").status_code == 404

    client.force_login(colleague)
    assert ids(client.get(reverse(PAGE)), "data-sql") == [pooled.pk]
    client.force_login(ae)
    assert ids(client.get(reverse(PAGE)), "data-sql") == [pooled.pk]
    response = sql_act(client, pooled, "accept", amount="5000", expected_close="2031-02-01")

    assert response.status_code == 302
    assert Opportunity.objects.get(lead=pooled).owner == ae
    client.force_login(colleague)  # taken: no longer in the pool
    assert ids(client.get(reverse(PAGE)), "data-sql") == []


def test_pool_sqls_cost_no_query_each(client, ae, ae_team):
    LeadFactory(stage="sql", team=ae_team, owner=None)
    client.force_login(ae)
    client.get(reverse(PAGE))  # warm up
    with CaptureQueriesContext(connection) as one:
        client.get(reverse(PAGE))
    for _ in range(4):
        LeadFactory(stage="sql", team=ae_team, owner=None)
    with CaptureQueriesContext(connection) as five:
        response = client.get(reverse(PAGE))

    assert len(ids(response, "data-sql")) == 5
    assert len(five.captured_queries) == len(one.captured_queries)


def test_opportunities_are_grouped_by_stage_in_order_of_expected_close(client, ae):
    late = opportunity(ae, stage="discovery", expected_close=dt.date(2031, 9, 1))
    early = opportunity(ae, stage="discovery", expected_close=dt.date(2031, 1, 1))
    negotiation = opportunity(ae, stage="negotiation")
    client.force_login(ae)

    response = client.get(reverse(PAGE))

    groups = {
        g["stage"]: [r["opportunity"].pk for r in g["rows"]] for g in response.context["groups"]
    }
    # without a filter, a stage with no opportunity is left out
    assert groups == {"discovery": [early.pk, late.pk], "negotiation": [negotiation.pk]}
    # negotiation has no next open stage: won or lost only
    html = response.content.decode()
    row = re.search(rf'data-opportunity="{negotiation.pk}".*?</tr>', html, re.S).group(0)
    assert 'data-action="move"' not in row
    assert 'data-action="won"' in row


def test_totals_per_stage_split_marketing_and_sales_sourced(client, ae):
    opportunity(ae, stage="discovery", amount="1000.50", source="marketing")
    opportunity(ae, stage="discovery", amount="2000", source="sales")
    opportunity(ae, stage="validation", amount="500", source="marketing")
    opportunity(ae, stage="validation", amount="300", source="marketing", currency="USD")
    opportunity(ae, stage="lost", amount="9999", source="marketing", closed_at=timezone.now())
    client.force_login(ae)

    response = client.get(reverse(PAGE))

    assert total_cell(response, "discovery", "data-count") == "2"
    assert total_cell(response, "discovery", 'data-source="marketing"') == "CNY 1,000.50"
    assert total_cell(response, "discovery", 'data-source="sales"') == "CNY 2,000.00"
    assert total_cell(response, "discovery", "data-total") == "CNY 3,000.50"
    assert total_cell(response, "validation", 'data-source="marketing"') == "CNY 500.00 USD 300.00"
    assert total_cell(response, "validation", 'data-source="sales"') == "—"
    assert total_cell(response, "negotiation", "data-count") == "0"
    assert total_cell(response, "all", "data-count") == "4"  # the lost one is closed
    assert total_cell(response, "all", 'data-source="marketing"') == "CNY 1,500.50 USD 300.00"
    assert total_cell(response, "all", 'data-source="sales"') == "CNY 2,000.00"
    assert total_cell(response, "all", "data-total") == "CNY 3,500.50 USD 300.00"


def test_the_stage_filter_shows_one_stage(client, ae):
    opportunity(ae, stage="discovery")
    validation = opportunity(ae, stage="validation")
    client.force_login(ae)

    response = client.get(reverse(PAGE), {"stage": "validation"})

    assert ids(response, "data-opportunity") == [validation.pk]
    assert [g["stage"] for g in response.context["groups"]] == ["validation"]
    assert total_cell(response, "all", "data-count") == "2"  # totals stay whole


def test_an_unknown_stage_filter_is_a_400_naming_the_field(client, ae):
    client.force_login(ae)

    response = client.get(reverse(PAGE), {"stage": "won"})

    assert response.status_code == 400
    assert "Filter by stage: “won” is not one of: discovery, validation, negotiation." in (
        response.content.decode()
    )


def test_a_manager_reads_their_teams_pipeline_without_actions(client, ae, other_ae, ae_manager):
    mine = opportunity(ae)
    opportunity(other_ae)  # not in the manager's team
    waiting = sql_lead(ae)
    client.force_login(ae_manager)

    response = client.get(reverse(PAGE))

    assert ids(response, "data-opportunity") == [mine.pk]
    assert ids(response, "data-sql") == [waiting.pk]
    assert forms(response) == []
    assert response.context["heading"] == "My teams' pipeline"


def test_a_director_reads_everyone_without_actions(client, ae, other_ae, director):
    first, second = opportunity(ae), opportunity(other_ae)
    waiting = sql_lead(ae)
    client.force_login(director)

    response = client.get(reverse(PAGE))

    assert sorted(ids(response, "data-opportunity")) == sorted([first.pk, second.pk])
    assert ids(response, "data-sql") == [waiting.pk]
    assert forms(response) == []


def test_the_page_runs_a_fixed_number_of_queries(client, ae, django_assert_num_queries):
    client.force_login(ae)
    sql_lead(ae)
    opportunity(ae)
    opportunity(ae, stage="won", closed_at=timezone.now())
    client.get(reverse(PAGE))  # warm up
    with CaptureQueriesContext(connection) as one:
        client.get(reverse(PAGE))
    for stage in ("discovery", "validation", "negotiation"):
        for source in ("marketing", "sales"):
            for _ in range(4):
                opportunity(ae, stage=stage, source=source)
    for _ in range(10):
        sql_lead(ae)
        opportunity(ae, stage="lost", closed_at=timezone.now(), lost_reason="price")

    with django_assert_num_queries(len(one.captured_queries)):
        response = client.get(reverse(PAGE))

    assert len(ids(response, "data-opportunity")) == 25
    assert len(ids(response, "data-sql")) == 11


# --- the AE accepts or rejects an SQL ---------------------------------------------------


def test_the_ae_accepts_an_sql_into_the_pipeline(client, ae):
    lead = sql_lead(ae, company_name="Acme Robotics", source_channel="event")
    client.force_login(ae)

    response = sql_act(
        client, lead, "accept", amount="120000", currency="CNY", expected_close="2031-01-29"
    )

    assert response.status_code == 302
    assert response["Location"] == reverse(PAGE)
    opp = Opportunity.objects.get(lead=lead)
    assert (opp.owner, opp.amount, opp.expected_close, opp.stage, opp.source, opp.name) == (
        ae,
        Decimal("120000"),
        dt.date(2031, 1, 29),
        "discovery",
        "marketing",
        "Acme Robotics",
    )
    lead.refresh_from_db()
    assert lead.stage == "opportunity"
    page = client.get(reverse(PAGE))
    assert ids(page, "data-sql") == []
    assert ids(page, "data-opportunity") == [opp.pk]


def test_an_outbound_sql_becomes_sales_sourced_pipeline(client, ae):
    lead = sql_lead(ae, source_channel="outbound")
    client.force_login(ae)

    sql_act(client, lead, "accept", amount="5000", currency="CNY", expected_close="2031-01-29")

    response = client.get(reverse(PAGE))
    assert Opportunity.objects.get(lead=lead).source == "sales"
    assert total_cell(response, "all", 'data-source="sales"') == "CNY 5,000.00"
    assert total_cell(response, "all", 'data-source="marketing"') == "—"


@pytest.mark.parametrize(
    ("field", "fields"),
    [
        ("amount", {"amount": "lots", "expected_close": "2031-01-29"}),
        ("amount", {"amount": "-5", "expected_close": "2031-01-29"}),
        ("expected_close", {"amount": "10", "expected_close": "soon"}),
        ("expected_close", {"amount": "10"}),
        ("currency", {"amount": "10", "expected_close": "2031-01-29", "currency": "EU1"}),
    ],
)
def test_bad_accept_input_is_refused_by_the_field(client, ae, field, fields):
    lead = sql_lead(ae)
    client.force_login(ae)
    before = lead_snapshot(lead)

    response = sql_act(client, lead, "accept", **fields)

    assert response.status_code == 400
    assert field_errors(response, f"sql{lead.pk}-accept-{field}") != ""
    assert lead_snapshot(lead) == before


def test_the_ae_rejects_an_sql_with_a_reason(client, ae):
    lead = sql_lead(ae)
    client.force_login(ae)

    response = sql_act(client, lead, "reject", reason="no budget this year", to="nurture")

    assert response.status_code == 302
    lead.refresh_from_db()
    assert (lead.stage, lead.owner_id) == ("nurture", None)
    event = lead.events.get(kind="stage_change", to_stage="nurture")
    assert (event.reason, event.actor_user) == ("no budget this year", ae)


def test_a_reject_without_a_reason_is_refused_by_the_field(client, ae):
    lead = sql_lead(ae)
    client.force_login(ae)
    before = lead_snapshot(lead)

    response = sql_act(client, lead, "reject", to="disqualified")

    assert response.status_code == 400
    assert "required" in field_errors(response, f"sql{lead.pk}-reject-reason")
    assert lead_snapshot(lead) == before


def test_accepting_a_lead_that_is_no_longer_an_sql_is_a_409_naming_both_stages(client, ae):
    lead = LeadFactory(stage="won", owner=ae)
    client.force_login(ae)
    before = lead_snapshot(lead)

    response = sql_act(client, lead, "accept", amount="10", expected_close="2031-01-29")

    assert response.status_code == 409
    assert "A lead cannot move from Won to Opportunity here." in response.content.decode()
    assert lead_snapshot(lead) == before


def test_another_aes_sql_does_not_exist_for_an_ae(client, ae, other_ae):
    lead = sql_lead(other_ae)
    client.force_login(ae)
    before = lead_snapshot(lead)

    accept = sql_act(client, lead, "accept", amount="10", expected_close="2031-01-29")
    reject = sql_act(client, lead, "reject", reason="no", to="nurture")

    assert (accept.status_code, reject.status_code) == (404, 404)
    assert lead_snapshot(lead) == before


@pytest.mark.parametrize("user_fixture", ["director", "ae_manager"])
def test_readers_cannot_accept_an_sql(client, request, ae, user_fixture):
    lead = sql_lead(ae)
    client.force_login(request.getfixturevalue(user_fixture))
    before = lead_snapshot(lead)

    response = sql_act(client, lead, "accept", amount="10", expected_close="2031-01-29")

    assert response.status_code == 403
    assert "Only the account executive who holds this lead may do this." in (
        response.content.decode()
    )
    assert lead_snapshot(lead) == before


@pytest.mark.parametrize("user_fixture", ["sdr", "marketer"])
def test_sdrs_and_marketing_cannot_post_either(client, request, ae, user_fixture):
    lead = sql_lead(ae)
    opp = opportunity(ae)
    client.force_login(request.getfixturevalue(user_fixture))
    before = (lead_snapshot(lead), snapshot(opp))

    accept = sql_act(client, lead, "accept", amount="10", expected_close="2031-01-29")
    moved = move(client, opp, "validation")

    assert (accept.status_code, moved.status_code) == (403, 403)
    assert (lead_snapshot(lead), snapshot(opp)) == before


def test_an_unknown_sql_action_is_a_404(client, ae):
    lead = sql_lead(ae)
    client.force_login(ae)

    response = client.post(reverse("leads:pipeline_sql", args=[lead.pk, "convert"]))

    assert response.status_code == 404


def test_the_page_only_accepts_get_and_the_actions_only_post(client, ae):
    lead = sql_lead(ae)
    client.force_login(ae)

    assert client.post(reverse(PAGE)).status_code == 405
    assert client.get(reverse("leads:pipeline_sql", args=[lead.pk, "accept"])).status_code == 405


# --- the AE moves an opportunity ----------------------------------------------------------


def test_the_ae_moves_an_opportunity_through_the_stages_then_wins_it(client, ae):
    opp = opportunity(ae, stage="discovery", amount="80000")
    client.force_login(ae)

    steps = [move(client, opp, stage) for stage in ("validation", "negotiation", "won")]

    assert [r.status_code for r in steps] == [302, 302, 302]
    opp.refresh_from_db()
    assert (opp.stage, opp.closed_at is not None) == ("won", True)
    opp.lead.refresh_from_db()
    assert opp.lead.stage == "won"
    notes = LeadEvent.objects.filter(lead=opp.lead, reason="opportunity_stage")
    assert [(e.data["from"], e.data["to"]) for e in notes.order_by("pk")] == [
        ("discovery", "validation"),
        ("validation", "negotiation"),
    ]
    page = client.get(reverse(PAGE))
    assert ids(page, "data-opportunity") == []
    assert ids(page, "data-closed-opportunity") == [opp.pk]


def test_a_move_keeps_the_stage_filter(client, ae):
    opp = opportunity(ae, stage="discovery")
    client.force_login(ae)

    response = client.post(
        reverse("leads:pipeline_opportunity", args=[opp.pk]),
        {f"opp{opp.pk}-stage": "validation", "filter": "discovery"},
    )

    assert response["Location"] == reverse(PAGE) + "?stage=discovery"


def test_lost_needs_a_lost_reason_by_the_field(client, ae):
    opp = opportunity(ae, stage="negotiation")
    client.force_login(ae)
    before = snapshot(opp)

    response = move(client, opp, "lost")

    assert response.status_code == 400
    assert field_errors(response, f"opp{opp.pk}-lost_reason") == (
        "A lost opportunity needs a lost reason."
    )
    assert snapshot(opp) == before


def test_lost_with_a_reason_closes_the_opportunity_and_the_lead(client, ae):
    opp = opportunity(ae, stage="validation")
    client.force_login(ae)

    response = move(client, opp, "lost", lost_reason="went with a competitor")

    assert response.status_code == 302
    opp.refresh_from_db()
    assert (opp.stage, opp.lost_reason) == ("lost", "went with a competitor")
    opp.lead.refresh_from_db()
    assert opp.lead.stage == "lost"
    assert opp.lead.events.get(to_stage="lost").reason == "went with a competitor"


def test_moving_backwards_is_a_409_with_its_message(client, ae):
    opp = opportunity(ae, stage="negotiation")
    client.force_login(ae)
    before = snapshot(opp)

    response = move(client, opp, "discovery")

    assert response.status_code == 409
    html = response.content.decode()
    assert "An opportunity moves forward only: 3 · Negotiation → 1 · Discovery is refused." in html
    assert "data-pipeline-error" in html
    assert snapshot(opp) == before


def test_a_closed_opportunity_is_a_409(client, ae):
    opp = opportunity(ae, stage="won", closed_at=timezone.now())
    client.force_login(ae)
    before = snapshot(opp)

    response = move(client, opp, "lost", lost_reason="changed their mind")

    assert response.status_code == 409
    assert "This opportunity is closed." in response.content.decode()
    assert snapshot(opp) == before


def test_an_unknown_stage_is_refused_by_the_field(client, ae):
    opp = opportunity(ae)
    client.force_login(ae)
    before = snapshot(opp)

    response = move(client, opp, "celebrating")

    assert response.status_code == 400
    assert "celebrating" in response.content.decode()
    assert snapshot(opp) == before


def test_another_aes_opportunity_does_not_exist_for_an_ae(client, ae, other_ae):
    opp = opportunity(other_ae)
    client.force_login(ae)
    before = snapshot(opp)

    response = move(client, opp, "validation")

    assert response.status_code == 404
    assert snapshot(opp) == before


@pytest.mark.parametrize("user_fixture", ["director", "ae_manager", "admin_user"])
def test_readers_cannot_change_an_opportunity(client, request, ae, user_fixture):
    opp = opportunity(ae)
    client.force_login(request.getfixturevalue(user_fixture))
    before = snapshot(opp)

    response = move(client, opp, "validation")

    assert response.status_code == 403
    assert "Only the account executive who owns this opportunity may change it." in (
        response.content.decode()
    )
    assert snapshot(opp) == before


def test_the_page_speaks_chinese(client, ae):
    opportunity(ae)
    client.force_login(ae)

    response = client.get(reverse(PAGE), HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "市场来源" in html
    assert "Marketing-sourced" not in html


def test_a_filtered_empty_stage_says_so(client, ae):
    opportunity(ae, stage="discovery")
    client.force_login(ae)

    response = client.get(reverse(PAGE), {"stage": "negotiation"})

    assert [g["stage"] for g in response.context["groups"]] == ["negotiation"]
    assert "No open opportunity in this stage." in response.content.decode()


# --- how long an SQL has waited for an AE ----------------------------------------------

WAIT_NOW = dt.datetime(2026, 3, 2, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("language", "waited", "label"),
    [
        ("en", "waiting 1\xa0day, 6\xa0hours", "Waiting for an AE"),
        ("zh-hans", "已等待 1\xa0日，6\xa0小时", "等待客户经理"),
    ],
)
def test_a_waiting_sql_shows_how_long_it_has_waited(client, ae, language, waited, label):
    lead = sql_lead(ae, stage_changed_at=WAIT_NOW - dt.timedelta(hours=30))
    fresh = sql_lead(ae, stage_changed_at=WAIT_NOW - dt.timedelta(minutes=5))
    client.force_login(ae)

    with time_machine.travel(WAIT_NOW, tick=False):
        pipeline = client.get(reverse(PAGE), headers={"accept-language": language})
        detail = client.get(
            reverse("leads:lead_detail", args=[lead.pk]), headers={"accept-language": language}
        )

    html = pipeline.content.decode()
    shown = re.findall(r'data-sql="(\d+)".*?class="sql-waited"[^>]*>([^<]*)<', html, re.S)
    assert shown[0] == (str(lead.pk), waited)  # oldest first
    assert shown[1][0] == str(fresh.pk)
    page = detail.content.decode()
    assert label in page
    assert re.search(r"data-sql-waited=[^>]*><strong[^>]*>([^<]*)<", page).group(1) == (
        waited.split(" ", 1)[1] if language == "en" else waited.removeprefix("已等待 ")
    )
