"""The working-a-lead pages: what each role is offered on the lead page, every action
posted as a browser would (redirect on success; 400 by the field, 403 with the reason,
404 outside what one sees, 409 naming both stages — and the lead unchanged), and
marketing's returned-leads inbox with disputes settled by a director."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from leads.models import LeadReturn, Opportunity, Qualification, Touch
from leads.people.models import Team
from leads.queue import work
from tests.factories import LeadFactory, TeamFactory, publish_terms

pytestmark = pytest.mark.django_db


def act(client, lead, action, data=None):
    return client.post(reverse("leads:lead_act", args=[lead.pk, action]), data or {})


def offered(response) -> list[str]:
    return re.findall(r'data-work-form="([^"]+)"', response.content.decode())


def snapshot(lead):
    lead.refresh_from_db()
    return (
        lead.stage,
        lead.owner_id,
        lead.events.count(),
        Touch.objects.filter(lead=lead).count(),
        LeadReturn.objects.filter(lead=lead).count(),
        Opportunity.objects.filter(lead=lead).count(),
    )


def bant_yes(lead):
    Qualification.objects.create(
        lead=lead,
        framework="bant",
        criteria={n: {"value": "yes", "note": ""} for n in work.FRAMEWORK_CRITERIA["bant"]},
    )


@pytest.fixture
def ae_team(ae):
    team = TeamFactory(name="AE North", kind="ae")
    team.members.add(ae)
    return team


# --- what the lead page offers --------------------------------------------------


@pytest.mark.parametrize(
    ("stage", "expected"),
    [
        ("mql", ["accept", "touch", "qualify", "return", "disqualify", "opt_out"]),
        ("sal", ["convert", "touch", "qualify", "return", "disqualify", "opt_out"]),
        ("sql", ["touch", "opt_out"]),
    ],
)
def test_the_owning_sdr_is_offered_what_the_stage_allows(client, sdr, stage, expected):
    lead = LeadFactory(stage=stage, owner=sdr)
    client.force_login(sdr)

    response = client.get(reverse("leads:lead_detail", args=[lead.pk]))

    assert response.status_code == 200
    assert offered(response) == expected


@pytest.mark.parametrize(
    ("user_fixture", "expected"),
    [
        # anyone who works leads may record an opt-out the person told them about
        ("marketer", ["opt_out"]),
        ("director", []),
        ("admin_user", ["opt_out"]),
        ("sales_manager", ["opt_out"]),
    ],
)
def test_readers_are_offered_no_work_action(client, request, sdr, user_fixture, expected):
    lead = LeadFactory(stage="mql", owner=sdr)
    client.force_login(request.getfixturevalue(user_fixture))

    response = client.get(reverse("leads:lead_detail", args=[lead.pk]))

    assert response.status_code == 200
    assert offered(response) == expected


def test_the_ae_is_offered_accept_and_reject_on_their_sql(client, ae):
    lead = LeadFactory(stage="sql", owner=ae)
    client.force_login(ae)

    response = client.get(reverse("leads:lead_detail", args=[lead.pk]))

    assert offered(response) == ["touch", "sql_accept", "sql_reject", "opt_out"]


def test_the_qualification_form_follows_the_team_framework(client, sdr, sdr_team_east):
    sdr_team_east.framework = Team.Framework.MEDDIC
    sdr_team_east.required_criteria = ["champion", "identify_pain"]
    sdr_team_east.save()
    lead = LeadFactory(stage="sal", owner=sdr, team=sdr_team_east)
    client.force_login(sdr)

    html = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()

    assert re.findall(r'data-criterion="([^"]+)"', html) == list(work.FRAMEWORK_CRITERIA["meddic"])
    assert html.count('class="req"') == 2


# --- the SDR's actions ------------------------------------------------------------


def test_accept_moves_the_lead_and_redirects_to_it(client, sdr):
    lead = LeadFactory(stage="mql", owner=sdr)
    client.force_login(sdr)

    response = act(client, lead, "accept")

    assert response.status_code == 302
    assert response["Location"] == reverse("leads:lead_detail", args=[lead.pk])
    lead.refresh_from_db()
    assert lead.stage == "sal"
    assert lead.events.get(kind="stage_change").actor_user == sdr


def test_accept_honours_a_local_next_but_not_an_outside_one(client, sdr):
    first, second = LeadFactory(stage="mql", owner=sdr), LeadFactory(stage="mql", owner=sdr)
    client.force_login(sdr)

    local = act(client, first, "accept", {"next": "/leads/"})
    outside = act(client, second, "accept", {"next": "https://evil.example/"})

    assert local["Location"] == "/leads/"
    assert outside["Location"] == reverse("leads:lead_detail", args=[second.pk])


def test_touch_is_logged_with_its_time(client, sdr):
    lead = LeadFactory(stage="sal", owner=sdr)
    client.force_login(sdr)
    when = timezone.localtime() - dt.timedelta(hours=2)

    response = act(
        client,
        lead,
        "touch",
        {
            "touch-channel": "wechat",
            "touch-outcome": "connected",
            "touch-note": "好的",
            "touch-at": when.strftime("%Y-%m-%dT%H:%M"),
        },
    )

    assert response.status_code == 302
    touch = Touch.objects.get(lead=lead)
    assert (touch.channel, touch.outcome, touch.note, touch.user) == (
        "wechat",
        "connected",
        "好的",
        sdr,
    )
    assert abs((touch.at - when).total_seconds()) < 60


def test_a_touch_in_the_future_is_refused_by_the_field(client, sdr):
    lead = LeadFactory(stage="sal", owner=sdr)
    client.force_login(sdr)
    before = snapshot(lead)
    later = timezone.localtime() + dt.timedelta(days=1)

    response = act(
        client,
        lead,
        "touch",
        {
            "touch-channel": "call",
            "touch-outcome": "connected",
            "touch-at": later.strftime("%Y-%m-%dT%H:%M"),
        },
    )

    assert response.status_code == 400
    html = response.content.decode()
    field = re.search(r'data-field="touch-at">(.*?)</div>', html, re.S).group(1)
    assert "future" in field
    assert snapshot(lead) == before


def test_a_bad_channel_is_refused_by_the_field(client, sdr):
    lead = LeadFactory(stage="sal", owner=sdr)
    client.force_login(sdr)
    before = snapshot(lead)

    response = act(client, lead, "touch", {"touch-channel": "pigeon", "touch-outcome": "connected"})

    assert response.status_code == 400
    field = re.search(r'data-field="touch-channel">(.*?)</div>', response.content.decode(), re.S)
    assert "field-error" in field.group(1)
    assert snapshot(lead) == before


def test_qualification_saves_every_criterion_and_convert_then_passes(client, sdr):
    lead = LeadFactory(stage="sal", owner=sdr)
    client.force_login(sdr)
    data = {f"q-{n}": "yes" for n in work.FRAMEWORK_CRITERIA["bant"]}
    data["q-budget_note"] = "¥500k"

    saved = act(client, lead, "qualify", data)
    converted = act(client, lead, "convert")

    assert saved.status_code == 302
    assert Qualification.objects.get(lead=lead).criteria["budget"] == {
        "value": "yes",
        "note": "¥500k",
    }
    assert converted.status_code == 302
    lead.refresh_from_db()
    assert lead.stage == "sql"


def test_convert_without_the_required_criteria_says_which(client, sdr):
    lead = LeadFactory(stage="sal", owner=sdr)
    client.force_login(sdr)
    before = snapshot(lead)

    response = act(client, lead, "convert")

    assert response.status_code == 400
    assert (
        "These required criteria are not “yes” yet: Budget, Authority, Need, Timing."
        in response.content.decode()
    )
    assert snapshot(lead) == before


def _convert_button(response) -> str:
    form = re.search(
        r'<form[^>]*data-work-form="convert".*?</form>', response.content.decode(), re.S
    )
    return form.group(0)


@pytest.mark.parametrize(
    ("language", "missing"),
    [("en", "Budget, Authority"), ("zh-hans", "预算、决策权")],
)
def test_convert_is_disabled_until_the_teams_required_criteria_are_met(
    client, sdr, sdr_team_east, language, missing
):
    # given: the team requires budget and authority only; need is already yes
    sdr_team_east.required_criteria = ["budget", "authority"]
    sdr_team_east.save()
    lead = LeadFactory(stage="sal", owner=sdr, team=sdr_team_east)
    Qualification.objects.create(
        lead=lead, framework="bant", criteria={"need": {"value": "yes", "note": ""}}
    )
    client.force_login(sdr)
    url = reverse("leads:lead_detail", args=[lead.pk])

    # when the page is read before the criteria are met
    page = client.get(url, headers={"accept-language": language})

    # then the button is there but disabled, and says what is missing in words
    button = _convert_button(page)
    assert " disabled " in button
    missing_note = re.search(r"data-convert-missing>(.*?)</span>", button).group(1)
    assert missing in missing_note
    assert "budget" not in missing_note

    # and once both are "yes" it is enabled, the missing list gone
    bant = {"q-budget": "yes", "q-authority": "yes", "q-need": "yes", "q-timing": "unknown"}
    assert act(client, lead, "qualify", bant).status_code == 302
    button = _convert_button(client.get(url))
    assert "disabled" not in button
    assert "data-convert-missing" not in button


def test_the_convert_refusal_names_the_teams_criteria_in_the_users_language(
    client, sdr, sdr_team_east
):
    sdr_team_east.framework = Team.Framework.MEDDIC
    sdr_team_east.required_criteria = ["economic_buyer", "identify_pain"]
    sdr_team_east.save()
    lead = LeadFactory(stage="sal", owner=sdr, team=sdr_team_east)
    client.force_login(sdr)

    response = client.post(
        reverse("leads:lead_act", args=[lead.pk, "convert"]),
        headers={"accept-language": "zh-hans"},
    )

    assert response.status_code == 400
    assert "以下必需标准尚未为“是”：经济决策人、识别痛点。" in response.content.decode()


def test_return_wrong_information_goes_to_marketing_and_leaves_the_sdr(client, sdr):
    lead = LeadFactory(stage="mql", owner=sdr)
    client.force_login(sdr)

    response = act(
        client, lead, "return", {"return-reason": "wrong_information", "return-note": "bad phone"}
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("leads:queue")  # no longer theirs to work
    lead.refresh_from_db()
    assert (lead.stage, lead.owner_id) == ("returned", None)
    assert LeadReturn.objects.get(lead=lead).note == "bad phone"


def test_return_not_icp_can_disqualify(client, sdr):
    lead = LeadFactory(stage="sal", owner=sdr)
    client.force_login(sdr)

    act(client, lead, "return", {"return-reason": "not_icp", "return-to": "disqualified"})

    lead.refresh_from_db()
    assert lead.stage == "disqualified"


def test_a_return_target_that_does_not_fit_the_reason_is_refused_by_the_field(client, sdr):
    lead = LeadFactory(stage="mql", owner=sdr)
    client.force_login(sdr)
    before = snapshot(lead)

    response = act(
        client, lead, "return", {"return-reason": "bad_timing", "return-to": "disqualified"}
    )

    assert response.status_code == 400
    assert "A bad_timing return goes to nurture" in response.content.decode()
    assert snapshot(lead) == before


def test_disqualify_before_the_minimum_attempts_is_refused(client, sdr, director):
    publish_terms(director, min_attempts=4)
    lead = LeadFactory(stage="sal", owner=sdr)
    client.force_login(sdr)
    before = snapshot(lead)

    response = act(client, lead, "disqualify", {"disqualify-reason": "no_need"})

    assert response.status_code == 400
    field = re.search(
        r'data-field="disqualify-reason">(.*?)</div>', response.content.decode(), re.S
    )
    assert "at least 4 touch attempts (0 so far)" in field.group(1)
    assert snapshot(lead) == before


def test_a_refused_transition_answers_409_naming_both_stages(client, sdr):
    lead = LeadFactory(stage="sal", owner=sdr)  # already accepted
    client.force_login(sdr)
    before = snapshot(lead)

    response = act(client, lead, "accept")

    assert response.status_code == 409
    assert "A lead cannot move from SAL to SAL here." in response.content.decode()
    assert snapshot(lead) == before


# --- refusals by role: 404 outside what one sees, 403 on a visible lead -----------


@pytest.mark.parametrize("action", ["accept", "touch", "convert", "return", "sql_accept"])
def test_another_sdrs_lead_does_not_exist(client, sdr, other_sdr, action):
    lead = LeadFactory(stage="mql", owner=other_sdr)
    client.force_login(sdr)
    before = snapshot(lead)

    response = act(client, lead, action, {"touch-channel": "call", "touch-outcome": "connected"})

    assert response.status_code == 404
    assert snapshot(lead) == before


@pytest.mark.parametrize("user_fixture", ["marketer", "director", "admin_user", "sales_manager"])
@pytest.mark.parametrize(
    ("action", "data"),
    [
        ("accept", {}),
        ("touch", {"touch-channel": "call", "touch-outcome": "connected"}),
        ("convert", {}),
        ("return", {"return-reason": "bad_timing"}),
        ("disqualify", {"disqualify-reason": "not_icp"}),
    ],
)
def test_a_visible_lead_that_is_not_theirs_answers_403(
    client, request, sdr, user_fixture, action, data
):
    lead = LeadFactory(stage="mql", owner=sdr)
    bant_yes(lead)
    client.force_login(request.getfixturevalue(user_fixture))
    before = snapshot(lead)

    response = act(client, lead, action, data)

    assert response.status_code == 403
    assert "data-work-error" in response.content.decode()
    assert snapshot(lead) == before


def test_an_sdr_cannot_accept_an_sql_into_the_pipeline(client, sdr):
    lead = LeadFactory(stage="sql", owner=sdr)
    client.force_login(sdr)
    before = snapshot(lead)

    response = act(
        client,
        lead,
        "sql_accept",
        {
            "sql_accept-amount": "1000",
            "sql_accept-currency": "CNY",
            "sql_accept-expected_close": "2030-01-01",
        },
    )

    assert response.status_code == 403
    assert snapshot(lead) == before


# --- the AE -------------------------------------------------------------------------


def test_the_ae_accepts_an_sql_then_moves_and_loses_the_opportunity(client, ae):
    lead = LeadFactory(stage="sql", owner=ae, company_name="Acme")
    client.force_login(ae)

    accepted = act(
        client,
        lead,
        "sql_accept",
        {
            "sql_accept-amount": "120000.50",
            "sql_accept-currency": "usd",
            "sql_accept-expected_close": "2030-06-30",
        },
    )
    page = client.get(reverse("leads:lead_detail", args=[lead.pk]))
    moved = act(client, lead, "opportunity", {"opportunity-stage": "validation"})
    no_reason = act(client, lead, "opportunity", {"opportunity-stage": "lost"})
    lost = act(
        client,
        lead,
        "opportunity",
        {"opportunity-stage": "lost", "opportunity-lost_reason": "price"},
    )

    assert accepted.status_code == 302
    assert offered(page) == ["touch", "opt_out", "opportunity"]
    assert moved.status_code == 302
    assert no_reason.status_code == 400
    assert "A lost opportunity needs a lost reason." in no_reason.content.decode()
    assert lost.status_code == 302
    opportunity = Opportunity.objects.get(lead=lead)
    assert (
        str(opportunity.amount),
        opportunity.currency,
        opportunity.stage,
        opportunity.lost_reason,
    ) == (
        "120000.50",
        "USD",
        "lost",
        "price",
    )
    lead.refresh_from_db()
    assert lead.stage == "lost"


def test_a_bad_amount_is_refused_by_the_field(client, ae):
    lead = LeadFactory(stage="sql", owner=ae)
    client.force_login(ae)
    before = snapshot(lead)

    response = act(
        client,
        lead,
        "sql_accept",
        {
            "sql_accept-amount": "lots",
            "sql_accept-currency": "CNY",
            "sql_accept-expected_close": "2030-01-01",
        },
    )

    assert response.status_code == 400
    field = re.search(
        r'data-field="sql_accept-amount">(.*?)</div>', response.content.decode(), re.S
    )
    assert "Enter a number." in field.group(1)
    assert snapshot(lead) == before


def test_the_ae_rejects_an_sql_to_nurture(client, ae):
    lead = LeadFactory(stage="sql", owner=ae)
    client.force_login(ae)

    response = act(
        client,
        lead,
        "sql_reject",
        {"sql_reject-reason": "no budget this year", "sql_reject-to": "nurture"},
    )

    assert response.status_code == 302
    lead.refresh_from_db()
    assert lead.stage == "nurture"


def test_an_unknown_action_is_404(client, sdr):
    lead = LeadFactory(stage="mql", owner=sdr)
    client.force_login(sdr)

    assert act(client, lead, "teleport").status_code == 404


def test_actions_need_post_and_login(client, sdr):
    lead = LeadFactory(stage="mql", owner=sdr)
    url = reverse("leads:lead_act", args=[lead.pk, "accept"])

    assert client.post(url).status_code == 302  # to the login page
    client.force_login(sdr)
    assert client.get(url).status_code == 405
    lead.refresh_from_db()
    assert lead.stage == "mql"


# --- the returned-leads inbox ----------------------------------------------------------


@pytest.fixture
def returned(sdr):
    lead = LeadFactory(stage="mql", owner=sdr, name="Zhou Li")
    row = work.lead_return(lead=lead, by=sdr, reason="wrong_information", note="phone is wrong")
    return row


def test_the_inbox_lists_open_returns_with_reason_note_who_and_when(client, marketer, returned):
    client.force_login(marketer)

    response = client.get(reverse("leads:returns"))

    assert response.status_code == 200
    html = response.content.decode()
    assert re.findall(r'data-return="(\d+)"', html) == [str(returned.pk)]
    assert "Zhou Li" in html
    assert "phone is wrong" in html
    assert "Sam East" in html
    assert 'data-reason="wrong_information"' in html
    assert offered(response) == ["resend", "dispute"]


@pytest.mark.parametrize("user_fixture", ["sdr", "ae", "sales_manager", "integration", "outsider"])
def test_the_inbox_is_for_marketing_directors_and_admins(client, request, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))

    assert client.get(reverse("leads:returns")).status_code == 403


def test_resend_makes_it_an_mql_and_empties_the_inbox(client, marketer, returned):
    client.force_login(marketer)

    response = client.post(
        reverse("leads:return_act", args=[returned.pk, "resend"]),
        {f"r{returned.pk}-resend-note": "fixed"},
    )

    assert response.status_code == 302
    returned.refresh_from_db()
    assert returned.resolved_at is not None
    assert returned.lead.stage == "mql"
    assert "data-return=" not in client.get(reverse("leads:returns")).content.decode()


def test_a_dispute_needs_a_note(client, marketer, returned):
    client.force_login(marketer)

    response = client.post(reverse("leads:return_act", args=[returned.pk, "dispute"]), {})

    assert response.status_code == 400
    returned.refresh_from_db()
    assert returned.dispute == ""


def test_dispute_then_a_director_overturns_it(client, marketer, director, returned):
    client.force_login(marketer)
    client.post(
        reverse("leads:return_act", args=[returned.pk, "dispute"]),
        {f"r{returned.pk}-dispute-note": "the phone was right"},
    )
    client.force_login(director)

    inbox = client.get(reverse("leads:returns"))  # a director lands on the disputed ones
    settled = client.post(
        reverse("leads:return_act", args=[returned.pk, "settle"]),
        {f"r{returned.pk}-settle-outcome": "overturned", f"r{returned.pk}-settle-note": "agreed"},
    )

    assert offered(inbox) == ["settle"]
    assert "the phone was right" in inbox.content.decode()
    assert settled.status_code == 302
    returned.refresh_from_db()
    assert (returned.dispute, returned.settled_by, returned.counts_against_marketing) == (
        "overturned",
        director,
        False,
    )


def test_a_director_cannot_resend_and_marketing_cannot_settle(client, marketer, director, returned):
    client.force_login(director)
    resend = client.post(reverse("leads:return_act", args=[returned.pk, "resend"]), {})
    client.force_login(marketer)
    settle = client.post(
        reverse("leads:return_act", args=[returned.pk, "settle"]),
        {f"r{returned.pk}-settle-outcome": "upheld"},
    )

    assert resend.status_code == 403
    assert settle.status_code == 403
    returned.refresh_from_db()
    assert (returned.resolved_at, returned.dispute, returned.lead.stage) == (None, "", "returned")


def test_a_second_dispute_answers_409(client, marketer, returned):
    client.force_login(marketer)
    url = reverse("leads:return_act", args=[returned.pk, "dispute"])
    client.post(url, {f"r{returned.pk}-dispute-note": "one"})

    again = client.post(url, {f"r{returned.pk}-dispute-note": "two"})

    assert again.status_code == 409
    returned.refresh_from_db()
    assert returned.dispute_note == "one"


def test_the_inbox_runs_a_fixed_number_of_queries(
    client, marketer, sdr, django_assert_max_num_queries
):
    client.force_login(marketer)
    for _ in range(3):
        work.lead_return(lead=LeadFactory(stage="mql", owner=sdr), by=sdr, reason="not_icp")
    with django_assert_max_num_queries(30) as few:
        client.get(reverse("leads:returns") + "?status=all")
    for _ in range(12):
        work.lead_return(lead=LeadFactory(stage="mql", owner=sdr), by=sdr, reason="not_icp")

    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(reverse("leads:returns") + "?status=all")

    assert len(re.findall(r'data-return="', response.content.decode())) == 15
