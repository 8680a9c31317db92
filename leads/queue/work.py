"""Working a lead (issue 4, section 3): accept, return, re-send, dispute, touches,
qualification, convert, disqualify, and the AE's side (accept an SQL into the
pipeline, reject it, move the opportunity to won or lost).

Every service here
- locks the lead row (``select_for_update``) inside ``transaction.atomic``;
- checks who may act (``WorkForbidden`` → the API answers 403, nothing changed);
- checks every stage move with ``leads.lifecycle.check_transition``
  (``TransitionRefused`` carries both stages → 409);
- validates its input (``WorkInvalid`` with ``{field: [messages]}`` → 400);
- writes an immutable ``LeadEvent`` for each change (actor, from/to, reason, data).

Who may do what (the API's permission matrix; visibility itself is
``leads.selectors.leads_visible_to``):
- the lead's owner with role ``sdr``: accept, return, touches, qualification,
  convert, disqualify. Sales managers do **not** act on behalf of their SDRs: they
  reassign (the queue issue), and the lifecycle has no ``manager`` actor.
- the lead's owner with role ``ae`` (or, for an unowned SQL, a member of the AE
  team holding it): accept the SQL into the pipeline, reject it, log touches, move
  the opportunity.
- ``marketing``: re-send a returned lead, dispute a return. Marketing never logs
  touches or converts.
- ``director``: settle disputes — nothing else here.
- admins and integrations read, but do not work leads (403).

Leaving sales (returned, nurture, disqualified, customer success, excluded) clears
the lead's owner, team and assignment time: the lead is no longer in anyone's
queue or pool, and the events keep who had it.

Opt-outs (``leads.consent``): a lead whose person opted out is never accepted,
touched, converted, re-sent or moved to MQL (409 with ``consent.OPT_OUT_REFUSAL``).
Anyone who works leads (``consent.RECORD_ROLES``) may record an opt-out the person
told them about (``lead_opt_out_record``: an open lead leaves sales for nurture, the
system as actor); only a marketing manager or admin reverses one, with a reason
(``lead_opt_out_reverse``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from leads import consent, hooks, lifecycle, moments, storable
from leads.intake.services import UNSTORABLE_TEXT
from leads.models import ConsentChange, Lead, LeadEvent, LeadReturn, Qualification, Stage, Touch
from leads.people import roles
from leads.people.models import Team
from leads.scoring.predictive_services import predictive_lead_closed

# --------------------------------------------------------------------- errors


class WorkError(Exception):
    """Base of the errors below; ``str(exc)`` is the user-facing message."""


class WorkForbidden(WorkError):
    """The user may see the lead but may not do this (403); nothing changed."""


class WorkConflict(WorkError):
    """The lead or return is not in a state that allows this (409)."""


class TransitionRefused(WorkConflict):
    """A stage move that product.md's table does not allow (409, both stages)."""

    def __init__(self, message: str, *, from_stage: str, to_stage: str) -> None:
        super().__init__(message)
        self.from_stage = from_stage
        self.to_stage = to_stage


class WorkInvalid(WorkError):
    """Bad input; ``errors`` maps each field to its messages (400)."""

    def __init__(self, errors: dict[str, list[str]]) -> None:
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


# ------------------------------------------------------------------ constants

SIDE_STAGES = (
    lifecycle.RETURNED,
    lifecycle.NURTURE,
    lifecycle.DISQUALIFIED,
    lifecycle.CUSTOMER_SUCCESS,
    lifecycle.EXCLUDED,
)

FRAMEWORK_CRITERIA: dict[str, tuple[str, ...]] = {
    "bant": ("budget", "authority", "need", "timing"),
    "meddic": (
        "metrics",
        "economic_buyer",
        "decision_criteria",
        "decision_process",
        "identify_pain",
        "champion",
    ),
}
# What a person reads for each criterion (the qualification form, the timeline, the
# convert button and its refusal): never the key.
CRITERION_LABELS: dict[str, Any] = {
    "budget": gettext_lazy("Budget"),
    "authority": gettext_lazy("Authority"),
    "need": gettext_lazy("Need"),
    "timing": gettext_lazy("Timing"),
    "metrics": gettext_lazy("Metrics"),
    "economic_buyer": gettext_lazy("Economic buyer"),
    "decision_criteria": gettext_lazy("Decision criteria"),
    "decision_process": gettext_lazy("Decision process"),
    "identify_pain": gettext_lazy("Identify pain"),
    "champion": gettext_lazy("Champion"),
}
CRITERION_VALUES = ("unknown", "yes", "no")


