"""Clocks follow the event log (issue 12 §3).

Every writer of ``LeadEvent`` rows calls ``leads.hooks.on_events_written(lead_ids)``
inside its transaction; :func:`on_events` (registered in ``EVENT_HOOKS``) recomputes
those leads' clocks there, from all of their events (``sla.engine``), so the clocks
commit or roll back with the events. Nothing depends on a writer remembering: the
catch-up pass (:func:`catch_up`, every minute from beat) reads the events recorded
since its last run less a margin (``SLA_CATCHUP_MARGIN_SECONDS``: a transaction that
committed late, a bulk write that called no hook) and recomputes every lead whose
events differ from what its clocks were computed from (``LeadSync``: the count and the
largest id of its events). Recomputing is idempotent — a lead's clocks are a function
of its events — so an event seen twice changes nothing and none is applied twice.

A clock keeps the terms version, policy and calendar chosen when it started (its
``(term, seq)`` row says which); a new clock takes the terms version in force at its
start, the first policy matching the lead, and the policy's calendar, else the
owner's, else the team's, else the default one. Editing a calendar recomputes the
leads with running or paused clocks on it (:func:`recompute_calendar`): their clocks
take the new revision; a clock that had already stopped keeps the revision it ended
with.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max
from django.utils import timezone

from leads import hooks
from leads.models import Lead, LeadEvent
from sla import business_time as bt
from sla import engine
from sla import terms as T
from sla.calendars import services as calendars
from sla.models import (
    BusinessCalendar,
    Clock,
    LeadSync,
    PersonCalendar,
    SyncCursor,
    TeamSla,
    TermSet,
)

logger = logging.getLogger(__name__)
CHUNK = 500
# The events clocks read (intake's created/updated, score changes and consent records
# change no clock: a lead's opt-out moves it with a stage change).
RELEVANT_KINDS = (
    LeadEvent.Kind.STAGE_CHANGE,
    LeadEvent.Kind.ASSIGNMENT,
    LeadEvent.Kind.TOUCH,
    LeadEvent.Kind.NOTE,
    LeadEvent.Kind.QUALIFICATION,
    LeadEvent.Kind.RETURN,
    LeadEvent.Kind.DISPUTE,
)


def relevant_events():
    return LeadEvent.objects.filter(kind__in=RELEVANT_KINDS)


# Engine-owned columns (the sweep's *_sent_at are never written here).
COMPUTED = (
    "side",
    "state",
    "outcome",
    "owner_id",
    "team_id",
    "started_at",
    "warn_at",
    "due_at",
    "manager_at",
    "director_at",
    "stopped_at",
    "breached_at",
    "paused_at",
    "elapsed",
    "target",
    "unit",
    "terms_id",
    "policy",
    "calendar_id",
    "calendar_revision",
    "start_event_id",
    "stop_event_id",
)


def resolve(calendar: BusinessCalendar) -> bt.Calendar:
    """A stored calendar as ``sla.business_time`` computes with it: the holidays of
    the years from 2019 (or last year) to two years ahead, cached per revision."""
    this_year = timezone.now().year
    return calendars.resolve(calendar, years=range(min(this_year - 1, 2019), this_year + 3))


# One query tells whether anything a RuleBook holds changed (rows added, removed or
# edited in the tables it reads): the book is then read again, else kept in memory.
STAMP_SQL = """
SELECT (SELECT COUNT(*) FROM sla_termset), (SELECT MAX(updated_at) FROM sla_termset),
       (SELECT COUNT(*) FROM sla_businesscalendar),
       (SELECT MAX(updated_at) FROM sla_businesscalendar),
       (SELECT SUM(revision) FROM sla_businesscalendar),
       (SELECT COUNT(*) FROM sla_calendardate), (SELECT MAX(id) FROM sla_calendardate),
       (SELECT SUM(id * works_as + id) FROM sla_calendardate),
       (SELECT COUNT(*) FROM sla_personcalendar),
       (SELECT SUM(user_id * calendar_id + id) FROM sla_personcalendar),
       (SELECT COUNT(*) FROM sla_teamsla),
       (SELECT SUM(team_id * COALESCE(calendar_id, 0) + id) FROM sla_teamsla)
