"""Reads for the predictive score: the rows it learns from and predicts, the
snapshot in use, and one lead's prediction in plain words.

The maths is ``leads.scoring.predictive`` (pure); this module turns leads into
its rows. Writes (training, storing probabilities) are in
``leads.scoring.predictive_services``.

Which leads (documented choices)
    - **Won**: stage ``won``. **Lost**: ``lost`` *and* ``disqualified``. A
      disqualified lead is a "no" as final as a lost deal, and most leads that
      do not win end there, long before an opportunity: leaving them out would
      teach the counts only about leads that reached an AE, so every inquiry
      would look as likely to win as an opportunity.
    - ``customer_success`` (already a customer) and ``excluded`` (competitor,
      spam) are neither: not learned from and not predicted.
    - **Open** (predicted): the funnel stages plus ``returned`` and ``nurture``;
      a lost lead that marketing recycled (lost → nurture) is open again.

The stage a lead counts on (``FUNNEL``: inquiry < mql < sal < sql < opportunity)
    Its last funnel stage: its current stage when that is a funnel stage, else
    the ``to_stage`` of its latest ``created`` / ``stage_change`` event into a
    funnel stage (so a lead disqualified from SAL counts as lost at SAL, one
    returned from MQL and then disqualified as lost at MQL, a nurtured lead is
    predicted at the stage it had reached). No such event: the first stage.

Team (documented choice)
    The team of the lead's owner: the first team (by name) the owner is a member
    of, else the first team they manage; no owner or no team → none (the global
    counts). A team's own counts are used only when it has at least as many
    closed leads as a value needs sightings (``min_count``, the same evidence
    bar) *and* at least one won and one lost lead; otherwise the global counts
    are used. The second condition matters because owners change along the
    funnel: an SDR's leads are won only after an AE took them over, so an SDR
    team's own history holds losses only and would predict ~0 % for every lead.

Fields
    Static: industry, country, employees and annual revenue in buckets (their
    edges include the seed ICP's 50 employees and $5M), seniority, source
    channel, language. Behaviour: ``behaviour_features`` of the activity counts
    per type — for a closed lead only the activities up to the moment it closed
    (its ``stage_changed_at``), for an open lead those up to now.

Queries: gathering rows costs a constant number of queries (the leads with
their account in one, the activity counts per (lead, type) in one aggregate,
the funnel-stage events of those outside the funnel in one — none when all are
in it —, the owners' teams in two), whatever the number of leads.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import Count, F, QuerySet
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leads import vocabulary
from leads.models import (
    DEMO_SOURCE_SYSTEM,
    Activity,
    ActivityType,
    Lead,
    LeadEvent,
    PredictiveSnapshot,
    Seniority,
    SourceChannel,
    Stage,
)
from leads.people.models import Team
from leads.scoring.predictive import (
    GLOBAL,
    STAGE,
    Factor,
    Prediction,
    PredictiveModel,
    TrainingRow,
    behaviour_features,
    field_factors,
    predict,
    team_counts_usable,
    top_factors,
)

FUNNEL: tuple[str, ...] = tuple(
    s.value for s in (Stage.INQUIRY, Stage.MQL, Stage.SAL, Stage.SQL, Stage.OPPORTUNITY)
)
WON_STAGES: tuple[str, ...] = (Stage.WON.value,)
LOST_STAGES: tuple[str, ...] = (Stage.LOST.value, Stage.DISQUALIFIED.value)
CLOSED_STAGES = WON_STAGES + LOST_STAGES
OPEN_STAGES: tuple[str, ...] = (*FUNNEL, Stage.RETURNED.value, Stage.NURTURE.value)

EMPLOYEE_BUCKETS = ((10, "1-10"), (50, "11-50"), (200, "51-200"), (1000, "201-1000"))
EMPLOYEE_BUCKETS += ((5000, "1001-5000"),)
EMPLOYEE_TOP = "5001+"
REVENUE_BUCKETS = ((1_000_000, "<1M"), (5_000_000, "1M-5M"), (50_000_000, "5M-50M"))
REVENUE_BUCKETS += ((500_000_000, "50M-500M"),)
REVENUE_TOP = "500M+"

STATIC_FIELDS = (
    "industry",
    "country",
    "employees",
    "annual_revenue",
    "seniority",
    "source_channel",
    "language",
)
FIELD_LABELS = {
    "industry": gettext_lazy("Industry"),
    "country": gettext_lazy("Country"),
    "employees": gettext_lazy("Employees"),
    "annual_revenue": gettext_lazy("Annual revenue (USD)"),
    "seniority": gettext_lazy("Seniority"),
    "source_channel": gettext_lazy("Source channel"),
    "language": gettext_lazy("Language"),
    STAGE: gettext_lazy("Furthest stage"),
}
ACTIVITY_PREFIX = "activity:"
ACTIVITY_BUCKET_LABELS = {
    "0": gettext_lazy("none"),
    "1": gettext_lazy("once"),
    "2+": gettext_lazy("twice or more"),
}
REVENUE_LABELS = {
    "<1M": "< $1M",
    "1M-5M": "$1M–5M",
    "5M-50M": "$5M–50M",
    "50M-500M": "$50M–500M",
    "500M+": "≥ $500M",
}


# ------------------------------------------------------------------------ fields


def employees_bucket(employees: int | None) -> str:
    if employees is None:
        return ""
    for top, label in EMPLOYEE_BUCKETS:
        if employees <= top:
            return label
    return EMPLOYEE_TOP


def revenue_bucket(revenue: Decimal | float | None) -> str:
    if revenue is None:
        return ""
    for top, label in REVENUE_BUCKETS:
        if revenue < top:
            return label
    return REVENUE_TOP


def lead_fields(
    *,
    industry: str | None,
    country: str | None,
    employees: int | None,
    annual_revenue: Decimal | float | None,
    seniority: str | None,
    source_channel: str | None,
    language: str | None,
    activity_counts: Mapping[str, int],
) -> dict[str, str]:
    """The fields one lead is counted and predicted on (an empty value counts nowhere)."""
    fields = {
        "industry": (industry or "").strip(),
        "country": (country or "").strip().upper(),
        "employees": employees_bucket(employees),
        "annual_revenue": revenue_bucket(annual_revenue),
        "seniority": seniority or "",
        "source_channel": source_channel or "",
        "language": (language or "").strip().lower(),
    }
    fields.update(behaviour_features(activity_counts))
    return fields


# -------------------------------------------------------------------------- rows


@dataclass(frozen=True)
class LeadRow:
    """One lead as the predictive score sees it."""

    id: int
    stage: str  # its current stage
    funnel_stage: str  # the stage it counts on / is predicted at (see the module docs)
    team: str | None  # the owner's team id as text (the counts' key), or None
    fields: dict[str, str]
    synthetic: bool  # a demo lead
    team_name: str = ""

    @property
    def won(self) -> bool:
        return self.stage in WON_STAGES

    def training_row(self) -> TrainingRow:
        return TrainingRow(
            won=self.won,
            fields=self.fields,
            stage=None if self.won else self.funnel_stage,
            team=self.team,
        )


def _last_funnel_stages(events: QuerySet[LeadEvent]) -> dict[int, str]:
    """``{lead id: to_stage of its latest created / stage_change event into a funnel
    stage}`` over ``events`` (one query; the latest picked in Python, so the plan
    does not hang on a correlated subquery)."""
    latest: dict[int, tuple[tuple[datetime, int], str]] = {}
    for lead_id, to_stage, at, pk in (
        events.filter(
            kind__in=(LeadEvent.Kind.STAGE_CHANGE, LeadEvent.Kind.CREATED),
            to_stage__in=FUNNEL,
        )
        .order_by()
        .values_list("lead_id", "to_stage", "at", "id")
    ):
        seen = latest.get(lead_id)
        if seen is None or (at, pk) > seen[0]:
            latest[lead_id] = ((at, pk), to_stage)
    return {lead_id: stage for lead_id, (_, stage) in latest.items()}


def owner_teams(*, owner_ids: Iterable[int] | None = None) -> dict[int, tuple[str, str]]:
    """``{user id: (team key, team name)}``: the first team by name each user is a
    member of, else the first they manage (two queries)."""
    members = Team.members.through.objects.order_by("team__name", "team_id")
    managers = Team.objects.filter(manager__isnull=False).order_by("name", "id")
    if owner_ids is not None:
        if not isinstance(owner_ids, QuerySet):  # a queryset stays a subquery
            owner_ids = list(owner_ids)
        members = members.filter(user_id__in=owner_ids)
        managers = managers.filter(manager_id__in=owner_ids)
    teams: dict[int, tuple[str, str]] = {}
    for user_id, team_id, name in members.values_list("user_id", "team_id", "team__name"):
        teams.setdefault(user_id, (str(team_id), name))
    for user_id, team_id, name in managers.values_list("manager_id", "id", "name"):
        teams.setdefault(user_id, (str(team_id), name))
    return teams


_ROW_COLUMNS = (
    "id",
    "stage",
    "stage_changed_at",
    "owner_id",
    "source_system",
    "seniority",
    "source_channel",
    "language",
    "account__industry",
    "account__country",
    "account__employees",
    "account__annual_revenue",
)


def _lead_rows(
    leads: QuerySet[Lead],
    *,
    activities: QuerySet[Activity],
    events: Callable[[list[int]], QuerySet[LeadEvent]],
    teams: Mapping[int, tuple[str, str]],
) -> list[LeadRow]:
    """``events(ids)``: the events of the leads ``ids`` (those outside the funnel,
    whose funnel stage comes from their history); not queried when there are none."""
    values = list(leads.values_list(*_ROW_COLUMNS))
    away = [row[0] for row in values if row[1] not in FUNNEL]
    last_funnel = _last_funnel_stages(events(away)) if away else {}
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    for lead_id, kind, n in (
        activities.order_by()
        .values("lead_id", "type")
        .annotate(n=Count("id"))
        .values_list("lead_id", "type", "n")
    ):
        counts[lead_id][kind] = n
    rows = []
    for (
        pk,
        stage,
        _changed,
        owner_id,
        source_system,
        seniority,
        channel,
        language,
        industry,
        country,
        employees,
        revenue,
    ) in values:
        team = teams.get(owner_id) if owner_id is not None else None
        rows.append(
            LeadRow(
                id=pk,
                stage=stage,
                funnel_stage=stage if stage in FUNNEL else last_funnel.get(pk, FUNNEL[0]),
                team=team[0] if team else None,
                fields=lead_fields(
                    industry=industry,
                    country=country,
                    employees=employees,
                    annual_revenue=revenue,
                    seniority=seniority,
                    source_channel=channel,
                    language=language,
                    activity_counts=counts.get(pk, {}),
                ),
                synthetic=source_system == DEMO_SOURCE_SYSTEM,
                team_name=team[1] if team else "",
            )
        )
    return rows


def predictive_training_rows(*, lead_ids: Iterable[int] | None = None) -> list[LeadRow]:
    """Every closed lead (won, lost, disqualified), oldest id first, with the
    activities it had when it closed. ``lead_ids`` narrows it to those leads."""
    leads = Lead.objects.filter(stage__in=CLOSED_STAGES).order_by("id")
    activities = Activity.objects.filter(
        lead__stage__in=CLOSED_STAGES, occurred_at__lte=F("lead__stage_changed_at")
    )
    events = LeadEvent.objects.filter(lead__stage__in=CLOSED_STAGES)  # every closed lead's
    owners = None
    if lead_ids is not None:
        lead_ids = list(lead_ids)
        leads = leads.filter(pk__in=lead_ids)
        activities = activities.filter(lead_id__in=lead_ids)
        events = events.filter(lead_id__in=lead_ids)
        owners = leads.exclude(owner=None).values_list("owner_id", flat=True)
    teams = owner_teams(owner_ids=owners)
    return _lead_rows(leads, activities=activities, events=lambda _ids: events, teams=teams)


def predictive_open_rows(
    *,
    lead_ids: Iterable[int] | None = None,
    after_id: int = 0,
    limit: int | None = None,
    now: datetime | None = None,
    teams: Mapping[int, tuple[str, str]] | None = None,
) -> list[LeadRow]:
    """Open leads with the activities they had by ``now``: those in ``lead_ids``,
    or the next ``limit`` by id after ``after_id``. Pass ``teams``
    (``owner_teams()``) when reading many chunks, so the teams are read once."""
    now = now or timezone.now()
    leads = Lead.objects.filter(stage__in=OPEN_STAGES).order_by("id")
    if lead_ids is not None:
        ids = list(lead_ids)
    else:
        page = leads.filter(pk__gt=after_id)
        ids = list((page[:limit] if limit is not None else page).values_list("id", flat=True))
        if not ids:
            return []
    chunk = leads.filter(pk__in=ids)
    activities = Activity.objects.filter(lead_id__in=ids, occurred_at__lte=now)
    if teams is None:
        teams = owner_teams(owner_ids=chunk.exclude(owner=None).values_list("owner_id", flat=True))
    # Only a lead outside the funnel (returned, nurture) needs its history read.
    return _lead_rows(
        chunk,
        activities=activities,
        events=lambda away: LeadEvent.objects.filter(lead_id__in=away),
        teams=teams,
    )


# ---------------------------------------------------------------------- snapshot


def predictive_snapshot_current() -> PredictiveSnapshot | None:
    """The snapshot in use: the newest one."""
    return PredictiveSnapshot.objects.order_by("-created_at", "-id").first()


# Factors that change the odds by less than this (about 5 %) are not shown.
MIN_SHOWN_LOG_ODDS = 0.05


def snapshot_model(snapshot: PredictiveSnapshot) -> PredictiveModel:
    """The snapshot's counts as a ``PredictiveModel`` (parsing them takes well under
    a millisecond, so there is no cache to go stale)."""
    return PredictiveModel.from_dict(snapshot.model)


def prediction_team(model: PredictiveModel, team: str | None) -> str | None:
    """``team`` when its own counts may be used (see the module docs), else None."""
    return team if team_counts_usable(model, team) else None


def predict_row(model: PredictiveModel, row: LeadRow) -> Prediction:
    return predict(
        model,
        fields=row.fields,
        stage=row.funnel_stage,
        team=prediction_team(model, row.team),
    )


# ------------------------------------------------------------------ plain words


def _value_label(name: str, value: str) -> str:
    if name in ("industry", "country", "language"):
        return vocabulary.label(name, value)
    if name == STAGE:
        return str(dict(Stage.choices).get(value, value))
    if name == "seniority":
        return str(dict(Seniority.choices).get(value, value))
    if name == "source_channel":
        return str(dict(SourceChannel.choices).get(value, value))
    if name == "annual_revenue":
        return REVENUE_LABELS.get(value, value)
    if name == "employees":
        return value.replace("-", "–")
    if name.startswith(ACTIVITY_PREFIX):
        return str(ACTIVITY_BUCKET_LABELS.get(value, value))
    return value


def _field_label(name: str) -> str:
    if name.startswith(ACTIVITY_PREFIX):
        kind = name[len(ACTIVITY_PREFIX) :]
        return str(dict(ActivityType.choices).get(kind, kind))
    return str(FIELD_LABELS.get(name, name))


def lift_words(lift: float) -> str:
    """How a value's win rate compares with the average, as people say it:
    "3× more likely than average", "30 % more likely…", "30 % less
    likely…", "4× less likely…" (a ratio from 1.5, a percentage below)."""
    if lift >= 1.5:
        return _("%(ratio)s× more likely than average") % {"ratio": _ratio(lift)}
    if lift >= 1:
        return _("%(percent)s%% more likely than average") % {"percent": round(100 * (lift - 1))}
    if lift > 1 / 1.5:
        return _("%(percent)s%% less likely than average") % {"percent": round(100 * (1 - lift))}
    return _("%(ratio)s× less likely than average") % {"ratio": _ratio(1 / lift)}


