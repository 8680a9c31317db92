"""The demo company (``leads.demo.company`` and ``manage.py seed_demo`` / ``demo_logins``).

Runs on whichever database DATABASE_URL names: SQLite takes the bulk-insert
path, PostgreSQL the COPY path.
"""

from __future__ import annotations

import html
import re
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from rest_framework.authtoken.models import Token

from leads import integrity
from leads.demo import company as demo
from leads.intake.normalize import DEFAULT_FREE_MAIL_DOMAINS, normalize_email, normalize_phone
from leads.models import (
    Account,
    Activity,
    ConsentChange,
    Lead,
    LeadEvent,
    LeadReturn,
    Opportunity,
    Stage,
    Touch,
)
from leads.people import roles
from leads.people.models import Team
from leads.scoring.rescore import OPEN_STAGES
from tests.factories import LeadFactory
from tests.helpers import rolled_back

NOW = datetime(2025, 6, 30, 2, 0, tzinfo=UTC)
SCORING = "scoring model v1"
LEADS = 300
SIDE_STAGES = ("returned", "nurture", "disqualified", "customer_success", "excluded")

# product.md, "Lifecycle": every transition the demo may write.
ALLOWED = {
    "inquiry": {"mql", "nurture", "disqualified", "excluded"},
    "mql": {"sal", "returned", "nurture", "disqualified", "customer_success", "excluded"},
    "sal": {"sql", "returned", "nurture", "disqualified", "customer_success", "excluded"},
    "returned": {"mql", "nurture", "disqualified"},
    "sql": {"opportunity", "nurture", "disqualified"},
    "opportunity": {"won", "lost"},
    "nurture": {"mql"},
    "lost": {"nurture"},
}


# The tests that write seed their own company: a smaller one, as their point (the same
# seed, the same rows; fresh ids after a seed) does not grow with it.
WRITERS_LEADS = 100


@pytest.fixture
def seeded(db):
    return demo.demo_seed(leads=WRITERS_LEADS, seed=7, now=NOW)


def _events_by_lead() -> dict[int, list[LeadEvent]]:
    events = defaultdict(list)
    for event in LeadEvent.objects.order_by("lead_id", "id"):
        events[event.lead_id].append(event)
    return events


def _team_members(name: str) -> set[int]:
    return set(Team.objects.get(name=name).members.values_list("pk", flat=True))


