"""sla.scorecard: month bounds in the calendar's zone, percentiles, shares, verdicts."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from sla import scorecard as S

UTC = dt.UTC


def test_a_month_closes_at_midnight_in_the_calendars_zone():
    start, end = S.month_bounds(dt.date(2026, 10, 1), "Asia/Shanghai")
    assert start == dt.datetime(2026, 9, 30, 16, 0, tzinfo=UTC)
    assert end == dt.datetime(2026, 10, 31, 16, 0, tzinfo=UTC)
    # 00:05 on 1 November in Shanghai is still 31 October in UTC: November's
    five_past = dt.datetime(2026, 10, 31, 16, 5, tzinfo=UTC)
    assert S.month_of(five_past, "Asia/Shanghai") == dt.date(2026, 11, 1)
    assert not start <= five_past < end


def test_a_month_with_a_dst_change_is_an_hour_short_or_long():
    march = S.month_bounds(dt.date(2026, 3, 1), "America/New_York")
    november = S.month_bounds(dt.date(2026, 11, 1), "America/New_York")
    assert march[1] - march[0] == dt.timedelta(days=31, hours=-1)
    assert november[1] - november[0] == dt.timedelta(days=30, hours=1)
    december = S.month_bounds(dt.date(2026, 12, 1), "America/New_York")
    assert december[1] == dt.datetime(2027, 1, 1, 5, 0, tzinfo=UTC)


def test_month_of_refuses_a_naive_time():
    with pytest.raises(ValueError, match="naive"):
        S.month_of(dt.datetime(2026, 11, 1), "UTC")


def test_nearest_rank_percentiles():
    minutes = [5, 1, 9, 3, 7, 2, 8, 4, 6, 10]
    assert (S.percentile(minutes, 50), S.percentile(minutes, 90)) == (5, 9)
    assert S.percentile([42], 90) == 42
    assert S.percentile([], 50) is None
    hours = [dt.timedelta(hours=h) for h in (3, 1, 2)]
    assert S.percentile(hours, 50) == dt.timedelta(hours=2)
    with pytest.raises(ValueError, match="p must be"):
        S.percentile(minutes, 0)


def test_shares_never_divide_by_zero():
    assert S.share(17, 20) == Decimal("85.00")
    assert S.share(1, 3) == Decimal("33.33")
    assert S.share(2, 3) == Decimal("66.67")
    assert S.share(0, 0) is None
    with pytest.raises(ValueError, match="part of a whole"):
        S.share(3, 2)


def test_met_at_the_exact_target_either_way():
    assert S.verdict(Decimal("85.00"), Decimal(85)) == S.MET
    assert S.verdict(Decimal("84.99"), Decimal(85)) == S.MISSED
    two_hours = dt.timedelta(hours=2)
    assert S.verdict(two_hours, two_hours, at_most=True) == S.MET
    assert S.verdict(two_hours + dt.timedelta(seconds=1), two_hours, at_most=True) == S.MISSED
    assert S.verdict(None, Decimal(85)) == S.NO_DATA
