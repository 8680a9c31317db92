"""sla.clocks.sync: clocks follow the event log — through the services' seam inside
their transactions, the catch-up pass for bulk and late-committing writes, the
replay command, a calendar edit — and live clocks equal replayed ones."""

from __future__ import annotations

import datetime as dt
import random
import threading

import pytest
from django.core.management import call_command
from django.db import connections, transaction
from django.utils import timezone

from leads import hooks
from leads.models import Lead, LeadEvent
from leads.queue import work
from leads.queue.claim import claim_next
from sla.clocks import sync
from sla.models import BusinessCalendar, Clock, LeadSync
from tests.factories import LeadFactory, with_history

pytestmark = pytest.mark.django_db

COMPARED = (
    "term", "seq", "side", "state", "outcome", "owner_id", "team_id", "started_at", "warn_at",
    "due_at", "manager_at", "director_at", "stopped_at", "breached_at", "paused_at", "elapsed",
    "target", "unit", "terms_id", "policy", "calendar_id", "calendar_revision",
    "start_event_id", "stop_event_id",
)  # fmt: skip


def stored(lead_ids) -> list[tuple]:
    return list(
        Clock.objects.filter(lead_id__in=lead_ids)
        .order_by("lead_id", "term", "seq")
        .values_list("lead_id", *COMPARED)
    )


def states(lead) -> dict[tuple[str, int], tuple[str, str]]:
    return {(c.term, c.seq): (c.state, c.outcome) for c in Clock.objects.filter(lead=lead)}


@pytest.fixture
def pooled(sdr):
    return with_history(LeadFactory(stage="mql", team=sdr.teams.get()))


def test_the_services_update_the_clocks_in_their_own_transaction(sdr, pooled):
    lead = claim_next(user=sdr)  # the claim defers to a worker …
    assert states(lead)[("acceptance", 1)] == ("running", "")
    hooks.on_events_written(lead.pk)  # … which the queue's views do at once
    assert states(lead)[("acceptance", 2)] == ("running", "")
    assert states(lead)[("acceptance", 1)] == ("cancelled", "cancelled_reassigned")

    work.touch_log(lead=lead, by=sdr, channel="call", outcome="no_answer")
    work.lead_accept(lead=Lead.objects.get(pk=lead.pk), by=sdr)

    got = states(lead)
    assert got[("acceptance", 2)] == ("stopped", "met")
    assert got[("first_touch", 1)] == ("stopped", "met")
    assert got[("status_update", 1)] == ("running", "")
    assert got[("return_window", 1)] == ("running", "")


def test_a_failed_write_leaves_the_clocks_as_they_were(sdr, pooled):
    lead = claim_next(user=sdr)
    hooks.on_events_written(lead.pk)
    before = stored([lead.pk])

    def accept_then_fail():
        with transaction.atomic():
            work.lead_accept(lead=Lead.objects.get(pk=lead.pk), by=sdr)
            raise RuntimeError("the request failed after the accept")

    with pytest.raises(RuntimeError):
        accept_then_fail()
    assert stored([lead.pk]) == before


def test_bulk_written_events_are_seen_by_the_catch_up(sdr):
    leads = [LeadFactory(stage="mql", owner=sdr) for _ in range(3)]
    now = timezone.now()
    LeadEvent.objects.bulk_create(  # a writer that called no hook
        [
            LeadEvent(lead=lead, kind=kind, at=now, actor_system="test", **extra)
            for lead in leads
            for kind, extra in (
                ("stage_change", {"from_stage": "inquiry", "to_stage": "mql"}),
                ("assignment", {"data": {"to_user": sdr.pk, "to_team": None}}),
            )
        ]
    )
    assert not Clock.objects.exists()

    result = sync.catch_up()

    assert result["recomputed"] == 3
    assert Clock.objects.filter(term="acceptance", state="running").count() == 3
    assert sync.catch_up()["recomputed"] == 0  # nothing applied twice


