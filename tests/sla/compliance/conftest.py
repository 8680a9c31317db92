"""The November 2026 fixture of the compliance tests, worked out by hand in
``test_figures.py``'s docstring."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from leads import hooks
from leads.models import LeadEvent
from tests.factories import LeadFactory

SH = ZoneInfo("Asia/Shanghai")
NOVEMBER = dt.date(2026, 11, 1)


def at(month: int, day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, month, day, hour, minute, tzinfo=SH)


def event(lead, when, kind, *, by=None, system="", **fields) -> LeadEvent:
    return LeadEvent.objects.create(
        lead=lead, kind=kind, at=when, actor_user=by, actor_system=system if by is None else "",
        **fields,
    )  # fmt: skip


def became_mql(lead, when, grade, sdr, *, from_stage="inquiry", by=None):
    event(
        lead, when, "stage_change", by=by, system="scoring", from_stage=from_stage,
        to_stage="mql", data={"total": 80, "grade": grade},
    )  # fmt: skip
    team = sdr.teams.get()
    event(
        lead, when, "assignment", system="routing", reason="rule",
        data={"to_user": sdr.pk, "to_team": team.pk},
    )  # fmt: skip


def move(lead, when, before, after, by, reason=""):
    event(lead, when, "stage_change", by=by, from_stage=before, to_stage=after, reason=reason)


def touch(lead, when, by):
    event(lead, when, "touch", by=by, data={"channel": "call", "outcome": "connected"})


@pytest.fixture
def november(sdr, marketer):
    team = sdr.teams.get()
    common = {"owner": sdr, "team": team, "source_channel": "website"}
    a = LeadFactory(
        stage="disqualified", company_name="Acme", title="CTO", campaign="spring",
        received_at=at(11, 2, 9), delivery_seconds=3600, source_system="hubspot", **common,
    )  # fmt: skip
    became_mql(a, at(11, 2, 9), "A", sdr)
    move(a, at(11, 2, 10), "mql", "sal", sdr)
    touch(a, at(11, 2, 11), sdr)
    move(a, at(11, 2, 16), "sal", "disqualified", sdr, reason="no_response")

    b = LeadFactory(
        stage="sal", company_name="Beta", title="", campaign="",
        received_at=at(11, 2, 9), delivery_seconds=3 * 3600, source_system="form", **common,
    )  # fmt: skip
    became_mql(b, at(11, 2, 9), "C", sdr)
    move(b, at(11, 2, 13), "mql", "sal", sdr)
    touch(b, at(11, 2, 15), sdr)

    c = LeadFactory(
        stage="sal", company_name="Gamma", title="CEO", campaign="autumn",
        received_at=at(10, 30, 9), delivery_seconds=60, **common,
    )  # fmt: skip
    became_mql(c, at(10, 30, 9), "A", sdr)
    move(c, at(10, 30, 9, 30), "mql", "sal", sdr)
    touch(c, at(10, 30, 9, 45), sdr)
    event(c, at(10, 30, 10), "return", by=sdr, reason="wrong_information",
          from_stage="sal", to_stage="returned", data={"note": "bad phone"})  # fmt: skip
    move(c, at(10, 30, 10), "sal", "returned", sdr, reason="wrong_information")
    became_mql(c, at(11, 3, 9), "A", sdr, from_stage="returned", by=marketer)
    move(c, at(11, 3, 9, 30), "mql", "sal", sdr)

    d = LeadFactory(stage="mql", received_at=at(12, 1, 0, 5), **common)
    became_mql(d, at(12, 1, 0, 5), "A", sdr)
    hooks.on_events_written([a.pk, b.pk, c.pk, d.pk])
    return a, b, c, d


@pytest.fixture(autouse=True)
def no_watermark_margin(settings):
    """A freeze's watermark is the database's clock less the catch-up margin (for
    transactions still open); the tests' events were written a moment ago."""
    settings.SLA_CATCHUP_MARGIN_SECONDS = 0
