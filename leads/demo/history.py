"""A demo lead's history, written as the product's services write it.

``Story`` walks one lead through its life and produces, in memory, exactly the
rows the services would have written at each step — so the seed can write a
year of history with ``COPY`` instead of calling a service per step (2,000
leads in a few seconds, 100,000 in about a minute), and ``manage.py
check_integrity`` finds nothing to say about it. Each method names the service
whose rows it writes:

- intake: the ``created`` event (``Story.created``);
- scoring (``leads.scoring.rescore._promote``): inquiry/nurture → mql, the
  model version as actor, ``data = {"total", "grade"}``, ``mql_at`` set;
- routing (``leads.queue.routing.route_lead`` with the demo's rules): an
  ``assignment`` event by the system actor ``routing`` with reason ``rule`` (SDR
  teams, by the lead's language) or ``default_team`` (the AE team), its data
  ``from_user``/``from_team``/``to_user``/``to_team``/``mode``/``rule``/
  ``applies_to``/``trigger``; a round-robin team gives the lead to a member
  (``owner``, ``team``, ``assigned_at``), a pool team keeps it in the pool
  (``team`` only) until an SDR claims it (``leads.queue.claim``: reason ``claim``,
  the SDR as actor);
- working it (``leads.queue.work``): accept (mql → sal), touches (a ``Touch`` row
  and a ``touch`` event), qualification (one ``Qualification`` row and a
  ``qualification`` event), convert (sal → sql, then routed to the AE team),
  returns (a ``LeadReturn``, a ``return`` event and the stage change; marketing
  re-sends or parks it later and the return is resolved), disqualify (after the SLA
  terms' minimum touch attempts, ``hooks.min_attempts()``); leaving sales clears
  owner, team and ``assigned_at``;
- the AE (``leads.pipeline.services``): accept the SQL (an ``Opportunity`` keeping
  the lead's source), reject it, move the opportunity forward (``note`` events
  ``opportunity_stage``), close it won or lost (``closed_at``, lost reason).

Only time is simulated: each step happens at ``Story.t``; a step that would
happen after ``now`` ends the story (``Stop``), leaving the lead where it is —
in a queue, in a pool, waiting for an AE — as real data would be.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.db import connection

from leads.queue.routing import ROUTING_ACTOR
from leads.queue.work import FRAMEWORK_CRITERIA

INTAKE_SYSTEM = "demo intake"
SIDE_STAGES = ("returned", "nurture", "disqualified", "customer_success", "excluded")
SALES_SOURCED_CHANNELS = ("outbound",)  # leads.pipeline.services

TOUCH_COLUMNS = ("id", "lead_id", "user_id", "channel", "outcome", "note", "at", "created_at")
RETURN_COLUMNS = (
    "id", "lead_id", "returned_by_id", "reason", "note", "from_stage", "to_stage", "at",
    "resolved_at", "dispute", "dispute_note", "settlement_note", "created_at", "updated_at",
)  # fmt: skip
OPPORTUNITY_COLUMNS = (
    "id", "lead_id", "owner_id", "name", "amount", "currency", "expected_close", "stage",
    "lost_reason", "source", "source_channel", "campaign", "closed_at", "created_at",
    "updated_at",
)  # fmt: skip
QUALIFICATION_COLUMNS = (
    "lead_id", "framework", "criteria", "updated_by_id", "created_at", "updated_at",
)  # fmt: skip


class Stop(Exception):
    """The next step of a lead's story would happen after ``now``: the story ends here."""