def test_the_catch_up_reads_again_inside_its_margin(sdr, settings):
    lead = LeadFactory(stage="mql", owner=sdr)
    sync.catch_up()  # the cursor is now
    # an event recorded before the cursor (its transaction started earlier and
    # committed after the last pass): inside the margin, it is read
    event = LeadEvent.objects.create(
        lead=lead, kind="stage_change", from_stage="inquiry", to_stage="mql",
        actor_system="test",
    )  # fmt: skip
    LeadEvent.objects.filter(pk=event.pk).update(
        recorded_at=timezone.now() - dt.timedelta(seconds=settings.SLA_CATCHUP_MARGIN_SECONDS - 30)
    )
    LeadEvent.objects.create(
        lead=lead, kind="assignment", data={"to_user": sdr.pk}, actor_system="test"
    )
    LeadEvent.objects.filter(lead=lead, kind="assignment").update(
        recorded_at=timezone.now() - dt.timedelta(seconds=settings.SLA_CATCHUP_MARGIN_SECONDS - 30)
    )

    assert sync.catch_up()["recomputed"] == 1
    assert Clock.objects.filter(lead=lead, term="acceptance").exists()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_events_of_two_transactions_committing_out_of_id_order_are_seen(sdr):
    lead = LeadFactory(stage="mql", owner=sdr)
    first_written, second_committed = threading.Event(), threading.Event()

    def slow_writer():  # takes the lower id, commits last, calls no hook
        try:
            with transaction.atomic():
                LeadEvent.objects.create(
                    lead_id=lead.pk, kind="stage_change", from_stage="inquiry",
                    to_stage="mql", actor_system="test",
                )  # fmt: skip
                first_written.set()
                assert second_committed.wait(10)
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_writer)
    thread.start()
    assert first_written.wait(10)
    LeadEvent.objects.create(  # the higher id, committed first
        lead_id=lead.pk, kind="assignment", data={"to_user": sdr.pk}, actor_system="test"
    )
    sync.catch_up()  # sees the assignment only: the MQL stage is not committed yet
    assert not Clock.objects.filter(lead=lead, term="acceptance").exists()
    second_committed.set()
    thread.join(10)

    sync.catch_up()

    ids = list(LeadEvent.objects.filter(lead=lead).order_by("id").values_list("kind", flat=True))
    assert ids == ["stage_change", "assignment"]
    assert Clock.objects.filter(lead=lead, term="acceptance", state="running").exists()


# What may follow each stage in a random stream (besides touches, notes, assignments).
NEXT = {
    "inquiry": ["mql"],
    "mql": ["sal", "return", "nurture", "assign", "pool"],
    "sal": ["sql", "return", "nurture", "assign"],
    "sql": ["opportunity", "assign", "nurture"],
    "opportunity": ["won"],
    "returned": ["mql", "dispute", "settle", "nurture"],
    "nurture": ["mql"],
    "won": [],
}


