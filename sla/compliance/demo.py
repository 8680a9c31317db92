"""The demo's frozen months (issue 13 §2): after ``leads.demo`` writes the demo company
(a year of leads) and computes its clocks, every closed month of its time axis is
frozen the way the daily run freezes a real month — from the events and clocks, as of
the moment they were written. Re-seeding the demo drops the demo's old reports first
(their leads are gone)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from leads import hooks
from sla.models import ComplianceReport

MONTHS = 12


def freeze_demo_months(*, now: dt.datetime) -> int:
    """Freeze the twelve months before ``now``'s (the demo's year of leads)."""
    from sla import scorecard as S
    from sla.clocks import sync
    from sla.compliance import figures, reports

    ComplianceReport.objects.filter(reason=ComplianceReport.Reason.DEMO).delete()
    current = S.month_of(now, figures.zone())
    watermark = timezone.now()
    sync.catch_up()
    made = 0
    for back in range(MONTHS, 0, -1):
        month = S.add_months(current, -back)
        if reports.freeze(
            month, reason=ComplianceReport.Reason.DEMO, now=now, watermark=watermark,
            only_first=True, catch_up=False,
        ):  # fmt: skip
            made += 1
    return made


def register() -> None:
    if freeze_demo_months not in hooks.DEMO_SEEDED:
        hooks.DEMO_SEEDED.append(freeze_demo_months)