"""
_books: dict[tuple, RuleBook] = {}


def rule_book() -> RuleBook:
    """The RuleBook for the data as it is (one query when nothing changed)."""
    with connection.cursor() as cursor:
        cursor.execute(STAMP_SQL)
        stamp = tuple(str(value) for value in cursor.fetchone())
    book = _books.get(stamp)
    if book is None or book.default.pk is None:
        book = RuleBook()
        if len(_books) > 8:
            _books.clear()
        with connection.cursor() as cursor:  # the default calendar may just have been made
            cursor.execute(STAMP_SQL)
            stamp = tuple(str(value) for value in cursor.fetchone())
        _books[stamp] = book
    return book


class RuleBook:
    """What new clocks are chosen from (terms versions, calendars, people's and teams'
    calendars), read once and kept while none of it changes (``rule_book``)."""

    def __init__(self) -> None:
        self.versions = list(
            TermSet.objects.exclude(status=TermSet.Status.DRAFT)
            .exclude(published_at__isnull=True)
            .order_by("published_at", "number")
        )
        self.by_id = {version.pk: version for version in self.versions}
        self.default = calendars.default_calendar()
        self.calendars = {c.pk: c for c in BusinessCalendar.objects.all()}
        self.person = dict(PersonCalendar.objects.values_list("user_id", "calendar_id"))
        self.team = dict(
            TeamSla.objects.filter(calendar__isnull=False).values_list("team_id", "calendar_id")
        )
        self._resolved: dict[int, bt.Calendar] = {
            pk: resolve(calendar) for pk, calendar in self.calendars.items()
        }

    def terms_at(self, at: dt.datetime) -> tuple[int | None, dict[str, Any]]:
        """The terms version in force at ``at`` (else the current one, else the
        defaults)."""
        chosen = None
        for version in self.versions:
            if version.published_at <= at and (
                version.retired_at is None or version.retired_at > at
            ):
                chosen = version
        if chosen is None:
            chosen = next((v for v in self.versions if v.status == TermSet.Status.PUBLISHED), None)
        if chosen is None:
            return None, T.default_definition()
        return chosen.pk, chosen.definition

    def calendar(self, calendar_id: int) -> tuple[BusinessCalendar, bt.Calendar]:
        stored = self.calendars.get(calendar_id) or self.default
        if stored.pk not in self._resolved:
            self._resolved[stored.pk] = resolve(stored)
        return stored, self._resolved[stored.pk]

    def rules_for(self, lead: Lead, fixed: dict[tuple[str, int], Clock]) -> engine.Rules:
        attributes = {
            "quadrant": lead.score_quadrant or "",
            "source_channel": lead.source_channel or "",
            "region": (lead.account.region if lead.account_id else "") or "",
        }

        def rules(term: str, seq: int, at: dt.datetime, owner: int | None, team: int | None):
            known = fixed.get((term, seq))
            if known is not None and known.started_at == at:
                definition = (
                    self.by_id[known.terms_id].definition
                    if known.terms_id in self.by_id
                    else T.default_definition()
                )
                target = T.target(definition, T.policy_index(definition, known.policy), term)
                stored, computed = self.calendar(known.calendar_id or self.default.pk)
                return engine.Rule(target, known.terms_id, stored.pk, stored.revision, computed)
            terms_id, definition = self.terms_at(at)
            index = T.choose_policy(definition, {**attributes, "team": team})
            target = T.target(definition, index, term)
            calendar_id = (
                target.calendar
                or (self.person.get(owner) if owner else None)
                or (self.team.get(team) if team else None)
                or self.default.pk
            )
            stored, computed = self.calendar(calendar_id)
            return engine.Rule(target, terms_id, stored.pk, stored.revision, computed)

        return rules


def _events(lead_ids: list[int], until: dt.datetime | None = None) -> dict[int, list[engine.Event]]:
    found = relevant_events().filter(lead_id__in=lead_ids)
    if until is not None:
        found = found.filter(recorded_at__lte=until)
    rows = found.order_by("lead_id", "at", "id").values_list(
        "lead_id",
        "id",
        "kind",
        "at",
        "from_stage",
        "to_stage",
        "actor_user_id",
        "actor_system",
        "reason",
        "data",
    )
    events: dict[int, list[engine.Event]] = defaultdict(list)
    for lead_id, *fields in rows.iterator(chunk_size=5000):
        event_id, kind, at, from_stage, to_stage, actor, system, reason, data = fields
        events[lead_id].append(
            engine.Event(
                event_id, kind, at, from_stage, to_stage, actor, system, reason, data or {}
            )
        )
    return events


def _row(lead_id: int, clock: engine.Clock, now: dt.datetime) -> Clock:
    return Clock(
        lead_id=lead_id,
        term=clock.term,
        seq=clock.seq,
        side=clock.side,
        state=clock.state,
        outcome=clock.outcome,
        owner_id=clock.owner,
        team_id=clock.team,
        started_at=clock.started_at,
        warn_at=clock.warn_at,
        due_at=clock.due_at,
        manager_at=clock.manager_at,
        director_at=clock.director_at,
        stopped_at=clock.stopped_at,
        breached_at=clock.breached_at,
        paused_at=clock.paused_at,
        elapsed=clock.elapsed,
        target=clock.target,
        unit=clock.unit,
        terms_id=clock.terms_id,
        policy=clock.policy,
        calendar_id=clock.calendar_id,
        calendar_revision=clock.calendar_revision,
        start_event_id=clock.start_event_id,
        stop_event_id=clock.stop_event_id,
        computed_at=now,
    )


def _kept(old: Clock, new: Clock) -> bool:
    """A clock that ended under an older calendar revision keeps what it ended with."""
    return (
        old.state in (Clock.State.STOPPED, Clock.State.CANCELLED)
        and new.state == old.state
        and old.calendar_revision != new.calendar_revision
        and old.start_event_id == new.start_event_id
        and old.stop_event_id == new.stop_event_id
    )


def planned(
    lead_ids: Iterable[int], *, now: dt.datetime | None = None, until: dt.datetime | None = None
) -> dict[int, list[Clock]]:
    """The clocks each lead should have now, as unsaved rows (what replay compares);
    with ``until``, as they were with only the events recorded by then (the monthly
    report's watermark)."""
    return _plan(lead_ids, now=now, until=until)[0]


def _plan(
    lead_ids: Iterable[int], *, now: dt.datetime | None = None, until: dt.datetime | None = None
):
    now = now or timezone.now()
    ids = sorted(set(lead_ids))
    leads = {
        lead.pk: lead
        for lead in Lead.objects.filter(pk__in=ids)
        .select_related("account")
        .only("pk", "score_quadrant", "source_channel", "account_id", "account__region")
    }
    existing: dict[int, dict[tuple[str, int], Clock]] = defaultdict(dict)
    for clock in Clock.objects.filter(lead_id__in=ids):
        existing[clock.lead_id][(clock.term, clock.seq)] = clock
    events = _events(ids, until)
    book = rule_book()
    result: dict[int, list[Clock]] = {}
    for lead_id in ids:
        lead = leads.get(lead_id)
        if lead is None:
            continue
        rules = book.rules_for(lead, existing[lead_id])
        rows = []
        for computed in engine.clocks(events.get(lead_id, []), rules=rules, now=now):
            row = _row(lead_id, computed, now)
            old = existing[lead_id].get((row.term, row.seq))
            if old is not None and _kept(old, row):
                row = old
            rows.append(row)
        result[lead_id] = rows
    seen = {
        lead_id: (len(lead_events), max(event.id for event in lead_events))
        for lead_id, lead_events in events.items()
        if lead_events
    }
    return result, existing, seen


def compute(lead_ids: Iterable[int], *, now: dt.datetime | None = None) -> int:
    """Recompute and store the clocks of ``lead_ids`` (in the caller's transaction, or
    one of its own); returns the number of clocks written."""
    now = now or timezone.now()
    ids = sorted(set(lead_ids))
    written = 0
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        with transaction.atomic():
            plan, existing, seen = _plan(chunk, now=now)
            rows = [row for rows in plan.values() for row in rows]
            keep = {(row.lead_id, row.term, row.seq) for row in rows}
            stale = [
                clock.pk
                for clocks in existing.values()
                for clock in clocks.values()
                if (clock.lead_id, clock.term, clock.seq) not in keep
            ]
            if stale:
                Clock.objects.filter(pk__in=stale).delete()
            fresh = [row for row in rows if row.pk is None]
            if fresh:
                Clock.objects.bulk_create(
                    fresh,
                    update_conflicts=True,
                    unique_fields=["lead", "term", "seq"],
                    update_fields=[*COMPUTED, "computed_at"],
                )
            written += len(fresh)
            _mark_synced(sorted(plan), seen, now)
    return written


def _mark_synced(lead_ids: list[int], counts: dict[int, tuple[int, int]], now) -> None:
    LeadSync.objects.bulk_create(
        [
            LeadSync(
                lead_id=lead_id,
                events_seen=counts.get(lead_id, (0, 0))[0],
                last_event_id=counts.get(lead_id, (0, 0))[1] or 0,
                synced_at=now,
            )
            for lead_id in lead_ids
        ],
        update_conflicts=True,
        unique_fields=["lead"],
        update_fields=["events_seen", "last_event_id", "synced_at"],
    )


def on_events(lead_ids: list[int], *, deferred: bool = False) -> None:
    """``leads.hooks.EVENT_HOOKS``: recompute in the writer's transaction — unless the
    writer wrote more than ``SLA_INLINE_MAX_LEADS`` leads' events at once (intake, a
    re-score): then a worker recomputes them after the commit (``sla.tasks.sync_leads``),
    and should the task be lost, the catch-up pass finds them; or the writer asked to
    defer (the claim, the hot path of one statement: not even a task is sent — the
    queue page and API that show the claimed lead compute its clocks before they
    answer, and the catch-up pass, every minute, covers any other caller)."""
    forced = hooks.inline_forced()
    if forced is not None:
        compute(lead_ids, now=forced["now"])
        return
    if deferred:
        return
    if len(lead_ids) > settings.SLA_INLINE_MAX_LEADS:
        ids = list(lead_ids)
        transaction.on_commit(lambda: send_sync(ids))
        return
    compute(lead_ids)


def send_sync(lead_ids: list[int]) -> None:
    """Hand ``lead_ids`` to a worker; never raises (the catch-up pass is the net)."""
    from celery import current_app

    try:
        current_app.send_task("sla.tasks.sync_leads", args=[lead_ids])
    except Exception:  # noqa: BLE001 (whatever the transport raises)
        logger.warning("could not send sla.tasks.sync_leads; the catch-up pass will", exc_info=True)


def stale_leads(lead_ids: Iterable[int]) -> list[int]:
    """Those of ``lead_ids`` whose events differ from what their clocks were computed
    from."""
    ids = sorted(set(lead_ids))
    stale: list[int] = []
    for start in range(0, len(ids), 5000):
        chunk = ids[start : start + 5000]
        seen = {
            lead_id: (n, last)
            for lead_id, n, last in LeadSync.objects.filter(lead_id__in=chunk).values_list(
                "lead_id", "events_seen", "last_event_id"
            )
        }
        for row in (
            relevant_events()
            .filter(lead_id__in=chunk)
            .order_by()
            .values("lead_id")
            .annotate(n=Count("id"), last=Max("id"))
        ):
            if seen.get(row["lead_id"]) != (row["n"], row["last"]):
                stale.append(row["lead_id"])
    return stale


def catch_up(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Recompute every lead whose events were recorded since the last pass (less the
    margin) and whose clocks do not follow them yet. Idempotent; two passes at once
    only do the same work twice."""
    started = timezone.now()
    cursor, _ = SyncCursor.objects.get_or_create(name="events")
    margin = dt.timedelta(seconds=settings.SLA_CATCHUP_MARGIN_SECONDS)
    recent = relevant_events().order_by()
    if cursor.recorded_at is not None:
        recent = recent.filter(recorded_at__gte=cursor.recorded_at - margin)
    candidates = list(recent.values_list("lead_id", flat=True).distinct())
    stale = stale_leads(candidates)
    written = compute(stale, now=now) if stale else 0
    SyncCursor.objects.filter(pk=cursor.pk).update(recorded_at=started)
    return {"candidates": len(candidates), "recomputed": len(stale), "clocks": written}


def recompute_calendar(calendar_id: int) -> int:
    """A calendar changed: recompute the leads with running or paused clocks on it.
    Returns the number of leads recomputed."""
    lead_ids = list(
        Clock.objects.filter(
            calendar_id=calendar_id, state__in=(Clock.State.RUNNING, Clock.State.PAUSED)
        )
        .order_by()
        .values_list("lead_id", flat=True)
        .distinct()
    )
    compute(lead_ids)
    return len(lead_ids)


def on_terms_published(termset_id: int) -> None:
    """A terms version was published: new clocks take it from its ``published_at`` on;
    running clocks keep the version they started with. Nothing to recompute."""


def replay(lead_ids: Iterable[int] | None = None, *, now: dt.datetime | None = None) -> int:
    """``manage.py sla_replay``: recompute from the events (every lead with events when
    ``lead_ids`` is None)."""
    if lead_ids is None:
        lead_ids = relevant_events().order_by().values_list("lead_id", flat=True).distinct()
    return compute(list(lead_ids), now=now)