def criteria_words(names) -> str:
    """Criteria as a person reads them, in the active language: "Budget, Authority"
    (Chinese lists with "、")."""
    separator = pgettext("list separator", ", ")
    return separator.join(str(CRITERION_LABELS.get(name, name)) for name in names)


# Why an SDR disqualifies. "not_icp" and "competitor" are return reasons: a
# disqualify with either is recorded as that return (see ``lead_disqualify``).
DISQUALIFY_REASONS = (
    "not_icp",
    "competitor",
    "no_response",
    "no_need",
    "no_budget",
    "other",
)
OPEN_OPPORTUNITY_STAGES = ("discovery", "validation", "negotiation")
CLOSED_OPPORTUNITY_STAGES = ("won", "lost")
SETTLE_OUTCOMES = (LeadReturn.Dispute.UPHELD, LeadReturn.Dispute.OVERTURNED)


# ------------------------------------------------------------------- helpers


def _stage_label(stage: str) -> str:
    try:
        return str(Stage(stage).label)
    except ValueError:
        return stage


def forbid(message: str) -> None:
    raise WorkForbidden(message)


def lock_lead(lead: Lead) -> Lead:
    """The lead row, locked until the transaction ends; ``lead`` is refreshed too."""
    fresh = Lead.objects.select_for_update().get(pk=lead.pk)
    lead.__dict__.update({f.attname: getattr(fresh, f.attname) for f in Lead._meta.concrete_fields})
    return lead


def _require_owner(lead: Lead, by, role: str, message: str) -> None:
    if not (roles.has_role(by, role) and lead.owner_id == by.pk):
        forbid(message)


def require_sdr_owner(lead: Lead, by) -> None:
    """Raise ``WorkForbidden`` unless ``by`` is an SDR who owns ``lead`` (public: the
    pages ask it to know which actions to offer)."""
    _require_owner(lead, by, roles.SDR, _("Only the SDR who owns this lead may do this."))


def may_act_as_ae(lead: Lead, by) -> bool:
    """Whether ``by`` is the AE holding ``lead``, or a member of the AE team whose pool
    holds it."""
    if not roles.has_role(by, roles.AE):
        return False
    if lead.owner_id is not None:
        return lead.owner_id == by.pk
    return lead.team_id is not None and lead.team_id in _ae_team_ids(by)


def _ae_team_ids(user) -> frozenset[int]:
    """The AE teams ``user`` belongs to, read once per user object (as
    ``roles.user_roles`` does): a page asking about many pool SQLs runs one query."""
    cached = getattr(user, "_smarketing_ae_teams", None)
    if cached is None:
        cached = frozenset(
            Team.objects.filter(kind=Team.Kind.AE, members=user).values_list("pk", flat=True)
        )
        user._smarketing_ae_teams = cached
    return cached


def check_move(lead: Lead, to_stage: str, actor: str) -> None:
    refusal = lifecycle.check_transition(lead.stage, to_stage, actor)
    if refusal is not None:
        raise TransitionRefused(
            _("A lead cannot move from %(from)s to %(to)s here.")
            % {"from": _stage_label(lead.stage), "to": _stage_label(to_stage)},
            from_stage=lead.stage,
            to_stage=to_stage,
        )


def write_event(lead: Lead, *, kind: str, by, reason: str = "", data=None, **stages) -> LeadEvent:
    event = LeadEvent.objects.create(
        lead=lead,
        kind=kind,
        actor_user=by,
        reason=reason[:64],
        data=data or {},
        at=timezone.now(),
        **stages,
    )
    hooks.on_events_written(lead.pk)
    return event


def move_lead(
    lead: Lead, to_stage: str, *, by, actor: str, reason: str = "", data=None
) -> LeadEvent:
    """Check and make one stage move with its ``stage_change`` event."""
    check_move(lead, to_stage, actor)
    from_stage = lead.stage
    now = timezone.now()
    lead.stage = to_stage
    lead.stage_changed_at = now
    fields = ["stage", "stage_changed_at", "updated_at"]
    if to_stage in SIDE_STAGES:
        lead.owner = None
        lead.team = None
        lead.assigned_at = None
        fields += ["owner", "team", "assigned_at"]
    lead.save(update_fields=fields)
    return write_event(
        lead,
        kind=LeadEvent.Kind.STAGE_CHANGE,
        by=by,
        reason=reason,
        data=data,
        from_stage=from_stage,
        to_stage=to_stage,
    )


