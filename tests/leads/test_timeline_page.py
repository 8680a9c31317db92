"""The lead page's timeline, worded: a lead that went through a whole life (intake →
MQL by the scoring model → routed by a rule → accepted → touches → BANT → converted
→ routed to an AE → accepted into the pipeline → opportunity stage) reads in words,
in English and Chinese, with no raw key, id or reason code; and the page's query
count does not grow with the number of entries."""

from __future__ import annotations

import datetime as dt
import html as html_lib
import re

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from leads.intake.activities import activities_ingest
from leads.intake.services import leads_ingest
from leads.models import Lead, LeadEvent, LeadReturn, Opportunity, RoutingRule
from leads.people.models import Team
from leads.pipeline import services as pipeline_services
from leads.queue import work
from leads.scoring.services import ensure_default_model
from tests.factories import AccountFactory, LeadFactory, TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


def timeline_html(response) -> str:
    html = response.content.decode()
    start = html.index('<ol class="timeline">')
    return html[start : html.index("</ol>", start) + 5]


def timeline_text(response) -> str:
    """What a reader sees of the timeline: its text, tags and attributes removed."""
    text = re.sub(r"<[^>]+>", " ", timeline_html(response))
    return html_lib.unescape(re.sub(r"\s+", " ", text))


def titles(response) -> list[str]:
    found = re.findall(r'<div class="tl-title"><strong>([^<]*)</strong>', timeline_html(response))
    return [html_lib.unescape(title) for title in found]


@pytest.fixture
def full_life(integration, sdr, sdr_team_east, ae):
    return live_a_whole_life(integration, sdr, sdr_team_east, ae)


def live_a_whole_life(integration, sdr, sdr_team_east, ae) -> Lead:
    """One lead's whole life through the real services, minutes apart (from NOW)."""
    traveller = time_machine.travel(NOW, tick=False)
    clock = traveller.start()

    def later(minutes=1):
        clock.shift(dt.timedelta(minutes=minutes))

    try:
        ensure_default_model(enqueue=False)
        sdr_team_east.mode = Team.Mode.ROUND_ROBIN
        sdr_team_east.save()
        ae_team = TeamFactory(name="AE North", kind="ae", mode=Team.Mode.ROUND_ROBIN)
        ae_team.members.add(ae)
        RoutingRule.objects.create(
            name="US software", order=1, conditions={"country": ["US"]}, team=sdr_team_east
        )
        leads_ingest(
            rows=[
                {
                    "email": "li.wei@acme-robotics.com",
                    "name": "Li Wei",
                    "company": "Acme Robotics",
                    "employees": 800,
                    "industry": "Software",
                    "country": "US",
                    "seniority": "vp",
                    "source_channel": "website",
                    "campaign": "Spring webinar",
                }
            ],
            source_system="web",
            actor_user=integration,
        )
        lead = Lead.objects.get(email="li.wei@acme-robotics.com")
        later()
        activities_ingest(
            items=[
                {"type": "demo_request", "occurred_at": timezone.now(), "lead": lead.pk},
                {
                    "type": "pricing_page",
                    "occurred_at": timezone.now(),
                    "lead": lead.pk,
                    "properties": {"url": "/pricing"},
                },
            ],
            source="web",
        )
        lead.refresh_from_db()
        assert (lead.stage, lead.owner) == ("mql", sdr)
        later()
        work.lead_accept(lead=lead, by=sdr)
        later(30)
        work.touch_log(lead=lead, by=sdr, channel="call", outcome="no_answer")
        later(60)
        work.touch_log(
            lead=lead, by=sdr, channel="wechat", outcome="connected", note="Wants a demo on Friday"
        )
        later()
        work.qualification_update(
            lead=lead,
            by=sdr,
            criteria={
                "budget": {"value": "yes", "note": "CNY 200k approved"},
                "authority": "yes",
                "need": "yes",
                "timing": {"value": "yes", "note": "Q2"},
            },
        )
        later()
        work.lead_convert(lead=lead, by=sdr)
        lead.refresh_from_db()
        assert lead.owner == ae
        later(120)
        opportunity = pipeline_services.sql_accept(
            lead=lead, by=ae, amount="120000", expected_close="2026-06-30", name="Acme rollout"
        )
        later()
        pipeline_services.opportunity_update(opportunity=opportunity, by=ae, stage="validation")
    finally:
        traveller.stop()  # the clock runs again for the page (and a live server)
    return Lead.objects.get(pk=lead.pk)


