"""Delivery (source → app) is stored on every lead at intake, not a clock."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from leads.intake.services import delivery_seconds, leads_ingest
from leads.models import Lead

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)


@pytest.mark.django_db
def test_intake_stores_how_long_the_lead_took_from_its_source():
    with time_machine.travel(NOW, tick=False):
        result = leads_ingest(
            rows=[
                {
                    "email": "a@x.example",
                    "created_at_source": "2026-03-02T15:00:00+08:00",
                    "source_channel": "website",
                },
                {"email": "b@x.example", "source_channel": "website"},
                {
                    "email": "c@x.example",
                    "created_at_source": "2026-03-02T09:01:00+00:00",
                    "source_channel": "website",
                },
            ],  # fmt: skip
            source_system="web",
        )
    assert not result.errors
    stored = dict(Lead.objects.values_list("email", "delivery_seconds"))
    # 15:00 in Shanghai is 07:00 UTC: two hours; none given: none; a minute ahead: 0
    assert stored == {"a@x.example": 7200, "b@x.example": None, "c@x.example": 0}


def test_delivery_seconds_in_whole_seconds():
    assert delivery_seconds(NOW - dt.timedelta(seconds=90.7), NOW) == 90
    assert delivery_seconds(None, NOW) is None