# Free text a person writes (notes, qualification notes, reasons) is at most this long
# unless a field says less: a 10 MB note was accepted and stored.
TEXT_MAX_LENGTH = 10_000


def clean_text(
    value: Any, field: str, *, required: bool = False, max_length: int = TEXT_MAX_LENGTH
) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise WorkInvalid({field: [_("Expected text.")]})
    if storable.text_problem(value):
        raise WorkInvalid({field: [str(UNSTORABLE_TEXT)]})
    value = value.strip()
    if required and not value:
        raise WorkInvalid({field: [_("This field is required.")]})
    if max_length and len(value) > max_length:
        raise WorkInvalid(
            {field: [_("At most %(n)d characters.") % {"n": max_length}]},
        )
    return value


def clean_choice(value: Any, field: str, choices) -> str:
    if value not in choices:
        raise WorkInvalid(
            {
                field: [
                    _("“%(value)s” is not one of: %(choices)s.")
                    % {"value": storable.shown_key(value), "choices": ", ".join(choices)}
                ]
            }
        )
    return value


def refuse_opted_out(lead: Lead) -> None:
    """Raise ``WorkConflict`` (409) when the person opted out (``leads.consent``)."""
    message = consent.opt_out_refusal(lead)
    if message is not None:
        raise WorkConflict(message)


def after_close(lead: Lead) -> None:
    """Count a just-closed lead (won, lost, disqualified) in the predictive score."""
    predictive_lead_closed(lead=lead)


# --------------------------------------------------------------- SDR: accept


def lead_accept(*, lead: Lead, by) -> Lead:
    """mql → sal by the assigned SDR."""
    with transaction.atomic():
        lock_lead(lead)
        require_sdr_owner(lead, by)
        refuse_opted_out(lead)
        move_lead(lead, lifecycle.SAL, by=by, actor="sdr")
    return lead


# ------------------------------------------------------------ SDR: returns


def lead_return(*, lead: Lead, by, reason: str, note: str = "", choice: str | None = None):
    """Return an MQL or SAL with a reason; it goes where ``lifecycle.return_target``
    says (``choice`` picks nurture or disqualified for a not-ICP return). Records a
    ``LeadReturn``, a ``return`` event and the stage event. Returns the LeadReturn."""
    reason = clean_choice(reason, "reason", lifecycle.RETURN_REASONS)
    note = clean_text(note, "note")
    with transaction.atomic():
        lock_lead(lead)
        require_sdr_owner(lead, by)
        targets = lifecycle.RETURN_TARGETS[reason]
        if choice not in (None, "") and choice not in targets:
            raise WorkInvalid(
                {
                    "to": [
                        _("A %(reason)s return goes to %(targets)s.")
                        % {"reason": reason, "targets": " / ".join(targets)}
                    ]
                }
            )
        if lead.stage not in (lifecycle.MQL, lifecycle.SAL):
            check_move(lead, choice or targets[0], "sdr")  # raises: names both stages
        target = lifecycle.return_target(reason, lead.stage, choice or None)
        from_stage = lead.stage
        check_move(lead, target, "sdr")
        lead_return_row = LeadReturn.objects.create(
            lead=lead,
            returned_by=by,
            reason=reason,
            note=note,
            from_stage=from_stage,
            to_stage=target,
            at=timezone.now(),
        )
        write_event(
            lead,
            kind=LeadEvent.Kind.RETURN,
            by=by,
            reason=reason,
            data={"note": note, "return_id": lead_return_row.pk},
            from_stage=from_stage,
            to_stage=target,
        )
        if reason == lifecycle.ALREADY_CUSTOMER and not lead.already_customer:
            lead.already_customer = True
            lead.save(update_fields=["already_customer", "updated_at"])
        move_lead(lead, target, by=by, actor="sdr", reason=reason, data={"note": note})
    if target == lifecycle.DISQUALIFIED:
        after_close(lead)
    return lead_return_row


