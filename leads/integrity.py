"""The data model's invariants, checked over the whole database (``manage.py
check_integrity``).

Each ``Invariant`` is a rule the services keep (``leads.queue.routing``,
``leads.queue.work``, ``leads.pipeline.services``, ``leads.scoring.rescore``,
``leads.consent``) and a query for the leads that break it. The queries are
set-based — one statement per invariant, correlated subqueries on the event log's
``(lead, at)`` index, no lead loaded that does not break the rule — so the check
runs in seconds on 100,000 leads (README, "Demo company").

Which stages are whose (product.md): an MQL or SAL is worked by an SDR team and
person, an SQL, opportunity or closed deal by an AE team and person; a sales
manager may hold either (routing hands a departing person's accepted leads to
their manager). The side stages (returned, nurture, disqualified, customer
success, excluded) are in nobody's queue or pool.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth.models import Group
from django.db.models import (
    CharField,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.expressions import RawSQL
from django.db.models.fields.json import KT
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from leads import hooks, lifecycle
from leads.models import Lead, LeadEvent, LeadReturn, ScoringModelVersion, Stage
from leads.people import roles
from leads.people.models import Team

OPEN_STAGES = (Stage.MQL, Stage.SAL, Stage.SQL, Stage.OPPORTUNITY)
SDR_STAGES = (Stage.MQL, Stage.SAL)
AE_STAGES = (Stage.SQL, Stage.OPPORTUNITY, Stage.WON, Stage.LOST)
SIDE_STAGES = (
    Stage.RETURNED,
    Stage.NURTURE,
    Stage.DISQUALIFIED,
    Stage.CUSTOMER_SUCCESS,
    Stage.EXCLUDED,
)
# The stages a published scoring model keeps scored (leads.scoring.rescore.OPEN_STAGES;
# a test keeps the two equal: this module may not import scoring).
SCORED_STAGES = (*OPEN_STAGES, Stage.INQUIRY, Stage.RETURNED, Stage.NURTURE)
REACHED_MQL = (*OPEN_STAGES, Stage.WON, Stage.LOST)
# Assignment reasons that say why an MQL has neither owner nor team (routing).
NOT_ROUTED_REASONS = ("already_customer", "unrouted")
OPEN_OPPORTUNITY_STAGES = ("discovery", "validation", "negotiation")
STAGE_EVENTS = (LeadEvent.Kind.CREATED, LeadEvent.Kind.STAGE_CHANGE)


@dataclass(frozen=True)
class Invariant:
    name: str
    description: str | Promise
    violators: Callable[[datetime], QuerySet[Lead]]


@dataclass
class Finding:
    """One invariant's result: how many leads break it and the first of them."""

    invariant: Invariant
    count: int
    leads: list[tuple[int, str]]  # (id, what a person calls the lead)


# --------------------------------------------------------------------- helpers


def _latest_assignment(field: str) -> Subquery:
    events = LeadEvent.objects.filter(lead=OuterRef("pk"), kind=LeadEvent.Kind.ASSIGNMENT)
    return Subquery(events.order_by("-at", "-id").values(field)[:1])


def _latest_assignment_to_user() -> Subquery:
    events = LeadEvent.objects.filter(lead=OuterRef("pk"), kind=LeadEvent.Kind.ASSIGNMENT)
    to_user = Cast(KT("data__to_user"), CharField())
    return Subquery(events.order_by("-at", "-id").annotate(to=to_user).values("to")[:1])


def _has_role(*names: str) -> Exists:
    """The lead's owner is in one of the role groups."""
    through = Group.user_set.through  # the user ↔ group table
    return Exists(
        through.objects.filter(user_id=OuterRef("owner_id"), group__name__in=names).values("pk")
    )


def _leads() -> QuerySet[Lead]:
    return Lead.objects.order_by()


# ------------------------------------------------------------------ the invariants


def _owned_open_without_assigned_at(now: datetime) -> QuerySet[Lead]:
    return _leads().filter(stage__in=OPEN_STAGES, owner__isnull=False, assigned_at__isnull=True)


def _owned_open_without_assignment(now: datetime) -> QuerySet[Lead]:
    return (
        _leads()
        .filter(stage__in=OPEN_STAGES, owner__isnull=False)
        .annotate(
            last_to=_latest_assignment_to_user(),
            last_reason=_latest_assignment("reason"),
            owner_text=Cast("owner_id", CharField()),
        )
        .filter(
            Q(last_to__isnull=True)
            | ~Q(last_to=F("owner_text"))
            | Q(last_reason__isnull=True)
            | Q(last_reason="")
        )
    )


def _mql_nowhere(now: datetime) -> QuerySet[Lead]:
    return (
        _leads()
        .filter(stage=Stage.MQL, owner__isnull=True, team__isnull=True)
        .annotate(
            last_reason=_latest_assignment("reason"),
            last_at=_latest_assignment("at"),
        )
        .exclude(last_reason__in=NOT_ROUTED_REASONS, last_at__gte=F("stage_changed_at"))
    )


