"""The history a scoring model is tested against, read from the database.

``leads.scoring.evaluation`` does the maths and documents every definition; this
module only reads rows, in a few set-based queries per chunk of leads:

- ``history_leads(...)`` yields ``HistoryLead`` rows for the leads received in an
  evaluation window, ``chunk_size`` leads at a time (keyset pagination on the
  id): one query for the leads with their account's fields, one for their
  activities up to the window's end (time order), one for their stage events up
  to ``as_of``. Memory stays bounded by the chunk, whatever the table size.
- ``calibration_counts(...)`` counts, in SQL, the closed leads of a period and,
  per activity type, how many of them did it before they closed and how many of
  those won.

Outcomes come from the stage events (``LeadEvent`` of kind ``stage_change``,
written by every path that moves a lead: intake's scoring, people, the demo):
reached SQL = the first event to sql/opportunity/won; won = the first event to
won; closed without a win = the stage of the last event at or before ``as_of``
is one of ``CLOSED_STAGES``, since that event's time. For calibration the
lead's own ``stage`` / ``stage_changed_at`` are used instead: they are, by
every writer, the last stage event's, and a single aggregate over them is
what makes the count cheap (calibration is always "as of now").
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from django.db import connection
from django.db.models import Count, F, FloatField, Func, Q

from leads.models import DEMO_SOURCE_SYSTEM, Activity, Lead, LeadEvent, Stage
from leads.scoring.engine import ActivityFact
from leads.scoring.evaluation import HistoryLead, month_start

# Reaching any of these counts as reaching SQL (won leads went through it).
SQL_OR_LATER = (Stage.SQL.value, Stage.OPPORTUNITY.value, Stage.WON.value)
# Closed without a win: the lead is out of the funnel for good, or until someone
# recycles it (a recycled lead is open again from that event on).
CLOSED_STAGES = (
    Stage.LOST.value,
    Stage.DISQUALIFIED.value,
    Stage.EXCLUDED.value,
    Stage.CUSTOMER_SUCCESS.value,
)
CHUNK_SIZE = 2000
# A chunk's activities and events are read by id range while the range holds at
# most this many times the chunk's leads (see history_leads).
RANGE_SLACK = 4

_LEAD_COLUMNS = (
    "id",
    "received_at",
    "source_system",
    "account__employees",
    "account__annual_revenue",
    "account__industry",
    "account__region",
    "account__country",
    "account__name",
    "account__domain",
    "account_id",
    "company_name",
    "seniority",
    "title",
    "source_channel",
    "campaign",
    "language",
    "do_not_contact",
)


def _facts(row: Sequence[Any]) -> dict[str, Any]:
    """The engine's flat mapping, exactly as ``services.lead_score_facts`` builds it."""
    (
        _id,
        _received,
        source_system,
        employees,
        revenue,
        industry,
        region,
        country,
        account_name,
        domain,
        account_id,
        company_name,
        seniority,
        title,
        channel,
        campaign,
        language,
        do_not_contact,
    ) = row
    has_account = account_id is not None
    return {
        "employees": employees,
        "annual_revenue": revenue,
        "industry": industry,
        "region": region,
        "country": country,
        "company": (account_name if has_account else "") or company_name,
        "domain": domain,
        "seniority": seniority,
        "title": title,
        "source_channel": channel,
        "campaign": campaign,
        "source_system": source_system,
        "language": language,
        "do_not_contact": do_not_contact,
    }


def window_leads(*, ends: Sequence[datetime]):
    """The leads an evaluation over ``ends`` looks at: received in the window."""
    return Lead.objects.filter(received_at__gte=month_start(ends[0]), received_at__lt=ends[-1])


def history_count(*, ends: Sequence[datetime]) -> int:
    return window_leads(ends=ends).count()


def _outcomes(
    events: Sequence[tuple[str, datetime]],
) -> tuple[datetime | None, datetime | None, datetime | None]:
    """(sql_at, won_at, closed_at) from one lead's stage events in time order."""
    sql_at = won_at = None
    last_stage, last_at = None, None
    for to_stage, at in events:
        if sql_at is None and to_stage in SQL_OR_LATER:
            sql_at = at
        if won_at is None and to_stage == Stage.WON:
            won_at = at
        last_stage, last_at = to_stage, at
    closed_at = last_at if last_stage in CLOSED_STAGES else None
    return sql_at, won_at, closed_at


class _Epoch(Func):
    """A timestamp as float seconds since 1970, on PostgreSQL.

    Decoding timestamps from text is most of the time spent reading history
    (Django reads psycopg's text protocol); a float8 and ``datetime.fromtimestamp``
    cost about a third, and a float8 holds today's epoch to a fraction of a
    microsecond, so the datetimes come back exact."""

    template = "EXTRACT(EPOCH FROM %(expressions)s)::float8"
    output_field = FloatField()