@pytest.mark.django_db
class TestOneSeededCompany:
    """Checks that only read the demo company: it is seeded once for the class, inside
    a transaction rolled back after the class's last test (each test's own atomic block
    nests in it). Tests that write seed their own (the module's ``seeded``)."""

    @pytest.fixture(scope="class")
    @classmethod
    def seeded(cls, django_db_setup, django_db_blocker):
        with django_db_blocker.unblock(), rolled_back():
            yield demo.demo_seed(leads=LEADS, seed=7, now=NOW)

    def test_every_role_has_a_demo_user_and_the_teams_have_managers(self, seeded):
        users = get_user_model().objects.filter(username__in=demo.DEMO_USERNAMES)
        for role in roles.ROLES:
            assert users.filter(groups__name=role).exists(), role
        admin = users.get(username="admin")
        assert admin.is_staff
        assert admin.check_password(demo.DEMO_PASSWORD)
        integration = users.get(username="integration")
        assert not integration.has_usable_password()
        assert Token.objects.filter(user=integration).count() == 1
        teams = {t.name: t for t in Team.objects.select_related("manager")}
        assert {teams[n].kind for n in (demo.TEAM_SDR_EAST, demo.TEAM_SDR_WEST)} == {"sdr"}
        assert teams[demo.TEAM_AE].kind == "ae"
        assert teams[demo.TEAM_MARKETING].kind == "marketing"
        for name in (demo.TEAM_SDR_EAST, demo.TEAM_SDR_WEST, demo.TEAM_AE):
            assert roles.has_role(teams[name].manager, roles.SALES_MANAGER)
            assert teams[name].members.count() >= 3

    def test_row_counts_are_what_was_written(self, seeded):
        assert seeded.counts == {
            "teams": 4,
            "users": len(demo.DEMO_USERS),
            "accounts": Account.objects.count(),
            "leads": LEADS,
            "activities": Activity.objects.count(),
            "lead events": LeadEvent.objects.count(),
            "leads scored": Lead.objects.filter(stage__in=OPEN_STAGES).count(),
            "leads made MQL by the model": LeadEvent.objects.filter(
                actor_system=SCORING, kind="stage_change", to_stage="mql", at=NOW
            ).count(),
            "touches": Touch.objects.count(),
            "returns": LeadReturn.objects.count(),
            "opportunities": Opportunity.objects.count(),
            "opt-outs": Lead.objects.filter(do_not_contact=True).count(),
        }
        assert (
            Lead.objects.filter(stage__in=OPEN_STAGES, scored_at=NOW).count()
            == (seeded.counts["leads scored"])
        )
        assert (
            Lead.objects.exclude(stage__in=OPEN_STAGES).filter(scored_at__isnull=False).count() == 0
        )
        assert Lead.objects.exclude(source_system=demo.DEMO_SOURCE_SYSTEM).count() == 0
        assert sum(seeded.stages.values()) == LEADS
        assert seeded.counts["activities"] > 3 * LEADS

    def test_each_lead_starts_with_one_created_event(self, seeded):
        events = _events_by_lead()
        assert len(events) == LEADS
        for lead in Lead.objects.all():
            first = events[lead.pk][0]
            assert (first.kind, first.from_stage, first.to_stage) == ("created", None, "inquiry")
            assert first.at == lead.received_at
            assert sum(e.kind == "created" for e in events[lead.pk]) == 1

    def test_stage_and_owner_agree_with_the_event_log(self, seeded):
        events = _events_by_lead()
        for lead in Lead.objects.all():
            log = events[lead.pk]
            stage_events = [e for e in log if e.kind in ("created", "stage_change")]
            for before, after in zip(stage_events, stage_events[1:], strict=False):
                assert after.from_stage == before.to_stage, lead.pk
                assert after.to_stage in ALLOWED[before.to_stage], (before.to_stage, after.to_stage)
            last = stage_events[-1]
            assert (lead.stage, lead.stage_changed_at) == (last.to_stage, last.at), lead.pk
            assignments = [e for e in log if e.kind == "assignment"]
            expected_owner = assignments[-1].data["to_user"] if assignments else None
            expected_team = assignments[-1].data["to_team"] if assignments else None
            if lead.stage in SIDE_STAGES:  # leaving sales (or opting out) clears them
                expected_owner = expected_team = None
            assert lead.owner_id == expected_owner, lead.pk
            assert lead.team_id == expected_team, lead.pk
            if lead.owner_id:
                assert lead.assigned_at == assignments[-1].at, lead.pk

    def test_events_are_in_time_order_and_never_in_the_future(self, seeded):
        for lead_id, log in _events_by_lead().items():
            times = [e.at for e in log]
            assert times == sorted(times), lead_id
            assert times[-1] <= NOW
        assert not Activity.objects.filter(occurred_at__gt=NOW).exists()
        assert not Lead.objects.filter(received_at__gt=NOW).exists()
        assert not Lead.objects.filter(received_at__lt=NOW - timedelta(days=366)).exists()

    def test_the_right_actor_moves_each_stage(self, seeded):
        sdrs = _team_members(demo.TEAM_SDR_EAST) | _team_members(demo.TEAM_SDR_WEST)
        aes = _team_members(demo.TEAM_AE)
        marketing = _team_members(demo.TEAM_MARKETING)
        for log in _events_by_lead().values():
            owner = None
            for event in log:
                if event.kind == "assignment":
                    owner = event.data["to_user"]
                if event.kind != "stage_change":
                    continue
                step = (event.from_stage, event.to_stage)
                if step == ("inquiry", "mql"):
                    assert (event.actor_system, event.actor_user_id) == (demo.SCORING_SYSTEM, None)
                elif step == ("returned", "mql"):
                    assert event.actor_user_id in marketing
                elif step in (("mql", "sal"), ("sal", "sql")):
                    assert event.actor_user_id == owner
                    assert owner in sdrs
                elif step in (
                    ("sql", "opportunity"),
                    ("opportunity", "won"),
                    ("opportunity", "lost"),
                ):
                    assert event.actor_user_id == owner
                    assert owner in aes

    def test_the_funnel_mix_is_plausible(self, seeded):
        reached = defaultdict(set)
        for lead_id, to_stage in LeadEvent.objects.values_list("lead_id", "to_stage"):
            reached[to_stage].add(lead_id)
        share = {stage: len(reached[stage]) for stage in reached}
        for stage in ("mql", "sal", "sql", "opportunity", "won", "lost"):
            assert share.get(stage, 0) > 0, stage
        for stage in ("returned", "nurture", "disqualified"):
            assert share.get(stage, 0) > 0, stage
        assert 0.2 <= share["mql"] / LEADS <= 0.4
        assert share["sal"] < share["mql"]
        assert share["sql"] < share["sal"]
        assert share["opportunity"] < share["sql"]
        assert share["won"] < share["opportunity"]

    def test_activities_come_before_the_first_mql(self, seeded):
        first_mql = {}
        for lead_id, at in (
            # the seed's story; the model's own promotions at NOW are checked elsewhere
            LeadEvent.objects.filter(to_stage="mql", at__lt=NOW)
            .order_by("at")
            .values_list("lead_id", "at")
        ):
            first_mql.setdefault(lead_id, at)
        per_lead = Counter(Activity.objects.values_list("lead_id", flat=True))
        for lead_id, occurred_at in Activity.objects.values_list("lead_id", "occurred_at"):
            if lead_id in first_mql:
                assert occurred_at < first_mql[lead_id]
        assert all(5 <= per_lead[lead_id] <= 15 for lead_id in first_mql)
        assert set(per_lead) == set(Lead.objects.values_list("pk", flat=True))

    def test_contact_data_is_what_intake_would_store(self, seeded):
        leads = list(Lead.objects.select_related("account"))
        for lead in leads:
            assert lead.email_normalised == (normalize_email(lead.email) or None)
            if lead.phone:
                assert lead.phone == normalize_phone(lead.phone)
            assert lead.created_at_source < lead.received_at
            assert lead.source_system == demo.DEMO_SOURCE_SYSTEM
            domain = lead.email_normalised.split("@")[1] if lead.email_normalised else None
            if lead.account:
                assert lead.account.domain == domain
                assert lead.account.domain.endswith(".example")
            if domain in DEFAULT_FREE_MAIL_DOMAINS:
                assert lead.account is None
        phone_only = [x for x in leads if not x.email and x.phone]
        wechat_only = [x for x in leads if not x.email and not x.phone]
        assert phone_only
        assert all(x.phone.startswith("+") for x in phone_only)
        assert wechat_only
        assert all(x.wechat_id and x.external_id for x in wechat_only)
        assert any(x.email.endswith(("@qq.com", "@163.com", "@126.com")) for x in leads)
        shared = Counter(x.account_id for x in leads if x.account_id)
        assert max(shared.values()) >= 3
        assert {x.source_channel for x in leads} >= {
            "website",
            "content",
            "event",
            "wechat",
            "referral",
            "outbound",
        }
        assert {x.language for x in leads} == {"zh-hans", "en"}

    def test_people_who_opted_out_sit_in_no_queue_and_no_open_stage(self, seeded):
        # issue 10 §4: the demo makes its ~2 % opt-outs through leads.consent
        opted_out = Lead.objects.filter(do_not_contact=True)
        assert seeded.counts["opt-outs"] == opted_out.count() >= 1
        assert not opted_out.filter(stage__in=("mql", "sal", "sql", "opportunity")).exists()
        assert not opted_out.exclude(owner=None, team=None).filter(stage="nurture").exists()
        assert not LeadEvent.objects.filter(
            lead__in=opted_out, to_stage="mql", actor_system=SCORING, at=NOW
        ).exists()
        history = ConsentChange.objects.filter(kind="opt_out", via="demo", at=NOW)
        assert set(history.values_list("lead_id", flat=True)) == set(
            opted_out.values_list("pk", flat=True)
        )
        assert LeadEvent.objects.filter(kind="consent", reason="opt_out").count() == (
            opted_out.count()
        )
        moved = LeadEvent.objects.filter(actor_system="opt-out", reason="opted_out")
        assert set(moved.values_list("from_stage", "to_stage").distinct()) <= {
            ("mql", "nurture"),
            ("sal", "nurture"),
            ("sql", "nurture"),
        }
        assert set(moved.values_list("lead_id", flat=True)) <= set(
            opted_out.values_list("pk", flat=True)
        )

    def test_consent_history_starts_with_the_consent_intake_would_record(self, seeded):
        consented = Lead.objects.exclude(consent_source="")
        first = ConsentChange.objects.filter(kind="recorded", via="demo")
        assert first.count() == consented.count() > 0
        row = first.select_related("lead").first()
        assert (row.consent_source, row.consent_at, row.at) == (
            row.lead.consent_source,
            row.lead.consent_at,
            row.lead.received_at,
        )

    def test_json_columns_hold_objects(self, seeded):
        assignment = LeadEvent.objects.filter(kind="assignment").first()
        assert isinstance(assignment.data, dict)
        assert isinstance(assignment.data["to_team"], int)
        ae_team = Team.objects.get(name=demo.TEAM_AE).pk
        assert LeadEvent.objects.filter(kind="assignment", data__to_team=ae_team).exists()
        assert Activity.objects.filter(type="pricing_page", properties__url="/pricing").exists()

    def test_the_demo_breaks_no_invariant_of_the_data_model(self, seeded):
        findings = integrity.integrity_check(now=NOW + timedelta(seconds=1))
        assert {f.invariant.name: f.leads[:3] for f in findings if f.count} == {}

    def test_the_demo_has_twelve_frozen_months_that_its_events_reproduce(self, seeded):
        from sla.compliance import reports
        from sla.models import ComplianceReport

        frozen = list(ComplianceReport.objects.order_by("month"))
        assert len(frozen) == 12
        assert {report.reason for report in frozen} == {"demo"}
        assert {report.version for report in frozen} == {1}
        months = [report.month for report in frozen]
        assert months == sorted(set(months))
        assert any(line["verdict"] == "missed" for r in frozen for line in r.data["terms"])
        assert reports.check(frozen[-1]) == []

    def test_the_demo_has_what_the_pages_count(self, seeded):
        # issue 11: MQLs nobody would work, opportunities without an Opportunity,
        # returned leads the inbox did not show, assignments without a team or reason
        mqls = Lead.objects.filter(stage="mql")
        assert mqls.exists()
        assert not mqls.filter(owner=None, team=None).exists()
        assert not mqls.filter(owner__isnull=False, team=None).exists()
        assert not mqls.filter(owner__isnull=False, assigned_at=None).exists()
        assert mqls.filter(owner=None).exclude(team=None).exists()  # a pool holds some
        assert Opportunity.objects.filter(stage__in=("discovery", "validation", "negotiation"))
        assert (
            Opportunity.objects.count()
            == Lead.objects.filter(opportunity__isnull=False).count()
            >= Lead.objects.filter(stage__in=("opportunity", "won", "lost")).count()
        )
        assert LeadReturn.objects.filter(to_stage="returned", resolved_at=None).count() == (
            Lead.objects.filter(stage="returned").count()
        )
        assignments = LeadEvent.objects.filter(kind="assignment")
        assert not assignments.filter(reason="").exists()
        assert not assignments.filter(data__to_team=None).exists()
        assert set(assignments.values_list("reason", flat=True)) == {
            "rule",
            "default_team",
            "claim",
        }
        assert Touch.objects.count() == LeadEvent.objects.filter(kind="touch").count()

    def test_each_count_on_the_home_page_links_to_a_list_showing_that_number(self, seeded, client):
        director = get_user_model().objects.get(username="director")
        client.force_login(director)
        home = client.get(reverse("home") + "?overview=1").content.decode()
        counts = {}
        links = re.findall(r"<a ([^>]*data-stage-count[^>]*)>(.*?)</a>", home, re.S)
        for attributes, inner in links:
            stage = re.search(r'data-stage-count="(\w+)"', attributes)[1]
            href = html.unescape(re.search(r'href="([^"]+)"', attributes)[1])
            counts[stage] = int(re.sub(r"\D", "", strip_tags(inner)) or 0)
            listed = client.get(href).content.decode()
            shown = re.search(r'data-result-count="(\d+)"', listed)[1]
            assert int(shown) == counts[stage], (stage, href)
        assert set(counts) == {stage for stage, _ in Stage.choices}
        assert sum(counts.values()) == LEADS
        # the pages of the things counted agree: the pipeline, the returns inbox
        pipeline = client.get(reverse("leads:pipeline")).content.decode()
        total = re.search(r'data-stage-total="all">.*?data-count>(\d+)<', pipeline, re.S)[1]
        assert int(total) == counts["opportunity"] > 0
        sqls = re.search(r"data-sql-count>(\d+)<", pipeline)
        assert int(sqls[1] if sqls else 0) == counts["sql"]
        inbox = client.get(reverse("leads:returns"), {"status": "open"}).content.decode()
        assert len(re.findall(r'data-return="\d+"', inbox)) == counts["returned"]

    def test_demo_logins_lists_a_user_per_role(self, seeded):
        out = StringIO()
        call_command("demo_logins", stdout=out)
        text = out.getvalue()
        for spec in demo.DEMO_USERS:
            assert spec.username in text
        assert text.count(f"password: {demo.DEMO_PASSWORD}") == len(demo.DEMO_USERS) - 1
        token = Token.objects.get(user__username="integration").key
        assert f"API token: {token}" in text
        assert "林晓梅" in text


