"""leads.queue.claim.claim_next beyond the basics in test_queue.py: the one-statement claim
on PostgreSQL takes leads in exactly ``team_pool()``'s order (as the ORM path does on
SQLite), across all of the user's SDR teams; the lead and event it hands to the
assignment hooks are the rows it wrote; a failing hook undoes the claim; on
PostgreSQL the claim and the pool page read the pool index instead of sorting."""

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from leads import hooks
from leads.models import Lead, LeadEvent
from leads.queue.claim import CLAIM_SQL, claim_next, team_pool
from tests.factories import LeadFactory, TeamFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def pooled(team, quadrant, score, minutes, **kwargs):
    kwargs.setdefault("stage", "mql")
    return LeadFactory(
        team=team,
        score_quadrant=quadrant,
        score_total=score,
        mql_at=None if minutes is None else T0 + timedelta(minutes=minutes),
        **kwargs,
    )


@pytest.mark.django_db
def test_claims_come_in_the_team_pool_order(sdr, other_sdr):
    east = sdr.teams.get()
    # ties on every key but the last, unscored leads, scores missing, MQL time missing
    for quadrant, score, minutes in [
        ("nurture", 90, 5),
        ("hot", 40, 5),
        ("", 99, 1),
        ("hot", None, 1),
        ("drop", 10, None),
        ("sales_check", 70, 3),
        ("hot", 40, 2),
        ("hot", 40, 2),
        ("sales_check", 70, 1),
        ("hot", 80, 9),
        ("", None, None),
        ("nurture", 90, 4),
        ("drop", 10, 0),
    ]:
        pooled(east, quadrant, score, minutes)
    pooled(east, "hot", 100, 0, owner=other_sdr)  # taken
    pooled(east, "hot", 100, 0, stage="sal")  # accepted somewhere, unowned
    pooled(other_sdr.teams.get(), "hot", 100, 0)  # another team's pool
    expected = [lead.pk for lead in team_pool(team=east)]

    claimed = []
    while (lead := claim_next(user=sdr)) is not None:
        claimed.append(lead.pk)

    assert len(expected) == 13
    assert claimed == expected
    assert set(Lead.objects.filter(pk__in=claimed).values_list("owner", flat=True)) == {sdr.pk}


@pytest.mark.django_db
def test_a_claim_takes_from_every_sdr_team_of_the_user_and_no_other(sdr, other_sdr):
    east, west = sdr.teams.get(), other_sdr.teams.get()
    west.members.add(sdr)
    ae_team = TeamFactory(name="Closers", kind="ae")
    ae_team.members.add(sdr)
    east_warm = pooled(east, "sales_check", 50, 0)
    west_hot = pooled(west, "hot", 10, 0)
    pooled(ae_team, "hot", 99, 0)  # not an SDR pool

    assert [claim_next(user=sdr), claim_next(user=sdr), claim_next(user=sdr)] == [
        west_hot,
        east_warm,
        None,
    ]


@pytest.mark.django_db
def test_the_hooks_get_the_lead_and_event_as_written_inside_the_claim(monkeypatch, sdr):
    east = sdr.teams.get()
    lead = pooled(east, "hot", 80, 0, email="first@pool.example")
    at = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)
    seen = []

    def hook(lead, event):  # runs inside the claim's transaction: the rows are there
        seen.append((lead, event, Lead.objects.get(pk=lead.pk).owner_id, event.pk))
        assert LeadEvent.objects.filter(pk=event.pk, lead=lead).exists()

    monkeypatch.setattr(hooks, "ASSIGNMENT_HOOKS", [hook])

    claimed = claim_next(user=sdr, now=at)

    assert len(seen) == 1
    hooked_lead, event, owner_during_hook, event_pk = seen[0]
    assert hooked_lead is claimed
    assert owner_during_hook == sdr.pk
    row = LeadEvent.objects.get(lead=lead, kind="assignment")
    assert event_pk == row.pk
    assert event.lead is claimed
    assert event.actor_user == sdr
    assert {f.attname: getattr(event, f.attname) for f in LeadEvent._meta.concrete_fields} == {
        f.attname: getattr(row, f.attname) for f in LeadEvent._meta.concrete_fields
    }
    assert row.data == {
        "from_user": None,
        "from_team": east.pk,
        "to_user": sdr.pk,
        "to_team": east.pk,
        "mode": "pool",
        "rule": None,
    }
    assert (row.actor_user_id, row.actor_system, row.reason, row.at) == (sdr.pk, "", "claim", at)


