"""The API's lead list rows, read with ``values()`` and encoded with orjson.

``GET /api/v1/leads/`` and ``/api/v1/leads/cursor/`` answer the same JSON as
``leads.serializers.LeadOut`` (a test compares them field by field) without building a
model instance or a serializer per row: one ``SELECT`` of the columns the answer shows
(the account and the owner joined), then plain dicts. A list page costs the same number
of queries whatever its size (authentication, the user's roles, the count for the
page-number list, the page).

Values are written the way DRF writes them: times in the active time zone as ISO 8601
(``Z`` for UTC), decimals as text with the column's places, the owner's display name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

import orjson
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework.fields import DecimalField

from leads.models import Account, Lead
from leads.people.names import person_name

# LeadOut's fields in its order: (answer key, column).
_LEAD_FIELDS: tuple[tuple[str, str], ...] = (
    ("id", "id"),
    ("name", "name"),
    ("email", "email_normalised"),
    ("phone", "phone"),
    ("title", "title"),
    ("seniority", "seniority"),
    ("wechat_id", "wechat_id"),
    ("language", "language"),
    ("company", "company_name"),
    ("account", None),
    ("source_channel", "source_channel"),
    ("campaign", "campaign"),
    ("source_system", "source_system"),
    ("external_id", "external_id"),
    ("created_at_source", "created_at_source"),
    ("received_at", "received_at"),
    ("stage", "stage"),
    ("stage_changed_at", "stage_changed_at"),
    ("owner", None),
    ("do_not_contact", "do_not_contact"),
    ("consent_source", "consent_source"),
    ("consent_at", "consent_at"),
    ("updated_at", "updated_at"),
    ("score_grade", "score_grade"),
    ("score_quadrant", "score_quadrant"),
    ("score_fit", "score_fit"),
    ("score_interest", "score_interest"),
    ("score_total", "score_total"),
    ("scored_at", "scored_at"),
    ("mql_at", "mql_at"),
    ("win_probability", "win_probability"),
)
_ACCOUNT_FIELDS = ("id", "name", "domain", "employees", "annual_revenue", "industry", "country")
_OWNER_FIELDS = ("id", "username", "first_name", "last_name")

COLUMNS: tuple[str, ...] = (
    *(column for _key, column in _LEAD_FIELDS if column),
    *(f"account__{name}" for name in _ACCOUNT_FIELDS),
    *(f"owner__{name}" for name in _OWNER_FIELDS),
)
_LEAD_TIMES = frozenset(
    column
    for _key, column in _LEAD_FIELDS
    if column and isinstance(Lead._meta.get_field(column), models.DateTimeField)
)
_REVENUE = Account._meta.get_field("annual_revenue")
_REVENUE_FIELD = DecimalField(
    max_digits=_REVENUE.max_digits, decimal_places=_REVENUE.decimal_places
)


class _Owner:
    """What ``person_name`` reads of a user, from the joined columns."""

    __slots__ = ("first_name", "last_name", "username")

    def __init__(self, username: str, first_name: str, last_name: str):
        self.username, self.first_name, self.last_name = username, first_name, last_name

    def get_username(self) -> str:
        return self.username


def _time(value: dt.datetime | None, zone) -> str | None:
    if value is None:
        return None
    text = value.astimezone(zone).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def lead_values(queryset: QuerySet[Lead]) -> QuerySet:
    """The ``values()`` query behind the rows (ordering and filters kept)."""
    return queryset.values(*COLUMNS)


def lead_rows(values: Iterable[dict]) -> list[dict]:
    """``LeadOut``'s answer for each row of :func:`lead_values`."""
    zone = timezone.get_current_timezone()
    rows = []
    for value in values:
        row = {}
        for key, column in _LEAD_FIELDS:
            if column is None:
                row[key] = _account(value) if key == "account" else _owner(value)
            elif column in _LEAD_TIMES:
                row[key] = _time(value[column], zone)
            else:
                row[key] = value[column]
        rows.append(row)
    return rows


def _account(value: dict) -> dict | None:
    if value["account__id"] is None:
        return None
    account = {name: value[f"account__{name}"] for name in _ACCOUNT_FIELDS}
    if account["annual_revenue"] is not None:
        account["annual_revenue"] = _REVENUE_FIELD.to_representation(account["annual_revenue"])
    return account


def _owner(value: dict) -> dict | None:
    if value["owner__id"] is None:
        return None
    username = value["owner__username"]
    person = _Owner(username, value["owner__first_name"], value["owner__last_name"])
    return {"id": value["owner__id"], "username": username, "name": person_name(person)}


def dumps(body: dict) -> bytes:
    """JSON bytes of an answer (orjson: several times the stdlib's speed)."""
    return orjson.dumps(body)
