"""Activity intake: ``activities_ingest`` records behavioural events (a demo request,
a webinar, a WeChat article read …) pushed by marketing automation.

Lead intake is ``leads.intake.services``; the app's other writes live with what they
change (``leads.queue.work``, ``leads.queue.routing``, ``leads.pipeline.services``,
``leads.scoring.services``…).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from leads import hooks, storable
from leads.intake.services import (
    UNSTORABLE_TEXT,
    InvalidValue,
    RowError,
    advisory_xact_lock,
    choice_cleaner,
    clean_datetime,
    clean_email,
    identifier_cleaner,
)
from leads.models import Activity, ActivityType, Lead

ACTIVITY_FIELDS = (
    "type",
    "occurred_at",
    "properties",
    "source",
    "external_id",
    "lead",
    "lead_external_id",
    "lead_source_system",
    "lead_email",
)

_clean_type = choice_cleaner(ActivityType.values)
_clean_source = identifier_cleaner(Activity._meta.get_field("source").max_length)
_clean_external_id = identifier_cleaner(Activity._meta.get_field("external_id").max_length)
_clean_lead_external_id = identifier_cleaner(Lead._meta.get_field("external_id").max_length)
_clean_lead_source = identifier_cleaner(Lead._meta.get_field("source_system").max_length)


@dataclass
class ActivityResult:
    index: int
    id: int
    status: Literal["created", "existing"]


@dataclass
class ActivityIngestResult:
    created: int = 0
    existing: int = 0
    rejected: int = 0
    results: list[ActivityResult] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


@dataclass(slots=True)
class _Item:
    index: int
    values: dict[str, Any]
    lead_field: str  # which field named the lead
    lead_ref: Any


def activities_ingest(
    *, items: Sequence[Any], source: str, naive_tz: dt.tzinfo | None = None
) -> ActivityIngestResult:
    """Record activities, each naming its lead by id, external id or email.

    - The lead is looked up by the first of ``lead``, ``lead_external_id``
      (with ``lead_source_system``, default ``source``) and ``lead_email`` that
      the item gives. An unknown lead rejects that item only, with an error
      naming the field used (e.g. ``{"lead_email": ["No lead with this email."]}``);
      the other items are saved. Activity intake never creates a lead.
    - With an ``external_id`` an activity is idempotent by (``source``,
      ``external_id``): sending it again returns the stored one with status
      ``existing`` and changes nothing.
    """
    result = ActivityIngestResult()
    valid: list[_Item] = []
    for index, raw in enumerate(items):
        item, errors = _validate(raw, index=index, source=source, naive_tz=naive_tz)
        if errors:
            result.errors.append(RowError(index=index, errors=errors))
        else:
            valid.append(item)
    if valid:
        with transaction.atomic():
            _write(valid, result=result)
    result.errors.sort(key=lambda e: e.index)
    result.results.sort(key=lambda r: r.index)
    result.rejected = len(result.errors)
    return result


def _validate(raw, *, index: int, source: str, naive_tz) -> tuple[_Item | None, dict]:
    if not isinstance(raw, dict):
        return None, {"non_field_errors": [_("Expected an object of activity fields.")]}
    errors: dict[str, list[str]] = {}
    for key in raw:
        if key not in ACTIVITY_FIELDS:
            errors[storable.shown_key(key)] = [_("Unknown field.")]
    values: dict[str, Any] = {"properties": {}, "source": source, "external_id": None}
    cleaners = (
        ("type", _clean_type),
        ("occurred_at", lambda value, tz: clean_datetime(value, tz)),
        ("source", _clean_source),
        ("external_id", _clean_external_id),
    )
    for name, clean in cleaners:
        value = raw.get(name)
        if value is None or value == "":
            if name in ("type", "occurred_at"):
                errors[name] = [_("This field is required.")]
            continue
        if isinstance(value, str) and storable.text_problem(value):
            errors[name] = [str(UNSTORABLE_TEXT)]
            continue
        try:
            cleaned = clean(value, naive_tz)
        except InvalidValue as exc:
            errors[name] = [str(exc)]
            continue
        if cleaned is not None:
            values[name] = cleaned
    properties = raw.get("properties")
    if properties is not None:
        problem = storable.json_problem(properties) if isinstance(properties, dict) else None
        if problem in ("nul", "surrogate"):
            errors["properties"] = [str(UNSTORABLE_TEXT)]
        elif problem == "too_deep":
            errors["properties"] = [
                _("Nested deeper than %(n)d levels.") % {"n": storable.MAX_JSON_DEPTH}
            ]
        elif problem == "too_large":
            errors["properties"] = [
                _("Larger than %(n)d KB.") % {"n": storable.MAX_JSON_BYTES // 1024}
            ]
        elif isinstance(properties, dict):
            values["properties"] = properties
        else:
            errors["properties"] = [_("Must be an object.")]
    lead_field, lead_ref = "", None
    lead_id = raw.get("lead")
    if lead_id is not None:
        lead_field = "lead"
        if isinstance(lead_id, bool) or not isinstance(lead_id, int) or lead_id < 1:
            errors["lead"] = [_("Give the lead's id as a whole number.")]
        lead_ref = lead_id
    elif raw.get("lead_external_id") not in (None, ""):
        lead_field = "lead_external_id"
        try:
            external_id = _clean_lead_external_id(raw["lead_external_id"], None)
            lead_source = _clean_lead_source(raw.get("lead_source_system") or source, None)
            lead_ref = (lead_source, external_id)
        except InvalidValue as exc:
            errors["lead_external_id"] = [str(exc)]
    elif raw.get("lead_email") not in (None, ""):
        lead_field = "lead_email"
        try:
            lead_ref = clean_email(raw["lead_email"], None)
        except InvalidValue as exc:
            errors["lead_email"] = [str(exc)]
    else:
        errors["lead"] = [_("Name the lead by lead (id), lead_external_id or lead_email.")]
    if errors:
        return None, errors
    return _Item(index=index, values=values, lead_field=lead_field, lead_ref=lead_ref), {}


_UNKNOWN_LEAD = {
    "lead": lambda: _("No lead with this id."),
    "lead_external_id": lambda: _("No lead with this external id in this source system."),
    "lead_email": lambda: _("No lead with this email."),
}


def _write(items: list[_Item], *, result: ActivityIngestResult) -> None:
    idempotency = sorted(
        {
            f"act\x1f{item.values['source']}\x1f{item.values['external_id']}"
            for item in items
            if item.values["external_id"] is not None
        }
    )
    advisory_xact_lock(keys=idempotency)
    lead_ids = _resolve_leads(items)
    existing: dict[tuple[str, str], int] = {}
    keyed = [item for item in items if item.values["external_id"] is not None]
    if keyed:
        condition = Q(pk__in=[])
        for item in keyed:
            condition |= Q(source=item.values["source"], external_id=item.values["external_id"])
        for pk, src, ext in Activity.objects.filter(condition).values_list(
            "id", "source", "external_id"
        ):
            existing[(src, ext)] = pk
    to_create: list[tuple[_Item, Activity]] = []
    pending: dict[tuple[str, str], Activity] = {}
    later: list[tuple[_Item, Activity]] = []
    for item in items:
        lead_id = lead_ids.get((item.lead_field, item.lead_ref))
        if lead_id is None:
            result.errors.append(
                RowError(
                    index=item.index, errors={item.lead_field: [_UNKNOWN_LEAD[item.lead_field]()]}
                )
            )
            continue
        key = (item.values["source"], item.values["external_id"])
        if item.values["external_id"] is not None:
            if key in existing:
                result.results.append(
                    ActivityResult(index=item.index, id=existing[key], status="existing")
                )
                result.existing += 1
                continue
            if key in pending:  # a duplicate inside this batch: the first one is kept
                later.append((item, pending[key]))
                continue
        activity = Activity(lead_id=lead_id, **item.values)
        if item.values["external_id"] is not None:
            pending[key] = activity
        to_create.append((item, activity))
    Activity.objects.bulk_create([activity for _item, activity in to_create], batch_size=1000)
    # A new activity re-scores its lead at once (same transaction; set-based).
    hooks.rescore_leads(lead_ids={activity.lead_id for _item, activity in to_create})
    for item, activity in to_create:
        result.results.append(ActivityResult(index=item.index, id=activity.pk, status="created"))
    for item, activity in later:
        result.results.append(ActivityResult(index=item.index, id=activity.pk, status="existing"))
    result.created += len(to_create)
    result.existing += len(later)


def _resolve_leads(items: list[_Item]) -> dict[tuple[str, Any], int]:
    ids = {item.lead_ref for item in items if item.lead_field == "lead"}
    emails = {item.lead_ref for item in items if item.lead_field == "lead_email"}
    externals = {item.lead_ref for item in items if item.lead_field == "lead_external_id"}
    found: dict[tuple[str, Any], int] = {}
    if ids:
        for pk in Lead.objects.filter(pk__in=ids).values_list("id", flat=True):
            found[("lead", pk)] = pk
    if emails:
        for pk, email in Lead.objects.filter(email_normalised__in=emails).values_list(
            "id", "email_normalised"
        ):
            found[("lead_email", email)] = pk
    if externals:
        condition = Q(pk__in=[])
        for lead_source, external_id in externals:
            condition |= Q(source_system=lead_source, external_id=external_id)
        for pk, lead_source, external_id in Lead.objects.filter(condition).values_list(
            "id", "source_system", "external_id"
        ):
            found[("lead_external_id", (lead_source, external_id))] = pk
    return found
