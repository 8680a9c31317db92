"""Leads with a history, for the predictive score's database tests.

``lead_with_history(stage=..., path=...)`` makes a lead that was created as an
inquiry, walked ``path`` (stage changes, an hour apart) and ended in ``stage``;
its ``stage_changed_at`` is the last change. ``odoo_history()`` builds Odoo's
worked example as closed leads: stages S1 < S2 < S3 are inquiry < mql < sal,
and every lead has the same value in every field but its country, so only the
stage and the country can move the odds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from leads.models import Lead, LeadEvent
from tests.factories import AccountFactory, LeadFactory

START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
WON_PATH = ("mql", "sal", "sql", "opportunity")


def lead_with_history(
    *,
    stage: str,
    path: tuple[str, ...] = (),
    start: datetime = START,
    **fields,
) -> Lead:
    at = start
    events = [LeadEvent(kind="created", to_stage="inquiry", actor_system="test", at=at)]
    previous = "inquiry"
    for to in (*path, stage) if stage != "inquiry" else path:
        at += timedelta(hours=1)
        events.append(
            LeadEvent(
                kind="stage_change",
                from_stage=previous,
                to_stage=to,
                actor_system="test",
                at=at,
            )
        )
        previous = to
    lead = LeadFactory(stage=stage, stage_changed_at=at, received_at=start, **fields)
    for event in events:
        event.lead = lead
    LeadEvent.objects.bulk_create(events)
    return lead


def odoo_history(*, pks=None, owner=None) -> list[Lead]:
    """10 won (6 FR, 4 DE); 30 lost — 20 at S1 (DE), 8 at S2 (4 DE, 4 FR), 2 at S3
    (FR). Lost leads are disqualified (a final "no"), from the stage they reached.
    ``pks`` (an iterator) gives the leads their ids."""
    fr = AccountFactory(country="FR")
    de = AccountFactory(country="DE")
    specs = (
        [("won", fr, WON_PATH)] * 6
        + [("won", de, WON_PATH)] * 4
        + [("disqualified", de, ())] * 20
        + [("disqualified", de, ("mql",))] * 4
        + [("disqualified", fr, ("mql",))] * 4
        + [("disqualified", fr, ("mql", "sal"))] * 2
    )
    leads = []
    for stage, account, path in specs:
        extra = {"pk": next(pks)} if pks is not None else {}
        leads.append(
            lead_with_history(stage=stage, path=path, account=account, owner=owner, **extra)
        )
    return leads


# The six predictions of Odoo's worked example: (stage, country) -> percent.
ODOO_VECTOR = {
    ("inquiry", "DE"): 14.46,
    ("inquiry", "FR"): 49.84,
    ("mql", "DE"): 33.50,
    ("mql", "FR"): 74.75,
    ("sal", "DE"): 70.78,
    ("sal", "FR"): 93.44,
}
