"""leads.queue.claim: the SDR queue (order, deadline, fixed queries), the team pool,
claiming (atomic, empty pool, real threads on PostgreSQL) and pool visibility."""

import threading
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext

from leads.models import Lead, LeadEvent
from leads.queue.claim import claim_next, next_step_deadline, pool_count, sdr_queue, team_pool
from leads.selectors import leads_visible_to
from tests.factories import LeadFactory, TeamFactory, UserFactory, with_history

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def _frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def queued(user, *, hours_ago=1, **kwargs):
    kwargs.setdefault("stage", "mql")
    lead = LeadFactory(owner=user, assigned_at=NOW - timedelta(hours=hours_ago), **kwargs)
    return with_history(lead) if lead.stage in ("mql", "sal") else lead


@pytest.mark.django_db
@pytest.mark.usefixtures("_frozen")
def test_the_queue_is_hot_first_then_score_then_deadline(sdr, other_sdr):
    warm_old = queued(sdr, hours_ago=20, score_quadrant="sales_check", score_total=90)
    hot_low = queued(sdr, hours_ago=1, score_quadrant="hot", score_total=60)
    hot_high = queued(sdr, hours_ago=2, score_quadrant="hot", score_total=80, stage="sal")
    hot_high_later = queued(sdr, hours_ago=1, score_quadrant="hot", score_total=80)
    unscored = queued(sdr, hours_ago=30)
    queued(sdr, stage="sql")  # not in the SDR queue any more
    queued(other_sdr, score_quadrant="hot", score_total=99)

    rows = list(sdr_queue(user=sdr))

    # (hot, 80): hot_high_later's acceptance is due at 18:00 Shanghai time the same day,
    # hot_high (accepted) owes its first touch by 10:00 the next day
    assert [lead.pk for lead in rows] == [
        hot_high_later.pk,
        hot_high.pk,
        hot_low.pk,
        warm_old.pk,
        unscored.pk,
    ]
    # assigned at 08:00 UTC (16:00 in Shanghai): accept within 2 working hours → 18:00
    assert rows[0].next_step_deadline == datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
    # accepted at 07:00 UTC (15:00) with no touch yet: the first touch is due 4 working
    # hours after 15:00 → 3 h today, 1 h from 09:00 the next working day (Tuesday 10:00)
    assert rows[1].next_step_deadline == datetime(2026, 3, 3, 2, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_the_deadline_is_the_earliest_running_clocks_due_time(sdr):
    # Monday 2026-03-02 10:30 in Shanghai: acceptance due 2 working hours later, lunch
    # (12:00–13:30) not counted → 14:00; the first touch 4 working hours → 16:00
    at = datetime(2026, 3, 2, 2, 30, tzinfo=UTC)
    lead = with_history(LeadFactory(owner=sdr, stage="mql", assigned_at=at))
    pooled = LeadFactory(stage="mql", team=sdr.teams.get())  # no events: no clock
    closed = with_history(LeadFactory(owner=sdr, stage="mql", assigned_at=at))
    closed.clocks.update(state="stopped")

    annotated = next_step_deadline(Lead.objects.all())
    deadlines = dict(annotated.values_list("pk", "next_step_deadline"))
    warnings = dict(annotated.values_list("pk", "next_step_warn"))

    assert deadlines == {
        lead.pk: datetime(2026, 3, 2, 6, 0, tzinfo=UTC),
        pooled.pk: None,
        closed.pk: None,
    }
    # 75 % of 2 working hours: 90 minutes after 10:30 → 12:00 + 0 (lunch) → 12:00
    assert warnings[lead.pk] == datetime(2026, 3, 2, 4, 0, tzinfo=UTC)


@pytest.mark.django_db
def test_the_queue_runs_a_fixed_number_of_queries(sdr):
    def run() -> int:
        with CaptureQueriesContext(connection) as ctx:
            for lead in sdr_queue(user=sdr):
                _ = (lead.account and lead.account.name, lead.team, lead.owner.username)
                _ = lead.next_step_deadline
        return len(ctx.captured_queries)

    queued(sdr)
    few = run()
    for _ in range(15):
        queued(sdr)
    assert run() == few == 1


@pytest.mark.django_db
def test_the_pool_is_the_teams_unassigned_mqls_best_first(sdr, other_sdr):
    east = sdr.teams.get()
    cold = LeadFactory(team=east, stage="mql", score_quadrant="nurture", score_total=90)
    hot = LeadFactory(team=east, stage="mql", score_quadrant="hot", score_total=70)
    LeadFactory(team=east, stage="mql", owner=sdr)  # taken
    LeadFactory(team=east, stage="sal")  # accepted somewhere
    LeadFactory(team=other_sdr.teams.get(), stage="mql")

    assert list(team_pool(team=east)) == [hot, cold]
    assert pool_count(user=sdr) == 2


@pytest.mark.django_db
@pytest.mark.usefixtures("_frozen")
def test_claiming_takes_the_best_pool_lead_without_accepting_it(sdr):
    east = sdr.teams.get()
    LeadFactory(team=east, stage="mql", score_quadrant="nurture")
    best = LeadFactory(team=east, stage="mql", score_quadrant="hot")

    claimed = claim_next(user=sdr)

    best.refresh_from_db()
    assert claimed == best
    assert (best.owner, best.stage, best.assigned_at, best.team) == (sdr, "mql", NOW, east)
    event = best.events.get(kind="assignment")
    assert (event.reason, event.actor_user, event.data["to_user"]) == ("claim", sdr, sdr.pk)
    assert pool_count(user=sdr) == 1


@pytest.mark.django_db
def test_an_empty_pool_gives_nothing(sdr, other_sdr):
    LeadFactory(team=other_sdr.teams.get(), stage="mql")  # another team's pool
    assert claim_next(user=sdr) is None
    assert not LeadEvent.objects.filter(kind="assignment").exists()


@pytest.mark.django_db
def test_someone_in_no_sdr_team_claims_nothing(ae):
    LeadFactory(team=TeamFactory(kind="sdr"), stage="mql")
    assert claim_next(user=ae) is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_claimers_never_get_the_same_lead(migration_rows):
    team = TeamFactory(name="Pool", kind="sdr")
    people = [UserFactory(username=f"claimer{i}", roles=["sdr"]) for i in range(8)]
    team.members.add(*people)
    Lead.objects.bulk_create(
        [
            Lead(
                email=f"p{i}@pool.example",
                email_normalised=f"p{i}@pool.example",
                source_channel="website",
                stage="mql",
                team=team,
                score_total=i % 17,
            )
            for i in range(200)
        ]
    )
    got: dict[int, list[int]] = {p.pk: [] for p in people}
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(people))

    def work(person):
        try:
            barrier.wait()
            while (lead := claim_next(user=person)) is not None:
                got[person.pk].append(lead.pk)
        except BaseException as exc:  # surfaced below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=work, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert errors == []
    claimed = [pk for pks in got.values() for pk in pks]
    assert len(claimed) == 200
    assert len(set(claimed)) == 200
    assert sum(1 for pks in got.values() if pks) > 1  # they really ran side by side
    assert LeadEvent.objects.filter(kind="assignment", reason="claim").count() == 200
    owners = dict(Lead.objects.values_list("pk", "owner"))
    assert all(owners[pk] == person for person, pks in got.items() for pk in pks)


# ------------------------------------------------------------------ visibility


@pytest.mark.django_db
def test_an_sdr_sees_their_teams_pool_but_not_others(sdr, other_sdr):
    east, west = sdr.teams.get(), other_sdr.teams.get()
    pooled = LeadFactory(team=east, stage="mql")
    taken = LeadFactory(team=east, stage="mql", owner=other_sdr)
    accepted_unowned = LeadFactory(team=east, stage="sal")
    other_pool = LeadFactory(team=west, stage="mql")

    visible = set(leads_visible_to(viewer=sdr))

    assert pooled in visible
    assert not visible & {taken, accepted_unowned, other_pool}


@pytest.mark.django_db
def test_a_manager_sees_their_teams_leads_and_pool(sales_manager, sdr, other_sdr):
    east = sdr.teams.get()
    pooled = LeadFactory(team=east, stage="mql")
    member = LeadFactory(owner=sdr)
    elsewhere = LeadFactory(team=other_sdr.teams.get(), owner=other_sdr)

    visible = list(leads_visible_to(viewer=sales_manager))

    assert sorted(v.pk for v in visible) == sorted([pooled.pk, member.pk])
    assert elsewhere not in visible