def lead_resend(*, lead: Lead, by, note: str = "") -> Lead:
    """Marketing has fixed a returned lead: returned → mql, routed again through the
    MQL seam; its open return is marked resolved."""
    note = clean_text(note, "note")
    with transaction.atomic():
        lock_lead(lead)
        if not roles.has_role(by, roles.MARKETING):
            forbid(_("Only marketing re-sends a returned lead."))
        refuse_opted_out(lead)
        move_lead(
            lead, lifecycle.MQL, by=by, actor="marketing", reason="resent", data={"note": note}
        )
        now = timezone.now()
        lead.mql_at = now
        lead.save(update_fields=["mql_at", "updated_at"])
        LeadReturn.objects.filter(
            lead=lead, to_stage=lifecycle.RETURNED, resolved_at__isnull=True
        ).update(resolved_at=now, updated_at=now)
        hooks.on_lead_became_mql(lead)
    return lead


# Marketing's own moves in product.md's table (besides re-sending a returned lead).
MARKETING_MOVES = {
    lifecycle.INQUIRY: (
        lifecycle.MQL,
        lifecycle.NURTURE,
        lifecycle.DISQUALIFIED,
        lifecycle.EXCLUDED,
    ),
    lifecycle.RETURNED: (lifecycle.NURTURE, lifecycle.DISQUALIFIED),
    lifecycle.LOST: (lifecycle.NURTURE,),
}


def lead_marketing_move(*, lead: Lead, by, to_stage: str, reason: str, note: str = "") -> Lead:
    """Marketing moves a lead by hand, with a reason: an inquiry to MQL (routed through
    the MQL seam), nurture, disqualified or excluded; a returned lead to nurture or
    disqualified (its open return is resolved); a lost lead back to nurture
    (recycled). Anything else is refused with both stages."""
    reason = clean_text(reason, "reason", required=True, max_length=64)
    note = clean_text(note, "note")
    with transaction.atomic():
        lock_lead(lead)
        if not roles.has_role(by, roles.MARKETING):
            forbid(_("Only marketing moves a lead here."))
        if to_stage == lifecycle.MQL:
            refuse_opted_out(lead)
        from_stage = lead.stage
        move_lead(lead, to_stage, by=by, actor="marketing", reason=reason, data={"note": note})
        now = timezone.now()
        if to_stage == lifecycle.MQL:
            lead.mql_at = now
            lead.save(update_fields=["mql_at", "updated_at"])
            hooks.on_lead_became_mql(lead)
        if from_stage == lifecycle.RETURNED:
            LeadReturn.objects.filter(
                lead=lead, to_stage=lifecycle.RETURNED, resolved_at__isnull=True
            ).update(resolved_at=now, updated_at=now)
    return lead


def return_dispute(*, lead_return: LeadReturn, by, note: str) -> LeadReturn:
    """Marketing disputes a quality return (not ICP, wrong information), once."""
    note = clean_text(note, "note", required=True)
    with transaction.atomic():
        row = LeadReturn.objects.select_for_update().get(pk=lead_return.pk)
        if not roles.has_role(by, roles.MARKETING):
            forbid(_("Only marketing disputes a return."))
        if row.reason not in lifecycle.QUALITY_REASONS:
            raise WorkConflict(
                _("Only returns for “not ICP” or “wrong information” can be disputed.")
            )
        if row.dispute:
            raise WorkConflict(_("This return has already been disputed."))
        now = timezone.now()
        row.dispute = LeadReturn.Dispute.OPEN
        row.dispute_note = note
        row.disputed_by = by
        row.disputed_at = now
        row.save()
        write_event(
            row.lead,
            kind=LeadEvent.Kind.DISPUTE,
            by=by,
            reason="open",
            data={"return_id": row.pk, "note": note},
        )
    lead_return.__dict__.update(row.__dict__)
    return lead_return


