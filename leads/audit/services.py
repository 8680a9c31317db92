"""Writing the audit trail: call :func:`audit_record` inside the service's transaction."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models
from django.utils import timezone

from leads.audit.models import AuditRecord
from leads.people.names import person_name

SYSTEM = "system"
# A value longer than this is cut in the trail (a note, a long condition list): the
# trail says what changed, it is not a backup.
MAX_VALUE_CHARS = 2000


def _plain(value: Any) -> Any:
    """A JSON-storable copy of a field's value (ids for objects, ISO text for times)."""
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, str):
        return value if len(value) <= MAX_VALUE_CHARS else value[:MAX_VALUE_CHARS] + "…"
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, Iterable):
        return [_plain(v) for v in value]
    return str(value)


def audit_snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    """The named fields of ``instance`` as JSON-storable values.

    A foreign key is its id; a many-to-many field the sorted list of ids (read it
    before and after the change, the relation is not copied)."""
    snapshot: dict[str, Any] = {}
    for name in fields:
        field = instance._meta.get_field(name)
        if field.many_to_many:
            snapshot[name] = sorted(getattr(instance, name).values_list("pk", flat=True))
        elif field.is_relation:
            snapshot[name] = getattr(instance, field.attname)
        else:
            snapshot[name] = _plain(getattr(instance, name))
    return snapshot


def audit_changes(
    before: Mapping[str, Any], after: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Only the keys whose value differs, from each side (a key missing counts as None)."""
    keys = [k for k in dict.fromkeys([*before, *after]) if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def audit_record(
    *,
    actor,
    action: str,
    target: models.Model | None = None,
    target_type: str = "",
    target_id: Any = "",
    target_label: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    detail: Mapping[str, Any] | None = None,
    changed_only: bool = True,
    at: datetime.datetime | None = None,
) -> AuditRecord:
    """Write one record. ``actor`` is a user or None (the system).

    With ``changed_only`` (the default) and both sides given, only the values that
    differ are kept."""
    if target is not None:
        target_type = target_type or target._meta.model_name
        target_id = target_id or target.pk
        target_label = target_label or str(target)
    before, after = _plain(dict(before or {})), _plain(dict(after or {}))
    if changed_only and before and after:
        before, after = audit_changes(before, after)
    return AuditRecord.objects.create(
        at=at or timezone.now(),
        actor=actor if actor is not None and actor.pk else None,
        actor_label=(person_name(actor) if actor is not None else SYSTEM)[:200],
        action=action,
        target_type=str(target_type)[:64],
        target_id=str(target_id if target_id is not None else "")[:64],
        target_label=str(target_label)[:200],
        before=before,
        after=after,
        detail=_plain(dict(detail or {})),
    )
