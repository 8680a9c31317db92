"""A month's SLA figures (issue 13 §1): every period term of both sides, computed from
the lead events and the clocks as of a watermark, as one JSON-serialisable dict — the
scorecard the dashboard shows, the API answers and a frozen report stores.

```
{"month": "2026-11", "zone": "Asia/Shanghai", "start": ISO, "end": ISO (UTC, [start, end)),
 "month_to_date": bool, "elapsed_share": "0.40" (of the month, when open) | None,
 "watermark": ISO, "terms_version": int | None, "period": {icp_grade, complete_fields,
 min_attempts},
 "terms": [{"term", "side", "kind", "target", "actual", "verdict", "count", "of",
            "p50", "p90", "leads": [ids behind a missed number], "clocks": [breach ids],
            "note": "" | a no-data code}],
 "rows": [{"term", "dimension", "key", "target", "actual", "verdict", "count", "of",
           "p50", "p90"}]}
```
Ids, never names (a person erased leaves a report valid). Decimals are strings; hours
have two decimals.

What each term counts in the month (the default calendar's zone, ``[start, end)``):

- **mql_volume** — leads whose *first* MQL event falls in the month (a lead re-sent
  after a return counts once, in the month it first became an MQL); by the SDR team
  that received it (its first acceptance clock's team), source channel and campaign.
- **icp_share** — of those, the share whose fit grade *when they became MQL* (the MQL
  event records it; else the lead's grade) is at or above the terms version's grade.
- **completeness** — of those, the share with every key field the version lists
  (company: a company name or an account; title; contact: a phone or an email; phone;
  email), read from the lead as it is.
- **campaign_tagged** — of those, the share with a campaign and a channel other than
  "other".
- **delivery_hours** — leads received in the month with a delivery time (source →
  app, stored at intake): the actual is the p90 in hours, met at most the target; the
  share within the target and the p50 come with it; by source system and channel.
- Clock terms — a clock counts in the month it breached in (``breached_at``, or its
  due time for a running clock past it), else in the month it stopped; a clock
  cancelled before its deadline never counts. The share not breached:
  **returns_fixed_in_time** (``return_fix``), **accepted_in_time** (``acceptance``),
  **first_touch_in_time** (``first_touch``, with the p50/p90 of the time the first
  touches took, in business time), **status_updates_kept** (``status_update``),
  **sql_handoff_in_time** (``sql_handoff``).
- **attempts_before_giving_up** — leads an SDR moved from mql/sal to disqualified or
  nurture in the month (returns, "not ICP" among them, are not giving up): the share
  with at least the version's minimum touches before the move.
- **feedback_delivered** — returns in the month (each carries a reason) and disputes
  settled (the ``dispute_settle`` clocks counting in the month): the share delivered in
  time.

As of a watermark: only events recorded (``recorded_at``) by then count; a lead whose
clock-relevant events were recorded after it has its clocks replayed from the earlier
events (``sla.clocks.sync.planned(until=…)``), so recomputing a frozen month gives its
figures again, while a backdated touch entered later is a change the next version
shows (``sla_report --check``).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from leads.models import Lead, LeadEvent, SourceChannel, Stage
from sla import period_terms as P
from sla import scorecard as S
from sla import terms as T
from sla.calendars.services import default_calendar
from sla.clocks import sync
from sla.models import Clock, MonthlyTarget
from sla.policies.services import terms_in_force

# Which clock term each clock-based period term reads.
CLOCK_TERMS = {
    "returns_fixed_in_time": T.RETURN_FIX,
    "accepted_in_time": T.ACCEPTANCE,
    "first_touch_in_time": T.FIRST_TOUCH,
    "status_updates_kept": T.STATUS_UPDATE,
    "sql_handoff_in_time": T.SQL_HANDOFF,
}
GIVE_UP_STAGES = (Stage.DISQUALIFIED, Stage.NURTURE)
GIVE_UP_FROM = (Stage.MQL, Stage.SAL)


class MonthRefused(ValueError):
    """A month that has no figures: malformed, or in the future (``code``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def zone() -> str:
    return default_calendar().time_zone


def month_state(month: dt.date, *, now: dt.datetime | None = None) -> str:
    """``closed``, ``open`` (the current month) or ``future``, in the default zone."""
    return S.month_state(month, month_of_now(now))


def targets_for(month: dt.date) -> dict[str, tuple[Decimal, dict[str, Decimal]]]:
    """Every term's target in force for ``month``: everyone's and each team's own
    (one query; the latest row dated at or before the month wins)."""
    shared: dict[str, Decimal] = {}
    own: dict[str, dict[str, Decimal]] = defaultdict(dict)
    rows = MonthlyTarget.objects.filter(month__lte=month).order_by("month", "created_at", "id")
    for term, team_id, value in rows.values_list("term", "team_id", "value"):
        if team_id is None:
            shared[term] = value
        else:
            own[term][str(team_id)] = value
    from sla.compliance.services import planned_target

    result = {}
    for key, term in P.PERIOD_TERMS.items():
        everyone = shared.get(key)
        if everyone is None:
            everyone = planned_target(key, month)
        result[key] = (everyone if everyone is not None else term.default, dict(own.get(key, {})))
    return result


def _key(value: Any) -> str:
    return "" if value is None else str(value)


def _first_team():
    return Subquery(
        Clock.objects.filter(lead_id=OuterRef("lead_id"), term=T.ACCEPTANCE)
        .order_by("seq")
        .values("team_id")[:1]
    )


def _complete(fields: list[str]) -> Q:
    checks = {
        "company": ~Q(lead__company_name="") | Q(lead__account__isnull=False),
        "title": ~Q(lead__title=""),
        "phone": Q(lead__phone__isnull=False) & ~Q(lead__phone=""),
        "email": ~Q(lead__email=""),
    }
    checks["contact"] = checks["phone"] | checks["email"]
    condition = Q()
    for field in fields:
        condition &= checks[field]
    return condition


def _flag(condition: Q) -> Case:
    return Case(When(condition, then=Value(True)), default=Value(False))


class Month:
    """The facts of one month as of a watermark (see the module's docstring)."""

    def __init__(self, month: dt.date, *, watermark: dt.datetime, now: dt.datetime) -> None:
        self.month = month
        self.zone = zone()
        self.start, self.end = S.month_bounds(month, self.zone)
        self.watermark = watermark
        self.now = now
        # a clock still running is late once its due time passed by then
        self.as_of = min(watermark, now)
        self.version = terms_in_force(min(self.end, now))
        self.period = T.period(self.version.definition if self.version else None)
        self.events = LeadEvent.objects.filter(recorded_at__lte=watermark)
        # Leads whose clock-relevant events were recorded after the watermark: their
        # stored clocks have moved on, so theirs are replayed as of the watermark.
        later = (
            sync.relevant_events()
            .filter(recorded_at__gt=watermark)
            .order_by()
            .values_list("lead_id", flat=True)
            .distinct()
        )
        self.later = set(later)
        self._clocks: dict[str, list[S.Fact]] | None = None
        self.replayed = (
            sync.planned(self.later, now=self.as_of, until=watermark) if self.later else {}
        )

    # ------------------------------------------------------------ marketing
    def mqls(self) -> dict[str, list[S.Fact]]:
        """The month's new MQLs, as facts of volume, ICP share, completeness, tags."""
        mql = Q(kind=LeadEvent.Kind.STAGE_CHANGE, to_stage=Stage.MQL)
        earlier = self.events.filter(mql, lead_id=OuterRef("lead_id")).filter(
            Q(at__lt=OuterRef("at")) | Q(at=OuterRef("at"), id__lt=OuterRef("id"))
        )
        grades = T.GRADES[: T.GRADES.index(self.period["icp_grade"]) + 1]
        rows = (
            self.events.filter(mql, at__gte=self.start, at__lt=self.end)
            .exclude(Exists(earlier))
            .annotate(
                grade=Coalesce(
                    NullIf(KT("data__grade"), Value("")),
                    F("lead__score_grade"),
                    output_field=CharField(),
                ),
                team=_first_team(),
                complete=_flag(_complete(self.period["complete_fields"])),
                tagged=_flag(~Q(lead__campaign="") & ~Q(lead__source_channel=SourceChannel.OTHER)),
            )
            .order_by("lead_id")
            .values_list(
                "lead_id", "grade", "team", "complete", "tagged",
                "lead__source_channel", "lead__campaign",
            )
        )  # fmt: skip
        facts: dict[str, list[S.Fact]] = defaultdict(list)
        for lead_id, grade, team, complete, tagged, channel, campaign in rows:
            dims = (("source", _key(channel)), ("campaign", _key(campaign)))
            if team is not None:
                dims = (("team", str(team)), *dims)
            facts["mql_volume"].append(S.Fact(lead_id, True, dims))
            facts["icp_share"].append(S.Fact(lead_id, grade in grades, dims))
            facts["completeness"].append(S.Fact(lead_id, bool(complete), dims))
            facts["campaign_tagged"].append(S.Fact(lead_id, bool(tagged), dims))
        return facts

    def deliveries(self, target_hours: Decimal) -> list[S.Fact]:
        limit = float(target_hours) * 3600
        rows = (
            Lead.objects.filter(
                received_at__gte=self.start,
                received_at__lt=self.end,
                received_at__lte=self.watermark,
                delivery_seconds__isnull=False,
            )
            .order_by("pk")
            .values_list("pk", "delivery_seconds", "source_system", "source_channel")
        )
        return [
            S.Fact(pk, seconds <= limit, (("source_system", system), ("source", channel)), seconds)
            for pk, seconds, system, channel in rows
        ]

    # ------------------------------------------------------------ clocks
    def clocks(self, term: str, *, lead_dims: bool = False) -> list[S.Fact]:
        """The clocks of ``term`` counting in the month, as facts (ok: not breached)."""
        if self._clocks is None:
            self._clocks = self._stored_clocks()
        facts = list(self._clocks.get(term, []))
        if self.replayed:
            facts.extend(self._replayed_clocks(term, lead_dims=lead_dims))
        return facts

    def _stored_clocks(self) -> dict[str, list[S.Fact]]:
        """Every clock term's stored clocks counting in the month, in one pass per kind
        of row (return_fix's carry their lead's source and campaign): the month, the
        breach (a running clock past its due time has breached) and "ok" are decided in
        SQL; only first touches bring their time taken back."""
        late = Q(state=Clock.State.RUNNING, due_at__lte=self.as_of)
        breach = Coalesce(F("breached_at"), Case(When(late, then=F("due_at"))))
        found: dict[str, list[S.Fact]] = defaultdict(list)
        plain = [t for t in (*CLOCK_TERMS.values(), T.DISPUTE_SETTLE) if t != T.RETURN_FIX]
        for terms, with_lead in ((plain, False), ([T.RETURN_FIX], True)):
            rows = (
                Clock.objects.filter(term__in=terms)
                .filter(
                    # what the indexes find: (term, breached_at), the sweep's due
                    # clocks, (term, stopped_at); the exact rule follows
                    Q(breached_at__gte=self.start, breached_at__lt=self.end)
                    | Q(
                        state=Clock.State.RUNNING,
                        breach_sent_at__isnull=True,
                        due_at__isnull=False,
                        due_at__gte=self.start,
                        due_at__lt=self.end,
                    )
                    | Q(stopped_at__gte=self.start, stopped_at__lt=self.end)
                )  # fmt: skip
                .exclude(lead_id__in=self.later)
                .annotate(breach=breach)
                .filter(
                    Q(breach__gte=self.start, breach__lt=self.end)
                    | Q(
                        breach__isnull=True,
                        state=Clock.State.STOPPED,
                        stopped_at__gte=self.start,
                        stopped_at__lt=self.end,
                    )
                )  # fmt: skip
                .annotate(
                    ok=_flag(Q(breach__isnull=True)),
                    took=Case(
                        When(term=T.FIRST_TOUCH, state=Clock.State.STOPPED, then=F("elapsed"))
                    ),
                )
                .order_by("pk")
            )
            fields = ["term", "pk", "lead_id", "owner_id", "team_id", "ok", "took"]
            if with_lead:
                fields += ["lead__source_channel", "lead__campaign"]
            for term, pk, lead, owner, team, ok, took, *more in rows.values_list(*fields):
                dims: tuple[tuple[str, str], ...] = ()
                if team is not None:
                    dims += (("team", str(team)),)
                if owner is not None:
                    dims += (("person", str(owner)),)
                if more:
                    dims += (("source", _key(more[0])), ("campaign", _key(more[1])))
                seconds = took.total_seconds() if took is not None else None
                found[term].append(S.Fact(lead, bool(ok), dims, seconds, pk))
        return found

    def _replayed_clocks(self, term: str, *, lead_dims: bool) -> list[S.Fact]:
        """The clocks of the leads with events recorded after the watermark, as they
        were then (replayed)."""
        facts = []
        leads = {
            lead.pk: (lead.source_channel, lead.campaign)
            for lead in Lead.objects.filter(pk__in=self.replayed).only(
                "pk", "source_channel", "campaign"
            )
        }
        for lead_id, clocks in sorted(self.replayed.items()):
            for clock in clocks:
                if clock.term != term:
                    continue
                late = (
                    clock.state == Clock.State.RUNNING
                    and clock.due_at is not None
                    and clock.due_at <= self.as_of
                )
                fact = self._clock_fact(
                    clock.pk, lead_id, clock.owner_id, clock.team_id, clock.state,
                    clock.stopped_at, clock.breached_at or (clock.due_at if late else None),
                    clock.elapsed if term == T.FIRST_TOUCH else None,
                    leads.get(lead_id) if lead_dims else None,
                )  # fmt: skip
                if fact is not None:
                    facts.append(fact)
        return facts

    def _clock_fact(
        self, pk, lead, owner, team, state, stopped, breached, elapsed, lead_dims
    ) -> S.Fact | None:
        if breached is not None:
            if not self.start <= breached < self.end:
                return None
        elif state != Clock.State.STOPPED or not (
            stopped is not None and self.start <= stopped < self.end
        ):
            return None
        dims: tuple[tuple[str, str], ...] = ()
        if team is not None:
            dims += (("team", str(team)),)
        if owner is not None:
            dims += (("person", str(owner)),)
        if lead_dims is not None:
            dims += (("source", _key(lead_dims[0])), ("campaign", _key(lead_dims[1])))
        # the time taken by the clocks that stopped (a breached clock still running
        # has no response time yet)
        seconds = (
            elapsed.total_seconds()
            if elapsed is not None and state == Clock.State.STOPPED
            else None
        )
        return S.Fact(lead, breached is None, dims, seconds, pk)

    # ------------------------------------------------------------ sales' other terms
    def give_ups(self) -> list[S.Fact]:
        needed = int(self.period["min_attempts"])
        touches = (
            self.events.filter(
                kind=LeadEvent.Kind.TOUCH, lead_id=OuterRef("lead_id"), at__lte=OuterRef("at")
            )
            .order_by()
            .values("lead_id")
            .annotate(n=Count("id"))
            .values("n")
        )
        rows = (
            self.events.filter(
                kind=LeadEvent.Kind.STAGE_CHANGE,
                from_stage__in=GIVE_UP_FROM,
                to_stage__in=GIVE_UP_STAGES,
                actor_user__isnull=False,
                at__gte=self.start,
                at__lt=self.end,
            )
            .annotate(attempts=Coalesce(Subquery(touches), Value(0)), team=_first_team())
            .order_by("lead_id", "id")
            .values_list("lead_id", "actor_user_id", "attempts", "team")
        )
        facts = []
        for lead_id, person, attempts, team in rows:
            dims = (("person", str(person)),)
            if team is not None:
                dims = (("team", str(team)), *dims)
            facts.append(S.Fact(lead_id, attempts >= needed, dims))
        return facts

    def feedback(self) -> list[S.Fact]:
        rows = (
            self.events.filter(kind=LeadEvent.Kind.RETURN, at__gte=self.start, at__lt=self.end)
            .annotate(team=_first_team())
            .order_by("lead_id", "id")
            .values_list("lead_id", "actor_user_id", "reason", "team")
        )
        facts = []
        for lead_id, person, reason, team in rows:
            dims: tuple[tuple[str, str], ...] = ()
            if team is not None:
                dims += (("team", str(team)),)
            if person is not None:
                dims += (("person", str(person)),)
            facts.append(S.Fact(lead_id, bool(reason), dims))
        return facts + self.clocks(T.DISPUTE_SETTLE)


NO_DATA = {
    "mql_volume": "no_mqls",
    "icp_share": "no_mqls",
    "completeness": "no_mqls",
    "campaign_tagged": "no_mqls",
    "delivery_hours": "no_deliveries",
    "attempts_before_giving_up": "no_give_ups",
    "feedback_delivered": "no_returns",
}


def scorecard(
    month: dt.date, *, watermark: dt.datetime | None = None, now: dt.datetime | None = None
) -> dict[str, Any]:
    """The month's figures as of ``watermark`` (default: now). A future month is
    refused (``MonthRefused("future")``); the current month is month to date."""
    now = now or timezone.now()
    state = month_state(month, now=now)
    if state == "future":
        raise MonthRefused("future")
    watermark = watermark or now
    facts = Month(month, watermark=watermark, now=now)
    targets = targets_for(month)
    by_term: dict[str, list[S.Fact]] = dict(facts.mqls())
    by_term["delivery_hours"] = facts.deliveries(targets["delivery_hours"][0])
    for key, clock_term in CLOCK_TERMS.items():
        by_term[key] = facts.clocks(clock_term, lead_dims=key == "returns_fixed_in_time")
    by_term["attempts_before_giving_up"] = facts.give_ups()
    by_term["feedback_delivered"] = facts.feedback()
    lines, rows = [], []
    for key, term in P.PERIOD_TERMS.items():
        target, own = targets[key]
        line, term_rows = S.table(
            key, term.side, term.kind, by_term.get(key, []), target,
            team_targets=own,
            durations=key in ("delivery_hours", "first_touch_in_time"),
            no_data=NO_DATA.get(key, "no_clocks"),
        )  # fmt: skip
        lines.append(line)
        rows.extend(term_rows)
    open_month = state == "open"
    elapsed = None
    if open_month:
        share = (now - facts.start) / (facts.end - facts.start)
        elapsed = str(Decimal(str(max(0.0, min(1.0, share)))).quantize(Decimal("0.01")))
    return {
        "month": f"{month:%Y-%m}",
        "zone": facts.zone,
        "start": facts.start.isoformat(),
        "end": facts.end.isoformat(),
        "month_to_date": open_month,
        "elapsed_share": elapsed,
        "watermark": watermark.isoformat(),
        "terms_version": facts.version.number if facts.version else None,
        "period": facts.period,
        "terms": lines,
        "rows": rows,
    }


def month_of_now(now: dt.datetime | None = None, *, zone: str | None = None) -> dt.date:
    """The current month in the default calendar's zone (``zone`` when the caller has
    it: one query less)."""
    return S.month_of(now or timezone.now(), zone or default_calendar().time_zone)