def factor_words(factor: Factor) -> dict[str, Any]:
    """One factor for people: what it is, and how the win rate of leads with it
    compares with the average (``Factor.lift``: "Industry: Software — 3× more
    likely than average")."""
    ratio = math.exp(factor.log_odds)
    lift = factor.lift
    field = _field_label(factor.field)
    value = _value_label(factor.field, factor.value)
    effect = lift_words(lift)
    return {
        "field": factor.field,
        "value": factor.value,
        "field_label": field,
        "value_label": value,
        "odds_ratio": ratio,
        "lift": lift,
        "log_odds": factor.log_odds,
        "direction": "up" if factor.log_odds >= 0 else "down",
        "effect": effect,
        "text": _("%(field)s: %(value)s — %(effect)s")
        % {"field": field, "value": value, "effect": effect},
    }


def _ratio(value: float) -> str:
    """``2.5``, ``3``, ``12``: one decimal under 10 (none when it is 0), localised."""
    shown = round(value, 1) if value < 10 else round(value)
    if shown == int(shown):
        return number_format(int(shown))
    return number_format(shown, decimal_pos=1)


def evaluation_words(evaluation: Mapping[str, Any]) -> dict[str, Any]:
    """The held-out figures as percentages, and whether each can be read at all."""
    if not evaluation:
        return {}
    n, won = evaluation["n"], evaluation["won"]
    return {
        **evaluation,
        "accuracy_percent": 100 * evaluation["accuracy"],
        "base_rate_percent": 100 * evaluation["base_rate"],
        # Always calling "lost": right as often as the held-out leads were lost.
        "always_lost_percent": 100 * (1 - evaluation["base_rate"]),
        "auc_readable": bool(won and n - won),
    }


