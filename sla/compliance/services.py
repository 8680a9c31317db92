"""Monthly targets of the period terms (issue 13 §1): dated rows, every change
recorded — who, when, the value before and after (``MonthlyTarget.previous`` and an
audit record)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext_lazy

from leads.audit.services import audit_record
from leads.audit.words import register_actions
from leads.people import roles
from leads.people.models import Team
from sla import period_terms as P
from sla.models import MonthlyTarget

register_actions({"sla_target.set": gettext_lazy("SLA monthly target set")})

# The funnel planner's seam: callables ``(term, month) -> Decimal | None`` giving a
# planned target (e.g. the MQL volume a quarter's plan needs); a dated row for everyone
# wins over a plan, a plan over product.md's default. ``sla`` never imports ``funnel``:
# the planner registers itself here.
PLANNED_TARGETS: list = []


def planned_target(term: str, month: dt.date) -> Decimal | None:
    for provider in PLANNED_TARGETS:
        value = provider(term, month)
        if value is not None:
            return Decimal(str(value))
    return None


class TargetInvalid(ValueError):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors  # field → code


def may_set_targets(user) -> bool:
    return roles.has_role(user, roles.ADMIN, roles.DIRECTOR)


def target_in_force(term: str, month: dt.date, team: Team | int | None = None) -> Decimal:
    """The target of ``term`` for ``month`` (a team's own, else everyone's, else
    product.md's default)."""
    team_id = team.pk if isinstance(team, Team) else team
    rows = MonthlyTarget.objects.filter(term=term, month__lte=month)
    if team_id is not None:
        own = rows.filter(team_id=team_id).order_by("-month", "-created_at", "-id").first()
        if own is not None:
            return own.value
    shared = rows.filter(team__isnull=True).order_by("-month", "-created_at", "-id").first()
    if shared is not None:
        return shared.value
    planned = planned_target(term, month)
    return planned if planned is not None else P.PERIOD_TERMS[term].default


def set_target(*, by, term: Any, month: Any, value: Any, team: Any = None) -> MonthlyTarget:
    """A new dated row for ``term`` from ``month`` ("YYYY-MM") on; refused with every
    problem named by its field (``TargetInvalid``), nothing written."""
    errors: dict[str, str] = {}
    problem = P.value_problem(term, value)
    if problem == "unknown_term":
        errors["term"] = problem
    elif problem:
        errors["value"] = problem
    start = P.parse_month(month)
    if start is None:
        errors["month"] = "bad_month"
    team_row = None
    if team not in (None, ""):
        team_row = Team.objects.filter(pk=team).first() if str(team).isdigit() else None
        if team_row is None:
            errors["team"] = "unknown_team"
    if errors:
        raise TargetInvalid(errors)
    with transaction.atomic():
        before = target_in_force(term, start, team_row)
        row = MonthlyTarget.objects.create(
            term=term, team=team_row, month=start, value=Decimal(str(value)),
            previous=before, created_by=by,
        )  # fmt: skip
        audit_record(
            actor=by,
            action="sla_target.set",
            target=row,
            before={"value": str(before)},
            after={"value": str(row.value)},
            detail={
                "term": term,
                "month": f"{start:%Y-%m}",
                "team": team_row.pk if team_row else None,
            },
            changed_only=False,
        )
    return row


def targets() -> Any:
    return MonthlyTarget.objects.select_related("team", "created_by").order_by("-created_at", "-id")