def _from_epoch(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _same(value: datetime) -> datetime:
    return value


def _time_columns() -> tuple[Any, Any, Callable[[Any], datetime]]:
    """(activity time column, event time column, to datetime) for this database."""
    if connection.vendor == "postgresql":
        return _Epoch("occurred_at"), _Epoch("at"), _from_epoch
    return "occurred_at", "at", _same


def history_leads(
    *, ends: Sequence[datetime], as_of: datetime, chunk_size: int = CHUNK_SIZE
) -> Iterator[list[HistoryLead]]:
    """The leads received in the window, ``chunk_size`` at a time (id order), with
    their activities before the window's end and outcomes as of ``as_of``."""
    window_end = ends[-1]
    leads = window_leads(ends=ends).order_by("id")
    occurred, event_at, to_datetime = _time_columns()
    last_id = 0
    while True:
        rows = list(leads.filter(id__gt=last_id).values_list(*_LEAD_COLUMNS)[:chunk_size])
        if not rows:
            return
        first_id, last_id = rows[0][0], rows[-1][0]
        activities: dict[int, list[ActivityFact]] = {row[0]: [] for row in rows}
        events: dict[int, list[tuple[str, datetime]]] = {row[0]: [] for row in rows}
        # Select the chunk's rows by the id range when the window's leads are most of
        # it (ids grow with time, so usually): two index range scans, and the rows of
        # other leads in the range are skipped here. Otherwise by the ids themselves.
        # (A join to the lead's received_at made PostgreSQL scan every lead.)
        if last_id - first_id < RANGE_SLACK * len(rows):
            by_chunk: dict[str, Any] = {"lead_id__gte": first_id, "lead_id__lte": last_id}
        else:
            by_chunk = {"lead_id__in": list(activities)}
        for lead_id, kind, occurred_at in (
            Activity.objects.filter(**by_chunk, occurred_at__lt=window_end)
            .order_by("lead_id", "occurred_at", "id")
            .values_list("lead_id", "type", occurred)
        ):
            facts = activities.get(lead_id)
            if facts is not None:
                facts.append(ActivityFact(kind, to_datetime(occurred_at)))
        for lead_id, to_stage, at in (
            LeadEvent.objects.filter(**by_chunk, kind=LeadEvent.Kind.STAGE_CHANGE, at__lte=as_of)
            .order_by("lead_id", "at", "id")
            .values_list("lead_id", "to_stage", event_at)
        ):
            stages = events.get(lead_id)
            if stages is not None:
                stages.append((to_stage, to_datetime(at)))
        chunk = []
        for row in rows:
            lead_id = row[0]
            sql_at, won_at, closed_at = _outcomes(events[lead_id])
            chunk.append(
                HistoryLead(
                    id=lead_id,
                    facts=_facts(row),
                    activities=activities[lead_id],
                    received_at=row[1],
                    sql_at=sql_at,
                    won_at=won_at,
                    closed_at=closed_at,
                    synthetic=row[2] == DEMO_SOURCE_SYSTEM,
                )
            )
        yield chunk


def closed_leads(*, start: datetime, end: datetime):
    """Leads that closed (won, or closed without a win) in ``[start, end)`` and are
    still closed: their current stage, entered in the period."""
    return Lead.objects.filter(
        stage__in=(Stage.WON.value, *CLOSED_STAGES),
        stage_changed_at__gte=start,
        stage_changed_at__lt=end,
    )


def calibration_counts(
    *, start: datetime, end: datetime
) -> tuple[dict[str, tuple[int, int]], int, int, bool]:
    """``(counts, closed, won, synthetic)`` for the leads closed in ``[start, end)``:
    ``counts[type] = (closed leads that did it before closing, won among them)``;
    ``synthetic``: whether demo leads are among them. Two aggregate queries."""
    closed = closed_leads(start=start, end=end)
    totals = closed.aggregate(
        closed=Count("id"),
        won=Count("id", filter=Q(stage=Stage.WON)),
        demo=Count("id", filter=Q(source_system=DEMO_SOURCE_SYSTEM)),
    )
    rows = (
        Activity.objects.filter(
            lead__in=closed.values("id"), occurred_at__lte=F("lead__stage_changed_at")
        )
        .values("type")
        .annotate(
            leads=Count("lead_id", distinct=True),
            won=Count("lead_id", distinct=True, filter=Q(lead__stage=Stage.WON)),
        )
        .order_by("type")
    )
    counts = {row["type"]: (row["leads"], row["won"]) for row in rows}
    return counts, totals["closed"], totals["won"], bool(totals["demo"])