# Codes and keys the events store; none may reach a reader.
RAW = re.compile(
    r"to_user|from_user|to_team|from_team|opportunity_id|touch_id|return_id|model_version"
    r"|applies_to|trigger|round_robin|default_team|not_icp|no_answer|stage_change"
    r"|score_change|[{}\[\]]|\bNone\b|\bTrue\b|\bFalse\b|\bmql\b|\bsal\b"
)

EN_TITLES = [
    "Lead received",
    "Demo request",
    "Pricing page visit",
    "Score 75 → 150",
    "Passed to sales",
    "Assigned to Sam East (team SDR East)",
    "Accepted by the SDR",
    "Call: No answer",
    "WeChat: Connected",
    "Qualification (BANT)",
    "Converted by the SDR",
    "Assigned to Alex Closer (team AE North)",
    "Accepted into the pipeline",
    "Opportunity stage changed",
]
ZH_TITLES = [
    "收到线索",
    "预约演示",
    "访问价格页",
    "评分 75 → 150",
    "移交销售",
    "分配给 Sam East（团队：SDR East）",
    "销售开发代表已接受",
    "电话：无人接听",
    "微信：已接通",
    "资格评估（BANT）",
    "销售开发代表已转化",
    "分配给 Alex Closer（团队：AE North）",
    "已接受进入销售管道",
    "商机阶段变更",
]


@pytest.mark.parametrize(
    ("language", "expected_titles", "phrases"),
    [
        (
            "en",
            EN_TITLES,
            [
                "Why Routing rule “US software”, weighted round-robin",
                "Budget Yes — CNY 200k approved",
                "Timing Yes — Q2",
                "Wants a demo on Friday",
                "Before Sam East (team SDR East)",
                "Opportunity “Acme rollout”.",
                "Amount CNY 120,000.00",
                "Stage 1 · Discovery → 2 · Validation (POC / trial)",
                "Inquiry → MQL",
                "SQL → Opportunity",
            ],
        ),
        (
            "zh-hans",
            ZH_TITLES,
            [
                "原因 分配规则“US software”，加权轮询",
                "预算 是 — CNY 200k approved",
                "之前 Sam East（团队：SDR East）",
                "商机“Acme rollout”。",
                "金额 ¥120,000.00",
                "询盘 → MQL",
                "SQL → 商机",
                "评分模型 v1",
                "自动分配",
            ],
        ),
    ],
)
def test_a_whole_life_reads_in_words(
    client, marketer, full_life, language, expected_titles, phrases
):
    client.force_login(marketer)

    response = client.get(
        reverse("leads:lead_detail", args=[full_life.pk]), HTTP_ACCEPT_LANGUAGE=language
    )

    assert response.status_code == 200
    assert titles(response) == expected_titles[::-1]  # newest first
    text = timeline_text(response)
    for phrase in phrases:
        assert phrase in text
    assert RAW.findall(text) == []


def test_the_timeline_runs_newest_first_with_a_toggle_for_oldest_first(client, marketer, full_life):
    client.force_login(marketer)
    url = reverse("leads:lead_detail", args=[full_life.pk])

    newest = client.get(url)
    oldest = client.get(url, {"timeline": "oldest"})

    assert titles(newest) == EN_TITLES[::-1]
    assert titles(oldest) == EN_TITLES
    # the actions come before the timeline; the toggle links the other order
    html = newest.content.decode()
    assert html.index("data-lead-actions") < html.index('<ol class="timeline">')
    assert f'href="{url}?timeline=oldest" data-order="oldest"' in html
    assert "entries, newest first" in html
    assert "entries, oldest first" in oldest.content.decode()
    assert 'data-order="oldest" class="active"' in oldest.content.decode()


