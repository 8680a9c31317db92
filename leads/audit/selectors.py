"""Reading the audit trail."""

from __future__ import annotations

from django.db.models import QuerySet

from leads.audit.models import AuditRecord
from leads.audit.words import action_label


def audit_records(
    *,
    target=None,
    target_type: str | None = None,
    target_id=None,
    actor=None,
    action: str | None = None,
    action_prefix: str | None = None,
) -> QuerySet[AuditRecord]:
    """Records, newest first, narrowed by whichever arguments are given."""
    records = AuditRecord.objects.select_related("actor")
    if target is not None:
        target_type, target_id = target._meta.model_name, target.pk
    if target_type:
        records = records.filter(target_type=target_type)
    if target_id not in (None, ""):
        records = records.filter(target_id=str(target_id))
    if actor is not None:
        records = records.filter(actor=actor)
    if action:
        records = records.filter(action=action)
    if action_prefix:
        records = records.filter(action__startswith=action_prefix)
    return records.order_by("-at", "-id")


def with_words(records) -> list[AuditRecord]:
    """The records as a list, each with ``action_words`` in the active language."""
    rows = list(records)
    for record in rows:
        record.action_words = action_label(record.action)
    return rows
