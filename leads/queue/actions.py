"""Which working-a-lead actions a user may take right now: what the pages offer.

Nothing here decides a rule of its own: each answer asks the services' own
permission checks (``leads.queue.work``'s ``require_sdr_owner``, ``may_act_as_ae``,
``require_may_touch``) and the lifecycle table (``lifecycle.check_transition``) with
the same actor the service uses. A page that offers an action the service then
refuses (a race) still gets the service's 403 / 409: the services stay the judges.
"""

from __future__ import annotations

from dataclasses import dataclass

from leads import lifecycle
from leads.models import Lead, LeadReturn, Opportunity
from leads.people import roles
from leads.queue import work


def allowed(check, obj, user) -> bool:
    """Whether a service's permission check (``check(obj, user)``: a ``require_*`` of
    ``leads.queue.work`` or ``leads.pipeline.services``) lets ``user`` through; the lead
    page and the pipeline page ask it."""
    try:
        check(obj, user)
    except work.WorkForbidden:
        return False
    return True


def _moves(lead: Lead, to_stage: str, actor: str) -> bool:
    return lifecycle.check_transition(lead.stage, to_stage, actor) is None


@dataclass(frozen=True)
class LeadActions:
    accept: bool = False
    return_lead: bool = False
    touch: bool = False
    qualify: bool = False
    convert: bool = False
    disqualify: bool = False
    sql_accept: bool = False
    sql_reject: bool = False
    opportunity: Opportunity | None = None  # an open opportunity the user may change
    opt_out: bool = False  # record that the person opted out
    opt_out_reverse: bool = False  # reverse an opt-out (marketing, admin)

    @property
    def works(self) -> bool:
        """Whether the user still works the lead: any action but recording or
        reversing an opt-out (which anyone who works leads may do on a lead they see)."""
        return any(
            (
                self.accept,
                self.return_lead,
                self.touch,
                self.qualify,
                self.convert,
                self.disqualify,
                self.sql_accept,
                self.sql_reject,
                self.opportunity,
            )
        )

    @property
    def any(self) -> bool:
        return self.works or self.opt_out or self.opt_out_reverse


def lead_actions(*, lead: Lead, user) -> LeadActions:
    """The actions ``user`` may take on ``lead`` in its current stage. A lead whose
    person opted out offers none of the contact actions (accept, touch, convert, the
    AE's accept), only what the services still allow (``leads.consent``)."""
    opted_out = lead.do_not_contact
    sdr_owner = allowed(work.require_sdr_owner, lead, user)
    in_queue = lead.stage in (lifecycle.MQL, lifecycle.SAL)
    ae = work.may_act_as_ae(lead, user) if roles.has_role(user, roles.AE) else False
    opportunity = None
    if lead.stage == lifecycle.OPPORTUNITY and roles.has_role(user, roles.AE):
        opportunity = (
            Opportunity.objects.filter(lead=lead, owner=user)
            .exclude(stage__in=work.CLOSED_OPPORTUNITY_STAGES)
            .first()
        )
    return LeadActions(
        accept=sdr_owner and not opted_out and _moves(lead, lifecycle.SAL, "sdr"),
        return_lead=sdr_owner and in_queue,
        touch=not opted_out and allowed(work.require_may_touch, lead, user),
        qualify=sdr_owner and in_queue,
        convert=sdr_owner and not opted_out and _moves(lead, lifecycle.SQL, "sdr"),
        disqualify=sdr_owner and _moves(lead, lifecycle.DISQUALIFIED, "sdr"),
        sql_accept=ae and not opted_out and _moves(lead, lifecycle.OPPORTUNITY, "ae"),
        sql_reject=ae and _moves(lead, lifecycle.NURTURE, "ae"),
        opportunity=opportunity,
        opt_out=not opted_out and allowed(work.require_may_record_opt_out, lead, user),
        opt_out_reverse=opted_out and allowed(work.require_may_reverse_opt_out, lead, user),
    )


@dataclass(frozen=True)
class ReturnActions:
    resend: bool = False
    dispute: bool = False
    settle: bool = False


def return_actions(*, row: LeadReturn, user) -> ReturnActions:
    """What the returned-leads inbox offers on one return (``lead_resend``,
    ``return_dispute``, ``return_settle`` check the same roles and states)."""
    return ReturnActions(
        resend=roles.has_role(user, roles.MARKETING)
        and row.resolved_at is None
        and _moves(row.lead, lifecycle.MQL, "marketing"),
        dispute=roles.has_role(user, roles.MARKETING)
        and row.reason in lifecycle.QUALITY_REASONS
        and not row.dispute,
        settle=roles.has_role(user, roles.DIRECTOR) and row.dispute == LeadReturn.Dispute.OPEN,
    )