class Ids:
    """Primary keys handed out ahead of the insert (events name their touch, return
    and opportunity): from the table's sequence on PostgreSQL, in blocks; after the
    highest id elsewhere."""

    BLOCK = 2000

    def __init__(self, model) -> None:
        self.model = model
        self.free: list[int] = []
        self.next_local: int | None = None

    def take(self) -> int:
        if connection.vendor != "postgresql":
            if self.next_local is None:
                table = connection.ops.quote_name(self.model._meta.db_table)
                with connection.cursor() as cursor:
                    cursor.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")
                    self.next_local = cursor.fetchone()[0] + 1
            self.next_local += 1
            return self.next_local - 1
        if not self.free:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT nextval(pg_get_serial_sequence(%s, 'id')) FROM generate_series(1, %s)",
                    [self.model._meta.db_table, self.BLOCK],
                )
                self.free = [row[0] for row in reversed(cursor.fetchall())]
        return self.free.pop()


@dataclass
class Rows:
    """What the stories wrote, per table, as tuples in the ``*_COLUMNS`` order."""

    events: list[tuple] = field(default_factory=list)
    touches: list[tuple] = field(default_factory=list)
    returns: list[tuple] = field(default_factory=list)
    opportunities: list[tuple] = field(default_factory=list)
    qualifications: list[tuple] = field(default_factory=list)


@dataclass
class Org:
    """The demo's teams as routing sees them: per SDR team its id, mode and framework;
    the rule that sends a language to it; the AE team; round-robin positions."""

    team_ids: dict[str, int]
    members: dict[str, list[int]]  # team name → member ids (SDRs / AEs), by id
    modes: dict[str, str]
    frameworks: dict[str, str]
    rules: dict[str, tuple[str, int, str]]  # region → (team name, rule id, rule name)
    ae_team: str
    given: dict[tuple[str, date, int], int] = field(default_factory=dict)

    def round_robin(self, team: str, at: datetime, rng: random.Random) -> int:
        """Round-robin as routing does it (equal weights, nobody away): the member the
        team gave the fewest leads that day; ties drawn at random (the stories are
        written lead by lead, not in time order, so "who waited longest" is unknown —
        taking the lowest id would load the first member)."""
        members = self.members[team]
        day = at.date()
        fewest = min(self.given.get((team, day, m), 0) for m in members)
        chosen = rng.choice([m for m in members if self.given.get((team, day, m), 0) == fewest])
        self.given[(team, day, chosen)] = fewest + 1
        return chosen


