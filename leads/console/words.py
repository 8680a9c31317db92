"""The audit records' values in words (issue 11 §2: every value a person reads is in
their language): field names become labels, ids become names, codes become their
choices' labels. Only the copies shown are changed; the stored records stay as written."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from leads import vocabulary
from leads.models import DomainListEntry, RoutingRule, ScoreQuadrant, SourceChannel, Stage
from leads.people import roles
from leads.people.models import Team
from leads.people.names import person_name
from leads.queue.distribution import REASON_LABELS
from leads.queue.forms import CRITERION_LABELS

KEY_LABELS = {
    "username": gettext_lazy("Username"),
    "first_name": gettext_lazy("First name"),
    "last_name": gettext_lazy("Last name"),
    "email": gettext_lazy("Email"),
    "is_active": gettext_lazy("Active"),
    "roles": gettext_lazy("Roles"),
    "teams": gettext_lazy("Teams"),
    "weight": gettext_lazy("Round-robin weight"),
    "daily_cap": gettext_lazy("Daily cap"),
    "name": pgettext_lazy("object", "Name"),
    "kind": gettext_lazy("Kind"),
    "manager": gettext_lazy("Manager"),
    "mode": gettext_lazy("Distribution"),
    "framework": gettext_lazy("Qualification framework"),
    "required_criteria": gettext_lazy("Required before converting to SQL"),
    "members": gettext_lazy("Members"),
    "order": gettext_lazy("Order"),
    "active": gettext_lazy("Active"),
    "applies_to": gettext_lazy("Applies to"),
    "conditions": gettext_lazy("Conditions"),
    "team": gettext_lazy("Team"),
    "user": gettext_lazy("Person"),
    "owner": gettext_lazy("Owner"),
    "stage": gettext_lazy("Stage"),
    "domain": gettext_lazy("Domain"),
    "rules": gettext_lazy("Rules in order"),
    "rerouted": gettext_lazy("Leads routed again"),
    "to_manager": gettext_lazy("Leads handed to the manager"),
    "reason": gettext_lazy("Reason"),
    "rule": gettext_lazy("Rule"),
}
CONDITION_LABELS = {
    "region": gettext_lazy("Region"),
    "country": gettext_lazy("Country"),
    "industry": gettext_lazy("Industry"),
    "source_channel": gettext_lazy("Source channel"),
    "quadrant": gettext_lazy("Score quadrant"),
    "language": gettext_lazy("Language"),
    "min_employees": gettext_lazy("Employees at least"),
    "max_employees": gettext_lazy("Employees at most"),
}
_CONDITION_VALUE_WORDS = {
    "region": vocabulary.region_label,
    "country": vocabulary.country_label,
    "industry": vocabulary.industry_label,
    "language": vocabulary.language_label,
    "source_channel": lambda v: str(dict(SourceChannel.choices).get(v, v)),
    "quadrant": lambda v: str(dict(ScoreQuadrant.choices).get(v, v)),
}


def condition_words(key: str, value: Any) -> str:
    """A routing condition's value in the reader's words ("语言：简体中文", not "zh-hans")."""
    words = _CONDITION_VALUE_WORDS.get(key)
    if isinstance(value, list):
        return _joined(words(v) if words else v for v in value)
    return words(value) if words else str(value)


def conditions_shown(conditions: dict | None) -> list[tuple[str, str]]:
    """``(label, values in words)`` for each condition of a rule."""
    return [
        (str(CONDITION_LABELS.get(key, key)), condition_words(key, value))
        for key, value in (conditions or {}).items()
    ]


CHOICES = {
    "kind": {**dict(Team.Kind.choices), **dict(DomainListEntry.Kind.choices)},
    "mode": dict(Team.Mode.choices),
    "framework": dict(Team.Framework.choices),
    "applies_to": dict(RoutingRule.AppliesTo.choices),
    "stage": dict(Stage.choices),
    "reason": REASON_LABELS,
}
USER_KEYS = ("manager", "user", "owner", "members")
TEAM_KEYS = ("team",)


def _ids(records, keys) -> set[int]:
    found: set[int] = set()
    for record in records:
        for side in (record.before, record.after, record.detail):
            for key in keys:
                value = side.get(key) if isinstance(side, dict) else None
                values = value if isinstance(value, list) else [value]
                found.update(v for v in values if isinstance(v, int) and not isinstance(v, bool))
    return found


def _joined(values) -> str:
    values = [str(v) for v in values]
    return ", ".join(values) if values else "—"


def _value(key: str, value: Any, names: dict[str, dict[int, str]]) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if key in USER_KEYS or key in TEAM_KEYS or key == "rules":
        table = names["user" if key in USER_KEYS else "team" if key in TEAM_KEYS else "rule"]
        if isinstance(value, list):
            return _joined(table.get(v, f"#{v}") for v in value)
        return table.get(value, f"#{value}")
    if key == "roles" and isinstance(value, list):
        return _joined(roles.ROLES.get(v, v) for v in value)
    if key == "required_criteria" and isinstance(value, list):
        return _joined(CRITERION_LABELS.get(v, v) for v in value)
    if key == "conditions" and isinstance(value, dict):
        parts = [f"{CONDITION_LABELS.get(k, k)}: {condition_words(k, v)}" for k, v in value.items()]
        return "; ".join(parts) if parts else _("every lead")
    if key == "rule" and isinstance(value, dict):
        return value.get("name") or "—"
    if key in CHOICES and isinstance(value, str):
        return CHOICES[key].get(value, value)
    if isinstance(value, list):
        return _joined(value)
    return value


def records_in_words(records: list) -> list:
    """``records`` (with ``action_words``) with before, after and detail rewritten for
    reading. Three queries at most, whatever the number of records."""
    User = get_user_model()
    names: dict[str, dict[int, str]] = {"user": {}, "team": {}, "rule": {}}
    user_ids, team_ids = _ids(records, USER_KEYS), _ids(records, TEAM_KEYS)
    rule_ids = _ids(records, ("rules",))
    if user_ids:
        names["user"] = {u.pk: person_name(u) for u in User.objects.filter(pk__in=user_ids)}
    if team_ids:
        names["team"] = dict(Team.objects.filter(pk__in=team_ids).values_list("pk", "name"))
    if rule_ids:
        names["rule"] = dict(RoutingRule.objects.filter(pk__in=rule_ids).values_list("pk", "name"))
    for record in records:
        for side in ("before", "after", "detail"):
            stored = getattr(record, side)
            if not isinstance(stored, dict):
                continue
            setattr(
                record,
                side,
                {str(KEY_LABELS.get(k, k)): _value(k, v, names) for k, v in stored.items()},
            )
    return records