def predictive_summary(*, snapshot: PredictiveSnapshot, factors: int = 8) -> dict[str, Any]:
    """What the page and the API show about a snapshot: when, how many leads, how
    accurate on held-out leads, and the factors that move the odds most overall."""
    model = snapshot_model(snapshot)
    counts = model.teams.get(GLOBAL)
    first = model.stages[0]
    strongest = [f for f in field_factors(model) if abs(f.log_odds) >= MIN_SHOWN_LOG_ODDS]
    return {
        "id": snapshot.pk,
        "created_at": snapshot.created_at,
        "trained_rows": snapshot.trained_rows,
        "held_out_rows": snapshot.held_out_rows,
        "won": counts.stage_won.get(first, 0) if counts else 0,
        "lost": counts.stage_lost.get(first, 0) if counts else 0,
        "added_since": len(snapshot.params.get("added_lead_ids", [])),
        "min_count": model.min_count,
        "held_out_percent": snapshot.params.get("held_out_percent"),
        "evaluation_trained_rows": snapshot.params.get("evaluation_trained_rows"),
        "synthetic": bool(snapshot.params.get("synthetic_rows")),
        "evaluation": evaluation_words(snapshot.evaluation) or None,
        "factors": [factor_words(f) for f in strongest[:factors]],
        "job_id": snapshot.job_id,
    }


