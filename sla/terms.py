"""The SLA's per-lead terms and their policies, as data (issue 12 §2): pure, no Django.

A terms version's ``definition``::

    {"terms": {"acceptance": {"target": 120, "unit": "working_minutes",
                              "warn_percent": 75, "escalate_every": 120}, ...},
     "policies": [{"name": "Hot leads", "match": {"quadrant": ["hot"]},
                   "calendar": null, "targets": {"first_touch": {"target": 60}}},
                  ...,
                  {"name": "Everyone else", "match": {}}]}

- ``terms``: every term's default target. ``unit`` is ``working_minutes``,
  ``working_days`` (a working day is the length of the calendar's Monday) or
  ``plain_minutes`` (24×7). ``warn_percent``: the warning goes out when that share of
  the target has elapsed (0: no warning); ``escalate_every``: after a breach, the
  clock escalates to the team's manager after that much more time and to a director
  after twice it, in the term's unit (0: no escalation).
- ``policies``: ordered, the first whose ``match`` fits the lead wins (Zendesk's and
  Jira Service Management's way of choosing goals). ``match`` keys: ``quadrant``,
  ``source_channel``, ``region`` (lists of values) and ``team`` (team ids); a key
  absent or empty matches anything. The last policy matches everything (a catch-all)
  and no other may. A policy may name a ``calendar`` (its id) and override any term's
  fields in ``targets``. Policies' names differ (a clock records its policy's name).

``validate`` checks the shape and the numbers; given the ids of the calendars and
teams that exist and the values a match key may hold (the quadrants, the source
channels), it checks those too. A target is a whole number above zero, at most a
year (527,040 minutes or 366 working days); so is an escalation interval (or 0).

Errors are ``(path, code)`` pairs; ``sla.wording`` says them in the reader's language.
"""

from __future__ import annotations

import copy
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

ACCEPTANCE = "acceptance"
FIRST_TOUCH = "first_touch"
RETURN_WINDOW = "return_window"
SQL_HANDOFF = "sql_handoff"
STATUS_UPDATE = "status_update"
RETURN_FIX = "return_fix"
DISPUTE_SETTLE = "dispute_settle"
TERMS = (
    ACCEPTANCE,
    FIRST_TOUCH,
    RETURN_WINDOW,
    SQL_HANDOFF,
    STATUS_UPDATE,
    RETURN_FIX,
    DISPUTE_SETTLE,
)
# Which side of the SLA each term binds.
SIDES = {
    ACCEPTANCE: "sales",
    FIRST_TOUCH: "sales",
    RETURN_WINDOW: "sales",
    SQL_HANDOFF: "sales",
    STATUS_UPDATE: "sales",
    RETURN_FIX: "marketing",
    DISPUTE_SETTLE: "director",
}
UNITS = ("working_minutes", "working_days", "plain_minutes")
MATCH_KEYS = ("quadrant", "source_channel", "region", "team")
# A target longer than this is a typo (a year of minutes).
MAX_TARGET_MINUTES = 366 * 24 * 60
MAX_TARGET_DAYS = 366
MAX_POLICIES = 100
MAX_MATCH_VALUES = 200

DEFAULT_TERMS: dict[str, dict[str, Any]] = {
    # product.md: accept (or return) an assigned MQL ≤ 2 working hours
    ACCEPTANCE: {
        "target": 120,
        "unit": "working_minutes",
        "warn_percent": 75,
        "escalate_every": 120,
    },
    # first follow-up ≤ 4 working hours (China example)
    FIRST_TOUCH: {
        "target": 240,
        "unit": "working_minutes",
        "warn_percent": 75,
        "escalate_every": 240,
    },
    # return an unfit lead within 48 h of assignment: an inverted window
    RETURN_WINDOW: {
        "target": 2880,
        "unit": "plain_minutes",
        "warn_percent": 0,
        "escalate_every": 0,
    },
    # an AE accepts or rejects an SQL ≤ 1 working day
    SQL_HANDOFF: {"target": 1, "unit": "working_days", "warn_percent": 75, "escalate_every": 1},
    # a status update on every open lead, weekly: every 5 working days
    STATUS_UPDATE: {"target": 5, "unit": "working_days", "warn_percent": 80, "escalate_every": 2},
    # marketing fixes a returned lead ≤ 3 working days, paused while disputed
    RETURN_FIX: {"target": 3, "unit": "working_days", "warn_percent": 67, "escalate_every": 1},
    # a director settles a disputed return ≤ 2 working days
    DISPUTE_SETTLE: {"target": 2, "unit": "working_days", "warn_percent": 50, "escalate_every": 1},
}


