"""``check_integrity``'s SLA invariant (``leads.hooks.INVARIANTS``): a lead's stored
clocks equal their replay from its events (``sla.clocks.sync.planned``).

Checked for every lead with a running or paused clock and every lead whose clocks do
not follow its events yet (``LeadSync``). What the sweep advances with time is not a
difference: a running clock past its deadline that the sweep has not marked breached
yet, a return window the sweep has not closed yet."""

from __future__ import annotations

import datetime as dt

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from leads.integrity import Invariant
from leads.models import Lead
from sla.clocks import sync
from sla.models import Clock, LeadSync

FIELDS = [name for name in sync.COMPUTED]


def _shape(clock: Clock, now: dt.datetime) -> tuple:
    values = {name: getattr(clock, name) for name in FIELDS}
    due = values["due_at"]
    if values["state"] == Clock.State.RUNNING and due is not None and due <= now:
        values["breached_at"] = None  # the sweep marks it
    if (
        clock.term == "return_window"
        and values["outcome"] == "window_closed"
        and values["stop_event_id"] is None
    ):
        values.update(state="running", outcome="", stopped_at=None, elapsed=None)
    return (clock.term, clock.seq, tuple(values.items()))


def mismatched(lead_ids, *, now: dt.datetime | None = None) -> list[int]:
    """Those of ``lead_ids`` whose stored clocks differ from their replay."""
    now = now or dt.datetime.now(dt.UTC)
    ids = sorted(set(lead_ids))
    wrong: list[int] = []
    for start in range(0, len(ids), sync.CHUNK):
        chunk = ids[start : start + sync.CHUNK]
        plan = sync.planned(chunk, now=now)
        stored: dict[int, list[Clock]] = {lead_id: [] for lead_id in chunk}
        for clock in Clock.objects.filter(lead_id__in=chunk):
            stored[clock.lead_id].append(clock)
        for lead_id in chunk:
            want = sorted(_shape(c, now) for c in plan.get(lead_id, []))
            have = sorted(_shape(c, now) for c in stored[lead_id])
            if want != have:
                wrong.append(lead_id)
    return wrong


def _clocks_differ(now: dt.datetime) -> QuerySet[Lead]:
    open_leads = (
        Clock.objects.filter(state__in=(Clock.State.RUNNING, Clock.State.PAUSED))
        .order_by()
        .values_list("lead_id", flat=True)
        .distinct()
    )
    candidates = set(open_leads)
    synced = set(LeadSync.objects.values_list("lead_id", flat=True))
    candidates |= set(sync.stale_leads(synced)) if synced else set()
    unsynced = (
        sync.relevant_events()
        .exclude(lead_id__in=synced)
        .order_by()
        .values_list("lead_id", flat=True)
    )
    candidates |= set(unsynced.distinct())
    return Lead.objects.filter(pk__in=mismatched(candidates, now=now))


INVARIANT = Invariant(
    "sla_clocks_follow_events",
    _("A lead's SLA clocks are what its events give (sla_replay recomputes them)."),
    _clocks_differ,
)
