"""The monthly compliance report (issue 13 §2): a month's figures frozen as an
immutable, versioned snapshot (:class:`sla.models.ComplianceReport`).

- :func:`freeze` — a closed month's figures as of a watermark, as a new version (the
  first, or the next: regenerating keeps every older version and records what changed,
  ``changes``). An open or future month is refused (``figures.MonthRefused``): it is
  shown "month to date", never frozen.
- :func:`freeze_closed_months` — the daily beat task's work: every closed month with
  data and no report yet, oldest first, so a missed daily run (or a week of them) loses
  no month. Idempotent: the first version of a month is unique, so a second run, or
  two at once, freeze each month once.
- :func:`check` — the month recomputed as of its snapshot's watermark, and every
  figure that differs (``manage.py sla_report --month YYYY-MM --check``). Events
  recorded after the watermark (a touch entered later with a past time) are not a
  difference: they are what the next version shows (:func:`pending`).

The watermark is the database's clock less ``SLA_CATCHUP_MARGIN_SECONDS`` when the
freeze starts: events recorded by then are in; a transaction still open at that time
commits events recorded later, which the next version sees.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Min
from django.utils import timezone

from leads.models import Lead, LeadEvent
from sla import scorecard as S
from sla.compliance import figures
from sla.models import ComplianceReport, TermSet

logger = logging.getLogger(__name__)
COMPARED = ("target", "actual", "verdict", "count", "of", "p50", "p90")
# How far back the daily run looks for a month with data and no report.
MAX_MONTHS_BACK = 36


def watermark_now() -> dt.datetime:
    return timezone.now() - dt.timedelta(seconds=settings.SLA_CATCHUP_MARGIN_SECONDS)


def _index(data: dict[str, Any]) -> dict[tuple[str, str, str], dict[str, Any]]:
    found = {(line["term"], "", ""): line for line in data.get("terms", [])}
    for row in data.get("rows", []):
        found[(row["term"], row["dimension"], row["key"])] = row
    return found


def differences(before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
    """Every figure that differs between two scorecards of a month: ``{term,
    dimension, key, field, before, after}`` (dimension and key empty for a term's own
    line; a group present on one side only has None on the other)."""
    old, new = _index(before), _index(after)
    changes = []
    for where in sorted(old.keys() | new.keys()):
        a, b = old.get(where, {}), new.get(where, {})
        for field in COMPARED:
            if a.get(field) != b.get(field):
                term, dimension, key = where
                changes.append(
                    {
                        "term": term,
                        "dimension": dimension,
                        "key": key,
                        "field": field,
                        "before": a.get(field),
                        "after": b.get(field),
                    }
                )
    if before.get("terms_version") != after.get("terms_version"):
        changes.append(
            {
                "term": "",
                "dimension": "",
                "key": "",
                "field": "terms_version",
                "before": before.get("terms_version"),
                "after": after.get("terms_version"),
            }
        )
    return changes


def latest(month: dt.date) -> ComplianceReport | None:
    return (
        ComplianceReport.objects.filter(month=month)
        .select_related("terms")
        .order_by("-version")
        .first()
    )


def freeze(
    month: dt.date,
    *,
    by=None,
    reason: str = ComplianceReport.Reason.ON_DEMAND,
    now: dt.datetime | None = None,
    watermark: dt.datetime | None = None,
    only_first: bool = False,
    catch_up: bool = True,
) -> ComplianceReport | None:
    """Freeze ``month`` as its next version (see the module's docs). With
    ``only_first`` (the daily run), nothing is done when the month has a report.
    ``now`` decides which months are closed; ``watermark`` (default: the database's
    clock less the margin) which recorded events count."""
    now = now or timezone.now()
    state = figures.month_state(month, now=now)
    if state != "closed":
        raise figures.MonthRefused(state)
    if catch_up:  # the clocks follow every event written so far
        from sla.clocks import sync

        sync.catch_up()
    watermark = watermark or watermark_now()
    data = figures.scorecard(month, watermark=watermark, now=now)
    version_number = data["terms_version"]
    terms = TermSet.objects.filter(number=version_number).first() if version_number else None
    for _attempt in range(3):
        previous = latest(month)
        if previous is not None and only_first:
            return None
        try:
            with transaction.atomic():
                report = ComplianceReport.objects.create(
                    month=month,
                    version=(previous.version + 1) if previous else 1,
                    data=data,
                    watermark=watermark,
                    terms=terms,
                    reason=reason,
                    changes=differences(previous.data, data) if previous else [],
                    created_by=by,
                )
        except IntegrityError:  # another freeze took this version number meanwhile
            continue
        if reason != ComplianceReport.Reason.DEMO:  # the demo's directors get no mail
            transaction.on_commit(lambda pk=report.pk: _announce(pk))
        return report
    raise RuntimeError(f"could not number a new version of {month:%Y-%m}")


def _announce(report_id: int) -> None:
    """The report's email, by a worker; never raises (the daily run sends what is
    still unsent)."""
    from celery import current_app

    try:
        current_app.send_task("sla.tasks.report_email", args=[report_id])
    except Exception:  # noqa: BLE001 (whatever the transport raises)
        logger.warning("could not send sla.tasks.report_email; the daily run will", exc_info=True)


def data_months(*, now: dt.datetime | None = None) -> list[dt.date]:
    """The closed months from the first with lead events (at most ``MAX_MONTHS_BACK``
    back) to the last."""
    now = now or timezone.now()
    zone = figures.zone()
    first_event = LeadEvent.objects.aggregate(first=Min("at"))["first"]
    first_lead = Lead.objects.aggregate(first=Min("received_at"))["first"]
    firsts = [moment for moment in (first_event, first_lead) if moment is not None]
    if not firsts:
        return []
    current = S.month_of(now, zone)
    month = max(S.month_of(min(firsts), zone), S.add_months(current, -MAX_MONTHS_BACK))
    months = []
    while month < current:
        months.append(month)
        month = S.add_months(month, 1)
    return months


def freeze_closed_months(
    *,
    now: dt.datetime | None = None,
    watermark: dt.datetime | None = None,
    reason: str = ComplianceReport.Reason.SCHEDULED,
) -> list[ComplianceReport]:
    """The daily run: every closed month with data and no report, oldest first."""
    now = now or timezone.now()
    months = data_months(now=now)
    frozen = set(ComplianceReport.objects.filter(month__in=months).values_list("month", flat=True))
    if set(months) - frozen:
        from sla.clocks import sync

        sync.catch_up()  # once for all the months
    made = []
    for month in months:
        if month in frozen:
            continue
        report = freeze(
            month, reason=reason, now=now, watermark=watermark, only_first=True, catch_up=False
        )
        if report is not None:
            made.append(report)
    return made


def check(report: ComplianceReport) -> list[dict[str, Any]]:
    """The figures that differ between ``report`` and its month recomputed as of its
    watermark (empty: the report is reproducible)."""
    again = figures.scorecard(
        report.month, watermark=report.watermark, now=max(timezone.now(), report.watermark)
    )
    return differences(report.data, again)


def pending(report: ComplianceReport) -> list[dict[str, Any]]:
    """What a new version would change: the month as of now against ``report``."""
    return differences(report.data, figures.scorecard(report.month))


def reports_by_month(months: Iterable[dt.date]) -> dict[dt.date, ComplianceReport]:
    """The latest version of each month's report (one query)."""
    months = list(months)
    newest = (
        ComplianceReport.objects.filter(month__in=months)
        .values("month")
        .annotate(top=Max("version"))
        .values_list("month", "top")
    )
    wanted = dict(newest)
    found = ComplianceReport.objects.filter(month__in=list(wanted)).select_related("terms")
    return {r.month: r for r in found if wanted.get(r.month) == r.version}