class Story:
    """One lead's life, written as it happens; time only moves forward."""

    def __init__(
        self,
        *,
        lead_id: int,
        start: datetime,
        now: datetime,
        rows: Rows,
        ids: dict[str, Ids],
        org: Org,
        rng: random.Random,
        lead: dict[str, Any],
        min_touches: int,
    ) -> None:
        self.lead_id = lead_id
        self.t = start
        self.now = now
        self.rows = rows
        self.ids = ids
        self.org = org
        self.rng = rng
        self.lead = lead  # region, source_channel, campaign, company_name, name
        self.min_touches = min_touches
        self.stage = "inquiry"
        self.stage_at = start
        self.owner: int | None = None
        self.team: int | None = None
        self.assigned_at: datetime | None = None
        self.mql_at: datetime | None = None  # the latest (as the lead stores it)
        self.first_mql_at: datetime | None = None
        self.already_customer = False
        self.touch_count = 0
        self.returns: list[list] = []
        self.opportunity: list | None = None
        self.qualification: tuple | None = None

    # --- time -----------------------------------------------------------------------

    def wait(self, seconds: float) -> None:
        at = self.t + timedelta(seconds=max(1, int(seconds)))
        if at > self.now:
            raise Stop
        self.t = at

    # --- the rows -------------------------------------------------------------------

    def _event(self, kind, *, user=None, system="", reason="", data=None, frm=None, to=None):
        self.rows.events.append(
            (self.lead_id, kind, frm, to, user, system, reason, data or {}, self.t)
        )

    def _move(self, to: str, *, user=None, system="", reason="", data=None) -> None:
        """``leads.queue.work.move_lead``: the stage change; leaving sales clears the
        owner, team and assignment time."""
        self._event(
            "stage_change", user=user, system=system, reason=reason, data=data,
            frm=self.stage, to=to,
        )  # fmt: skip
        self.stage, self.stage_at = to, self.t
        if to in SIDE_STAGES:
            self.owner = self.team = self.assigned_at = None

    def finish(self) -> None:
        """Write the rows kept open while the story ran (returns, opportunity,
        qualification)."""
        self.rows.returns.extend(tuple(r) for r in self.returns)
        if self.opportunity is not None:
            self.rows.opportunities.append(tuple(self.opportunity))
        if self.qualification is not None:
            self.rows.qualifications.append(self.qualification)

    # --- intake and scoring ---------------------------------------------------------

    def created(self, *, data: dict) -> None:
        self._event("created", system=INTAKE_SYSTEM, data=data, to="inquiry")

    def score_to_mql(self, *, actor: str, total: int, grade: str) -> None:
        """The published model makes the lead an MQL; routing takes it at once."""
        self._move("mql", system=actor, data={"total": total, "grade": grade})
        self._became_mql()

    def _became_mql(self) -> None:
        self.mql_at = self.t
        if self.first_mql_at is None:
            self.first_mql_at = self.t
        self.route("mql")  # the MQL seam routes it in the same transaction

    # --- routing --------------------------------------------------------------------

    def _assign(self, *, reason, to_user, to_team, mode, rule=None, user=None, extra=None):
        data = {
            "from_user": self.owner,
            "from_team": self.team,
            "to_user": to_user,
            "to_team": to_team,
            "mode": mode,
            "rule": rule,
            **(extra or {}),
        }
        self._event(
            "assignment", user=user, system="" if user else ROUTING_ACTOR, reason=reason, data=data
        )
        self.owner, self.team = to_user, to_team
        self.assigned_at = self.t if to_user else None

    def route(self, applies_to: str) -> None:
        """``route_lead``: an MQL by the rule for its language, an SQL to the AE team."""
        org = self.org
        if applies_to == "mql":
            name, rule_id, rule_name = org.rules[self.lead["region"]]
            reason, rule = "rule", {"id": rule_id, "name": rule_name}
        else:
            name, reason, rule = org.ae_team, "default_team", None
        mode = org.modes[name]
        to_user = org.round_robin(name, self.t, self.rng) if mode != "pool" else None
        extra = {"applies_to": applies_to, "trigger": applies_to}
        self._assign(
            reason=reason, to_user=to_user, to_team=org.team_ids[name], mode=mode, rule=rule,
            extra=extra,
        )  # fmt: skip

    def claim(self) -> int:
        """An SDR of the pool's team claims the lead (``claim_next``)."""
        members = next(m for n, m in self.org.members.items() if self.org.team_ids[n] == self.team)
        sdr = self.rng.choice(members)
        self._assign(reason="claim", to_user=sdr, to_team=self.team, mode="pool", user=sdr)
        return sdr

    # --- the SDR ----------------------------------------------------------------------

    def accept(self, sdr: int) -> None:
        self._move("sal", user=sdr)

    def touch(self, user: int, channel: str, outcome: str) -> None:
        touch_id = self.ids["touch"].take()
        row = (touch_id, self.lead_id, user, channel, outcome, "", self.t, self.t)
        self.rows.touches.append(row)
        self._event(
            "touch", user=user, reason=outcome,
            data={"touch_id": touch_id, "channel": channel, "note": ""},
        )  # fmt: skip
        self.touch_count += 1

    def qualify(self, sdr: int) -> str:
        """Every criterion of the team's framework set to "yes"; returns the framework."""
        framework = self.org.frameworks.get(self._team_name(), "bant")
        criteria = {n: {"value": "yes", "note": ""} for n in FRAMEWORK_CRITERIA[framework]}
        created = self.qualification[4] if self.qualification else self.t
        self.qualification = (self.lead_id, framework, criteria, sdr, created, self.t)
        self._event("qualification", user=sdr, reason=framework, data={"criteria": criteria})
        return framework

    def convert(self, sdr: int, framework: str) -> None:
        """sal → sql; the SQL seam routes it to the AE team."""
        self._move("sql", user=sdr, data={"framework": framework})
        self.route("sql")  # the SQL seam, in the same transaction

    def give_back(self, sdr: int, reason: str, target: str) -> None:
        """``lead_return``: a ``LeadReturn``, a ``return`` event, the stage change."""
        return_id = self.ids["return"].take()
        self.returns.append(
            [
                return_id, self.lead_id, sdr, reason, "", self.stage, target, self.t, None,
                "", "", "", self.t, self.t,
            ]
        )  # fmt: skip
        self._event(
            "return", user=sdr, reason=reason, data={"note": "", "return_id": return_id},
            frm=self.stage, to=target,
        )  # fmt: skip
        if reason == "already_customer":
            self.already_customer = True
        self._move(target, user=sdr, reason=reason, data={"note": ""})

    def disqualify(self, sdr: int, reason: str) -> None:
        """``lead_disqualify`` with a reason that is not a return (needs the touches)."""
        if self.touch_count < self.min_touches:
            self.give_back(sdr, "not_icp", "disqualified")
            return
        self._move(
            "disqualified", user=sdr, reason=reason, data={"note": "", "attempts": self.touch_count}
        )

    # --- marketing ------------------------------------------------------------------

    def _resolve_return(self) -> None:
        for row in self.returns:
            if row[6] == "returned" and row[8] is None:
                row[8] = row[13] = self.t

    def marketing_move(self, to: str, *, by: int, reason: str) -> None:
        """``lead_marketing_move``: inquiry → nurture / disqualified / excluded, a
        returned lead to nurture or disqualified, a lost one back to nurture."""
        was_returned = self.stage == "returned"
        self._move(to, user=by, reason=reason, data={"note": ""})
        if was_returned:
            self._resolve_return()

    def resend(self, by: int) -> None:
        """``lead_resend``: returned → mql, the return resolved, routed again."""
        self._move("mql", user=by, reason="resent", data={"note": ""})
        self._resolve_return()
        self._became_mql()

    # --- the AE -----------------------------------------------------------------------

    def sql_accept(self, ae: int, *, amount: int, currency: str, close: date) -> None:
        opportunity_id = self.ids["opportunity"].take()
        source = "sales" if self.lead["source_channel"] in SALES_SOURCED_CHANNELS else "marketing"
        name = self.lead["company_name"] or self.lead["name"] or f"#{self.lead_id}"
        self.opportunity = [
            opportunity_id, self.lead_id, ae, name[:200], Decimal(amount), currency, close,
            "discovery", "", source, self.lead["source_channel"], self.lead["campaign"], None,
            self.t, self.t,
        ]  # fmt: skip
        if self.owner != ae:
            self.owner, self.assigned_at = ae, self.t
        self._move(
            "opportunity", user=ae, data={"opportunity_id": opportunity_id, "source": source}
        )

    def sql_reject(self, ae: int, *, reason: str, to: str) -> None:
        self._move(to, user=ae, reason=reason)

    def opportunity_forward(self, ae: int, to: str) -> None:
        opp = self.opportunity
        self._event(
            "note", user=ae, reason="opportunity_stage",
            data={"opportunity_id": opp[0], "from": opp[7], "to": to},
        )  # fmt: skip
        opp[7], opp[14] = to, self.t

    def opportunity_close(self, ae: int, stage: str, *, lost_reason: str = "") -> None:
        opp = self.opportunity
        amount = str(opp[4].quantize(Decimal("0.01")))
        self._move(
            stage, user=ae, reason=lost_reason[:64],
            data={"opportunity_id": opp[0], "amount": amount},
        )  # fmt: skip
        opp[7], opp[8], opp[12], opp[14] = stage, lost_reason, self.t, self.t

    # --- helpers ----------------------------------------------------------------------

    def _team_name(self) -> str | None:
        return next((n for n, pk in self.org.team_ids.items() if pk == self.team), None)