# The definitions of the period terms (issue 13) that a version fixes with its clocks:
# the lowest fit grade that matches the ICP, the key fields a complete lead has
# ("contact" is a phone or an email), and the minimum attempts before an SDR may give
# up on a lead (the gate the queue enforces).
GRADES = ("A", "B", "C")
COMPLETE_FIELDS = ("company", "title", "contact", "phone", "email")
DEFAULT_PERIOD: dict[str, Any] = {
    "icp_grade": "B",
    "complete_fields": ["company", "title", "contact"],
    "min_attempts": 6,
}


def period(definition: Mapping[str, Any] | None) -> dict[str, Any]:
    """The period terms' definitions of a version; product.md's defaults where it has
    none (versions published before issue 13)."""
    given = (definition or {}).get("period") or {}
    merged = copy.deepcopy(DEFAULT_PERIOD)
    if isinstance(given, Mapping):
        merged.update({k: copy.deepcopy(v) for k, v in given.items() if k in DEFAULT_PERIOD})
    return merged


def default_definition() -> dict[str, Any]:
    """product.md's defaults with one catch-all policy."""
    return {
        "terms": copy.deepcopy(DEFAULT_TERMS),
        "period": copy.deepcopy(DEFAULT_PERIOD),
        "policies": [{"name": "All leads", "match": {}, "calendar": None, "targets": {}}],
    }


@dataclass(frozen=True)
class Target:
    """A term's target as one policy gives it."""

    term: str
    target: int
    unit: str
    warn_percent: int
    escalate_every: int
    calendar: int | None
    policy: str
    policy_index: int

    @property
    def plain(self) -> bool:
        return self.unit == "plain_minutes"