@pytest.mark.django_db
def test_the_claimed_lead_has_its_new_values_and_loads_the_rest(sdr, django_assert_num_queries):
    east = sdr.teams.get()
    lead = pooled(east, "hot", 80, 0, email="first@pool.example")
    at = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)

    claimed = claim_next(user=sdr, now=at)

    with django_assert_num_queries(0):
        assert (claimed.pk, claimed.team_id, claimed.owner, claimed.stage) == (
            lead.pk,
            east.pk,
            sdr,
            "mql",
        )
        assert (claimed.assigned_at, claimed.updated_at) == (at, at)
    assert claimed.email == "first@pool.example"  # deferred: one query
    lead.refresh_from_db()
    assert (lead.owner_id, lead.assigned_at, lead.updated_at) == (sdr.pk, at, at)


@pytest.mark.django_db(transaction=True)
def test_a_failing_hook_undoes_the_claim_and_the_next_claim_works(monkeypatch, sdr):
    east = sdr.teams.get()
    leads = [pooled(east, "hot", 90 - i, 0) for i in range(8)]
    for _ in range(6):  # on PostgreSQL the connection has prepared the claim by now
        claim_next(user=sdr)

    def hook(lead, event):
        raise RuntimeError("the SLA engine is down")

    monkeypatch.setattr(hooks, "ASSIGNMENT_HOOKS", [hook])
    with pytest.raises(RuntimeError, match="SLA engine"):
        claim_next(user=sdr)

    failed = Lead.objects.get(pk=leads[6].pk)
    assert (failed.owner_id, failed.assigned_at) == (None, None)
    assert not LeadEvent.objects.filter(lead=failed, kind="assignment").exists()
    monkeypatch.setattr(hooks, "ASSIGNMENT_HOOKS", [])
    assert claim_next(user=sdr) == failed
    assert LeadEvent.objects.filter(kind="assignment", reason="claim").count() == 7


def _prepared_claims() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE %s",
            ["%FOR UPDATE SKIP LOCKED%"],
        )
        return cursor.fetchone()[0]


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_connection_prepares_the_claim_and_the_query_log_shows_it(sdr):
    east = sdr.teams.get()
    for i in range(8):
        pooled(east, "hot", i, 0)

    with CaptureQueriesContext(connection) as ctx:
        for _ in range(7):
            claim_next(user=sdr)

    assert _prepared_claims() == 1  # after psycopg's 5 runs
    logged = [q["sql"] for q in ctx.captured_queries if "leads_lead" in q["sql"]]
    assert len(logged) == 7
    assert all("SKIP LOCKED" in sql and f"'user': {sdr.pk}," in sql for sql in logged)


@pytest.mark.postgres
@pytest.mark.django_db
def test_with_prepared_statements_off_claims_still_work(monkeypatch, sdr):
    east = sdr.teams.get()
    for i in range(8):
        pooled(east, "hot", i, 0)
    connection.ensure_connection()
    # what DATABASE_PREPARED_STATEMENTS=false gives a new connection
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)

    claimed = [claim_next(user=sdr) for _ in range(9)]

    assert _prepared_claims() == 0
    assert claimed[-1] is None
    assert len({lead.pk for lead in claimed[:-1]}) == 8


def _plan(sql: str, params) -> str:
    with connection.cursor() as cursor:
        # tiny tables: make the planner show which paths exist, not which are cheapest
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_sort = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_claim_and_the_pool_page_read_the_pool_index_instead_of_sorting(sdr):
    east = sdr.teams.get()
    pooled(east, "hot", 80, 0)

    claim_plan = _plan(CLAIM_SQL, {"user": sdr.pk, "now": T0})
    page_sql, page_params = team_pool(team=east).query.sql_with_params()
    page_plan = _plan(page_sql, page_params)

    for plan in (claim_plan, page_plan):
        assert "lead_pool_order_idx" in plan, plan
        assert "Sort" not in plan, plan
