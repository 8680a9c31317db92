"""Consent and opt-outs (issue 10 §4): an opt-out sticks.

The lead keeps its current consent (``do_not_contact``, ``consent_source``,
``consent_at``); every change of it is a ``ConsentChange`` row (what it became, when,
who — a person or a named system such as the integration — and through which door),
never changed or deleted. Opt-outs and reversals are also ``consent`` events in the
lead's event log, so the timeline tells them.

The rules (services above this module call these functions and check who may act):

- **An opt-out moves an open lead out of sales.** A lead in ``mql``, ``sal`` or
  ``sql`` (``lifecycle.OPT_OUT_STAGES``) goes to ``nurture`` with the system as actor
  (``OPT_OUT_ACTOR``, reason ``opted_out``): owner, team and assignment time are
  cleared, so it is in no queue and no pool; the stage event keeps who had it
  (``from_user``, ``from_team``), which is how the SDR's queue says why it left. A
  lead in another stage keeps its stage: an opportunity stays with its AE (product.md
  moves only mql, sal and sql), a returned lead stays in marketing's inbox.
- **It never comes back by itself.** Scoring never promotes an opted-out lead to MQL,
  routing refuses it, the claim and the pools skip it, accepting and logging touches
  refuse it (``OPT_OUT_REFUSAL``).
- **Intake never undoes it.** ``leads.intake.services`` keeps ``do_not_contact`` and
  the consent of an opted-out lead whatever a sync sends and says so in the row's
  ``warnings`` (``KEPT_WARNING``).
- **Only a person with the right role reverses it, with a reason**
  (``REVERSE_ROLES``: marketing managers and admins; ``leads.queue.work.
  lead_opt_out_reverse``). A reversal does not move the lead: it stays in nurture
  until scoring recycles it (nurture → mql) like any other nurtured lead.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext_lazy

from leads import hooks, lifecycle
from leads.models import ConsentChange, Lead, LeadEvent, Stage
from leads.people import roles

# The named system that moves an opted-out lead to nurture, and the stage event's reason.
OPT_OUT_ACTOR = "opt-out"
OPT_OUT_REASON = "opted_out"
CONSENT_FIELDS = ("do_not_contact", "consent_source", "consent_at")
# Who may reverse an opt-out (with a reason): the people who own the company's
# consent records. SDRs, AEs and managers may record an opt-out, never undo one.
REVERSE_ROLES = (roles.MARKETING, roles.ADMIN)
# Who may record an opt-out a person told them about, on the lead page or through
# ``POST /api/v1/leads/{id}/opt-out/``: anyone who works leads. Directors only read and
# settle disputes; integrations send ``do_not_contact`` through intake.
RECORD_ROLES = (roles.SDR, roles.AE, roles.SALES_MANAGER, roles.MARKETING, roles.ADMIN)
REASON_MAX_LENGTH = 1000

OPT_OUT_REFUSAL = gettext_lazy(
    "This person opted out (do not contact): the lead is not routed, claimed, accepted "
    "or contacted until a marketing manager or admin reverses the opt-out."
)
KEPT_WARNING = gettext_lazy(
    "Not changed: this person opted out (do not contact); intake keeps the opt-out and "
    "its consent. A marketing manager or admin may reverse it, with a reason."
)


@dataclass(frozen=True)
class ConsentWrite:
    """One consent change to store: the lead and what its consent became."""

    lead_id: int
    kind: str
    do_not_contact: bool
    consent_source: str = ""
    consent_at: datetime | None = None
    reason: str = ""


def consent_changes_write(
    *,
    writes: Iterable[ConsentWrite],
    actor_user_id: int | None,
    actor_system: str,
    via: str,
    now: datetime,
) -> list[int]:
    """Store ``writes`` as ``ConsentChange`` rows (one bulk insert), a ``consent`` event
    for each opt-out and reversal, then move the open leads among the opt-outs to
    nurture (``opted_out_leave_sales``). Runs inside the caller's transaction; the
    caller has already set the lead's own columns. Returns the ids of the leads that
    left sales."""
    writes = list(writes)
    if not writes:
        return []
    actor_system = "" if actor_user_id is not None else (actor_system or via)[:100]
    rows = [
        ConsentChange(
            lead_id=w.lead_id,
            kind=w.kind,
            do_not_contact=w.do_not_contact,
            consent_source=w.consent_source or "",
            consent_at=w.consent_at,
            via=via,
            actor_user_id=actor_user_id,
            actor_system=actor_system,
            reason=w.reason,
            at=now,
        )
        for w in writes
    ]
    ConsentChange.objects.bulk_create(rows, batch_size=1000)
    flagged = [w for w in writes if w.kind != ConsentChange.Kind.RECORDED]
    LeadEvent.objects.bulk_create(
        [
            LeadEvent(
                lead_id=w.lead_id,
                kind=LeadEvent.Kind.CONSENT,
                actor_user_id=actor_user_id,
                actor_system=actor_system,
                reason=w.kind,
                data={"via": via, **({"note": w.reason} if w.reason else {})},
                at=now,
            )
            for w in flagged
        ],
        batch_size=1000,
    )
    opted_out = [w.lead_id for w in flagged if w.kind == ConsentChange.Kind.OPT_OUT]
    return opted_out_leave_sales(lead_ids=opted_out, now=now, via=via)


def opted_out_leave_sales(*, lead_ids: Iterable[int], now: datetime, via: str = "") -> list[int]:
    """Move the opted-out leads among ``lead_ids`` that are in ``OPT_OUT_STAGES`` to
    nurture (rows locked first), the system as actor: owner, team and assignment
    cleared; one ``stage_change`` event each, whose data keeps who had it. Returns
    their ids. Leads in other stages, or not opted out, are left alone."""
    ids = sorted(set(lead_ids))
    if not ids:
        return []
    locked = list(
        Lead.objects.select_for_update()
        .filter(pk__in=ids, do_not_contact=True, stage__in=lifecycle.OPT_OUT_STAGES)
        .order_by("pk")
        .values_list("pk", "stage", "owner_id", "team_id")
    )
    for _pk, stage, _owner, _team in locked:  # the table allows it; keep it the judge
        refusal = lifecycle.check_transition(stage, lifecycle.NURTURE, "system")
        if refusal is not None:  # pragma: no cover - OPT_OUT_STAGES are in the table
            raise ValueError(f"an opt-out cannot move a lead from {stage} to nurture")
    if not locked:
        return []
    moved = [pk for pk, *_rest in locked]
    Lead.objects.filter(pk__in=moved).update(
        stage=Stage.NURTURE,
        stage_changed_at=now,
        owner=None,
        team=None,
        assigned_at=None,
        updated_at=now,
    )
    LeadEvent.objects.bulk_create(
        [
            LeadEvent(
                lead_id=pk,
                kind=LeadEvent.Kind.STAGE_CHANGE,
                from_stage=stage,
                to_stage=Stage.NURTURE,
                actor_system=OPT_OUT_ACTOR,
                reason=OPT_OUT_REASON,
                data={"from_user": owner, "from_team": team, **({"via": via} if via else {})},
                at=now,
            )
            for pk, stage, owner, team in locked
        ],
        batch_size=1000,
    )
    hooks.on_events_written(moved)
    return moved


def opt_out_refusal(lead: Lead) -> str | None:
    """The message refusing to route, claim, accept or contact ``lead``, or None."""
    return str(OPT_OUT_REFUSAL) if lead.do_not_contact else None


def consent_history(*, lead: Lead) -> list[ConsentChange]:
    """The lead's consent changes, oldest first, with their people (one query)."""
    return list(lead.consent_changes.select_related("actor_user").order_by("at", "id"))


def lead_consent_context(*, lead: Lead) -> dict:
    """What the lead page shows of consent: the history (``consent_history``) and,
    while the person is opted out, the opt-out in force (``opt_out``: its row, or None
    when it predates the history)."""
    history = consent_history(lead=lead)
    current = None
    if lead.do_not_contact:
        current = next((c for c in reversed(history) if c.kind == ConsentChange.Kind.OPT_OUT), None)
    return {"consent_history": history, "opt_out": current}