def _snapshot():
    leads = list(
        Lead.objects.order_by("external_id").values_list(
            "external_id",
            "name",
            "email",
            "phone",
            "wechat_id",
            "account__domain",
            "source_channel",
            "campaign",
            "received_at",
            "stage",
            "stage_changed_at",
            "owner__username",
        )
    )
    events = list(
        LeadEvent.objects.order_by("lead__external_id", "id").values_list(
            "lead__external_id",
            "kind",
            "from_stage",
            "to_stage",
            "actor_user__username",
            "actor_system",
            "reason",
            "at",
        )
    )
    activities = list(
        Activity.objects.order_by("lead__external_id", "occurred_at", "type").values_list(
            "lead__external_id", "type", "occurred_at"
        )
    )
    return leads, events, activities


def test_the_same_seed_gives_the_same_company(seeded):
    # given
    first = _snapshot()
    # when
    demo.demo_seed(leads=WRITERS_LEADS, seed=7, now=NOW, reset=True)
    # then
    assert _snapshot() == first
    demo.demo_seed(leads=WRITERS_LEADS, seed=8, now=NOW, reset=True)
    assert _snapshot()[0] != first[0]


def test_seed_demo_command_prints_the_counts(db):
    out = StringIO()
    call_command("seed_demo", "--leads", "120", "--seed", "3", stdout=out)
    text = out.getvalue()
    assert "leads" in text
    assert "120" in text
    assert f"activities {Activity.objects.count():>9,}".replace(" ", "") in text.replace(" ", "")
    assert demo.DEMO_PASSWORD in text
    assert "Done in" in text
    now = timezone.now()
    assert not LeadEvent.objects.filter(at__gt=now).exists()