def test_replay_equals_the_live_clocks_on_random_event_streams(sdr, other_sdr, marketer, director):
    rng = random.Random(12)
    people = [sdr, other_sdr]
    start = dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.UTC)
    leads = [LeadFactory(stage="inquiry") for _ in range(12)]

    def write(lead, **fields):
        LeadEvent.objects.create(lead=lead, **fields)
        hooks.on_events_written(lead.pk)  # live: one event at a time

    for lead in leads:
        stage, at = "inquiry", start + dt.timedelta(minutes=rng.randrange(0, 600))
        for _ in range(rng.randrange(6, 16)):
            at += dt.timedelta(minutes=rng.choice([5, 30, 90, 400, 1500, 3000]))
            owner = rng.choice(people)
            options = NEXT[stage] + ["touch", "note"] * (stage in ("mql", "sal", "sql"))
            if not options:
                break
            step = rng.choice(options)
            if step in ("assign", "pool"):
                to_user = owner.pk if step == "assign" else None
                write(lead, kind="assignment", at=at, actor_system="routing",
                      data={"to_user": to_user, "to_team": None})  # fmt: skip
            elif step in ("touch", "note"):
                write(lead, kind=step, at=at, actor_user=owner)
            elif step in ("dispute", "settle"):
                reason = "open" if step == "dispute" else "upheld"
                write(lead, kind="dispute", at=at, reason=reason,
                      actor_user=marketer if step == "dispute" else director)  # fmt: skip
            elif step == "return":
                write(lead, kind="return", at=at, actor_user=owner, from_stage=stage,
                      to_stage="returned", reason="wrong_information")  # fmt: skip
                write(lead, kind="stage_change", at=at, actor_user=owner, from_stage=stage,
                      to_stage="returned")  # fmt: skip
                stage = "returned"
            else:
                by = (
                    {"actor_system": "scoring"}
                    if step == "mql" and stage == "inquiry"
                    else {"actor_user": marketer if stage == "returned" else owner}
                )
                write(lead, kind="stage_change", at=at, from_stage=stage, to_stage=step, **by)
                stage = step
                if step in ("mql", "sql"):
                    write(lead, kind="assignment", at=at, actor_system="routing",
                          data={"to_user": owner.pk, "to_team": None})  # fmt: skip
    ids = [lead.pk for lead in leads]
    assert Clock.objects.filter(lead_id__in=ids).count() > 60
    assert Clock.objects.filter(lead_id__in=ids).values("term").distinct().count() == 7
    live = stored(ids)

    Clock.objects.filter(lead_id__in=ids).update(state="cancelled", outcome="tampered")
    call_command("sla_replay", "--all", verbosity=0)

    assert stored(ids) == live


def test_sla_replay_one_lead(sdr, pooled):
    Clock.objects.filter(lead=pooled).delete()
    LeadSync.objects.filter(lead=pooled).delete()

    call_command("sla_replay", "--lead", str(pooled.pk), verbosity=0)

    assert states(pooled) == {
        ("acceptance", 1): ("running", ""),
        ("first_touch", 1): ("running", ""),
    }


def test_editing_a_calendar_recomputes_the_running_clocks(sdr):
    # Monday 2026-03-02 10:30 in Shanghai: accept by 14:00 (lunch not counted)
    lead = with_history(
        LeadFactory(
            stage="mql", owner=sdr, assigned_at=dt.datetime(2026, 3, 2, 2, 30, tzinfo=dt.UTC)
        )
    )
    calendar = BusinessCalendar.objects.get(is_default=True)
    acceptance = lead.clocks.get(term="acceptance")
    assert acceptance.due_at == dt.datetime(2026, 3, 2, 6, 0, tzinfo=dt.UTC)

    calendar.hours = {str(d): [["09:00", "18:00"]] for d in range(5)}  # no lunch break
    calendar.revision += 1
    calendar.save()
    assert sync.recompute_calendar(calendar.pk) == 1

    acceptance.refresh_from_db()
    assert acceptance.due_at == dt.datetime(2026, 3, 2, 4, 30, tzinfo=dt.UTC)  # 12:30
    assert acceptance.calendar_revision == calendar.revision


def test_the_clocks_record_their_terms_version_policy_and_calendar(sdr, pooled):
    clock = pooled.clocks.get(term="acceptance")
    assert clock.policy == "All leads"
    assert clock.calendar == BusinessCalendar.objects.get(is_default=True)
    assert clock.target == dt.timedelta(hours=2)
    assert clock.unit == "working_minutes"


# PostgreSQL: SQLite splits a bulk INSERT by its limit on parameters per statement.
@pytest.mark.postgres
def test_recomputing_costs_a_fixed_number_of_queries(sdr, django_assert_max_num_queries):
    few = [with_history(LeadFactory(stage="mql", owner=sdr)) for _ in range(2)]
    many = [with_history(LeadFactory(stage="mql", owner=sdr)) for _ in range(30)]
    with django_assert_max_num_queries(16) as small:
        sync.compute([lead.pk for lead in few])
    with django_assert_max_num_queries(len(small.captured_queries)):
        sync.compute([lead.pk for lead in many])
