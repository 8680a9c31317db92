"""leads.timeline: every event kind the services write, in words, in English and in
Chinese — ids resolved to names, reason codes to their labels — and what no wording
knows still shown rather than dropped.

Events are written by the real services (intake, re-scoring, routing, the queue,
working a lead); the demo's own shapes are written as ``leads.demo.company`` writes them."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from leads.demo import company as demo
from leads.intake.activities import activities_ingest
from leads.intake.services import leads_ingest
from leads.models import DomainListEntry, Lead, LeadEvent, LeadReturn, RoutingRule
from leads.people.models import Team
from leads.pipeline import services as pipeline_services
from leads.queue import work
from leads.queue.claim import claim_next
from leads.queue.routing import lead_assign, person_set_away, route_lead
from leads.scoring.services import ensure_default_model
from leads.selectors import lead_timeline
from leads.timeline import Words
from tests.factories import AccountFactory, LeadFactory, TeamFactory, UserFactory
from tests.helpers import rolled_back
from tests.leads.test_timeline_page import RAW

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)  # 17:00 in Shanghai
EN, ZH = "en", "zh-hans"


@pytest.fixture(autouse=True)
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def words(lead, kind: str, language: str = EN) -> list[Words]:
    with translation.override(language):
        return [e["words"] for e in lead_timeline(lead=lead) if e["words"].kind == kind]


def shown(w: Words) -> list[str]:
    """An entry as lines: title, stages, actor, reason, sentences, facts, note."""
    lines = [w.title]
    if w.from_stage or w.to_stage:
        lines.append(f"{w.from_label or '∅'} → {w.to_label}")
    lines.append(f"by {w.actor}")
    if w.reason:
        lines.append(f"reason: {w.reason}")
    lines += w.sentences
    lines += [f"{fact.label}: {fact.value}" for fact in w.facts]
    if w.note:
        lines.append(f"note: {w.note}")
    return lines


def both(en: list[str], zh: list[str]):
    return pytest.mark.parametrize(("language", "expected"), [(EN, en), (ZH, zh)])


@pytest.fixture
def ae_team(ae):
    team = TeamFactory(name="AE North", kind="ae", mode=Team.Mode.ROUND_ROBIN)
    team.members.add(ae)
    return team


def sal_lead(sdr, team, **kwargs):
    return LeadFactory(stage="sal", owner=sdr, team=team, **kwargs)


# ----------------------------------------------------------------- intake and scoring


def _ingest(integration, **row):
    leads_ingest(
        rows=[{"email": "li.wei@acme-robotics.com", "source_channel": "website", **row}],
        source_system="web",
        actor_user=integration,
    )
    return LeadEvent.objects.filter(lead__email="li.wei@acme-robotics.com").latest("id").lead


@both(
    ["Lead received", "∅ → Inquiry", "by Bo Hu", "Source channel: Event", "Campaign: Expo 2026"],
    ["收到线索", "∅ → 询盘", "by Bo Hu", "来源渠道: 活动", "营销活动: Expo 2026"],
)
def test_created_by_intake(integration, language, expected):
    integration.first_name, integration.last_name = "Bo", "Hu"
    integration.save()
    lead = _ingest(integration, source_channel="event", campaign="Expo 2026")

    assert [shown(w) for w in words(lead, "created", language)] == [expected]


@both(
    [
        "Updated by intake",
        "by web",
        "Job title: — → CTO",
        "Seniority: Unknown → Executive (C-level)",
        "Company name as given: — → Acme Robotics",
    ],
    [
        "接入时更新",
        "by web",
        "职位: — → CTO",
        "职级: 未知 → 高管（C 级）",
        "填写的公司名称: — → Acme Robotics",
    ],
)
def test_updated_by_intake_names_fields_values_and_the_account(integration, language, expected):
    lead = _ingest(integration)
    leads_ingest(
        rows=[
            {
                "email": "li.wei@acme-robotics.com",
                "source_channel": "website",
                "title": "CTO",
                "seniority": "executive",
                "company": "Acme Robotics",
            }
        ],
        source_system="web",
        actor_system="web",
    )

    (updated,) = words(lead, "updated", language)
    assert shown(updated)[:2] == expected[:2]
    assert sorted(shown(updated)[2:]) == sorted(expected[2:])


def test_updated_resolves_the_account_and_formats_values():
    account = AccountFactory(name="Acme Robotics")
    lead = LeadFactory()
    LeadEvent.objects.create(
        lead=lead,
        kind="updated",
        actor_system="hubspot",
        data={
            "changed": {
                "account_id": [None, account.pk],
                "email": ["li@old.example", "li@acme.example"],
                "email_normalised": ["li@old.example", "li@acme.example"],
                "do_not_contact": [False, True],
                "consent_at": [None, "2026-03-01T08:00:00+00:00"],
                "source_channel": ["website", "wechat"],
            }
        },
    )

    assert shown(words(lead, "updated")[0]) == [
        "Updated by intake",
        "by hubspot",
        "Email: li@old.example → li@acme.example",
        "Account: — → Acme Robotics",
        "Source channel: Website → WeChat",
        "Do not contact: No → Yes",
        "Consent given: — → 03/01/2026 4 p.m.",
    ]


@pytest.fixture
def published(db):
    return ensure_default_model(enqueue=False)[0]


def _hot(lead):
    activities_ingest(
        items=[
            {"type": "demo_request", "occurred_at": NOW, "lead": lead.pk},
            {"type": "pricing_page", "occurred_at": NOW, "lead": lead.pk},
        ],
        source="web",
    )


@both(
    ["Score 75 → 150", "by scoring model v1", "Grade: A", "Quadrant: Nurture → Hot"],
    ["评分 75 → 150", "by 评分模型 v1", "等级: A", "象限: 培育 → 热门"],
)
def test_score_change_and_the_scoring_models_mql(published, integration, language, expected):
    lead = _ingest(integration, employees=800, industry="Software", country="US", seniority="vp")
    RoutingRule.objects.all().delete()
    _hot(lead)

    assert [shown(w) for w in words(lead, "score_change", language)] == [expected]
    (mql,) = words(lead, "stage_change", language)
    if language == EN:
        assert shown(mql) == [
            "Passed to sales",
            "Inquiry → MQL",
            "by scoring model v1",
            "Score 150, grade A.",
        ]
    else:
        assert shown(mql) == ["移交销售", "询盘 → MQL", "by 评分模型 v1", "评分 150，等级 A。"]


def test_a_first_score_has_no_before():
    lead = LeadFactory()
    LeadEvent.objects.create(
        lead=lead,
        kind="score_change",
        actor_system="scoring model v4",
        data={
            "old": {"total": None, "grade": "", "quadrant": ""},
            "new": {"total": 42.5, "grade": "C", "quadrant": "drop"},
            "model_version": 4,
        },
    )

    assert [shown(w) for w in words(lead, "score_change")] == [
        ["Scored 42.5", "by scoring model v4", "Grade: C", "Quadrant: Drop"]
    ]


# ----------------------------------------------------------------- routing and the queue


@both(
    [
        "Assigned to Sam East (team SDR East)",
        "by routing",
        "Routed when it became an MQL.",
        "Why: Routing rule “US software”, weighted round-robin",
    ],
    [
        "分配给 Sam East（团队：SDR East）",
        "by 自动分配",
        "成为 MQL 时自动分配。",
        "原因: 分配规则“US software”，加权轮询",
    ],
)
def test_assignment_by_a_rule_round_robin(sdr, sdr_team_east, language, expected):
    sdr_team_east.mode = Team.Mode.ROUND_ROBIN
    sdr_team_east.save()
    RoutingRule.objects.create(name="US software", order=1, team=sdr_team_east)
    lead = LeadFactory(stage="mql")
    route_lead(lead=lead, reason="mql")

    assert [shown(w) for w in words(lead, "assignment", language)] == [expected]


@both(
    [
        "Waiting in the pool of team SDR East",
        "by routing",
        "Why: Routing rule “Pool”",
        "Assigned to Sam East (team SDR East)",
        "by Sam East",
        "Why: Claimed from the pool",
        "Before: the pool of team SDR East",
    ],
    [
        "在团队 SDR East 的线索池中等待",
        "by 自动分配",
        "原因: 分配规则“Pool”",
        "分配给 Sam East（团队：SDR East）",
        "by Sam East",
        "原因: 从线索池认领",
        "之前: 团队 SDR East 的线索池",
    ],
)
def test_a_pool_then_a_claim(sdr, sdr_team_east, language, expected):
    RoutingRule.objects.create(name="Pool", order=1, team=sdr_team_east)
    lead = LeadFactory(stage="mql", score_quadrant="hot")
    route_lead(lead=lead)
    assert claim_next(user=sdr).pk == lead.pk

    assert [line for w in words(lead, "assignment", language) for line in shown(w)] == expected


def test_account_owner_and_a_match_by_email_domain(sdr):
    AccountFactory(name="Acme Robotics", domain="acme.example", owner=sdr)
    lead = LeadFactory(stage="mql", email="li@acme.example", email_normalised="li@acme.example")
    route_lead(lead=lead)

    assert [shown(w) for w in words(lead, "assignment")] == [
        [
            "Assigned to Sam East (team SDR East)",
            "by routing",
            "Matched to the account “Acme Robotics” by the email domain.",
            "Why: Owner of the account “Acme Robotics”",
        ]
    ]
    (zh,) = words(lead, "assignment", ZH)
    assert zh.sentences == ["按邮箱域名匹配到客户“Acme Robotics”。"]


def test_manual_assignment_names_the_manager_the_people_and_the_note(sales_manager, sdr):
    (colleague,) = [UserFactory(username="ann", first_name="Ann", last_name="Lee", roles=["sdr"])]
    sdr.teams.get().members.add(colleague)
    lead = LeadFactory(stage="mql", owner=sdr, team=sdr.teams.get())
    lead_assign(lead=lead, to_user=colleague, by=sales_manager, note="Ann speaks Mandarin")

    assert [shown(w) for w in words(lead, "assignment")] == [
        [
            "Assigned to Ann Lee (team SDR East)",
            "by Max Manager",
            "Why: Assigned by hand",
            "Before: Sam East (team SDR East)",
            "note: Ann speaks Mandarin",
        ]
    ]
    (zh,) = words(lead, "assignment", ZH)
    assert shown(zh)[2:4] == ["原因: 手动分配", "之前: Sam East（团队：SDR East）"]


def test_away_hands_accepted_leads_to_the_manager(sales_manager, sdr):
    lead = LeadFactory(stage="sal", owner=sdr, team=sdr.teams.get())
    person_set_away(user=sdr, away=True, by=sales_manager)

    assert [shown(w) for w in words(lead, "assignment")] == [
        [
            "Assigned to Max Manager (team SDR East)",
            "by Max Manager",
            "The previous owner is away.",
            "Why: Accepted leads of an absent person go to their manager",
            "Before: Sam East (team SDR East)",
        ]
    ]


def test_customer_nobody_available_and_unrouted(sdr, sdr_team_east):
    DomainListEntry.objects.create(domain="client.example", kind="customer")
    customer = LeadFactory(
        stage="mql", email="a@client.example", email_normalised="a@client.example"
    )
    route_lead(lead=customer)
    sdr_team_east.mode = Team.Mode.FEWEST_OPEN
    sdr_team_east.save()
    sdr.is_active = False
    sdr.save()
    waiting = LeadFactory(stage="mql")
    route_lead(lead=waiting)
    lost = LeadFactory(stage="sql")
    route_lead(lead=lost, applies_to="sql")  # no AE team at all

    assert shown(words(customer, "assignment")[0]) == [
        "Offered to customer success",
        "by routing",
        "Why: Already a customer: nobody in sales gets it",
    ]
    assert shown(words(waiting, "assignment")[0]) == [
        "Waiting in the pool of team SDR East",
        "by routing",
        "Why: Nobody in the team was available: it waits in the team pool",
    ]
    assert shown(words(lost, "assignment")[0]) == [
        "Not assigned",
        "by routing",
        "Why: No routing rule matched and there is no team to take it",
    ]
    assert shown(words(lost, "assignment", ZH)[0]) == [
        "未分配",
        "by 自动分配",
        "原因: 没有匹配的分配规则，也没有可接收的团队",
    ]


@both(
    [
        "Excluded",
        "MQL → Excluded",
        "by routing",
        "reason: Competitor",
        "The domain rival.example is on the competitor list: never routed again.",
    ],
    [
        "已排除",
        "MQL → 已排除",
        "by 自动分配",
        "reason: 竞争对手",
        "域名 rival.example 在竞争对手名单中：不再分配。",
    ],
)
def test_a_competitor_excluded_by_routing(language, expected):
    DomainListEntry.objects.create(domain="rival.example", kind="competitor")
    lead = LeadFactory(stage="mql", account=AccountFactory(domain="rival.example"))
    route_lead(lead=lead)

    assert [shown(w) for w in words(lead, "stage_change", language)] == [expected]


# ----------------------------------------------------------------- working a lead


@both(
    [
        ["Accepted by the SDR", "MQL → SAL", "by Sam East"],
        ["Call: No answer", "by Sam East"],
        ["WeChat: Connected", "by Sam East", "note: Wants a demo on Friday"],
        ["Email: No answer", "by Sam East"],
    ],
    [
        ["销售开发代表已接受", "MQL → SAL", "by Sam East"],
        ["电话：无人接听", "by Sam East"],
        ["微信：已接通", "by Sam East", "note: Wants a demo on Friday"],
        ["邮件：无人接听", "by Sam East"],  # an email sent (邮件), not a mailbox (邮箱)
    ],
)
def test_accept_and_touches(sdr, sdr_team_east, language, expected):
    lead = LeadFactory(stage="mql", owner=sdr, team=sdr_team_east)
    work.lead_accept(lead=lead, by=sdr)
    work.touch_log(lead=lead, by=sdr, channel="call", outcome="no_answer")
    work.touch_log(
        lead=lead, by=sdr, channel="wechat", outcome="connected", note="Wants a demo on Friday"
    )
    work.touch_log(lead=lead, by=sdr, channel="email", outcome="no_answer")

    with translation.override(language):
        entries = [e["words"] for e in lead_timeline(lead=lead)]
    assert [shown(w) for w in entries] == expected


@both(
    [
        "Qualification (BANT)",
        "by Sam East",
        "Budget: Yes — CNY 200k approved",
        "Authority: No",
        "Timing: Unknown — after the trade fair",
    ],
    [
        "资格评估（BANT）",
        "by Sam East",
        "预算: 是 — CNY 200k approved",
        "决策权: 否",
        "时机: 未知 — after the trade fair",
    ],
)
def test_qualification_in_the_frameworks_order(sdr, sdr_team_east, language, expected):
    lead = sal_lead(sdr, sdr_team_east)
    work.qualification_update(
        lead=lead,
        by=sdr,
        criteria={
            "timing": {"value": "unknown", "note": "after the trade fair"},
            "budget": {"value": "yes", "note": "CNY 200k approved"},
            "authority": "no",
        },
    )

    assert [shown(w) for w in words(lead, "qualification", language)] == [expected]


def test_meddic_criteria_are_named(sdr, sdr_team_east):
    sdr_team_east.framework = Team.Framework.MEDDIC
    sdr_team_east.save()
    lead = sal_lead(sdr, sdr_team_east)
    work.qualification_update(
        lead=lead, by=sdr, criteria={"economic_buyer": "yes", "identify_pain": "no"}
    )

    assert shown(words(lead, "qualification")[0]) == [
        "Qualification (MEDDIC)",
        "by Sam East",
        "Economic buyer: Yes",
        "Identify pain: No",
    ]


@both(
    [
        [
            "Returned to marketing",
            "SAL → Disqualified",
            "by Sam East",
            "reason: Not ICP",
            "A director overturned it: it does not count against marketing.",
            "note: 20 employees",
        ],
        ["Disqualified", "SAL → Disqualified", "by Sam East"],
        [
            "Marketing disputed the return",
            "by Mia Marketing",
            "Return: Not ICP, 03/02/2026 5 p.m.",
            "note: They have 400 staff",
        ],
        [
            "A director overturned the return",
            "by Dana Director",
            "The return no longer counts against marketing.",
            "Return: Not ICP, 03/02/2026 5 p.m.",
            "note: LinkedIn says 400",
        ],
    ],
    [
        [
            "已退回市场部",
            "SAL → 不合格",
            "by Sam East",
            "reason: 不符合 ICP",
            "总监已驳回该退回：不计入市场部。",
            "note: 20 employees",
        ],
        ["不合格", "SAL → 不合格", "by Sam East"],
        [
            "市场部对退回提出申诉",
            "by Mia Marketing",
            "退回: 不符合 ICP，2026年3月2日 17:00",
            "note: They have 400 staff",
        ],
        [
            "总监驳回了该退回",
            "by Dana Director",
            "该退回不再计入市场部。",
            "退回: 不符合 ICP，2026年3月2日 17:00",
            "note: LinkedIn says 400",
        ],
    ],
)
def test_a_return_its_dispute_and_the_settlement(
    sdr, sdr_team_east, marketer, director, language, expected
):
    lead = sal_lead(sdr, sdr_team_east)
    returned = work.lead_return(
        lead=lead, by=sdr, reason="not_icp", note="20 employees", choice="disqualified"
    )
    work.return_dispute(lead_return=returned, by=marketer, note="They have 400 staff")
    work.return_settle(
        lead_return=returned, by=director, outcome="overturned", note="LinkedIn says 400"
    )

    with translation.override(language):
        entries = [e["words"] for e in lead_timeline(lead=lead)]
    # the return reads as it stands now (overturned); the stage move after it does not
    # repeat its reason and note
    assert [shown(w) for w in entries] == expected
    assert LeadReturn.objects.get().counts_against_marketing is False


def test_a_return_that_still_counts(sdr, sdr_team_east, marketer):
    lead = sal_lead(sdr, sdr_team_east)
    returned = work.lead_return(lead=lead, by=sdr, reason="wrong_information", note="bounced email")
    work.return_dispute(lead_return=returned, by=marketer, note="the email works")

    (returned,) = words(lead, "return")
    assert shown(returned) == [
        "Returned to marketing",
        "SAL → Returned",
        "by Sam East",
        "reason: Wrong information",
        "Counts against marketing's lead quality.",
        "Dispute: Disputed, waiting for a director",
        "note: bounced email",
    ]
    assert shown(words(lead, "stage_change")[0]) == [
        "Returned to marketing for a fix",
        "SAL → Returned",
        "by Sam East",
    ]


@both(
    [
        "Disqualified",
        "SAL → Disqualified",
        "by Sam East",
        "reason: No response",
        "After 6 touch attempts.",
        "note: six calls",
    ],
    [
        "不合格",
        "SAL → 不合格",
        "by Sam East",
        "reason: 无回应",
        "已尝试跟进 6 次。",
        "note: six calls",
    ],
)
def test_disqualify_after_the_attempts(sdr, sdr_team_east, language, expected):
    lead = sal_lead(sdr, sdr_team_east)
    for _ in range(6):
        work.touch_log(lead=lead, by=sdr, channel="call", outcome="no_answer")
    work.lead_disqualify(lead=lead, by=sdr, reason="no_response", note="six calls")

    assert [shown(w) for w in words(lead, "stage_change", language)] == [expected]


def test_convert_the_ae_accepts_moves_and_loses(sdr, sdr_team_east, ae, ae_team):
    lead = sal_lead(sdr, sdr_team_east)
    work.qualification_update(
        lead=lead, by=sdr, criteria={n: "yes" for n in ("budget", "authority", "need", "timing")}
    )
    work.lead_convert(lead=lead, by=sdr)
    lead.refresh_from_db()
    opportunity = pipeline_services.sql_accept(
        lead=lead, by=ae, amount="120000.50", expected_close="2026-06-30", name="Acme rollout"
    )
    pipeline_services.opportunity_update(opportunity=opportunity, by=ae, stage="validation")
    pipeline_services.opportunity_update(
        opportunity=opportunity, by=ae, stage="lost", lost_reason="Budget cut"
    )

    moves = [shown(w) for w in words(lead, "stage_change")]
    assert moves == [
        ["Converted by the SDR", "SAL → SQL", "by Sam East", "Qualified with BANT."],
        [
            "Accepted into the pipeline",
            "SQL → Opportunity",
            "by Alex Closer",
            "Opportunity “Acme rollout”.",
            "Pipeline source: Marketing-sourced",
            "Amount: CNY\xa0120,000.50",
            "Expected close date: 06/30/2026",
        ],
        [
            "Lost",
            "Opportunity → Lost",
            "by Alex Closer",
            "Opportunity “Acme rollout”.",
            "Lost reason: Budget cut",
            "Amount: CNY\xa0120,000.50",
        ],
    ]
    assert [shown(w) for w in words(lead, "note")] == [
        [
            "Opportunity stage changed",
            "by Alex Closer",
            "Opportunity “Acme rollout”.",
            "Stage: 1 · Discovery → 2 · Validation (POC / trial)",
        ]
    ]
    assert shown(words(lead, "assignment")[0])[:3] == [
        "Assigned to Alex Closer (team AE North)",
        "by routing",
        "Routed to the account executives when it became an SQL.",
    ]
    zh_moves = [shown(w) for w in words(lead, "stage_change", ZH)]
    assert zh_moves[1][3:] == [
        "商机“Acme rollout”。",
        "管道来源: 市场来源",
        "金额: ¥120,000.50",
        "预计成交日期: 2026年6月30日",
    ]
    assert shown(words(lead, "note", ZH)[0])[0] == "商机阶段变更"


def test_marketing_resends_and_moves_with_its_own_reason(sdr, sdr_team_east, marketer):
    lead = sal_lead(sdr, sdr_team_east)
    work.lead_return(lead=lead, by=sdr, reason="wrong_information")
    work.lead_resend(lead=lead, by=marketer, note="phone fixed")
    other = LeadFactory(stage="inquiry")
    work.lead_marketing_move(lead=other, by=marketer, to_stage="nurture", reason="student")

    resent = [w for w in words(lead, "stage_change") if w.to_stage == "mql"]
    assert shown(resent[0]) == [
        "Passed to sales",
        "Returned → MQL",
        "by Mia Marketing",
        "reason: Fixed and re-sent",
        "note: phone fixed",
    ]
    assert shown(words(other, "stage_change")[0]) == [
        "Sent to nurture",
        "Inquiry → Nurture",
        "by Mia Marketing",
        "reason: student",
    ]


# ----------------------------------------------------------------- the demo's shapes


def test_the_demos_events_read_in_words(sdr, ae):
    lead = LeadFactory(source_system="demo")

    def event(kind, user=None, system="", reason="", data=None, **stages):
        LeadEvent.objects.create(
            lead=lead,
            kind=kind,
            actor_user=user,
            actor_system=system,
            reason=reason,
            data=data or {},
            **stages,
        )

    event(
        "created",
        system="demo intake",
        to_stage="inquiry",
        data={"channel": "wechat", "synthetic": True},
    )
    event(
        "stage_change",
        system="scoring model v1",
        from_stage="inquiry",
        to_stage="mql",
        data={"score": 81, "grade": "A"},
    )
    event(
        "assignment",
        system="router v1",
        data={"owner": sdr.pk, "previous_owner": None, "team": "SDR East"},
    )
    event("touch", user=sdr, data={"channel": "phone", "outcome": "voicemail"})
    event("qualification", user=sdr, data={"framework": "MEDDIC", "metrics": True, "pain": True})
    event(
        "stage_change",
        user=ae,
        from_stage="sql",
        to_stage="opportunity",
        data={"amount": 25300, "currency": "USD", "close_date": "2026-05-01"},
    )
    event(
        "stage_change",
        user=ae,
        from_stage="opportunity",
        to_stage="lost",
        reason="no_decision",
        data={"amount": 25300},
    )

    with translation.override(EN):
        entries = [shown(e["words"]) for e in lead_timeline(lead=lead)]
    assert entries == [
        [
            "Lead received",
            "∅ → Inquiry",
            "by intake",
            "Synthetic demo data.",
            "Source channel: WeChat",
        ],
        ["Passed to sales", "Inquiry → MQL", "by scoring model v1", "Score 81, grade A."],
        ["Assigned to Sam East (team SDR East)", "by routing"],
        ["Call: Voicemail", "by Sam East"],
        ["Qualification (MEDDIC)", "by Sam East", "Metrics: Yes", "Identify pain: Yes"],
        [
            "Accepted into the pipeline",
            "SQL → Opportunity",
            "by Alex Closer",
            "Amount: USD\xa025,300.00",
            "Expected close date: 05/01/2026",
        ],
        [
            "Lost",
            "Opportunity → Lost",
            "by Alex Closer",
            "Lost reason: No decision",
            "Amount: 25,300.00",
        ],
    ]


# ----------------------------------------------------------------- what nobody worded


def test_unknown_keys_and_missing_references_still_show():
    lead = LeadFactory()
    LeadEvent.objects.create(
        lead=lead,
        kind="assignment",
        actor_system="crm-sync",
        reason="territory",
        data={"to_user": 987654, "to_team": 10**30, "territory": {"code": "APAC"}},
    )
    LeadEvent.objects.create(lead=lead, kind="mystery", actor_system="x", reason="why", data=[1])

    assignment, mystery = (e["words"] for e in lead_timeline(lead=lead))
    assert shown(assignment) == [
        "Assigned to a former user (team a deleted team)",  # no query for 10**30
        "by crm-sync",
        "Why: Territory",
        'territory: {"code": "APAC"}',
    ]
    assert shown(mystery) == ["mystery", "by x", "reason: why", "data: [1]"]


class TestTheSeededDemo:
    """The demo company, seeded once (at NOW) for both languages, inside a transaction
    rolled back after the class (see tests.helpers.rolled_back)."""

    @pytest.fixture(scope="class")
    @classmethod
    def seeded_demo(cls, django_db_setup, django_db_blocker):
        with django_db_blocker.unblock(), rolled_back(), time_machine.travel(NOW, tick=False):
            demo.demo_seed(leads=200, seed=7, now=NOW)
            yield

    @pytest.mark.parametrize("language", [EN, ZH])
    def test_every_entry_of_the_seeded_demo_reads_in_words(self, seeded_demo, language):
        kinds = set()
        with translation.override(language):
            for lead in Lead.objects.all():
                for entry in lead_timeline(lead=lead):
                    w = entry["words"]
                    kinds.add(w.kind)
                    texts = [w.title, w.reason, *w.sentences, w.note]
                    texts += [f"{fact.label}: {fact.value}" for fact in w.facts]
                    assert RAW.findall(" ".join(texts)) == [], shown(w)
                    # no fact is labelled with a stored key (snake_case)
                    assert not [f.label for f in w.facts if "_" in f.label], shown(w)
        assert {
            "created",
            "stage_change",
            "assignment",
            "touch",
            "qualification",
            "activity",
        } <= kinds