def return_settle(*, lead_return: LeadReturn, by, outcome: str, note: str = "") -> LeadReturn:
    """A director settles an open dispute: ``upheld`` (the return stands and counts
    against marketing) or ``overturned`` (it no longer counts)."""
    outcome = clean_choice(outcome, "outcome", SETTLE_OUTCOMES)
    note = clean_text(note, "note")
    with transaction.atomic():
        row = LeadReturn.objects.select_for_update().get(pk=lead_return.pk)
        if not roles.has_role(by, roles.DIRECTOR):
            forbid(_("Only a director settles a dispute."))
        if row.dispute != LeadReturn.Dispute.OPEN:
            raise WorkConflict(_("This return has no open dispute."))
        row.dispute = outcome
        row.settled_by = by
        row.settled_at = timezone.now()
        row.settlement_note = note
        row.save()
        write_event(
            row.lead,
            kind=LeadEvent.Kind.DISPUTE,
            by=by,
            reason=outcome,
            data={"return_id": row.pk, "note": note},
        )
    lead_return.__dict__.update(row.__dict__)
    return lead_return


# ---------------------------------------------------------------- touches


def _when(value: Any, field: str) -> dt.datetime:
    if value in (None, ""):
        return timezone.now()
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise WorkInvalid(
                {field: [_("Enter an ISO-8601 date and time, e.g. 2025-03-01T09:30:00+08:00.")]}
            ) from None
    if not isinstance(value, dt.datetime):
        raise WorkInvalid({field: [_("Enter a date and time.")]})
    if value.tzinfo is None or value.utcoffset() is None:
        raise WorkInvalid(
            {field: [_("This date and time has no time zone; add one, e.g. +08:00.")]}
        )
    problem = moments.past_moment_problem(value, now=timezone.now())
    if problem not in (None, "future"):
        raise WorkInvalid(
            {field: [_("Enter a date and time between 1970-01-01 and now (UTC after its offset).")]}
        )
    if value > timezone.now():
        raise WorkInvalid({field: [_("A touch cannot be in the future.")]})
    return value.astimezone(dt.UTC)  # PostgreSQL takes offsets up to ±15:59 only


def require_may_touch(lead: Lead, by) -> None:
    """Touches: the owning SDR, or the AE holding the lead. Marketing never logs touches."""
    is_sdr_owner = roles.has_role(by, roles.SDR) and lead.owner_id == by.pk
    if not (is_sdr_owner or may_act_as_ae(lead, by)):
        forbid(_("Only the SDR or account executive who owns this lead logs touches."))


def touch_log(
    *, lead: Lead, by, channel: str, outcome: str, note: str = "", at: Any = None
) -> Touch:
    """Record one attempt to reach the lead, and its ``touch`` event."""
    channel = clean_choice(channel, "channel", Touch.Channel.values)
    outcome = clean_choice(outcome, "outcome", Touch.Outcome.values)
    note = clean_text(note, "note")
    at = _when(at, "at")
    with transaction.atomic():
        lock_lead(lead)
        require_may_touch(lead, by)
        refuse_opted_out(lead)
        touch = Touch.objects.create(
            lead=lead, user=by, channel=channel, outcome=outcome, note=note, at=at
        )
        LeadEvent.objects.create(
            lead=lead,
            kind=LeadEvent.Kind.TOUCH,
            actor_user=by,
            reason=outcome,
            data={"touch_id": touch.pk, "channel": channel, "note": note},
            at=at,
        )
        hooks.on_events_written(lead.pk)
    return touch


# ---------------------------------------------------------- qualification


def lead_framework_team(lead: Lead) -> Team | None:
    """The team whose framework qualifies ``lead``: the lead's team, else the first
    SDR team its owner belongs to (by name), else none (BANT, all criteria)."""
    if lead.team_id is not None:
        return lead.team
    if lead.owner_id is not None:
        return Team.objects.filter(kind=Team.Kind.SDR, members=lead.owner_id).first()
    return None


@dataclass(frozen=True)
class QualificationState:
    framework: str
    criteria: dict[str, dict[str, str]]
    required: tuple[str, ...]
    missing: tuple[str, ...]  # required criteria not yet "yes"

    @property
    def missing_words(self) -> str:
        """The missing criteria as a person reads them ("Budget, Authority")."""
        return criteria_words(self.missing)


def qualification_state(*, lead: Lead) -> QualificationState:
    team = lead_framework_team(lead)
    framework = team.framework if team else "bant"
    names = FRAMEWORK_CRITERIA[framework]
    stored = Qualification.objects.filter(lead=lead).first()
    saved = stored.criteria if stored and stored.framework == framework else {}
    criteria = {
        name: {
            "value": saved.get(name, {}).get("value", "unknown"),
            "note": saved.get(name, {}).get("note", ""),
        }
        for name in names
    }
    required = tuple(n for n in names if n in (team.required_criteria if team else [])) or names
    missing = tuple(n for n in required if criteria[n]["value"] != "yes")
    return QualificationState(framework, criteria, required, missing)


