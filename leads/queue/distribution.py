"""The routing distribution report: who got how many leads in a period, and why
(``leads.queue.claim.assignment_distribution``). Page and API; for admins, sales managers
and directors."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_safe
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import PermissionDenied as ApiForbidden
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leads.people import roles
from leads.queue.claim import assignment_distribution

REPORT_ROLES = (roles.ADMIN, roles.SALES_MANAGER, roles.DIRECTOR)
REASON_LABELS = {
    "rule": _("a routing rule"),
    "rule:round_robin": _("a routing rule, round-robin"),
    "rule:fewest_open": _("a routing rule, fewest open leads"),
    "default_team": _("the default team"),
    "default_team:round_robin": _("the default team, round-robin"),
    "default_team:fewest_open": _("the default team, fewest open leads"),
    "account_owner": _("owner of the account"),
    "manual": _("assigned by hand"),
    "claim": _("claimed from the pool"),
    "to_manager": _("handed to the manager"),
    "already_customer": _("already a customer"),
    "nobody_available": _("nobody available: team pool"),
    "unrouted": _("no route"),
}


def _period(start: str | None, end: str | None) -> tuple[dt.datetime, dt.datetime]:
    """[start, end) from ISO dates; default: the last 30 days up to tomorrow."""
    today = timezone.localdate()

    def parse(value: str | None, field: str, default: dt.date) -> dt.datetime:
        if not value:
            day = default
        else:
            try:
                day = dt.date.fromisoformat(value)
            except ValueError as exc:
                raise ValidationError({field: [_("Use a date such as 2026-11-01.")]}) from exc
        return timezone.make_aware(dt.datetime.combine(day, dt.time.min))

    begin = parse(start, "start", today - dt.timedelta(days=30))
    finish = parse(end, "end", today + dt.timedelta(days=1))
    if finish <= begin:
        raise ValidationError({"end": [_("The end must come after the start.")]})
    return begin, finish


def _rows(start: dt.datetime, end: dt.datetime) -> list[dict]:
    return [
        {
            "team": row.team,
            "team_id": row.team_id,
            "user": row.user,
            "user_id": row.user_id,
            "total": row.total,
            "by_reason": row.by_reason,
            "by_rule": row.by_rule,
            "reasons": [
                (str(REASON_LABELS.get(key, key)), count)
                for key, count in sorted(row.by_reason.items(), key=lambda kv: -kv[1])
            ],
        }
        for row in assignment_distribution(start=start, end=end)
    ]


@login_required
@require_safe
def distribution(request):
    if not roles.has_role(request.user, *REPORT_ROLES):
        raise PermissionDenied
    errors, status = {}, 200
    try:
        start, end = _period(request.GET.get("start"), request.GET.get("end"))
    except ValidationError as exc:  # the default period, with the field's error: 400
        errors, status = exc.detail, 400
        start, end = _period(None, None)
    return render(
        request,
        "work/distribution.html",
        {
            "rows": _rows(start, end),
            "start": start.date(),
            "end": end.date(),
            "errors": errors,
            # the way back: a sales manager's team page, else home
            "back": ("leads:team", _("My teams"))
            if roles.has_role(request.user, roles.SALES_MANAGER)
            else ("home", _("Home")),
        },
        status=status,
    )


class DistributionReport(APIView):
    """``GET /api/v1/routing/distribution/?start=YYYY-MM-DD&end=YYYY-MM-DD``: per team and
    person, the leads assigned in [start, end) with counts per reason and per rule."""

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, description="first day (default: 30 days ago)"),
            OpenApiParameter("end", str, description="day after the last (default: tomorrow)"),
        ],
        responses={200: dict},
    )
    def get(self, request: Request) -> Response:
        if not roles.has_role(request.user, *REPORT_ROLES):
            raise ApiForbidden(_("Only admins, sales managers and directors read this report."))
        start, end = _period(request.query_params.get("start"), request.query_params.get("end"))
        rows = _rows(start, end)
        for row in rows:
            row.pop("reasons")
        return Response({"start": start, "end": end, "rows": rows})