def lead_prediction(*, lead: Lead, factors: int = 5) -> dict[str, Any] | None:
    """One lead's chance of winning for the lead page and the API, or None (no
    snapshot yet, or a lead that is neither open nor closed: customer success,
    excluded). Computed now from the snapshot in use (so it reflects the lead's
    latest activities); the figure stored by the last refresh is
    ``stored_probability``. A closed lead is not predicted: ``closed`` is True.
    ``factors``: the strongest ones, leaving out those that change the odds by
    less than about 5 %. A constant number of queries, whatever the number of
    factors or activities."""
    if lead.stage not in OPEN_STAGES and lead.stage not in CLOSED_STAGES:
        return None
    snapshot = predictive_snapshot_current()
    if snapshot is None:
        return None
    model = snapshot_model(snapshot)
    base = {
        "snapshot_id": snapshot.pk,
        "snapshot_at": snapshot.created_at,
        "evaluation": evaluation_words(snapshot.evaluation),
        "synthetic": bool(snapshot.params.get("synthetic_rows")),
        "stored_probability": lead.win_probability,
        "predicted_at": lead.predicted_at,
    }
    if lead.stage in CLOSED_STAGES:
        return {**base, "closed": True, "won": lead.stage in WON_STAGES}
    teams = owner_teams(owner_ids=[lead.owner_id]) if lead.owner_id else {}
    [row] = predictive_open_rows(lead_ids=[lead.pk], teams=teams)
    prediction = predict_row(model, row)
    names = snapshot.params.get("team_names", {})
    return {
        **base,
        "closed": False,
        "probability": prediction.probability,
        "prior": prediction.prior_won,
        "stage": row.funnel_stage,
        "counts": "team" if prediction.team != GLOBAL else "global",
        "team": names.get(prediction.team, "") if prediction.team != GLOBAL else "",
        "factors": [
            factor_words(f)
            for f in top_factors(prediction, n=len(prediction.factors))
            if abs(f.log_odds) >= MIN_SHOWN_LOG_ODDS
        ][:factors],
    }