def _clean_criteria(framework: str, criteria: Any) -> dict[str, dict[str, str]]:
    names = FRAMEWORK_CRITERIA[framework]
    if not isinstance(criteria, dict) or not criteria:
        raise WorkInvalid({"criteria": [_("Expected an object: criterion → value and note.")]})
    unknown = sorted(storable.shown_key(k) for k in criteria if k not in names)
    if unknown:
        raise WorkInvalid(
            {
                "criteria": [
                    _("Unknown %(framework)s criteria: %(names)s (expected: %(expected)s).")
                    % {
                        "framework": framework.upper(),
                        "names": ", ".join(unknown),
                        "expected": ", ".join(names),
                    }
                ]
            }
        )
    cleaned: dict[str, dict[str, str]] = {}
    for name, given in criteria.items():
        if isinstance(given, str):
            given = {"value": given}
        if not isinstance(given, dict):
            raise WorkInvalid({f"criteria.{name}": [_("Expected a value and a note.")]})
        value = given.get("value", "unknown")
        if value not in CRITERION_VALUES:
            raise WorkInvalid(
                {
                    f"criteria.{name}": [
                        _("“%(value)s” is not one of: %(choices)s.")
                        % {
                            "value": storable.shown_key(value),
                            "choices": ", ".join(CRITERION_VALUES),
                        }
                    ]
                }
            )
        cleaned[name] = {"value": value, "note": clean_text(given.get("note"), f"criteria.{name}")}
    return cleaned


def qualification_update(*, lead: Lead, by, criteria: Any) -> QualificationState:
    """Set some or all criteria (each ``unknown`` / ``yes`` / ``no`` with a note) of
    the lead's framework; the others keep their values. A ``qualification`` event
    records what was set."""
    with transaction.atomic():
        lock_lead(lead)
        require_sdr_owner(lead, by)
        if lead.stage not in (lifecycle.MQL, lifecycle.SAL):
            raise WorkConflict(
                _("Only an MQL or SAL is qualified; this lead is %(stage)s.")
                % {"stage": _stage_label(lead.stage)}
            )
        state = qualification_state(lead=lead)
        cleaned = _clean_criteria(state.framework, criteria)
        merged = {**state.criteria, **cleaned}
        Qualification.objects.update_or_create(
            lead=lead,
            defaults={"framework": state.framework, "criteria": merged, "updated_by": by},
        )
        write_event(
            lead,
            kind=LeadEvent.Kind.QUALIFICATION,
            by=by,
            reason=state.framework,
            data={"criteria": cleaned},
        )
    return qualification_state(lead=lead)


# ---------------------------------------------------- convert, disqualify


def lead_convert(*, lead: Lead, by) -> Lead:
    """sal → sql when the team's required criteria are all "yes"; then the SQL seam
    (``leads.hooks.on_lead_became_sql``) hands it to an AE team."""
    with transaction.atomic():
        lock_lead(lead)
        require_sdr_owner(lead, by)
        refuse_opted_out(lead)
        check_move(lead, lifecycle.SQL, "sdr")
        state = qualification_state(lead=lead)
        if state.missing:
            raise WorkInvalid(
                {
                    "qualification": [
                        _("These required criteria are not “yes” yet: %(names)s.")
                        % {"names": state.missing_words}
                    ]
                }
            )
        move_lead(lead, lifecycle.SQL, by=by, actor="sdr", data={"framework": state.framework})
        hooks.on_lead_became_sql(lead)
    return lead


