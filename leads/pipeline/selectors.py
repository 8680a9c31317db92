"""Reads of the pipeline page: the SQLs waiting for an account executive, the open
opportunities by stage, their totals per stage split marketing-sourced vs
sales-sourced, and the recently closed ones.

Nothing here decides who sees what: SQLs come from
``leads.selectors.leads_visible_to`` (an AE their own, a sales manager their teams',
directors and admins all), opportunities from
``opportunities_visible_to`` below. Each function is one query.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Count, Q, QuerySet, Sum

from leads.models import Lead, Opportunity, Stage
from leads.people import roles
from leads.people.models import Team
from leads.queue import work
from leads.selectors import leads_visible_to

PIPELINE_STAGES = work.OPEN_OPPORTUNITY_STAGES
SOURCES = tuple(Opportunity.Source.values)  # marketing, sales
RECENTLY_CLOSED = 10

# One amount per currency, sorted by currency: [("CNY", Decimal("120000.00")), ...].
Money = list[tuple[str, Decimal]]


def waiting_sqls(*, viewer: AbstractBaseUser) -> QuerySet[Lead]:
    """SQLs the viewer may see, oldest first: each waits for an AE to accept it into
    the pipeline or reject it."""
    return (
        leads_visible_to(viewer=viewer)
        .filter(stage=Stage.SQL)
        .select_related("account", "owner", "team")
        .order_by("stage_changed_at", "pk")
    )


def open_opportunities(
    *, viewer: AbstractBaseUser, stage: str | None = None
) -> QuerySet[Opportunity]:
    """Open opportunities the viewer may see (one stage, or all open stages), by
    expected close date."""
    stages = (stage,) if stage else PIPELINE_STAGES
    return (
        opportunities_visible_to(viewer=viewer)
        .filter(stage__in=stages)
        .select_related("lead__account")
        .order_by("expected_close", "pk")
    )


def closed_opportunities(
    *, viewer: AbstractBaseUser, limit: int = RECENTLY_CLOSED
) -> list[Opportunity]:
    """The most recently closed (won or lost) opportunities the viewer may see."""
    return list(
        opportunities_visible_to(viewer=viewer)
        .filter(stage__in=work.CLOSED_OPPORTUNITY_STAGES)
        .order_by("-closed_at", "-pk")[:limit]
    )


def _money(amounts: dict[str, Decimal]) -> Money:
    return sorted(amounts.items())


@dataclass
class StageTotal:
    """One row of the totals: an open stage (or ``stage=""`` for all open stages)."""

    stage: str
    count: int = 0
    by_source: dict[str, Money] = field(default_factory=dict)  # marketing / sales
    total: Money = field(default_factory=list)

    @property
    def label(self) -> str:
        return str(Opportunity.Stage(self.stage).label) if self.stage else ""

    @property
    def marketing(self) -> Money:
        return self.by_source.get(Opportunity.Source.MARKETING, [])

    @property
    def sales(self) -> Money:
        return self.by_source.get(Opportunity.Source.SALES, [])


def pipeline_totals(*, viewer: AbstractBaseUser) -> tuple[list[StageTotal], StageTotal]:
    """Per open stage, and for the whole open pipeline: the number of opportunities
    and their amounts, per source (marketing-sourced, sales-sourced) and in all, one
    sum per currency (amounts in different currencies are never added)."""
    rows = (
        opportunities_visible_to(viewer=viewer)
        .filter(stage__in=PIPELINE_STAGES)
        .order_by()
        .values("stage", "source", "currency")
        .annotate(n=Count("pk"), amount=Sum("amount"))
    )
    counts: dict[str, int] = defaultdict(int)
    sums: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for row in rows:
        for stage in (row["stage"], ""):
            counts[stage] += row["n"]
            for source in (row["source"], ""):
                sums[stage, source][row["currency"]] += row["amount"]

    def total(stage: str) -> StageTotal:
        return StageTotal(
            stage=stage,
            count=counts[stage],
            by_source={source: _money(sums[stage, source]) for source in SOURCES},
            total=_money(sums[stage, ""]),
        )

    return [total(stage) for stage in PIPELINE_STAGES], total("")


def opportunities_visible_to(*, viewer: AbstractBaseUser) -> QuerySet[Opportunity]:
    user_roles = roles.user_roles(viewer)
    opportunities = Opportunity.objects.select_related("lead", "owner")
    if user_roles.intersection(roles.READ_ALL_ROLES):
        return opportunities
    condition = Q(pk__in=[])
    if roles.AE in user_roles:
        condition |= Q(owner=viewer)
    if roles.SALES_MANAGER in user_roles:
        members = Team.objects.filter(manager=viewer).values("members")
        condition |= Q(owner__in=members)
    return opportunities.filter(condition) if user_roles else opportunities.none()
