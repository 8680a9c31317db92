"""Opt-outs stick (issue 10 §4; ``leads.consent``).

Each reproduction of the issue is a test that failed before the fix: a lead whose
person opted out was routed, claimed from the pool, accepted and called; an opt-out
sent by intake left the lead in its SDR's queue; the next sync stored
``do_not_contact: false`` over ``true`` and overwrote the consent source. Now an
opt-out moves an open lead to nurture (the system as actor), every door refuses the
lead with a clear message, intake keeps the opt-out and says so, and only a marketing
manager or admin reverses it, with a reason, in a history shown on the lead page.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from leads.consent import KEPT_WARNING, OPT_OUT_REFUSAL
from leads.intake.importing import import_preview, import_rows, mapping_suggest, table_open
from leads.models import ConsentChange, Lead, LeadEvent, Touch
from leads.queue import work
from leads.queue.claim import claim_next, pool_count, sdr_queue, team_pool
from leads.queue.routing import RoutingError, lead_assign, route_lead
from leads.scoring.engine import ScoringModel, default_model
from leads.scoring.rescore import leads_rescore
from leads.scoring.services import scoring_model_create_draft, scoring_model_publish
from tests.factories import AccountFactory, ActivityFactory, LeadFactory

pytestmark = pytest.mark.django_db

LEADS = "/api/v1/leads/"
BULK = "/api/v1/leads/bulk/"
T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def _refused(response) -> None:
    assert response.status_code == 409, response.content
    assert response.json()["detail"] == str(OPT_OUT_REFUSAL)


def _opted_out_in_queue(sdr, **kwargs) -> Lead:
    """An opted-out lead still in an SDR's queue: what stored data held before the fix
    (and what a writer that bypasses the services could leave)."""
    kwargs.setdefault("stage", "mql")
    return LeadFactory(
        do_not_contact=True, owner=sdr, team=sdr.teams.get(), assigned_at=T0, **kwargs
    )


# --- every door refuses an opted-out lead -----------------------------------------------


def test_the_claim_and_the_pool_skip_an_opted_out_lead(sdr):
    team = sdr.teams.get()
    opted_out = LeadFactory(
        team=team, stage="mql", do_not_contact=True, score_quadrant="hot", score_total=99
    )
    other = LeadFactory(team=team, stage="mql", score_quadrant="drop", score_total=1)

    assert list(team_pool(team=team)) == [other]
    assert pool_count(user=sdr) == 1
    assert claim_next(user=sdr) == other
    assert claim_next(user=sdr) is None

    opted_out.refresh_from_db()
    assert (opted_out.owner_id, opted_out.stage) == (None, "mql")
    assert not LeadEvent.objects.filter(lead=opted_out, kind="assignment").exists()


def test_routing_refuses_an_opted_out_lead_and_writes_nothing(sdr, sdr_team_east):
    lead = LeadFactory(stage="mql", do_not_contact=True)

    with pytest.raises(RoutingError) as refused:
        route_lead(lead=lead, applies_to="mql", reason="mql")

    assert refused.value.code == "not_routable"
    assert refused.value.message == str(OPT_OUT_REFUSAL)
    lead.refresh_from_db()
    assert (lead.owner_id, lead.team_id) == (None, None)
    assert not LeadEvent.objects.filter(lead=lead).exists()


def test_a_manager_cannot_assign_an_opted_out_lead_into_a_queue(sdr, sales_manager):
    lead = LeadFactory(stage="mql", do_not_contact=True, team=sdr.teams.get())

    with pytest.raises(RoutingError) as refused:
        lead_assign(lead=lead, by=sales_manager, to_user=sdr)

    assert refused.value.message == str(OPT_OUT_REFUSAL)
    lead.refresh_from_db()
    assert lead.owner_id is None


def test_the_sdr_queue_never_lists_an_opted_out_lead(sdr):
    _opted_out_in_queue(sdr)
    mine = LeadFactory(stage="mql", owner=sdr, team=sdr.teams.get(), assigned_at=T0)

    assert list(sdr_queue(user=sdr)) == [mine]


def test_accept_refuses_an_opted_out_lead(api_as, sdr):
    lead = _opted_out_in_queue(sdr)

    _refused(api_as(sdr).post(f"{LEADS}{lead.pk}/accept/"))

    lead.refresh_from_db()
    assert lead.stage == "mql"
    assert not LeadEvent.objects.filter(lead=lead, kind="stage_change").exists()


def test_a_touch_is_refused_and_nothing_is_logged(api_as, sdr):
    lead = _opted_out_in_queue(sdr, stage="sal")

    _refused(
        api_as(sdr).post(
            f"{LEADS}{lead.pk}/touches/", {"channel": "call", "outcome": "connected"}, "json"
        )
    )

    assert not Touch.objects.filter(lead=lead).exists()
    assert not LeadEvent.objects.filter(lead=lead, kind="touch").exists()


def test_convert_and_the_aes_accept_refuse_an_opted_out_lead(sdr, ae):
    lead = _opted_out_in_queue(sdr, stage="sal")
    with pytest.raises(work.WorkConflict, match="opted out"):
        work.lead_convert(lead=lead, by=sdr)
    sql = LeadFactory(stage="sql", owner=ae, do_not_contact=True)
    from leads.pipeline.services import sql_accept

    with pytest.raises(work.WorkConflict, match="opted out"):
        sql_accept(lead=sql, by=ae, amount="1000", expected_close="2026-12-01")
    assert Lead.objects.get(pk=lead.pk).stage == "sal"
    assert Lead.objects.get(pk=sql.pk).stage == "sql"


def test_marketing_cannot_make_an_opted_out_inquiry_an_mql(marketer):
    lead = LeadFactory(stage="inquiry", do_not_contact=True)

    with pytest.raises(work.WorkConflict, match="opted out"):
        work.lead_marketing_move(lead=lead, by=marketer, to_stage="mql", reason="event")

    assert Lead.objects.get(pk=lead.pk).stage == "inquiry"


def test_the_lead_page_offers_no_contact_action_on_an_opted_out_lead(client, sdr):
    lead = _opted_out_in_queue(sdr, stage="sal")
    client.force_login(sdr)

    html = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()

    for action in ("accept", "touch", "convert", "opt_out"):
        assert f'data-work-form="{action}"' not in html
    assert "data-opt-out-notice" in html


# --- scoring ------------------------------------------------------------------------------


def _publish(marketer, model: ScoringModel):
    draft = scoring_model_create_draft(definition=model.to_dict(), user=marketer)
    return scoring_model_publish(version=draft, user=marketer)[0]


def _hot(**kwargs) -> Lead:
    account = AccountFactory(employees=120, industry="Software", country="US")
    lead = LeadFactory(account=account, seniority="vp", **kwargs)
    ActivityFactory(lead=lead, type="demo_request", occurred_at=timezone.now())
    ActivityFactory(lead=lead, type="pricing_page", occurred_at=timezone.now())
    return lead


def test_scoring_never_promotes_an_opted_out_lead_even_without_the_fit_rule(marketer, sdr):
    # a model without the -100 do-not-contact rule: the score alone says MQL
    base = default_model(1)
    rules = tuple(r for r in base.fit_rules if r.field != "do_not_contact")
    version = _publish(marketer, ScoringModel(**{**base.__dict__, "fit_rules": rules}))
    opted_out, other = _hot(stage="nurture", do_not_contact=True), _hot(stage="nurture")

    summary = leads_rescore(lead_ids=[opted_out.pk, other.pk], version=version)

    assert summary.became_mql == [other.pk]
    opted_out.refresh_from_db()
    assert (opted_out.stage, opted_out.owner_id, opted_out.team_id) == ("nurture", None, None)
    assert opted_out.score_quadrant == "hot"  # scored all the same


def test_the_do_not_contact_fit_rule_still_scores_minus_100(marketer):
    version = _publish(marketer, default_model(1))
    opted_out, other = _hot(do_not_contact=True), _hot()

    leads_rescore(lead_ids=[opted_out.pk, other.pk], version=version)

    opted_out.refresh_from_db()
    other.refresh_from_db()
    assert opted_out.score_fit == other.score_fit - 100
    rules = {r["field"]: r for r in opted_out.score_breakdown["fit"]}
    assert rules["do_not_contact"]["points"] == -100
    assert rules["do_not_contact"]["matched"] is True
    assert (opted_out.stage, other.stage) == ("inquiry", "mql")


# --- intake: an opt-out moves the lead, the next sync cannot undo it ------------------------


def _post(api, body):
    return api.post(LEADS, body, "json")


def test_an_opt_out_sent_by_intake_takes_the_lead_out_of_its_sdrs_queue(api_as, integration, sdr):
    api = api_as(integration)
    lead_id = _post(api, {"email": "li@acme.example", "source_channel": "website"}).json()["id"]
    Lead.objects.filter(pk=lead_id).update(
        stage="sal", owner=sdr, team=sdr.teams.get(), assigned_at=T0
    )

    response = _post(
        api, {"email": "li@acme.example", "source_channel": "website", "do_not_contact": True}
    )

    assert response.status_code == 200
    assert "warnings" not in response.json()
    lead = Lead.objects.get(pk=lead_id)
    assert (lead.stage, lead.owner_id, lead.team_id, lead.assigned_at) == (
        "nurture",
        None,
        None,
        None,
    )
    move = LeadEvent.objects.get(lead=lead, kind="stage_change")
    assert (move.from_stage, move.to_stage, move.actor_user_id, move.actor_system) == (
        "sal",
        "nurture",
        None,
        "opt-out",
    )
    assert move.reason == "opted_out"
    assert move.data["from_user"] == sdr.pk
    opt_out = ConsentChange.objects.get(lead=lead)
    assert (opt_out.kind, opt_out.do_not_contact, opt_out.via, opt_out.actor_user_id) == (
        "opt_out",
        True,
        "api",
        integration.pk,
    )
    assert list(sdr_queue(user=sdr)) == []


def test_the_next_sync_keeps_the_opt_out_and_the_consent_and_says_so(api_as, integration):
    api = api_as(integration)
    first = {
        "external_id": "C-1",
        "email": "li@acme.example",
        "source_channel": "website",
        "consent_source": "web form",
        "consent_at": "2026-01-05T10:00:00+08:00",
        "do_not_contact": True,
    }
    lead_id = _post(api, first).json()["id"]

    response = _post(
        api,
        {
            **first,
            "do_not_contact": False,
            "consent_source": "bought list",
            "consent_at": "2026-02-01T10:00:00+08:00",
            "title": "CTO",
        },
    )

    assert response.status_code == 200
    body = response.json()
    assert body["warnings"] == {
        name: [str(KEPT_WARNING)] for name in ("do_not_contact", "consent_source", "consent_at")
    }
    assert (body["do_not_contact"], body["consent_source"], body["title"]) == (
        True,
        "web form",
        "CTO",
    )
    lead = Lead.objects.get(pk=lead_id)
    assert (lead.do_not_contact, lead.consent_source) == (True, "web form")
    assert lead.consent_at == dt.datetime(2026, 1, 5, 2, 0, tzinfo=dt.UTC)
    assert list(ConsentChange.objects.filter(lead=lead).values_list("kind", flat=True)) == [
        "opt_out"
    ]


def test_the_bulk_sync_keeps_the_opt_out_per_row_and_saves_the_rest(api_as, integration):
    api = api_as(integration)
    opted = LeadFactory(
        email="a@acme.example", do_not_contact=True, consent_source="web form", stage="nurture"
    )
    plain = LeadFactory(email="b@acme.example", consent_source="web form")

    response = api.post(
        BULK,
        [
            {"email": "a@acme.example", "source_channel": "website", "do_not_contact": False},
            {"email": "b@acme.example", "source_channel": "website", "consent_source": "event"},
            {"email": "a@acme.example", "source_channel": "website", "name": "Ann"},
        ],
        "json",
    )

    assert response.status_code == 200
    results = response.json()["results"]
    assert results[0]["warnings"] == {"do_not_contact": [str(KEPT_WARNING)]}
    assert "warnings" not in results[1]
    assert "warnings" not in results[2]
    opted.refresh_from_db()
    plain.refresh_from_db()
    assert (opted.do_not_contact, opted.consent_source, opted.name) == (True, "web form", "Ann")
    assert plain.consent_source == "event"  # not opted out: consent may change, with history
    change = ConsentChange.objects.get(lead=plain)
    assert (change.kind, change.consent_source, change.actor_user_id) == (
        "recorded",
        "event",
        integration.pk,
    )
    assert not ConsentChange.objects.filter(lead=opted).exists()


def test_a_new_lead_keeps_its_consent_in_the_history(api_as, integration):
    response = _post(
        api_as(integration),
        {
            "email": "new@acme.example",
            "source_channel": "event",
            "consent_source": "event badge scan",
            "consent_at": "2026-01-05T10:00:00+00:00",
        },
    )

    change = ConsentChange.objects.get(lead_id=response.json()["id"])
    assert (change.kind, change.consent_source, change.via, change.actor_user_id) == (
        "recorded",
        "event badge scan",
        "api",
        integration.pk,
    )
    assert change.consent_at == dt.datetime(2026, 1, 5, 10, 0, tzinfo=dt.UTC)


def test_a_new_lead_that_opted_out_never_becomes_an_mql_at_birth(api_as, integration, marketer):
    _publish(marketer, default_model(1))
    body = {
        "email": "boss@acme.example",
        "source_channel": "website",
        "company": "Acme",
        "employees": 500,
        "country": "US",
        "industry": "Software",
        "seniority": "vp",
        "do_not_contact": True,
    }

    response = _post(api_as(integration), body)

    lead = Lead.objects.get(pk=response.json()["id"])
    assert (lead.stage, lead.owner_id, lead.team_id) == ("inquiry", None, None)
    assert ConsentChange.objects.get(lead=lead).kind == "opt_out"
    assert LeadEvent.objects.filter(lead=lead, kind="consent", reason="opt_out").count() == 1


IMPORT_FILE = (
    "Email,Source,Do not contact,Consent source\n"
    "a@acme.example,website,no,bought list\n"
    "c@acme.example,website,yes,web form\n"
)


def test_an_import_keeps_the_opt_out_and_lists_the_kept_rows(marketer, sdr):
    opted = LeadFactory(
        email="a@acme.example", do_not_contact=True, consent_source="web form", stage="nurture"
    )
    table = table_open(data=IMPORT_FILE.encode(), filename="leads.csv")
    mapping = mapping_suggest(headers=table.headers)

    preview = import_preview(table=table, mapping=mapping, actor_user=marketer)
    outcome = import_rows(table=table, mapping=mapping, actor_user=marketer, chunk_size=10)

    assert preview[0].warnings == {
        "do_not_contact": [str(KEPT_WARNING)],
        "consent_source": [str(KEPT_WARNING)],
    }
    assert (outcome.created, outcome.updated, outcome.rejected) == (1, 1, 0)
    assert [(r.row, sorted(r.errors)) for r in outcome.kept_rows] == [
        (2, ["consent_source", "do_not_contact"])
    ]
    opted.refresh_from_db()
    assert (opted.do_not_contact, opted.consent_source) == (True, "web form")
    new = Lead.objects.get(email_normalised="c@acme.example")
    assert new.do_not_contact
    change = ConsentChange.objects.get(lead=new)
    assert (change.kind, change.via, change.actor_user_id) == ("opt_out", "import", marketer.pk)


# --- recording and reversing an opt-out --------------------------------------------------


def test_an_sdr_records_an_opt_out_on_the_lead_page_and_the_queue_says_why(client, sdr):
    lead = LeadFactory(name="Li Na", stage="sal", owner=sdr, team=sdr.teams.get(), assigned_at=T0)
    client.force_login(sdr)

    response = client.post(
        reverse("leads:lead_act", args=[lead.pk, "opt_out"]),
        {"opt_out-note": "Asked on the phone not to be called again."},
    )

    assert response.status_code == 302
    assert response["Location"] == reverse("leads:queue")  # no longer theirs to work
    lead.refresh_from_db()
    assert (lead.do_not_contact, lead.stage, lead.owner_id) == (True, "nurture", None)
    change = ConsentChange.objects.get(lead=lead)
    assert (change.kind, change.actor_user_id, change.via, change.reason) == (
        "opt_out",
        sdr.pk,
        "page",
        "Asked on the phone not to be called again.",
    )
    queue = client.get(reverse("leads:queue")).content.decode()
    assert f'data-opted-out-lead="{lead.pk}"' in queue
    assert "Li Na" in queue
    # they still read the lead they worked, with nothing left to do on it
    page = client.get(reverse("leads:lead_detail", args=[lead.pk]))
    assert page.status_code == 200
    assert "data-work-form" not in page.content.decode()


def test_a_director_and_an_integration_may_not_record_an_opt_out(api_as, director, integration):
    lead = LeadFactory(stage="mql")
    for user in (director, integration):
        response = api_as(user).post(f"{LEADS}{lead.pk}/opt-out/", {}, "json")
        assert response.status_code == 403
    lead.refresh_from_db()
    assert not lead.do_not_contact
    assert not ConsentChange.objects.exists()


def test_reversing_needs_the_role_and_a_reason(api_as, sdr, sales_manager, marketer):
    lead = _opted_out_in_queue(sdr)
    url = f"{LEADS}{lead.pk}/opt-out/reverse/"

    for user in (sdr, sales_manager):
        forbidden = api_as(user).post(url, {"reason": "they asked again"}, "json")
        assert forbidden.status_code == 403, user
    missing = api_as(marketer).post(url, {"reason": "   "}, "json")
    assert missing.status_code == 400
    assert "reason" in missing.json()["errors"]
    lead.refresh_from_db()
    assert lead.do_not_contact
    assert not ConsentChange.objects.filter(kind="reversal").exists()

    done = api_as(marketer).post(url, {"reason": "Signed the consent form at the expo."}, "json")

    assert done.status_code == 200
    body = done.json()
    assert body["do_not_contact"] is False
    assert [c["kind"] for c in body["history"]] == ["reversal"]
    assert body["history"][0]["reason"] == "Signed the consent form at the expo."
    assert body["history"][0]["actor_user"]["id"] == marketer.pk
    lead.refresh_from_db()
    assert not lead.do_not_contact
    again = api_as(marketer).post(url, {"reason": "again"}, "json")
    assert again.status_code == 409


def test_an_admin_reverses_on_the_lead_page_and_the_history_shows_it(client, admin_user, sdr):
    lead = LeadFactory(stage="mql", owner=sdr, team=sdr.teams.get(), assigned_at=T0)
    work.lead_opt_out_record(lead=lead, by=sdr, note="Said no on WeChat.")
    client.force_login(admin_user)
    url = reverse("leads:lead_act", args=[lead.pk, "opt_out_reverse"])

    refused = client.post(url, {"opt_out_reverse-reason": ""})
    assert refused.status_code == 400
    assert Lead.objects.get(pk=lead.pk).do_not_contact

    done = client.post(url, {"opt_out_reverse-reason": "Opted back in by email."})

    assert done.status_code == 302
    lead.refresh_from_db()
    assert (lead.do_not_contact, lead.stage) == (False, "nurture")  # back only by scoring
    html = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()
    assert html.count("data-consent-kind=") == 2
    assert 'data-consent-kind="opt_out"' in html
    assert 'data-consent-kind="reversal"' in html
    assert "Said no on WeChat." in html
    assert "Opted back in by email." in html
    assert "data-opt-out-notice" not in html


def test_the_lead_page_tells_the_opt_out_and_the_timeline_why_it_left(client, marketer, sdr):
    lead = LeadFactory(stage="sal", owner=sdr, team=sdr.teams.get(), assigned_at=T0)
    work.lead_opt_out_record(lead=lead, by=sdr, via="api")
    client.force_login(marketer)

    html = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()

    assert "data-opt-out-notice" in html
    assert "This person opted out on" in html
    assert "Opted out: do not contact" in html  # the consent event in the timeline
    assert "It left the queue of Sam East (team SDR East)" in html
    assert "the opt-out rule" in html
    assert 'data-work-form="opt_out_reverse"' in html


def test_the_consent_api_lists_the_history(api_as, marketer, integration):
    api = api_as(integration)
    lead_id = _post(
        api,
        {"email": "h@acme.example", "source_channel": "event", "consent_source": "web form"},
    ).json()["id"]
    _post(api, {"email": "h@acme.example", "source_channel": "event", "do_not_contact": True})

    body = api_as(marketer).get(f"{LEADS}{lead_id}/consent/").json()

    assert [(c["kind"], c["consent_source"], c["via"]) for c in body["history"]] == [
        ("recorded", "web form", "api"),
        ("opt_out", "web form", "api"),
    ]
    assert body["do_not_contact"] is True


def test_the_data_migration_takes_opted_out_leads_out_of_sales(sdr):
    import importlib

    from django.apps import apps

    migration = importlib.import_module("leads.migrations.0008_opted_out_leads_leave_sales")
    stuck = _opted_out_in_queue(sdr, stage="sal")
    won = LeadFactory(stage="won", do_not_contact=True)
    open_lead = LeadFactory(stage="mql", owner=sdr, team=sdr.teams.get())

    migration.forwards(apps, None)

    stuck.refresh_from_db()
    assert (stuck.stage, stuck.owner_id, stuck.team_id) == ("nurture", None, None)
    event = LeadEvent.objects.get(lead=stuck)
    assert (event.from_stage, event.to_stage, event.actor_system, event.reason) == (
        "sal",
        "nurture",
        "opt-out",
        "opted_out",
    )
    assert event.data["from_user"] == sdr.pk
    assert Lead.objects.get(pk=won.pk).stage == "won"
    assert Lead.objects.get(pk=open_lead.pk).stage == "mql"