def _unowned_with_assigned_at(now: datetime) -> QuerySet[Lead]:
    return _leads().filter(owner__isnull=True, assigned_at__isnull=False)


def _side_stage_held(now: datetime) -> QuerySet[Lead]:
    return _leads().filter(
        Q(owner__isnull=False) | Q(team__isnull=False) | Q(assigned_at__isnull=False),
        stage__in=SIDE_STAGES,
    )


def _owner_role(now: datetime) -> QuerySet[Lead]:
    sdr_side = Q(stage__in=SDR_STAGES) & ~Q(_has_role(roles.SDR, roles.SALES_MANAGER))
    ae_side = Q(stage__in=AE_STAGES) & ~Q(_has_role(roles.AE, roles.SALES_MANAGER))
    return _leads().filter(owner__isnull=False).filter(sdr_side | ae_side)


def _team_kind(now: datetime) -> QuerySet[Lead]:
    return _leads().filter(
        Q(stage__in=SDR_STAGES) & ~Q(team__kind=Team.Kind.SDR)
        | Q(stage__in=AE_STAGES) & ~Q(team__kind=Team.Kind.AE),
        team__isnull=False,
    )


def _without_opportunity(now: datetime) -> QuerySet[Lead]:
    return _leads().filter(
        stage__in=(Stage.OPPORTUNITY, Stage.WON, Stage.LOST), opportunity__isnull=True
    )


def _opportunity_disagrees(now: datetime) -> QuerySet[Lead]:
    return _leads().filter(
        Q(stage=Stage.OPPORTUNITY) & ~Q(opportunity__stage__in=OPEN_OPPORTUNITY_STAGES)
        | Q(stage=Stage.WON) & ~Q(opportunity__stage="won")
        | Q(stage=Stage.LOST) & ~Q(opportunity__stage="lost")
        | Q(stage__in=(Stage.WON, Stage.LOST), opportunity__closed_at__isnull=True),
        opportunity__isnull=False,
    )


def _open_returns() -> QuerySet[LeadReturn]:
    return LeadReturn.objects.filter(
        lead=OuterRef("pk"), to_stage=Stage.RETURNED, resolved_at__isnull=True
    )


def _returned_without_return(now: datetime) -> QuerySet[Lead]:
    return _leads().filter(stage=Stage.RETURNED).filter(~Exists(_open_returns()))


def _open_return_elsewhere(now: datetime) -> QuerySet[Lead]:
    return _leads().exclude(stage=Stage.RETURNED).filter(Exists(_open_returns()))


def _stage_not_last_event(now: datetime) -> QuerySet[Lead]:
    # Leads whose last stage event (by time, then id) ends in their stage, in one pass
    # over the log (a subquery per lead is one index probe each: slower on 100,000).
    sql = (
        "SELECT last.lead_id FROM (SELECT lead_id, to_stage, ROW_NUMBER() OVER"
        " (PARTITION BY lead_id ORDER BY at DESC, id DESC) AS position"
        f" FROM {LeadEvent._meta.db_table} WHERE kind IN (%s, %s)) AS last"
        f" JOIN {Lead._meta.db_table} AS lead ON lead.id = last.lead_id"
        " WHERE last.position = 1 AND last.to_stage = lead.stage"
    )
    return _leads().exclude(pk__in=RawSQL(sql, [str(k) for k in STAGE_EVENTS]))


def _transition_not_allowed(now: datetime) -> QuerySet[Lead]:
    allowed = Q()
    for from_stage, to_stage in lifecycle.TRANSITIONS:
        allowed |= Q(from_stage=from_stage, to_stage=to_stage)
    bad = LeadEvent.objects.filter(kind=LeadEvent.Kind.STAGE_CHANGE).exclude(allowed)
    return _leads().filter(pk__in=bad.values("lead_id"))


def _stage_chain_broken(now: datetime) -> QuerySet[Lead]:
    # LAG over the lead's stage events (created, stage changes) in time order; written
    # out because Django filters a window's queryset before the window sees the rows.
    table = LeadEvent._meta.db_table
    sql = (
        "SELECT lead_id FROM (SELECT lead_id, kind, from_stage, LAG(to_stage) OVER"
        " (PARTITION BY lead_id ORDER BY at, id) AS before_stage"
        f" FROM {table} WHERE kind IN (%s, %s)) AS chain"
        " WHERE kind = %s AND (before_stage IS NULL OR before_stage <> from_stage)"
    )
    params = (*STAGE_EVENTS, LeadEvent.Kind.STAGE_CHANGE)
    return _leads().filter(pk__in=RawSQL(sql, [str(p) for p in params]))


def _reached_mql_without_mql_at(now: datetime) -> QuerySet[Lead]:
    return _leads().filter(stage__in=REACHED_MQL, mql_at__isnull=True)


def _opted_out_in_sales(now: datetime) -> QuerySet[Lead]:
    return _leads().filter(do_not_contact=True, stage__in=lifecycle.OPT_OUT_STAGES)