class InvalidTerms(ValueError):
    def __init__(self, errors: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{path}: {code}" for path, code in errors))
        self.errors = errors


def _int(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if isinstance(value, float) and not value.is_integer():
        return None
    return int(value)


def limit_of(unit: Any) -> int:
    """The largest target (and escalation interval) in ``unit``."""
    return MAX_TARGET_DAYS if unit == "working_days" else MAX_TARGET_MINUTES


def _check_fields(path: str, fields: Any, errors: list, *, partial: bool) -> None:
    if not isinstance(fields, Mapping):
        errors.append((path, "not_an_object"))
        return
    for key in fields:
        if key not in ("target", "unit", "warn_percent", "escalate_every"):
            errors.append((f"{path}.{key}", "unknown_field"))
    unit = fields.get("unit")
    if unit is None and not partial:
        errors.append((f"{path}.unit", "missing"))
    elif unit is not None and unit not in UNITS:
        errors.append((f"{path}.unit", "unknown_unit"))
    target = fields.get("target")
    if target is None:
        if not partial:
            errors.append((f"{path}.target", "missing"))
    else:
        number = _int(target)
        limit = limit_of(unit)
        if number is None:
            errors.append((f"{path}.target", "not_a_whole_number"))
        elif number <= 0:
            errors.append((f"{path}.target", "not_positive"))
        elif number > limit:
            errors.append((f"{path}.target", "too_large"))
    for key, low, high in (("warn_percent", 0, 99), ("escalate_every", 0, limit_of(unit))):
        value = fields.get(key)
        if value is None:
            if not partial:
                errors.append((f"{path}.{key}", "missing"))
            continue
        number = _int(value)
        if number is None:
            errors.append((f"{path}.{key}", "not_a_whole_number"))
        elif not low <= number <= high:
            errors.append((f"{path}.{key}", "out_of_range"))


def _check_merged(
    path: str, fields: Any, terms: Any, term: str, errors: list[tuple[str, str]]
) -> None:
    """A policy's partial override against the term's default: a target or an
    escalation interval kept from the default may be too large in the policy's unit
    (2,880 plain minutes read as working days)."""
    if not isinstance(fields, Mapping) or not isinstance(terms, Mapping):
        return
    base = terms.get(term)
    if not isinstance(base, Mapping):
        return
    unit = fields.get("unit", base.get("unit"))
    if unit not in UNITS:
        return
    for key in ("target", "escalate_every"):
        number = _int(fields.get(key, base.get(key)))
        if number is None or number <= limit_of(unit):
            continue
        if key in fields:
            # with its own unit, or one as large as minutes, _check_fields said it
            if "unit" not in fields and limit_of(unit) < limit_of(None):
                errors.append((f"{path}.{key}", "too_large"))
        else:
            errors.append((f"{path}.unit", "default_too_large"))


def _check_period(given: Any, errors: list) -> None:
    """The period section: every key optional (product.md's default), none unknown."""
    if not isinstance(given, Mapping):
        errors.append(("period", "not_an_object"))
        return
    for key in given:
        if key not in DEFAULT_PERIOD:
            errors.append((f"period.{key}", "unknown_field"))
    if "icp_grade" in given and given["icp_grade"] not in GRADES:
        errors.append(("period.icp_grade", "unknown_grade"))
    if "complete_fields" in given:
        fields = given["complete_fields"]
        if (
            not isinstance(fields, list)
            or not fields
            or any(not isinstance(f, str) or f not in COMPLETE_FIELDS for f in fields)
            or len(set(fields)) != len(fields)
        ):
            errors.append(("period.complete_fields", "bad_fields"))
    if "min_attempts" in given:
        attempts = _int(given["min_attempts"])
        if attempts is None or not 0 <= attempts <= 100:
            errors.append(("period.min_attempts", "attempts_range"))


def _is_catch_all(policy: Mapping[str, Any]) -> bool:
    match = policy.get("match") or {}
    return not any(match.get(key) for key in MATCH_KEYS)


def validate(
    definition: Any,
    *,
    calendar_ids: frozenset[int] | None = None,
    team_ids: frozenset[int] | None = None,
    match_values: Mapping[str, Collection[str]] | None = None,
) -> list[tuple[str, str]]:
    """Every problem of a definition, as ``(path, code)``; empty when it is sound.

    ``calendar_ids`` and ``team_ids``: the ids that exist (None: not checked);
    ``match_values``: the values a ``match`` key may hold (e.g. the quadrants), per key
    (a key not given: any text)."""
    errors: list[tuple[str, str]] = []
    if not isinstance(definition, Mapping):
        return [("definition", "not_an_object")]
    for key in definition:
        if key not in ("terms", "policies", "period"):
            errors.append((key, "unknown_field"))
    if "period" in definition:
        _check_period(definition["period"], errors)
    terms = definition.get("terms")
    if not isinstance(terms, Mapping):
        errors.append(("terms", "not_an_object"))
    else:
        for name in terms:
            if name not in TERMS:
                errors.append((f"terms.{name}", "unknown_term"))
        for name in TERMS:
            if name not in terms:
                errors.append((f"terms.{name}", "missing"))
            else:
                _check_fields(f"terms.{name}", terms[name], errors, partial=False)
    policies = definition.get("policies")
    if not isinstance(policies, list) or not policies:
        errors.append(("policies", "no_policies"))
        return errors
    if len(policies) > MAX_POLICIES:
        errors.append(("policies", "too_many"))
        return errors
    names: set[str] = set()  # a clock records its policy by name: one name, one policy
    for index, policy in enumerate(policies):
        path = f"policies[{index}]"
        if not isinstance(policy, Mapping):
            errors.append((path, "not_an_object"))
            continue
        for key in policy:
            if key not in ("name", "match", "calendar", "targets"):
                errors.append((f"{path}.{key}", "unknown_field"))
        name = policy.get("name")
        if not isinstance(name, str) or not name.strip() or len(name) > 100:
            errors.append((f"{path}.name", "bad_name"))
        elif name.strip().casefold() in names:
            errors.append((f"{path}.name", "duplicate_name"))
        else:
            names.add(name.strip().casefold())
        match = policy.get("match", {})
        if not isinstance(match, Mapping):
            errors.append((f"{path}.match", "not_an_object"))
        else:
            for key, values in match.items():
                if key not in MATCH_KEYS:
                    errors.append((f"{path}.match.{key}", "unknown_field"))
                elif not isinstance(values, list) or len(values) > MAX_MATCH_VALUES:
                    errors.append((f"{path}.match.{key}", "not_a_list"))
                elif key == "team" and any(_int(v) is None for v in values):
                    errors.append((f"{path}.match.{key}", "not_a_whole_number"))
                elif key != "team" and any(
                    not isinstance(v, str) or not v or len(v) > 100 for v in values
                ):
                    errors.append((f"{path}.match.{key}", "bad_value"))
                elif key == "team" and team_ids is not None:
                    errors.extend(
                        (f"{path}.match.team[{i}]", "unknown_team")
                        for i, v in enumerate(values)
                        if _int(v) not in team_ids
                    )
                elif match_values is not None and key in match_values:
                    errors.extend(
                        (f"{path}.match.{key}[{i}]", "unknown_value")
                        for i, v in enumerate(values)
                        if v not in match_values[key]
                    )
        calendar = policy.get("calendar")
        if calendar is not None:
            number = _int(calendar)
            if number is None or (calendar_ids is not None and number not in calendar_ids):
                errors.append((f"{path}.calendar", "unknown_calendar"))
        targets = policy.get("targets", {})
        if not isinstance(targets, Mapping):
            errors.append((f"{path}.targets", "not_an_object"))
        else:
            for term, fields in targets.items():
                if term not in TERMS:
                    errors.append((f"{path}.targets.{term}", "unknown_term"))
                else:
                    _check_fields(f"{path}.targets.{term}", fields, errors, partial=True)
                    _check_merged(f"{path}.targets.{term}", fields, terms, term, errors)
        if isinstance(policy, Mapping) and _is_catch_all(policy) and index != len(policies) - 1:
            errors.append((path, "catch_all_not_last"))
    last = policies[-1]
    if isinstance(last, Mapping) and not _is_catch_all(last):
        errors.append((f"policies[{len(policies) - 1}]", "no_catch_all"))
    return errors


def check(definition: Any, *, calendar_ids: frozenset[int] | None = None) -> dict[str, Any]:
    """The definition, or :class:`InvalidTerms` with every problem."""
    errors = validate(definition, calendar_ids=calendar_ids)
    if errors:
        raise InvalidTerms(errors)
    return dict(definition)


def _matches(match: Mapping[str, Any], lead: Mapping[str, Any]) -> bool:
    for key in MATCH_KEYS:
        wanted = match.get(key)
        if not wanted:
            continue
        value = lead.get(key)
        if key == "team":
            if value is None or int(value) not in {int(v) for v in wanted}:
                return False
        elif value not in wanted:
            return False
    return True


def policy_index(definition: Mapping[str, Any], name: str) -> int:
    """The index of the policy named ``name`` (a clock records its policy by name); the
    catch-all when none is."""
    names = [policy.get("name") for policy in definition["policies"]]
    return names.index(name) if name in names else len(names) - 1


def choose_policy(definition: Mapping[str, Any], lead: Mapping[str, Any]) -> int:
    """The index of the first policy whose ``match`` fits ``lead`` (a mapping with the
    ``MATCH_KEYS``); the catch-all when none does."""
    policies = definition["policies"]
    for index, policy in enumerate(policies):
        if _matches(policy.get("match") or {}, lead):
            return index
    return len(policies) - 1


def target(definition: Mapping[str, Any], policy_index: int, term: str) -> Target:
    """``term``'s target under the policy at ``policy_index``."""
    policy = definition["policies"][policy_index]
    fields = {**definition["terms"][term], **(policy.get("targets") or {}).get(term, {})}
    return Target(
        term=term,
        target=int(fields["target"]),
        unit=fields["unit"],
        warn_percent=int(fields.get("warn_percent", 0)),
        escalate_every=int(fields.get("escalate_every", 0)),
        calendar=policy.get("calendar"),
        policy=policy.get("name", ""),
        policy_index=policy_index,
    )