def lead_disqualify(*, lead: Lead, by, reason: str, note: str = ""):
    """mql/sal → disqualified after at least the minimum touch attempts in force
    (``hooks.min_attempts()``: the published SLA terms' ``period.min_attempts``) on the
    lead (by anyone). Two reasons are returns, not disqualifications, and go through
    ``lead_return`` so marketing's quality numbers see them: ``not_icp`` (no attempts
    needed; → disqualified) and ``competitor`` (→ excluded, never routed again).
    Returns the lead."""
    reason = clean_choice(reason, "reason", DISQUALIFY_REASONS)
    note = clean_text(note, "note")
    if reason == lifecycle.NOT_ICP:
        lead_return(lead=lead, by=by, reason=reason, note=note, choice=lifecycle.DISQUALIFIED)
        return lead
    if reason == lifecycle.COMPETITOR:
        lead_return(lead=lead, by=by, reason=reason, note=note)
        return lead
    with transaction.atomic():
        lock_lead(lead)
        require_sdr_owner(lead, by)
        check_move(lead, lifecycle.DISQUALIFIED, "sdr")
        attempts = Touch.objects.filter(lead=lead).count()
        needed = hooks.min_attempts()
        if attempts < needed:
            raise WorkInvalid(
                {
                    "reason": [
                        _(
                            "Disqualifying needs at least %(needed)d touch attempts "
                            "(%(attempts)d so far) unless the reason is “not ICP”."
                        )
                        % {"needed": needed, "attempts": attempts}
                    ]
                }
            )
        move_lead(
            lead,
            lifecycle.DISQUALIFIED,
            by=by,
            actor="sdr",
            reason=reason,
            data={"note": note, "attempts": attempts},
        )
    after_close(lead)
    return lead


# ----------------------------------------------------------------- the AE


# ------------------------------------------------------------------ opt-outs


def require_may_record_opt_out(lead: Lead, by) -> None:
    """Anyone who works leads may record an opt-out a person told them about."""
    if not roles.has_role(by, *consent.RECORD_ROLES):
        forbid(_("Only people who work leads record an opt-out; integrations send it."))


def require_may_reverse_opt_out(lead: Lead, by) -> None:
    if not roles.has_role(by, *consent.REVERSE_ROLES):
        forbid(_("Only a marketing manager or an admin may reverse an opt-out."))


def lead_opt_out_record(*, lead: Lead, by, note: str = "", via: str = "page") -> Lead:
    """The person told ``by`` they do not want to be contacted: ``do_not_contact``
    set, a ``ConsentChange`` (opt-out, with the note) and a ``consent`` event; an open
    lead (mql, sal, sql) leaves sales for nurture, the system as actor
    (``leads.consent``). 409 when the lead is already opted out."""
    note = clean_text(note, "note", max_length=consent.REASON_MAX_LENGTH)
    with transaction.atomic():
        lock_lead(lead)
        require_may_record_opt_out(lead, by)
        if lead.do_not_contact:
            raise WorkConflict(_("This person has already opted out."))
        now = timezone.now()
        lead.do_not_contact = True
        lead.save(update_fields=["do_not_contact", "updated_at"])
        consent.consent_changes_write(
            writes=[
                consent.ConsentWrite(
                    lead_id=lead.pk,
                    kind=ConsentChange.Kind.OPT_OUT,
                    do_not_contact=True,
                    consent_source=lead.consent_source,
                    consent_at=lead.consent_at,
                    reason=note,
                )
            ],
            actor_user_id=by.pk,
            actor_system="",
            via=via,
            now=now,
        )
        lock_lead(lead)
    return lead


def lead_opt_out_reverse(*, lead: Lead, by, reason: Any, via: str = "page") -> Lead:
    """A marketing manager or admin reverses an opt-out, with a reason (required, at
    most ``consent.REASON_MAX_LENGTH`` characters): ``do_not_contact`` cleared, a
    ``ConsentChange`` (reversal, with the reason) and a ``consent`` event. The lead's
    stage does not change: a nurtured lead comes back only when scoring recycles it.
    409 when the lead is not opted out."""
    reason = clean_text(reason, "reason", required=True, max_length=consent.REASON_MAX_LENGTH)
    with transaction.atomic():
        lock_lead(lead)
        require_may_reverse_opt_out(lead, by)
        if not lead.do_not_contact:
            raise WorkConflict(_("This person has not opted out: there is nothing to reverse."))
        lead.do_not_contact = False
        lead.save(update_fields=["do_not_contact", "updated_at"])
        consent.consent_changes_write(
            writes=[
                consent.ConsentWrite(
                    lead_id=lead.pk,
                    kind=ConsentChange.Kind.REVERSAL,
                    do_not_contact=False,
                    consent_source=lead.consent_source,
                    consent_at=lead.consent_at,
                    reason=reason,
                )
            ],
            actor_user_id=by.pk,
            actor_system="",
            via=via,
            now=timezone.now(),
        )
    return lead