def test_an_unknown_timeline_order_answers_400_naming_the_field(client, marketer, full_life):
    client.force_login(marketer)

    response = client.get(
        reverse("leads:lead_detail", args=[full_life.pk]), {"timeline": "sideways\x00"}
    )

    assert response.status_code == 400
    assert "Timeline order: “sideways\\x00” is not one of: newest, oldest." in (
        html_lib.unescape(response.content.decode())
    )
    assert titles(response) == EN_TITLES[::-1]  # still the page, newest first


def rich_events(lead, n: int, *, users, teams, returns, opportunity) -> None:
    """``n`` events of every kind that names people, teams, returns and opportunities."""
    for i in range(n):
        LeadEvent.objects.create(
            lead=lead,
            kind="assignment",
            actor_system="routing",
            reason="rule",
            data={
                "from_user": users[i - 1].pk,
                "from_team": teams[i - 1].pk,
                "to_user": users[i].pk,
                "to_team": teams[i].pk,
                "mode": "round_robin",
                "rule": {"id": 1, "name": f"Rule {i}"},
                "account_match": {"id": lead.account_id, "by": "domain"},
            },
        )
        LeadEvent.objects.create(
            lead=lead,
            kind="dispute",
            actor_user=users[i],
            reason="open",
            data={"return_id": returns[i].pk, "note": "unfair"},
        )
        LeadEvent.objects.create(
            lead=lead,
            kind="note",
            actor_user=users[i],
            reason="opportunity_stage",
            data={"opportunity_id": opportunity.pk, "from": "discovery", "to": "validation"},
        )


@pytest.fixture
def rich_lead(sdr, ae):
    lead = LeadFactory(stage="opportunity", owner=ae, account=AccountFactory())
    users = [UserFactory(first_name=f"P{i}", last_name="Person") for i in range(30)]
    teams = [TeamFactory() for _ in range(30)]
    returns = [
        LeadReturn.objects.create(
            lead=lead, returned_by=sdr, reason="not_icp", from_stage="mql", to_stage="nurture"
        )
        for _ in range(30)
    ]
    opportunity = Opportunity.objects.create(
        lead=lead,
        owner=ae,
        name="Deal",
        amount=1,
        expected_close=dt.date(2026, 6, 30),
        source="marketing",
    )
    return lead, {"users": users, "teams": teams, "returns": returns, "opportunity": opportunity}


@pytest.mark.parametrize("n", [3, 30])
def test_the_lead_pages_queries_do_not_grow_with_the_timeline(
    client, marketer, rich_lead, django_assert_num_queries, n
):
    lead, refs = rich_lead
    rich_events(lead, n, **refs)
    client.force_login(marketer)

    # session, user, groups (roles), the lead with account and owner, activities, events
    # with their actors, the predictive snapshot, the consent history — then one query
    # each for the people, teams, accounts, opportunities and returns the events name;
    # the SLA clocks (sla.clocks), the bell's unread count (sla.notify)
    with django_assert_num_queries(15):
        response = client.get(reverse("leads:lead_detail", args=[lead.pk]))

    assert len(response.context["timeline"]) == 3 * n
    assert f"P{n - 1} Person" in timeline_text(response)
    assert "Rule 0" in timeline_text(response)


def test_unknown_keys_show_escaped(client, marketer):
    lead = LeadFactory()
    LeadEvent.objects.create(
        lead=lead,
        kind="note",
        actor_system="<b>sync</b>",
        reason="<i>x</i>",
        data={"<script>k</script>": "<img src=x onerror=alert(1)>"},
    )
    client.force_login(marketer)

    html = timeline_html(client.get(reverse("leads:lead_detail", args=[lead.pk])))

    assert "<script>" not in html
    assert "<img" not in html
    assert "<b>sync" not in html
    assert "&lt;script&gt;k&lt;/script&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html
    assert "Reason: &lt;i&gt;x&lt;/i&gt;" in html
