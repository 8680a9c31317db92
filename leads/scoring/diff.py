"""What changed between two scoring model versions, rule by rule: a pure function,
no database, no Django.

``diff_models(old, new)`` returns a list of ``Change`` rows in a fixed order:
the label, the fit rules, the grade thresholds, the interest rules, then the MQL
threshold. Each row says which section, which kind (``added`` / ``removed`` /
``changed``), what it is about (``key``), the old and new values, and for a
changed rule which of its attributes changed.

Matching fit rules (the documented choice)
    Fit rules have no id, so the diff pairs them in three passes, each pass only
    looking at the rules the earlier ones left unpaired, and each pairing in the
    order the rules appear:

    1. identical rules (field, operator, value, points, must, group): unchanged,
       not reported;
    2. the same *criterion* — field, operator and value — with other points, must
       or group: ``changed``;
    3. the same field (e.g. ``seniority eq director`` edited to ``seniority eq
       head``): ``changed``, paired by position among that field's rules.

    What is left is ``removed`` (old) or ``added`` (new). Rules on different
    fields are never paired: editing a row's field reads as one rule removed and
    one added, which is what it means for the score. Values compare as the engine
    compares them: numbers by value (``50 == 50.0``), texts ignoring case and
    surrounding spaces, ``in`` / ``not_in`` lists as sets; for list values the
    change also lists the items added and removed. The ORDER of rules is not a
    change (it never changes a score).

Interest rules are matched by activity type (a valid model has one per type).
Grade thresholds by grade letter, the MQL threshold attribute by attribute (a
model without one reads as all attributes ``None``).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from leads.scoring.engine import FitRule, InterestRule, MqlThreshold, ScoringModel

SECTIONS = ("label", "fit", "grades", "interest", "threshold")
FIT_ATTRS = ("field", "operator", "value", "points", "must", "group")
INTEREST_ATTRS = ("points", "cap", "half_life_days", "window_days")
THRESHOLD_ATTRS = ("mode", "min_grade", "min_interest", "min_total")
LIST_OPERATORS = ("in", "not_in")


@dataclass(frozen=True)
class Change:
    """One difference. ``old`` / ``new``: the rule's dict (fit, interest) or the
    value (label, grades, threshold); ``None`` on the side where it is absent.
    ``old_index`` / ``new_index``: the rule's position in its section."""

    section: str
    kind: str  # added / removed / changed
    key: str  # fit: the field; interest: the activity type; grades: A/B/C; threshold: attribute
    old: Any = None
    new: Any = None
    old_index: int | None = None
    new_index: int | None = None
    fields: tuple[str, ...] = ()  # the attributes that changed (changed rules)
    items_added: tuple[Any, ...] = ()  # list values: items only in new
    items_removed: tuple[Any, ...] = ()  # list values: items only in old

    def to_dict(self) -> dict[str, Any]:
        return {
            "section": self.section,
            "kind": self.kind,
            "key": self.key,
            "old": self.old,
            "new": self.new,
            "old_index": self.old_index,
            "new_index": self.new_index,
            "fields": list(self.fields),
            "items_added": list(self.items_added),
            "items_removed": list(self.items_removed),
        }


# ---------------------------------------------------------------- comparisons


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(float(value))
    )


def _norm_scalar(value: Any) -> Any:
    if _is_number(value):
        return ("n", float(value))
    if isinstance(value, str):
        return ("s", value.strip().casefold())
    return ("o", repr(value))


def _norm_value(operator: str, value: Any) -> Any:
    """A hashable form of a rule value that is equal when the engine treats two
    values the same."""
    if isinstance(value, list | tuple):
        items = tuple(_norm_scalar(v) for v in value)
        return ("set", frozenset(items)) if operator in LIST_OPERATORS else ("seq", items)
    return _norm_scalar(value)


def _same(a: Any, b: Any) -> bool:
    if _is_number(a) and _is_number(b):
        return float(a) == float(b)
    return a == b


def _criterion(rule: FitRule) -> tuple[str, str, Any]:
    return (rule.field, rule.operator, _norm_value(rule.operator, rule.value))


def _identity(rule: FitRule) -> tuple[Any, ...]:
    return (*_criterion(rule), _norm_scalar(rule.points), bool(rule.must), rule.group or "")


