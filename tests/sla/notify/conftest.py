"""Clock rows made directly (the engine that fills them from events is tested on its
own): a lead, a term, the step times."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from sla.models import Clock
from tests.factories import LeadFactory

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday morning
MINUTE = timedelta(minutes=1)


def make_clock(
    *,
    lead=None,
    term: str = "first_touch",
    seq: int = 1,
    owner=None,
    team=None,
    side: str = "sales",
    state: str = "running",
    start: datetime = T0,
    warn: timedelta | None = timedelta(hours=3),
    due: timedelta | None = timedelta(hours=4),
    manager: timedelta | None = timedelta(hours=6),
    director: timedelta | None = timedelta(hours=8),
    **fields,
) -> Clock:
    """A clock started at ``start`` whose steps fall that long after it."""
    return Clock.objects.create(
        lead=lead or LeadFactory(owner=owner, team=team),
        term=term,
        seq=seq,
        side=side,
        state=state,
        owner=owner,
        team=team,
        started_at=start,
        warn_at=start + warn if warn is not None else None,
        due_at=start + due if due is not None else None,
        manager_at=start + manager if manager is not None else None,
        director_at=start + director if director is not None else None,
        **{"target": due or timedelta(hours=4), "unit": "working_hours", **fields},
    )


@pytest.fixture
def clock_of():
    return make_clock
