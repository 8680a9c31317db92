"""A small history whose evaluation is worked out by hand, shared by the tests of the
evaluation service, API, pages, Celery task and browser.

Time: 10 July 2026, noon in Shanghai (the site's zone); 3 months = April–June.
Models: v1 is the seed's default model, published; v2 the same with the interest
bar lowered from 40 to 20 (a draft).

Leads (all a good fit: 500 employees, CN, Software, VP → fit 75, grade A):
- "april": demo request on 28 April (50 points, 30-day half-life: 46.7 at the end
  of April): an MQL in April for both; reached SQL in May, won on 10 June.
- "may": pricing page on 30 May (25 points: 24.2 at the end of May): an MQL in May
  for v2 only (24.2 ≥ 20, < 40); disqualified on 15 June: closed without a win.
- "open": demo request on 25 June (44.0 at the end of June): an MQL in June for both,
  still open.
- "march": received in March: outside the window.

So v2: 3 MQLs (April, May, June), 2 decided, 1 won → precision 50 %; v1: 2 MQLs
(April, June), 1 decided, 1 won → precision 100 %; one deal won (June), caught by
both (their April MQL) → recall 100 % each.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from leads.models import LeadEvent
from leads.scoring.engine import default_model
from leads.scoring.services import ensure_default_model, scoring_model_create_draft
from tests.factories import AccountFactory, ActivityFactory, LeadFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 7, 10, 12, tzinfo=SHANGHAI)


def sh(month: int, day: int, hour: int = 12) -> datetime:
    return datetime(2026, month, day, hour, tzinfo=SHANGHAI)


def make_lead(received, *, path=(), acts=(), account=None, **fields):
    """A lead with its stage events (``path``: (to_stage, at) in order) and activities."""
    lead = LeadFactory(received_at=received, account=account, **fields)
    stage = "inquiry"
    for to_stage, at in path:
        LeadEvent.objects.create(
            lead=lead, kind="stage_change", from_stage=stage, to_stage=to_stage,
            actor_system="test", at=at,
        )  # fmt: skip
        stage = to_stage
    if path:
        lead.stage, lead.stage_changed_at = stage, path[-1][1]
        lead.save(update_fields=["stage", "stage_changed_at"])
    for kind, at in acts:
        ActivityFactory(lead=lead, type=kind, occurred_at=at)
    return lead


def good_fit(**fields):
    account = AccountFactory(employees=500, industry="Software", country="CN")
    return {"account": account, "seniority": "vp", **fields}


def models(user=None):
    """(published v1, draft v2)."""
    published, _rescore = ensure_default_model(user=user, enqueue=False)
    looser = default_model(2).to_dict()
    looser["threshold"]["min_interest"] = 20
    draft = scoring_model_create_draft(definition=looser, user=user, name="Looser")
    return published, draft


def small_history(**fields):
    leads = {
        "april": make_lead(
            sh(4, 27),
            path=[("mql", sh(4, 28)), ("sal", sh(4, 29)), ("sql", sh(5, 5)),
                  ("opportunity", sh(5, 8)), ("won", sh(6, 10))],
            acts=[("demo_request", sh(4, 28))],
            **good_fit(**fields),
        ),
        "may": make_lead(
            sh(5, 29),
            path=[("disqualified", sh(6, 15))],
            acts=[("pricing_page", sh(5, 30))],
            **good_fit(**fields),
        ),
        "open": make_lead(
            sh(6, 24), path=[("mql", sh(6, 25))], acts=[("demo_request", sh(6, 25))],
            **good_fit(**fields),
        ),
        "march": make_lead(sh(3, 2), acts=[("demo_request", sh(3, 2))], **good_fit(**fields)),
    }  # fmt: skip
    return leads


# --- the same story relative to the real clock (for a Celery worker or a browser,
# where time cannot be frozen) ---------------------------------------------------


def recent_history(*, now, tz, **fields):
    """Over the 3 months before ``now`` (month ends e0 < e1 < e2): "won" makes an MQL
    in month 0 for both models (demo request 2 days before e0: 47.7 points) and is
    won in month 1; "closed" makes an MQL in month 1 for v2 only (pricing page a day
    before e1: 24.4 points) and is disqualified. v2: 2 MQLs, 1 won; v1: 1 MQL, 1 won;
    the deal won in month 1 is caught by both."""
    from leads.scoring.evaluation import month_ends

    e0, e1, _e2 = month_ends(as_of=now, months=3, tz=tz)
    day = timedelta(days=1)
    return {
        "won": make_lead(
            e0 - 5 * day,
            path=[("mql", e0 - 4 * day), ("sal", e0 - 3 * day), ("sql", e1 - 10 * day),
                  ("opportunity", e1 - 9 * day), ("won", e1 - 3 * day)],
            acts=[("demo_request", e0 - 2 * day)],
            **good_fit(**fields),
        ),
        "closed": make_lead(
            e1 - 5 * day,
            path=[("disqualified", e1 - day / 2)],
            acts=[("pricing_page", e1 - day)],
            **good_fit(**fields),
        ),
    }  # fmt: skip


def recent_closed(*, now, count):
    """``count`` won leads (demo request + web visit) and ``count`` lost ones (web visit),
    closed in the last 3 months: demo request lift 1.5 → 50 points, web visit 0.75 → 25."""
    day = timedelta(days=1)
    for _ in range(count):
        make_lead(
            now - 60 * day,
            path=[("mql", now - 59 * day), ("sal", now - 58 * day), ("sql", now - 50 * day),
                  ("won", now - 30 * day)],
            acts=[("demo_request", now - 60 * day), ("web_visit", now - 59 * day)],
        )  # fmt: skip
        make_lead(
            now - 40 * day,
            path=[("mql", now - 39 * day), ("disqualified", now - 20 * day)],
            acts=[("web_visit", now - 40 * day)],
        )
