"""Versions of the SLA's terms and policies (``sla.models.TermSet``): draft →
published → retired, like scoring models.

- A draft is edited (its name, its definition) until it is published; a published or
  retired version never changes again (``TermsNotEditable``, the API's 409). To change
  the terms in force, make a draft (a copy of the published one by default), edit it,
  publish it.
- Publishing retires the version in force in the same transaction, at the same
  instant: ``terms_in_force(at)`` names exactly one version for any instant after the
  first publication. A retired version is not published again (that would rewrite
  when it was in force); copy it into a new draft instead.
- Every definition saved is valid (``sla.terms.validate`` with the calendars and teams
  that exist, the quadrants and source channels): otherwise ``InvalidTerms`` with every
  ``(path, code)`` and nothing saved. Publishing checks again (a calendar may have gone).
- Admins and directors change the terms (``TERMS_CHANGE_ROLES``); every signed-in role
  reads them. Each change leaves an audit record in its transaction (``leads.audit``).
"""

from __future__ import annotations

import copy
from datetime import datetime
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, Max, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leads.audit.services import audit_record
from leads.audit.words import register_actions
from leads.people import roles
from leads.people.models import Team
from sla import terms as sla_terms
from sla.models import BusinessCalendar, TermSet
from sla.terms import InvalidTerms
from sla.wording import MATCH_VALUES

Status = TermSet.Status

TERMS_READ_ROLES = tuple(roles.ROLES)
TERMS_CHANGE_ROLES = (roles.ADMIN, roles.DIRECTOR)
DEFAULT_NAME = "Default terms"
NAME_MAX = 200

register_actions(
    {
        "sla_terms.create": gettext_lazy("SLA terms draft created"),
        "sla_terms.update": gettext_lazy("SLA terms draft changed"),
        "sla_terms.publish": gettext_lazy("SLA terms published"),
        "sla_terms.retire": gettext_lazy("SLA terms retired"),
    }
)


class TermsError(Exception):
    def __init__(self, message: str, *, version: TermSet | None = None):
        super().__init__(message)
        self.message = message
        self.version = version


class TermsForbidden(TermsError):
    """The person may not change the terms (403)."""


class TermsNotEditable(TermsError):
    """A published or retired version: it never changes (409)."""


def can_change_terms(user) -> bool:
    return roles.has_role(user, *TERMS_CHANGE_ROLES)


def can_read_terms(user) -> bool:
    return roles.has_role(user, *TERMS_READ_ROLES)


def _require_editor(by) -> None:
    if by is not None and not can_change_terms(by):
        raise TermsForbidden(_("Only admins and directors change the SLA terms."))


def frozen_error(version: TermSet) -> TermsNotEditable:
    return TermsNotEditable(
        _(
            "Version %(number)s is %(status)s and never changes: "
            "make a new draft from it and edit that."
        )
        % {"number": version.number, "status": version.get_status_display().lower()},
        version=version,
    )


def definition_errors(definition: Any) -> list[tuple[str, str]]:
    """``sla.terms.validate`` against what exists: calendars, teams, quadrants and
    source channels."""
    return sla_terms.validate(
        definition,
        calendar_ids=frozenset(BusinessCalendar.objects.values_list("pk", flat=True)),
        team_ids=frozenset(Team.objects.values_list("pk", flat=True)),
        match_values=MATCH_VALUES,
    )


def _check(definition: Any, *, name: str | None = None) -> None:
    errors = []
    if name is not None and len(name) > NAME_MAX:
        errors.append(("name", "too_long"))
    errors += definition_errors(definition)
    if errors:
        raise InvalidTerms(errors)


