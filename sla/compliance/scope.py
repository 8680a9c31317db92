"""Who sees which SLA figures (issue 13, "Permissions"), applied to a scorecard dict
(``sla.compliance.figures``) before it is shown or answered.

- Directors, admins and integrations (BI): everything.
- Marketing managers: every term of both sides (marketing's own, and how sales treated
  their leads), every group but sales' individual people.
- Sales managers: their teams — each term's line is their teams' figure (one team's
  row, or several teams' rows added up), and the rows of their teams and their people.
- SDRs and AEs: their own figures only — each term's line is their own row.
- Anyone else: nothing (the page answers 404).

A line made from several teams adds their counts; a percentile cannot be added, so it
is left out (None) there. ``leads`` and ``clocks`` behind a restricted line are not
known per group and are left empty: the drill-down asks the live data, scoped.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from leads.people import roles
from sla import scorecard as S

EVERYTHING_ROLES = (roles.DIRECTOR, roles.ADMIN, roles.INTEGRATION)


@dataclass(frozen=True)
class Scope:
    everything: bool = False
    marketing: bool = False
    teams: frozenset[str] = field(default_factory=frozenset)
    people: frozenset[str] = field(default_factory=frozenset)
    person: str | None = None  # an SDR or AE: their own figures

    @property
    def sees_anything(self) -> bool:
        return self.everything or self.marketing or bool(self.teams) or self.person is not None


def scope_for(user) -> Scope:
    if roles.has_role(user, *EVERYTHING_ROLES):
        return Scope(everything=True)
    if roles.has_role(user, roles.MARKETING):
        return Scope(marketing=True)
    if roles.has_role(user, roles.SALES_MANAGER):
        managed = list(user.managed_teams.all())
        teams = frozenset(str(team.pk) for team in managed)
        people = frozenset(
            str(pk) for team in managed for pk in team.members.values_list("pk", flat=True)
        )
        return Scope(teams=teams, people=people | {str(user.pk)})
    if roles.has_role(user, roles.SDR, roles.AE):
        return Scope(person=str(user.pk))
    return Scope()


def _combined(line: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """``line`` with its figure replaced by ``rows`` (one group, or several added)."""
    restricted = {**line, "leads": [], "clocks": []}
    if not rows:
        restricted.update(
            actual=None if line["kind"] != "count" else "0",
            verdict=S.NO_DATA if line["kind"] != "count" else line["verdict"],
            count=0, of=None if line["kind"] == "count" else 0, p50=None, p90=None,
            note=line.get("note") or "no_data",
        )  # fmt: skip
        if line["kind"] == "count":
            restricted["verdict"] = ""
        return restricted
    if len(rows) == 1:
        row = rows[0]
        restricted.update({k: row[k] for k in ("target", "actual", "verdict", "count", "of")})
        restricted.update(p50=row.get("p50"), p90=row.get("p90"), note="")
        if restricted["target"] is None:
            restricted["target"] = line["target"]
        return restricted
    count = sum(row["count"] or 0 for row in rows)
    restricted.update(count=count, p50=None, p90=None, note="")
    if line["kind"] == "count":
        restricted.update(actual=str(count), of=None, verdict="")
    elif line["kind"] == "percent":
        whole = sum(row["of"] or 0 for row in rows)
        actual = S.share(count, whole)
        restricted.update(of=whole, actual=None if actual is None else str(actual))
        restricted["verdict"] = S.verdict(actual, Decimal(line["target"]))
    else:  # hours: the p90 of several groups is not known from theirs
        whole = sum(row["of"] or 0 for row in rows)
        restricted.update(of=whole, actual=None, verdict=S.NO_DATA, note="combined")
    return restricted


def restrict(data: dict[str, Any], scope: Scope) -> dict[str, Any]:
    """``data`` as ``scope`` may see it (a new dict; ``data`` is left as it is)."""
    if scope.everything:
        return data
    rows = data.get("rows", [])
    if scope.marketing:
        kept = [
            row for row in rows
            if not (row["dimension"] == "person" and _side(data, row["term"]) == "sales")
        ]  # fmt: skip
        return {**data, "rows": kept}
    if scope.person is not None:
        mine = [row for row in rows if row["dimension"] == "person" and row["key"] == scope.person]
        lines = [
            _combined(line, [row for row in mine if row["term"] == line["term"]])
            for line in data["terms"]
        ]
        return {**data, "terms": lines, "rows": mine, "scope": "person"}
    if scope.teams:
        kept = [
            row for row in rows
            if (row["dimension"] == "team" and row["key"] in scope.teams)
            or (row["dimension"] == "person" and row["key"] in scope.people)
        ]  # fmt: skip
        lines = [
            _combined(
                line,
                [r for r in kept if r["term"] == line["term"] and r["dimension"] == "team"],
            )
            for line in data["terms"]
        ]
        return {**data, "terms": lines, "rows": kept, "scope": "teams"}
    return {**data, "terms": [], "rows": [], "scope": "none"}


def _side(data: dict[str, Any], term: str) -> str:
    for line in data.get("terms", []):
        if line["term"] == term:
            return line["side"]
    return ""
