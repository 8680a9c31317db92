"""The account executive's side of a lead (issue 4, section 3): accept an SQL into the
pipeline (an ``Opportunity`` keeping the lead's source) or reject it, move the
opportunity forward, close it won or lost.

The rules of ``leads.queue.work`` hold here too (its helpers are used): the lead row
is locked, who may act is checked (``WorkForbidden`` → 403), every stage move is
checked against product.md's table (``TransitionRefused`` → 409), input is validated
(``WorkInvalid`` → 400), and every change writes an immutable ``LeadEvent``.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _

from leads import lifecycle, moments
from leads.models import Lead, LeadEvent, Opportunity
from leads.people import roles
from leads.queue import work

# Pipeline source: a lead that came from outbound prospecting is sales-sourced;
# every other channel (website, content, events, WeChat, referral, paid, partner…)
# is a lead marketing delivered, so its opportunity is marketing-sourced.
SALES_SOURCED_CHANNELS = ("outbound",)


REJECT_TARGETS = (lifecycle.NURTURE, lifecycle.DISQUALIFIED)


def require_ae(lead: Lead, by) -> None:
    if not work.may_act_as_ae(lead, by):
        work.forbid(_("Only the account executive who holds this lead may do this."))


def _amount(value: Any) -> Decimal:
    try:
        amount = Decimal(str(value))
    except (InvalidOperation, ValueError):
        raise work.WorkInvalid({"amount": [_("Enter a number.")]}) from None
    if not amount.is_finite() or amount < 0:
        raise work.WorkInvalid({"amount": [_("Enter an amount of 0 or more.")]})
    if amount.as_tuple().exponent < -2 or abs(amount) >= Decimal(10) ** 12:
        raise work.WorkInvalid({"amount": [_("At most 12 digits and 2 decimals.")]})
    return amount


def _date(value: Any, field: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise work.WorkInvalid({field: [_("Enter a date (YYYY-MM-DD).")]})
    parsed = value if isinstance(value, dt.date) else None
    if parsed is None and isinstance(value, str):
        try:
            parsed = parse_date(value.strip())
        except ValueError:
            parsed = None
    if parsed is None:
        raise work.WorkInvalid({field: [_("Enter a date (YYYY-MM-DD).")]})
    if not moments.EARLIEST_DAY <= parsed <= moments.LATEST_DAY:
        raise work.WorkInvalid({field: [_("Enter a date between 1970-01-01 and 9999-12-30.")]})
    return parsed


def pipeline_source(lead: Lead) -> str:
    """Whose pipeline the lead's opportunity counts in: ``sales`` for outbound
    prospecting, ``marketing`` for every other channel (``SALES_SOURCED_CHANNELS``)."""
    return "sales" if lead.source_channel in SALES_SOURCED_CHANNELS else "marketing"


def sql_accept(
    *,
    lead: Lead,
    by,
    amount: Any,
    expected_close: Any,
    currency: str = "CNY",
    name: str = "",
) -> Opportunity:
    """An AE accepts an SQL into the pipeline: sql → opportunity and an
    ``Opportunity`` (stage discovery) keeping the lead's source."""
    amount = _amount(amount)
    expected_close = _date(expected_close, "expected_close")
    currency = work.clean_text(currency or "CNY", "currency").upper()
    if len(currency) != 3 or not currency.isalpha():
        raise work.WorkInvalid({"currency": [_("Enter a three-letter currency code.")]})
    name = work.clean_text(name, "name", max_length=200)
    with transaction.atomic():
        work.lock_lead(lead)
        require_ae(lead, by)
        work.refuse_opted_out(lead)
        work.check_move(lead, lifecycle.OPPORTUNITY, "ae")
        source = pipeline_source(lead)
        opportunity = Opportunity.objects.create(
            lead=lead,
            owner=by,
            name=name or lead.company_name or str(lead),
            amount=amount,
            currency=currency,
            expected_close=expected_close,
            source=source,
            source_channel=lead.source_channel,
            campaign=lead.campaign,
        )
        if lead.owner_id != by.pk:  # taken from the AE team's pool: a claim, as an SDR's
            now = timezone.now()
            work.write_event(
                lead,
                kind=LeadEvent.Kind.ASSIGNMENT,
                by=by,
                reason="claim",
                data={
                    "from_user": lead.owner_id,
                    "from_team": lead.team_id,
                    "to_user": by.pk,
                    "to_team": lead.team_id,
                    "mode": "pool",
                    "rule": None,
                },
            )
            lead.owner = by
            lead.assigned_at = now
            lead.save(update_fields=["owner", "assigned_at", "updated_at"])
        work.move_lead(
            lead,
            lifecycle.OPPORTUNITY,
            by=by,
            actor="ae",
            data={"opportunity_id": opportunity.pk, "source": source},
        )
    return opportunity