def _whole_numbers(value: Any) -> Any:
    """A valid definition as stored: a whole number written ``6.0`` (accepted) is kept
    as ``6``, as the API's schema describes it."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _whole_numbers(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_whole_numbers(item) for item in value]
    return value


def _changed_parts(before: Any, after: Any) -> list[str]:
    """The terms, period definitions and policies that differ, as paths (the audit
    keeps these, not the whole definition)."""
    before = before if isinstance(before, dict) else {}
    after = after if isinstance(after, dict) else {}
    changed = []
    old_terms, new_terms = before.get("terms") or {}, after.get("terms") or {}
    for name in dict.fromkeys([*old_terms, *new_terms]):
        if old_terms.get(name) != new_terms.get(name):
            changed.append(f"terms.{name}")
    old_period, new_period = before.get("period"), after.get("period")
    if old_period != new_period:
        if isinstance(old_period, dict) and isinstance(new_period, dict):
            for key in dict.fromkeys([*sla_terms.DEFAULT_PERIOD, *old_period, *new_period]):
                if old_period.get(key) != new_period.get(key):
                    changed.append(f"period.{key}")
        else:
            changed.append("period")
    old_policies, new_policies = before.get("policies") or [], after.get("policies") or []
    for index in range(max(len(old_policies), len(new_policies))):
        old = old_policies[index] if index < len(old_policies) else None
        new = new_policies[index] if index < len(new_policies) else None
        if old != new:
            changed.append(f"policies[{index}]")
    return changed


def _next_number() -> int:
    return (TermSet.objects.aggregate(m=Max("number"))["m"] or 0) + 1


def _create(**fields) -> TermSet:
    """A new version with the next number (two at once: the second tries again)."""
    for attempt in range(5):
        try:
            with transaction.atomic():
                return TermSet.objects.create(number=_next_number(), **fields)
        except IntegrityError:
            if attempt == 4:
                raise
    raise AssertionError("unreachable")


# ------------------------------------------------------------------ reading


def published_terms() -> TermSet:
    """The version in force. Made again from the defaults when none is (a test's flush
    removed the migration's version 1)."""
    found = TermSet.objects.filter(status=Status.PUBLISHED).first()
    if found is not None:
        return found
    try:
        with transaction.atomic():
            return _create(
                name=DEFAULT_NAME,
                status=Status.PUBLISHED,
                definition=sla_terms.default_definition(),
                published_at=timezone.now(),
            )
    except IntegrityError:  # another process made it first
        return TermSet.objects.get(status=Status.PUBLISHED)


def terms_in_force(at: datetime) -> TermSet | None:
    """The version published at the instant ``at`` (published at or before it, not
    retired by then); the one published now when ``at`` is before every publication."""
    if timezone.is_naive(at):
        raise ValueError("terms_in_force needs an aware datetime")
    # one query: the version in force then, else the one published now
    in_force = Q(published_at__lte=at) & (Q(retired_at__isnull=True) | Q(retired_at__gt=at))
    found = (
        TermSet.objects.exclude(status=Status.DRAFT)
        .filter(in_force | Q(status=Status.PUBLISHED))
        .annotate(later=Case(When(in_force, then=Value(0)), default=Value(1)))
        .order_by("later", "-published_at", "-number")
        .first()
    )
    return found if found is not None else published_terms()


# ------------------------------------------------------------------ writing


def create_draft(
    by,
    from_version: TermSet | int | None = None,
    *,
    name: str | None = None,
    definition: Any = None,
) -> TermSet:
    """A new draft: ``definition`` when given, else a copy of ``from_version`` (a
    version or its id), else of the published one. ``InvalidTerms`` (nothing saved)
    when the definition is not valid today."""
    _require_editor(by)
    source = None
    if definition is None:
        if from_version is None:
            source = published_terms()
        elif isinstance(from_version, TermSet):
            source = from_version
        else:
            source = TermSet.objects.get(pk=from_version)
        definition = copy.deepcopy(source.definition)
    if name is None:
        name = source.name if source is not None else ""
    name = name.strip()
    _check(definition, name=name)
    definition = _whole_numbers(definition)
    with transaction.atomic():
        draft = _create(
            name=name,
            status=Status.DRAFT,
            definition=definition,
            created_by=by if by is not None and by.pk else None,
        )
        audit_record(
            actor=by,
            action="sla_terms.create",
            target=draft,
            after={"name": draft.name, "status": draft.status},
            detail={"from_version": source.number} if source is not None else {},
        )
    return draft


def update_draft(draft: TermSet, *, by, name: str | None = None, definition: Any = None) -> TermSet:
    """Change a draft's name and/or definition. ``TermsNotEditable`` for a published or
    retired version; ``InvalidTerms`` (nothing saved) for an invalid definition."""
    _require_editor(by)
    with transaction.atomic():
        locked = TermSet.objects.select_for_update().get(pk=draft.pk)
        if locked.status != Status.DRAFT:
            raise frozen_error(locked)
        new_name = locked.name if name is None else name.strip()
        new_definition = locked.definition if definition is None else definition
        _check(new_definition, name=new_name)
        new_definition = _whole_numbers(new_definition)
        changed = _changed_parts(locked.definition, new_definition)
        if new_name == locked.name and not changed:
            draft.refresh_from_db()
            return draft
        before_name = locked.name
        locked.name = new_name
        locked.definition = new_definition
        locked.save(update_fields=["name", "definition", "updated_at"])
        audit_record(
            actor=by,
            action="sla_terms.update",
            target=locked,
            before={"name": before_name},
            after={"name": new_name},
            detail={"changed": changed},
        )
    draft.refresh_from_db()
    return draft


def publish(draft: TermSet, *, by) -> TermSet:
    """Publish a draft: the version in force is retired at the same instant, in the
    same transaction; clocks that start from now on use the new one, and
    ``sla.clocks.sync.on_terms_published`` is told (inside the transaction).
    ``TermsNotEditable`` for a version that is not a draft; ``InvalidTerms`` when its
    definition is no longer valid (a calendar or team removed since)."""
    from sla.clocks.sync import on_terms_published  # clocks read this module

    _require_editor(by)
    now = timezone.now()
    with transaction.atomic():
        # Every version, locked in one statement in id order: two publishers queue
        # here, and the second sees the first's version as published (a filter on
        # status would miss a row published while it waited).
        rows = list(TermSet.objects.select_for_update().order_by("pk"))
        locked = next((row for row in rows if row.pk == draft.pk), None)
        if locked is None:
            raise TermSet.DoesNotExist
        if locked.status != Status.DRAFT:
            raise frozen_error(locked)
        _check(locked.definition)
        retired = []
        for old in rows:
            if old.status != Status.PUBLISHED:
                continue
            retired.append(old.number)
            old.status = Status.RETIRED
            old.retired_at = now
            old.save(update_fields=["status", "retired_at", "updated_at"])
            audit_record(
                actor=by,
                action="sla_terms.retire",
                target=old,
                before={"status": Status.PUBLISHED},
                after={"status": Status.RETIRED},
                detail={"replaced_by": locked.number},
            )
        locked.status = Status.PUBLISHED
        locked.published_at = now
        locked.save(update_fields=["status", "published_at", "updated_at"])
        audit_record(
            actor=by,
            action="sla_terms.publish",
            target=locked,
            before={"status": Status.DRAFT},
            after={"status": Status.PUBLISHED},
            detail={"retired": retired},
        )
        on_terms_published(locked.pk)
    draft.refresh_from_db()
    return draft
