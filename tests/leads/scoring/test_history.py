"""Reading the history an evaluation and a calibration need (leads.scoring.history)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from leads.models import LeadEvent
from leads.scoring.engine import ActivityFact
from leads.scoring.evaluation import month_ends
from leads.scoring.history import calibration_counts, history_count, history_leads
from leads.scoring.services import lead_score_facts
from tests.factories import AccountFactory, ActivityFactory, LeadFactory

pytestmark = pytest.mark.django_db

SHANGHAI = ZoneInfo("Asia/Shanghai")
AS_OF = datetime(2026, 7, 10, 12, tzinfo=SHANGHAI)
ENDS = month_ends(as_of=AS_OF, months=3, tz=SHANGHAI)  # April, May, June 2026 (Shanghai)


def sh(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


def make_lead(received, *, path=(), acts=(), account=None, **fields):
    """A lead with its stage events (``path``: (to_stage, at) in order) and activities."""
    lead = LeadFactory(received_at=received, account=account, **fields)
    stage = "inquiry"
    for to_stage, at in path:
        LeadEvent.objects.create(
            lead=lead,
            kind="stage_change",
            from_stage=stage,
            to_stage=to_stage,
            actor_system="test",
            at=at,
        )
        stage = to_stage
    if path:
        lead.stage, lead.stage_changed_at = stage, path[-1][1]
        lead.save(update_fields=["stage", "stage_changed_at"])
    for kind, at in acts:
        ActivityFactory(lead=lead, type=kind, occurred_at=at)
    return lead


def all_history(**kwargs):
    return [item for chunk in history_leads(ends=ENDS, as_of=AS_OF, **kwargs) for item in chunk]


def test_the_window_is_the_leads_received_in_it_in_the_site_time_zone():
    # 1 April 00:30 in Shanghai is still 31 March in UTC: inside the window.
    inside_first = make_lead(datetime(2026, 3, 31, 16, 30, tzinfo=UTC))
    inside_last = make_lead(datetime(2026, 6, 30, 23, 59, tzinfo=SHANGHAI))
    make_lead(datetime(2026, 3, 31, 23, 59, tzinfo=SHANGHAI))  # before
    make_lead(datetime(2026, 7, 1, 0, 0, tzinfo=SHANGHAI))  # after: the current month

    assert history_count(ends=ENDS) == 2
    assert [h.id for h in all_history()] == [inside_first.pk, inside_last.pk]


def test_outcomes_come_from_the_stage_events_as_of_as_of():
    won = make_lead(
        sh(4, 2),
        path=[("mql", sh(4, 3)), ("sal", sh(4, 4)), ("sql", sh(4, 20)), ("opportunity", sh(5, 1)),
              ("won", sh(6, 10))],
    )  # fmt: skip
    lost = make_lead(
        sh(4, 5),
        path=[("mql", sh(4, 6)), ("sal", sh(4, 7)), ("sql", sh(4, 9)), ("opportunity", sh(4, 10)),
              ("lost", sh(5, 20))],
    )  # fmt: skip
    recycled = make_lead(
        sh(4, 8),
        path=[("mql", sh(4, 9)), ("disqualified", sh(4, 20)), ("nurture", sh(5, 2))],
    )
    disqualified_later = make_lead(
        sh(5, 1), path=[("mql", sh(5, 2)), ("disqualified", AS_OF + timedelta(days=1))]
    )
    never_moved = make_lead(sh(6, 1))

    history = {h.id: h for h in all_history()}

    assert (history[won.pk].sql_at, history[won.pk].won_at) == (sh(4, 20), sh(6, 10))
    assert history[won.pk].closed_at is None
    assert (history[lost.pk].sql_at, history[lost.pk].closed_at) == (sh(4, 9), sh(5, 20))
    assert history[lost.pk].won_at is None
    # Disqualified, then recycled to nurture: open again.
    assert history[recycled.pk].closed_at is None
    # The disqualification after as_of is not known yet.
    assert history[disqualified_later.pk].closed_at is None
    blank = history[never_moved.pk]
    assert (blank.sql_at, blank.won_at, blank.closed_at) == (None, None, None)


def test_facts_are_the_engines_and_activities_stop_at_the_window_end():
    account = AccountFactory(
        employees=320, annual_revenue=9_000_000, industry="Software", country="CN", region="East"
    )
    lead = make_lead(
        sh(5, 3),
        account=account,
        seniority="vp",
        title="VP Sales",
        campaign="Expo",
        acts=[
            ("pricing_page", sh(5, 9)),
            ("demo_request", sh(5, 4)),
            ("webinar", sh(7, 1, 0)),  # the first instant after the window
            ("web_visit", sh(6, 30, 23)),
        ],
    )
    free_mail = make_lead(sh(5, 4), company_name="Acme as typed", source_system="demo")

    history = {h.id: h for h in all_history()}

    assert dict(history[lead.pk].facts) == lead_score_facts(lead=lead)
    assert dict(history[free_mail.pk].facts) == lead_score_facts(lead=free_mail)
    assert history[free_mail.pk].facts["company"] == "Acme as typed"
    assert list(history[lead.pk].activities) == [
        ActivityFact("demo_request", sh(5, 4)),
        ActivityFact("pricing_page", sh(5, 9)),
        ActivityFact("web_visit", sh(6, 30, 23)),
    ]
    assert (history[lead.pk].synthetic, history[free_mail.pk].synthetic) == (False, True)


def test_chunks_cost_three_queries_each(django_assert_num_queries):
    for day in range(1, 8):
        make_lead(
            sh(5, day),
            path=[("mql", sh(5, day, 13))],
            acts=[("web_visit", sh(5, day, 14)), ("demo_request", sh(5, day, 15))],
        )
    chunks = history_leads(ends=ENDS, as_of=AS_OF, chunk_size=3)

    with django_assert_num_queries(3 * 3 + 1):  # 3 chunks (3 + 3 + 1 leads), then an empty read
        sizes = [len(chunk) for chunk in chunks]

    assert sizes == [3, 3, 1]


# ----------------------------------------------------------------- calibration


def test_calibration_counts_closed_leads_and_what_they_did_before_closing(
    django_assert_num_queries,
):
    start, end = sh(1, 1), AS_OF
    # Won: a demo request and two web visits before winning, a webinar after.
    make_lead(
        sh(2, 1),
        path=[("mql", sh(2, 2)), ("sal", sh(2, 3)), ("sql", sh(2, 4)), ("won", sh(3, 1))],
        acts=[("demo_request", sh(2, 1)), ("web_visit", sh(2, 1, 13)), ("web_visit", sh(2, 2)),
              ("webinar", sh(3, 2))],
    )  # fmt: skip
    # Lost and disqualified: each did a web visit.
    make_lead(
        sh(2, 5),
        path=[("mql", sh(2, 6)), ("sal", sh(2, 7)), ("sql", sh(2, 8)), ("lost", sh(4, 1))],
        acts=[("web_visit", sh(2, 5))],
        source_system="demo",
    )
    make_lead(sh(2, 6), path=[("disqualified", sh(2, 7))], acts=[("web_visit", sh(2, 6))])
    # Not counted: still open; closed before the period; closed after it.
    make_lead(sh(2, 9), path=[("mql", sh(2, 10))], acts=[("demo_request", sh(2, 9))])
    make_lead(sh(1, 1) - timedelta(days=30), path=[("won", sh(1, 1) - timedelta(days=1))],
              acts=[("demo_request", sh(1, 1) - timedelta(days=40))])  # fmt: skip
    make_lead(sh(6, 1), path=[("won", AS_OF + timedelta(hours=1))], acts=[("webinar", sh(6, 2))])

    with django_assert_num_queries(2):
        counts, closed, won, synthetic = calibration_counts(start=start, end=end)

    assert (closed, won, synthetic) == (3, 1, True)
    assert counts == {"demo_request": (1, 1), "web_visit": (3, 1)}


@pytest.mark.parametrize("outsiders", [1, 12])  # by id range / by the ids themselves
def test_leads_outside_the_window_between_the_chunks_leads_are_skipped(outsiders):
    first = make_lead(sh(5, 1), acts=[("demo_request", sh(5, 2))], path=[("mql", sh(5, 2))])
    for n in range(outsiders):
        make_lead(sh(2, 1 + n), acts=[("webinar", sh(5, 3))], path=[("lost", sh(5, 4))])
    last = make_lead(sh(5, 5), acts=[("web_visit", sh(5, 6))])

    chunks = list(history_leads(ends=ENDS, as_of=AS_OF, chunk_size=2))

    assert [[h.id for h in chunk] for chunk in chunks] == [[first.pk, last.pk]]
    by_id = {h.id: h for h in chunks[0]}
    assert list(by_id[first.pk].activities) == [ActivityFact("demo_request", sh(5, 2))]
    assert list(by_id[last.pk].activities) == [ActivityFact("web_visit", sh(5, 6))]
    assert (by_id[first.pk].closed_at, by_id[last.pk].closed_at) == (None, None)