def sql_reject(*, lead: Lead, by, reason: str, to: str = lifecycle.NURTURE) -> Lead:
    """An AE rejects an SQL with a reason: → nurture or disqualified."""
    reason = work.clean_text(reason, "reason", required=True, max_length=64)
    to = work.clean_choice(to, "to", REJECT_TARGETS)
    with transaction.atomic():
        work.lock_lead(lead)
        require_ae(lead, by)
        work.move_lead(lead, to, by=by, actor="ae", reason=reason)
    if to == lifecycle.DISQUALIFIED:
        work.after_close(lead)
    return lead


def require_opportunity_owner(opportunity: Opportunity, by) -> None:
    """Raise ``WorkForbidden`` unless ``by`` is the AE who owns ``opportunity`` (public:
    the pipeline page asks it to know which opportunities to offer actions on)."""
    if not (roles.has_role(by, roles.AE) and opportunity.owner_id == by.pk):
        work.forbid(_("Only the account executive who owns this opportunity may change it."))


def opportunity_next_stage(stage: str) -> str | None:
    """The open stage after ``stage`` (discovery → validation → negotiation), or None."""
    if stage not in work.OPEN_OPPORTUNITY_STAGES:
        return None
    index = work.OPEN_OPPORTUNITY_STAGES.index(stage) + 1
    return (
        work.OPEN_OPPORTUNITY_STAGES[index] if index < len(work.OPEN_OPPORTUNITY_STAGES) else None
    )


def opportunity_update(
    *,
    opportunity: Opportunity,
    by,
    stage: str | None = None,
    amount: Any = None,
    expected_close: Any = None,
    lost_reason: str | None = None,
) -> Opportunity:
    """Change an open opportunity: amount, expected close, and its stage forward
    (discovery → validation → negotiation), or close it won / lost (lost needs a
    lost reason). Closing moves the lead opportunity → won / lost."""
    if stage is not None:
        stage = work.clean_choice(
            stage, "stage", (*work.OPEN_OPPORTUNITY_STAGES, *work.CLOSED_OPPORTUNITY_STAGES)
        )
    if amount is not None:
        amount = _amount(amount)
    if expected_close is not None:
        expected_close = _date(expected_close, "expected_close")
    if lost_reason is not None:
        lost_reason = work.clean_text(lost_reason, "lost_reason", max_length=100)
    with transaction.atomic():
        lead = work.lock_lead(opportunity.lead)
        opp = Opportunity.objects.select_for_update().get(pk=opportunity.pk)
        require_opportunity_owner(opp, by)
        if opp.stage in work.CLOSED_OPPORTUNITY_STAGES:
            raise work.WorkConflict(_("This opportunity is closed."))
        before = {"stage": opp.stage, "amount": str(opp.amount)}
        if stage in work.OPEN_OPPORTUNITY_STAGES and work.OPEN_OPPORTUNITY_STAGES.index(
            stage
        ) < work.OPEN_OPPORTUNITY_STAGES.index(opp.stage):
            raise work.WorkConflict(
                _("An opportunity moves forward only: %(from)s → %(to)s is refused.")
                % {
                    "from": Opportunity.Stage(opp.stage).label,
                    "to": Opportunity.Stage(stage).label,
                }
            )
        if stage == "lost" and not (lost_reason or opp.lost_reason):
            raise work.WorkInvalid({"lost_reason": [_("A lost opportunity needs a lost reason.")]})
        if amount is not None:
            opp.amount = amount
        if expected_close is not None:
            opp.expected_close = expected_close
        if lost_reason is not None:
            opp.lost_reason = lost_reason
        closing = stage in work.CLOSED_OPPORTUNITY_STAGES
        if closing:
            work.move_lead(
                lead,
                stage,
                by=by,
                actor="ae",
                reason=(opp.lost_reason if stage == "lost" else "")[:64],
                data={"opportunity_id": opp.pk, "amount": str(opp.amount)},
            )
            opp.closed_at = timezone.now()
        if stage is not None:
            opp.stage = stage
        opp.save()
        if stage is not None and stage != before["stage"] and not closing:
            work.write_event(
                lead,
                kind=LeadEvent.Kind.NOTE,
                by=by,
                reason="opportunity_stage",
                data={"opportunity_id": opp.pk, "from": before["stage"], "to": stage},
            )
    opportunity.__dict__.update({k: v for k, v in opp.__dict__.items() if k != "_state"})
    if closing:
        work.after_close(lead)
    return opportunity