def _plain(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value


# ------------------------------------------------------------------ fit rules


def _pair(
    old: Sequence[FitRule],
    new: Sequence[FitRule],
    old_free: list[int],
    new_free: list[int],
    key,
) -> list[tuple[int, int]]:
    """Pair the free rules whose ``key`` is equal, in order; removes them from the
    free lists."""
    pairs = []
    waiting: dict[Any, list[int]] = {}
    for i in old_free:
        waiting.setdefault(key(old[i]), []).append(i)
    still_new = []
    for j in new_free:
        candidates = waiting.get(key(new[j]))
        if candidates:
            pairs.append((candidates.pop(0), j))
        else:
            still_new.append(j)
    paired_old = {i for i, _ in pairs}
    old_free[:] = [i for i in old_free if i not in paired_old]
    new_free[:] = still_new
    return pairs


def _fit_changes(old: Sequence[FitRule], new: Sequence[FitRule]) -> list[Change]:
    old_free = list(range(len(old)))
    new_free = list(range(len(new)))
    _pair(old, new, old_free, new_free, _identity)  # unchanged
    pairs = _pair(old, new, old_free, new_free, _criterion)
    pairs += _pair(old, new, old_free, new_free, lambda r: r.field)

    changes: list[tuple[tuple[int, int], Change]] = []
    for i, j in pairs:
        a, b = old[i], new[j]
        changed = []
        if a.operator != b.operator:
            changed.append("operator")
        if _norm_value(a.operator, a.value) != _norm_value(b.operator, b.value):
            changed.append("value")
        if not _same(a.points, b.points):
            changed.append("points")
        if bool(a.must) != bool(b.must):
            changed.append("must")
        if (a.group or "") != (b.group or ""):
            changed.append("group")
        added: tuple[Any, ...] = ()
        removed: tuple[Any, ...] = ()
        if (
            "value" in changed
            and a.operator in LIST_OPERATORS
            and b.operator in LIST_OPERATORS
            and isinstance(a.value, list | tuple)
            and isinstance(b.value, list | tuple)
        ):
            old_items = {_norm_scalar(v) for v in a.value}
            new_items = {_norm_scalar(v) for v in b.value}
            added = tuple(v for v in b.value if _norm_scalar(v) not in old_items)
            removed = tuple(v for v in a.value if _norm_scalar(v) not in new_items)
        changes.append(
            (
                (j, 1),
                Change(
                    "fit",
                    "changed",
                    b.field,
                    a.to_dict(),
                    b.to_dict(),
                    i,
                    j,
                    tuple(changed),
                    added,
                    removed,
                ),
            )
        )
    for i in old_free:
        # a removed rule sits where it was, before a rule now at that position
        changes.append(
            ((i, 0), Change("fit", "removed", old[i].field, old[i].to_dict(), None, i, None))
        )
    for j in new_free:
        changes.append(
            ((j, 1), Change("fit", "added", new[j].field, None, new[j].to_dict(), None, j))
        )
    changes.sort(key=lambda item: item[0])
    return [change for _, change in changes]


# ------------------------------------------------------------- interest rules


def _by_type(rules: Iterable[InterestRule]) -> dict[str, list[tuple[int, InterestRule]]]:
    grouped: dict[str, list[tuple[int, InterestRule]]] = {}
    for index, rule in enumerate(rules):
        grouped.setdefault(rule.activity_type, []).append((index, rule))
    return grouped


def _interest_changes(old: Sequence[InterestRule], new: Sequence[InterestRule]) -> list[Change]:
    old_by, new_by = _by_type(old), _by_type(new)
    order = list(new_by) + [kind for kind in old_by if kind not in new_by]
    changes = []
    for kind in order:
        olds, news = old_by.get(kind, []), new_by.get(kind, [])
        for (i, a), (j, b) in zip(olds, news, strict=False):
            changed = tuple(
                attr for attr in INTEREST_ATTRS if not _same(getattr(a, attr), getattr(b, attr))
            )
            if changed:
                changes.append(
                    Change("interest", "changed", kind, a.to_dict(), b.to_dict(), i, j, changed)
                )
        for i, a in olds[len(news) :]:
            changes.append(Change("interest", "removed", kind, a.to_dict(), None, i, None))
        for j, b in news[len(olds) :]:
            changes.append(Change("interest", "added", kind, None, b.to_dict(), None, j))
    return changes


# ------------------------------------------------------------ grades, threshold


def _value_changes(section: str, keys: Sequence[str], old: Mapping, new: Mapping) -> list[Change]:
    changes = []
    for key in keys:
        a, b = old.get(key), new.get(key)
        if _same(a, b):
            continue
        if a is None:
            kind = "added"
        elif b is None:
            kind = "removed"
        else:
            kind = "changed"
        changes.append(Change(section, kind, key, _plain(a), _plain(b)))
    return changes


def _threshold_dict(threshold: MqlThreshold | None) -> dict[str, Any]:
    if threshold is None:
        return dict.fromkeys(THRESHOLD_ATTRS)
    return threshold.to_dict()


def diff_models(old: ScoringModel, new: ScoringModel) -> list[Change]:
    """Every difference from ``old`` to ``new``; an empty list when they score alike
    (see the module docs for how rules are matched)."""
    changes: list[Change] = []
    if (old.label or "") != (new.label or ""):
        changes.append(Change("label", "changed", "label", old.label, new.label))
    changes += _fit_changes(old.fit_rules, new.fit_rules)
    grades = ["A", "B", "C"]
    grades += sorted(
        str(k) for k in {*old.grade_thresholds, *new.grade_thresholds} if k not in grades
    )
    changes += _value_changes("grades", grades, old.grade_thresholds, new.grade_thresholds)
    changes += _interest_changes(old.interest_rules, new.interest_rules)
    changes += _value_changes(
        "threshold",
        THRESHOLD_ATTRS,
        _threshold_dict(old.threshold),
        _threshold_dict(new.threshold),
    )
    return changes