def _unscored(now: datetime) -> QuerySet[Lead]:
    if not ScoringModelVersion.objects.filter(status=ScoringModelVersion.Status.PUBLISHED).exists():
        return _leads().none()
    return _leads().filter(stage__in=SCORED_STAGES, scored_at__isnull=True)


def _events_in_future(now: datetime) -> QuerySet[Lead]:
    return _leads().filter(
        Exists(LeadEvent.objects.filter(lead=OuterRef("pk"), at__gt=now).values("pk"))
    )


INVARIANTS: tuple[Invariant, ...] = (
    Invariant(
        "owned_open_has_assigned_at",
        _("An owned open lead (MQL, SAL, SQL, opportunity) has an assignment time."),
        _owned_open_without_assigned_at,
    ),
    Invariant(
        "owned_open_has_assignment",
        _("An owned open lead's latest assignment event gave it to its owner, with a reason."),
        _owned_open_without_assignment,
    ),
    Invariant(
        "mql_is_routed",
        _(
            "An MQL has an owner, or waits in a team pool, or an assignment event says "
            "why not (already a customer, unrouted)."
        ),
        _mql_nowhere,
    ),
    Invariant(
        "assigned_at_has_owner",
        _("A lead with an assignment time has an owner."),
        _unowned_with_assigned_at,
    ),
    Invariant(
        "side_stage_is_unheld",
        _(
            "A returned, nurtured, disqualified, customer-success or excluded lead has "
            "no owner, team or assignment time."
        ),
        _side_stage_held,
    ),
    Invariant(
        "owner_has_stage_role",
        _(
            "An MQL or SAL is owned by an SDR (or a sales manager); an SQL, opportunity, "
            "won or lost lead by an account executive (or a sales manager)."
        ),
        _owner_role,
    ),
    Invariant(
        "team_kind_matches_stage",
        _(
            "An MQL or SAL sits with an SDR team; an SQL, opportunity, won or lost lead "
            "with an AE team."
        ),
        _team_kind,
    ),
    Invariant(
        "opportunity_stage_has_opportunity",
        _("A lead in opportunity, won or lost has its opportunity."),
        _without_opportunity,
    ),
    Invariant(
        "opportunity_agrees_with_lead",
        _(
            "An opportunity lead's opportunity is open; a won or lost lead's "
            "opportunity is closed the same way."
        ),
        _opportunity_disagrees,
    ),
    Invariant(
        "returned_has_open_return",
        _("A returned lead has its open return (the returns inbox shows it)."),
        _returned_without_return,
    ),
    Invariant(
        "open_return_is_returned",
        _("A lead with an open return is in stage returned."),
        _open_return_elsewhere,
    ),
    Invariant(
        "stage_is_last_stage_event",
        _("A lead's stage equals the last stage event's “to” stage."),
        _stage_not_last_event,
    ),
    Invariant(
        "stage_changes_chain",
        _("Each stage change starts from the stage the previous one ended in."),
        _stage_chain_broken,
    ),
    Invariant(
        "stage_changes_allowed",
        _("Each stage change is one the lifecycle table allows."),
        _transition_not_allowed,
    ),
    Invariant(
        "reached_mql_has_mql_at",
        _("A lead that is or was an MQL (MQL to won or lost) has the time it became one."),
        _reached_mql_without_mql_at,
    ),
    Invariant(
        "opted_out_not_in_sales",
        _("A person who opted out is not an MQL, SAL or SQL."),
        _opted_out_in_sales,
    ),
    Invariant(
        "open_lead_scored",
        _("With a published scoring model, every lead it keeps scored has a score."),
        _unscored,
    ),
    Invariant(
        "events_not_in_future",
        _("No event of a lead lies in the future."),
        _events_in_future,
    ),
)
BY_NAME = {invariant.name: invariant for invariant in INVARIANTS}


def all_invariants() -> list[Invariant]:
    """The leads app's invariants and those other apps add (``hooks.INVARIANTS``)."""
    return [*INVARIANTS, *hooks.INVARIANTS]


def lead_label(name: str, email: str, phone: str | None, pk: int) -> str:
    return name or email or phone or f"#{pk}"


def integrity_check(
    *, names: Iterable[str] | None = None, limit: int = 20, now: datetime | None = None
) -> list[Finding]:
    """Every invariant (or those ``names``), each with the number of leads breaking it
    and the first ``limit`` of them by id. Two queries per invariant that finds
    something, one per invariant that does not."""
    now = now or timezone.now()
    every = all_invariants()
    by_name = {invariant.name: invariant for invariant in every}
    chosen = [by_name[n] for n in names] if names else every
    findings = []
    for invariant in chosen:
        violators = invariant.violators(now)
        first = list(
            violators.order_by("pk").values_list("pk", "name", "email", "phone")[: max(limit, 1)]
        )
        count = len(first) if len(first) < max(limit, 1) else violators.count()
        findings.append(
            Finding(
                invariant=invariant,
                count=count,
                leads=[(pk, lead_label(n, e, p, pk)) for pk, n, e, p in first[:limit]],
            )
        )
    return findings