def test_if_empty_does_nothing_when_leads_exist(db):
    call_command("seed_demo", "--leads", "100", "--if-empty", stdout=StringIO())
    counts = (Lead.objects.count(), LeadEvent.objects.count(), Activity.objects.count())
    out = StringIO()
    call_command("seed_demo", "--leads", "100", "--if-empty", stdout=out)
    assert "not loaded" in out.getvalue()
    assert (Lead.objects.count(), LeadEvent.objects.count(), Activity.objects.count()) == counts
    assert counts[0] == 100


def test_if_empty_skips_when_a_real_lead_exists(db):
    LeadFactory()
    call_command("seed_demo", "--leads", "50", "--if-empty", stdout=StringIO())
    assert Lead.objects.count() == 1
    assert not get_user_model().objects.filter(username__in=demo.DEMO_USERNAMES).exists()


def test_seeding_twice_needs_reset_and_reset_keeps_other_leads(db):
    # given
    real = LeadFactory(source_system="hubspot")
    call_command("seed_demo", "--leads", "80", stdout=StringIO())
    events = LeadEvent.objects.count()
    # when / then
    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_demo", "--leads", "80", stdout=StringIO())
    assert Lead.objects.count() == 81
    call_command("seed_demo", "--leads", "80", "--reset", stdout=StringIO())
    assert Lead.objects.count() == 81
    assert LeadEvent.objects.count() == events
    assert Lead.objects.filter(pk=real.pk).exists()
    assert get_user_model().objects.filter(username__in=demo.DEMO_USERNAMES).count() == len(
        demo.DEMO_USERS
    )


def test_new_rows_after_the_seed_get_fresh_ids(seeded):
    highest = Lead.objects.order_by("-pk").values_list("pk", flat=True).first()
    lead = LeadFactory()
    assert lead.pk > highest
    event = LeadEvent.objects.create(lead=lead, kind="note", actor_system="test")
    assert event.pk > LeadEvent.objects.exclude(pk=event.pk).order_by("-pk").first().pk


def test_demo_logins_on_an_empty_database_prints_a_hint(db):
    out = StringIO()
    call_command("demo_logins", stdout=out)
    assert "seed_demo" in out.getvalue()


def _foreign_keys() -> list[tuple[str, str, str]]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid)"
            " FROM pg_constraint WHERE contype = 'f'"
            " AND conrelid::regclass::text IN ('leads_lead', 'leads_activity', 'leads_leadevent')"
            " ORDER BY 1, 2"
        )
        return cursor.fetchall()


@pytest.mark.postgres
def test_copy_path_writes_a_larger_company_and_restores_the_foreign_keys(db):
    """What CI does after the suite (issue 11): seed the demo as ``make run`` does (2,000
    leads), at
    the clock's now, and run ``check_integrity`` on it: zero violations."""
    # given
    keys = _foreign_keys()
    assert len(keys) == 7  # incl. lead.score_model (scoring version) and lead.team
    # when
    result = demo.demo_seed(leads=2000, seed=11)
    out = StringIO()
    call_command("check_integrity", stdout=out)  # raises CommandError on any violation
    # then
    assert f"All {len(integrity.all_invariants())} invariants hold." in out.getvalue()
    assert _foreign_keys() == keys
    assert all("DEFERRABLE INITIALLY DEFERRED" in definition for _, _, definition in keys)
    assert Lead.objects.count() == 2000
    assert LeadEvent.objects.count() == result.counts["lead events"]
    assert Activity.objects.count() == result.counts["activities"]
    assert Lead.objects.filter(stage="won").exists()
