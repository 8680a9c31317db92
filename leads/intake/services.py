"""Lead intake: validate rows and upsert them, idempotently, in bulk.

CONTRACT (used by the REST API and the file import; the demo seeder writes its own rows):

    leads_ingest(*, rows, source_system, actor_user=None, actor_system="",
                 naive_tz=None, via="api") -> IngestResult

``rows`` are dicts keyed by ``INTAKE_FIELDS``. Valid rows are saved; invalid
ones come back in ``errors`` with their index and field messages. When
``naive_tz`` is None a datetime without a time zone is an error naming the
field; otherwise it is read in ``naive_tz`` (the file import passes
TIME_ZONE). ``via`` names the door in the consent history (``api`` or ``import``).

Consent (``leads.consent``): a lead's consent changes are kept as ``ConsentChange``
rows (a new lead's consent, a later source or time, an opt-out); a row setting
``do_not_contact`` to true opts the person out, and an open lead (mql, sal, sql)
leaves sales for nurture in the same transaction. **An opt-out sticks**: for a stored
lead that opted out, ``do_not_contact``, ``consent_source`` and ``consent_at`` are
never changed by intake; the row is still saved (its other fields) and its result
carries ``warnings`` naming each field that was kept.

The module has three parts, in this order:

1. **Validation** (``_validate_row``): plain Python, one table of field
   cleaners, no DRF serializer per row. Types, lengths (from the model),
   email format, phone → E.164, enum values, numbers, booleans, ISO-8601
   datetimes. ``stage`` and ``owner`` are refused: intake cannot set them.
   Unknown keys are errors naming the key. An empty value (``null`` or ``""``)
   counts as *not sent*: intake never erases what is stored.
2. **Matching** (``_group_rows``, ``_match``): a row's identity keys are
   (source system, external id), the normalised email, and — for a row
   without an email — the phone (product.md, "Identity of a lead"; the phone
   key of a stored lead likewise counts only while it has no email, which is
   exactly the ``lead_phone_only_uniq`` constraint). Rows of one batch that
   share a key are one lead: they are merged in order, so the last duplicate
   wins. A group whose keys point at two different stored leads is rejected.
   An update merges only the fields sent; an existing external id is never
   replaced by another one.
3. **Writing** (``_PostgresStore`` / ``_OrmStore``): accounts first (linked
   by the email's domain unless it is a free-mail domain, or an explicit
   ``domain``, else by normalised company name), then leads, then one
   ``LeadEvent`` per created lead (``created``, to ``inquiry``) and per lead
   an update really changed (``updated``, with the changed fields).

Concurrency: each chunk runs in one transaction. On PostgreSQL it first takes
``pg_advisory_xact_lock`` on a hash of every identity and account key, in
sorted order (so two batches never deadlock), then matches, then writes; the
unique constraints stay the safety net (a rare violation, e.g. from a writer
that does not lock, makes the chunk retry once). On SQLite writes are
serialised by ``transaction_mode=IMMEDIATE``.

Speed: on PostgreSQL new leads, accounts and events go in with ``COPY`` on
ids taken from the sequences up front, updates through a ``COPY``-filled
temporary table and one ``UPDATE … FROM``. Elsewhere the ORM's
``bulk_create`` / ``bulk_update`` do the same job.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import gc
import operator
import re
import zlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

import orjson
from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, connection, transaction
from django.db.models import JSONField, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leads import consent, hooks, moments, storable
from leads.intake import normalize
from leads.models import (
    SCORE_COLUMNS,
    UNSCORED,
    Account,
    ConsentChange,
    DomainListEntry,
    Lead,
    LeadEvent,
    Seniority,
    SourceChannel,
    Stage,
)

# Field names accepted by intake (API JSON keys, import column targets).
INTAKE_FIELDS = (
    "external_id",
    "source_system",
    "name",
    "email",
    "phone",
    "title",
    "seniority",
    "wechat_id",
    "language",
    "company",
    "domain",
    "employees",
    "annual_revenue",
    "industry",
    "region",
    "country",
    "source_channel",
    "campaign",
    "created_at_source",
    "do_not_contact",
    "consent_source",
    "consent_at",
)

# Keys a client may try to send that intake refuses on purpose.
FORBIDDEN_FIELDS = ("stage", "owner", "owner_id", "stage_changed_at", "received_at", "id")

# Rows written per transaction. The API never sends more (INTAKE_MAX_BATCH).
CHUNK_SIZE = 5000


@dataclass
class RowResult:
    index: int
    id: int
    status: Literal["created", "updated"]
    # field → messages: what was sent but kept as stored (an opted-out lead's consent)
    warnings: dict[str, list[str]] | None = None


@dataclass
class RowError:
    index: int
    errors: dict[str, list[str]]


@dataclass
class IngestResult:
    created: int = 0
    updated: int = 0
    rejected: int = 0
    results: list[RowResult] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


def leads_ingest(
    *,
    rows: Sequence[Any],
    source_system: str,
    actor_user=None,
    actor_system: str = "",
    naive_tz: dt.tzinfo | None = None,
    via: str = ConsentChange.Via.API,
) -> IngestResult:
    """Validate ``rows`` and create or update their leads; see the module docstring."""
    result = IngestResult()
    actor_system = (actor_system or source_system or "intake")[:100]
    actor_user_id = actor_user.pk if actor_user is not None else None
    for start in range(0, len(rows), CHUNK_SIZE):
        chunk = rows[start : start + CHUNK_SIZE]
        with _gc_paused():
            valid: list[_Row] = []
            for offset, raw in enumerate(chunk):
                row, errors = _validate_row(
                    raw, index=start + offset, source_system=source_system, naive_tz=naive_tz
                )
                if errors:
                    result.errors.append(RowError(index=start + offset, errors=errors))
                else:
                    valid.append(row)
            if valid:
                _ingest_valid(
                    valid,
                    result=result,
                    actor_user_id=actor_user_id,
                    actor_system=actor_system,
                    via=via,
                )
    result.errors.sort(key=lambda e: e.index)
    result.results.sort(key=lambda r: r.index)
    result.rejected = len(result.errors)
    return result


@contextlib.contextmanager
def _gc_paused():
    """Pause the cyclic garbage collector while one chunk is ingested.

    A chunk allocates tens of thousands of containers that live until its
    end (rows, groups, results); left on, the collector runs a full pass over
    the whole process heap about once per 5,000 rows, ~6% of the bulk API's
    time. Reference counting still frees everything as usual; cycles made
    meanwhile wait for the next collection after the chunk. Only the caller
    that switched it off switches it back on, so nested or concurrent
    callers never leave it off.
    """
    paused = gc.isenabled()
    if paused:
        gc.disable()
    try:
        yield
    finally:
        if paused:
            gc.enable()


# ---------------------------------------------------------------------------
# 1. Validation
# ---------------------------------------------------------------------------


@dataclass(slots=True)
class _Row:
    index: int
    lead: dict[str, Any]  # Lead field name → cleaned value (only what was sent)
    account: dict[str, Any]  # account hints: domain, name, employees, …
    keys: tuple[str, ...]  # identity keys, see _identity_keys


class InvalidValue(ValueError):
    """A value that cannot be accepted; the message is user-facing."""


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


# Text PostgreSQL cannot store (``leads.storable``), named on the field that holds it.
UNSTORABLE_TEXT = gettext_lazy(
    "Contains a character that cannot be stored (a NUL byte or a lone surrogate)."
)


def text_cleaner(max_length: int) -> Callable[[Any, Any], str | None]:
    def clean(value, _tz):
        if not isinstance(value, str):
            raise InvalidValue(_("Must be text."))
        if storable.text_problem(value):
            raise InvalidValue(str(UNSTORABLE_TEXT))
        value = value.strip()
        if len(value) > max_length:
            raise InvalidValue(
                _("Ensure this field has no more than %(n)d characters.") % {"n": max_length}
            )
        return value or None

    return clean


def identifier_cleaner(max_length: int) -> Callable[[Any, Any], str | None]:
    text = text_cleaner(max_length)

    def clean(value, tz):
        if isinstance(value, int) and not isinstance(value, bool):
            value = str(value)
        return text(value, tz)

    return clean


def choice_cleaner(choices: Iterable[str]) -> Callable[[Any, Any], str | None]:
    allowed = frozenset(choices)
    listed = ", ".join(sorted(allowed))

    def clean(value, _tz):
        if not isinstance(value, str):
            raise InvalidValue(_("Must be text."))
        key = value.strip().lower()
        if key not in allowed:
            raise InvalidValue(
                _("“%(value)s” is not a valid choice; use one of: %(choices)s.")
                % {"value": value[:50], "choices": listed}
            )
        return key

    return clean


# Chinese mobile numbers typed the common ways (13800138000, +86 138 0013 8000,
# +86-138-0013-8000): E.164 without a round through phonenumbers, which costs
# ~40 µs a number. The result is the same as normalize_phone's (a test checks
# it); everything else goes through normalize_phone.
_CN_MOBILE = re.compile(r"(?:\+86[ -]?)?(1[3-9]\d)[ -]?(\d{4})[ -]?(\d{4})")


@functools.lru_cache(maxsize=65536)
def _phone_e164(raw: str) -> str:
    match = _CN_MOBILE.fullmatch(raw.strip())
    if match:
        return "+86" + "".join(match.groups())
    return normalize.normalize_phone(raw)


def _clean_phone(value, _tz):
    if isinstance(value, float) and value.is_integer():  # a spreadsheet cell
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        raise InvalidValue(_("Must be text."))
    if len(value) > 64:
        raise InvalidValue(_("Enter a valid phone number."))
    try:
        return _phone_e164(value) or None
    except ValueError:
        raise InvalidValue(_("Enter a valid phone number.")) from None


def clean_email(value, _tz):
    if not isinstance(value, str):
        raise InvalidValue(_("Must be text."))
    try:
        normalised = normalize.normalize_email(value)
    except ValueError:
        raise InvalidValue(_("Enter a valid email address.")) from None
    return normalised or None


_DOMAIN = re.compile(r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$")


def _clean_domain(value, _tz):
    if not isinstance(value, str):
        raise InvalidValue(_("Must be text."))
    domain = normalize.normalize_domain(value)
    if not domain:
        return None
    if len(domain) > 253 or not _DOMAIN.match(domain):
        raise InvalidValue(_("Enter a valid domain name, e.g. example.com."))
    return domain


def _clean_country(value, _tz):
    if not isinstance(value, str):
        raise InvalidValue(_("Must be text."))
    code = normalize.clean_text(value).upper()
    if not code:
        return None
    if len(code) != 2 or not code.isascii() or not code.isalpha():
        raise InvalidValue(_("Enter a two-letter ISO 3166 country code, e.g. CN."))
    return code


_INT_MAX = 2_147_483_647


def _clean_int(value, _tz):
    if isinstance(value, bool):
        raise InvalidValue(_("Enter a whole number."))
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    elif isinstance(value, str):
        text = value.strip().replace(",", "")
        if not text:
            return None
        try:
            value = int(text)
        except ValueError:
            raise InvalidValue(_("Enter a whole number.")) from None
    if not isinstance(value, int):
        raise InvalidValue(_("Enter a whole number."))
    if not 0 <= value <= _INT_MAX:
        raise InvalidValue(_("Enter a number between 0 and %(max)d.") % {"max": _INT_MAX})
    return value


_DECIMAL_LIMIT = Decimal(10) ** 14  # max_digits=16, decimal_places=2
_CENT = Decimal("0.01")


def _clean_decimal(value, _tz):
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise InvalidValue(_("Enter a number."))
    try:
        number = Decimal(value.strip().replace(",", "") if isinstance(value, str) else str(value))
    except InvalidOperation:
        raise InvalidValue(_("Enter a number.")) from None
    if not number.is_finite() or number < 0 or number >= _DECIMAL_LIMIT:
        raise InvalidValue(_("Enter a number between 0 and 10^14."))
    return number.quantize(_CENT)


_TRUE = frozenset({"true", "1", "yes", "y", "t", "是"})
_FALSE = frozenset({"false", "0", "no", "n", "f", "否"})


def _clean_bool(value, _tz):
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1):
        return bool(value)
    if isinstance(value, str):
        key = value.strip().lower()
        if key in _TRUE:
            return True
        if key in _FALSE:
            return False
    raise InvalidValue(_("Enter true or false."))


def clean_datetime(value, naive_tz):
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, dt.date):
        moment = dt.datetime.combine(value, dt.time())  # noqa: DTZ001 (zone decided below)
    elif isinstance(value, str):
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidValue(
                _("Enter an ISO-8601 date and time, e.g. 2025-03-01T09:30:00+08:00.")
            ) from None
    else:
        raise InvalidValue(_("Enter an ISO-8601 date and time, e.g. 2025-03-01T09:30:00+08:00."))
    if moment.tzinfo is None or moment.utcoffset() is None:
        if naive_tz is None:
            raise InvalidValue(
                _("This date and time has no time zone; add one, e.g. 2025-03-01T09:30:00+08:00.")
            )
        moment = moment.replace(tzinfo=naive_tz)
    problem = moments.past_moment_problem(moment, now=timezone.now())
    if problem == "future":
        raise InvalidValue(_("This moment is in the future; send a time that has happened."))
    if problem is not None:
        raise InvalidValue(
            _("Enter a date and time between 1970-01-01 and now (UTC after its offset).")
        )
    # In UTC: Python takes offsets up to ±23:59, PostgreSQL only up to ±15:59 (an
    # offset of -18:18 was a DataError, a 500, and in a batch every row's).
    return moment.astimezone(dt.UTC)


# intake key → (target, model field, cleaner); target "lead" or "account".
_SPECS: dict[str, tuple[str, str, Callable[[Any, Any], Any]]] = {
    "external_id": ("lead", "external_id", identifier_cleaner(_max_length(Lead, "external_id"))),
    "source_system": (
        "lead",
        "source_system",
        identifier_cleaner(_max_length(Lead, "source_system")),
    ),
    "name": ("lead", "name", text_cleaner(_max_length(Lead, "name"))),
    "email": ("lead", "email_normalised", clean_email),
    "phone": ("lead", "phone", _clean_phone),
    "title": ("lead", "title", text_cleaner(_max_length(Lead, "title"))),
    "seniority": ("lead", "seniority", choice_cleaner(Seniority.values)),
    "wechat_id": ("lead", "wechat_id", identifier_cleaner(_max_length(Lead, "wechat_id"))),
    "language": ("lead", "language", text_cleaner(_max_length(Lead, "language"))),
    "company": ("lead", "company_name", text_cleaner(_max_length(Lead, "company_name"))),
    "domain": ("account", "domain", _clean_domain),
    "employees": ("account", "employees", _clean_int),
    "annual_revenue": ("account", "annual_revenue", _clean_decimal),
    "industry": ("account", "industry", text_cleaner(_max_length(Account, "industry"))),
    "region": ("account", "region", text_cleaner(_max_length(Account, "region"))),
    "country": ("account", "country", _clean_country),
    "source_channel": ("lead", "source_channel", choice_cleaner(SourceChannel.values)),
    "campaign": ("lead", "campaign", text_cleaner(_max_length(Lead, "campaign"))),
    "created_at_source": ("lead", "created_at_source", clean_datetime),
    "do_not_contact": ("lead", "do_not_contact", _clean_bool),
    "consent_source": ("lead", "consent_source", text_cleaner(_max_length(Lead, "consent_source"))),
    "consent_at": ("lead", "consent_at", clean_datetime),
}
assert set(_SPECS) == set(INTAKE_FIELDS)  # noqa: S101 (import-time consistency check)

_KEY_SEP = "\x1f"


def _validate_row(
    raw: Any, *, index: int, source_system: str, naive_tz
) -> tuple[_Row | None, dict[str, list[str]]]:
    if not isinstance(raw, dict):
        return None, {"non_field_errors": [_("Expected an object of lead fields.")]}
    errors: dict[str, list[str]] = {}
    lead: dict[str, Any] = {}
    account: dict[str, Any] = {}
    for key, value in raw.items():
        spec = _SPECS.get(key)
        if spec is None:
            if key in FORBIDDEN_FIELDS:
                errors[str(key)] = [_("This field cannot be set through intake.")]
            else:
                errors[storable.shown_key(key)] = [_("Unknown field.")]
            continue
        if value is None or value == "":
            continue
        if isinstance(value, str) and storable.text_problem(value):
            errors[key] = [str(UNSTORABLE_TEXT)]
            continue
        target, name, clean = spec
        try:
            cleaned = clean(value, naive_tz)
        except InvalidValue as exc:
            errors[key] = [str(exc)]
            continue
        if cleaned is None:
            continue
        if target == "lead":
            lead[name] = cleaned
        else:
            account[name] = cleaned
        if key == "email":
            lead["email"] = value.strip()
    if "source_channel" not in lead and "source_channel" not in errors:
        errors["source_channel"] = [_("This field is required.")]
    if errors:
        return None, errors
    if "email_normalised" in lead and len(lead["email"]) > _max_length(Lead, "email"):
        lead["email"] = lead["email_normalised"]
    external_id = lead.get("external_id")
    lead.setdefault("source_system", source_system)
    email = lead.get("email_normalised")
    phone = lead.get("phone")
    if external_id is None and email is None and phone is None:
        return None, {"non_field_errors": [_("Give at least one of external_id, email or phone.")]}
    keys = []
    if external_id is not None:
        keys.append(f"x{_KEY_SEP}{lead['source_system']}{_KEY_SEP}{external_id}")
    if email is not None:
        keys.append(f"e{_KEY_SEP}{email}")
    elif phone is not None:
        keys.append(f"p{_KEY_SEP}{phone}")
    if "company_name" in lead:
        account["name"] = lead["company_name"]
    if email is not None and "domain" not in account:
        account["email_domain"] = normalize.email_domain(email)
    return _Row(index=index, lead=lead, account=account, keys=tuple(keys)), {}


# ---------------------------------------------------------------------------
# 2. Matching
# ---------------------------------------------------------------------------

# Lead columns intake writes, and whose old values an update compares.
_LEAD_COLUMNS = (
    "name",
    "email",
    "email_normalised",
    "phone",
    "title",
    "seniority",
    "wechat_id",
    "language",
    "company_name",
    "account_id",
    "source_channel",
    "campaign",
    "source_system",
    "external_id",
    "created_at_source",
    "do_not_contact",
    "consent_source",
    "consent_at",
)
_LEAD_DEFAULTS = {
    "name": "",
    "email": "",
    "email_normalised": None,
    "phone": None,
    "title": "",
    "seniority": Seniority.UNKNOWN.value,
    "wechat_id": "",
    "language": "",
    "company_name": "",
    "account_id": None,
    "campaign": "",
    "source_system": "",
    "external_id": None,
    "created_at_source": None,
    "do_not_contact": False,
    "consent_source": "",
    "consent_at": None,
}
_ACCOUNT_FILL = ("employees", "annual_revenue", "industry", "region", "country")


def delivery_seconds(created_at_source, received_at) -> int | None:
    """How long the lead took from its source to the app, in whole seconds (measured
    once, when it first arrives; a source clock a little ahead counts as 0)."""
    if created_at_source is None:
        return None
    return max(0, int((received_at - created_at_source).total_seconds()))


@dataclass(slots=True)
class _Group:
    """The rows of one batch that are one lead, merged in order (last wins)."""

    rows: list[_Row]
    lead: dict[str, Any]
    account: dict[str, Any]
    keys: set[str]
    account_key: str | None = None
    lead_id: int | None = None
    old: dict[str, Any] | None = None  # stored values when the lead exists


def _group_rows(rows: list[_Row], stored: dict[str, dict[str, Any]]) -> list[_Group]:
    """Union rows sharing a key, or matching the same stored lead; merge each group in order."""
    parent = list(range(len(rows)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    joined = False
    for position, row in enumerate(rows):
        for key in row.keys:
            links = [key]
            if stored:
                hit = stored.get(key)
                if hit is not None:
                    links.append(f"L{_KEY_SEP}{hit['id']}")
            for link in links:
                other = owner.setdefault(link, position)
                if other != position:
                    joined = True
                    a, b = find(other), find(position)
                    if a != b:
                        parent[max(a, b)] = min(a, b)
    if not joined:  # the common case: every row is a lead of its own
        return [
            _Group(rows=[row], lead=dict(row.lead), account=dict(row.account), keys=set(row.keys))
            for row in rows
        ]
    members: dict[int, list[_Row]] = {}
    for position, row in enumerate(rows):
        members.setdefault(find(position), []).append(row)
    groups = []
    for group_rows in members.values():
        if len(group_rows) == 1:
            row = group_rows[0]
            groups.append(
                _Group(
                    rows=group_rows,
                    lead=dict(row.lead),
                    account=dict(row.account),
                    keys=set(row.keys),
                )
            )
            continue
        lead: dict[str, Any] = {}
        account: dict[str, Any] = {}
        keys: set[str] = set()
        for row in group_rows:
            lead.update(row.lead)
            account.update(row.account)
            keys.update(row.keys)
        if "domain" in account:
            account.pop("email_domain", None)
        groups.append(_Group(rows=group_rows, lead=lead, account=account, keys=keys))
    return groups


def _lead_keys(values: dict[str, Any]) -> list[str]:
    keys = []
    if values["external_id"] is not None:
        keys.append(f"x{_KEY_SEP}{values['source_system']}{_KEY_SEP}{values['external_id']}")
    if values["email_normalised"] is not None:
        keys.append(f"e{_KEY_SEP}{values['email_normalised']}")
    elif values["phone"] is not None:
        keys.append(f"p{_KEY_SEP}{values['phone']}")
    return keys


def _stored_leads(rows: list[_Row], *, store) -> dict[str, dict[str, Any]]:
    """The stored leads any row's keys point at, by key."""
    by_source: dict[str, list[str]] = {}
    emails: list[str] = []
    phones: list[str] = []
    for row in rows:
        for key in row.keys:
            kind, _sep, rest = key.partition(_KEY_SEP)
            if kind == "x":
                source, _sep, external_id = rest.partition(_KEY_SEP)
                by_source.setdefault(source, []).append(external_id)
            elif kind == "e":
                emails.append(rest)
            else:
                phones.append(rest)
    stored: dict[str, dict[str, Any]] = {}
    for values in store.stored_leads(by_source=by_source, emails=emails, phones=phones):
        for key in _lead_keys(values):
            stored[key] = values
    return stored


def _match(
    groups: list[_Group], stored: dict[str, dict[str, Any]]
) -> list[tuple[_Group, dict[str, list[str]]]]:
    """Set each group's stored lead; return the groups whose keys point at two leads."""
    conflicts = []
    if not stored:
        return conflicts
    for group in groups:
        found = {stored[key]["id"]: stored[key] for key in group.keys if key in stored}
        if len(found) == 1:
            group.old = next(iter(found.values()))
            group.lead_id = group.old["id"]
        elif len(found) > 1:
            conflicts.append((group, _conflict_errors(group.keys, stored)))
    return conflicts


_KEY_FIELD = {"x": "external_id", "e": "email", "p": "phone"}


def _conflict_errors(keys: Iterable[str], stored: dict[str, dict]) -> dict[str, list[str]]:
    keys = [key for key in keys if key in stored]
    ids = sorted({stored[key]["id"] for key in keys})
    message = _("The row's keys point at different existing leads (%(ids)s).") % {
        "ids": ", ".join(f"#{i}" for i in ids)
    }
    fields = sorted({_KEY_FIELD[key[0]] for key in keys})
    return {name: [message] for name in fields}


# ---------------------------------------------------------------------------
# 3. Writing
# ---------------------------------------------------------------------------


def _ingest_valid(rows: list[_Row], *, result: IngestResult, actor_user_id, actor_system, via: str):
    for attempt in (1, 2):
        try:
            with transaction.atomic():
                outcome = _write_chunk(
                    rows, actor_user_id=actor_user_id, actor_system=actor_system, via=via
                )
            break
        except IntegrityError:
            # Someone who does not take our advisory locks wrote the same
            # identity between our match and our write: match again, once.
            if attempt == 2:
                raise
    results, errors = outcome
    for item in results:
        if item.status == "created":
            result.created += 1
        else:
            result.updated += 1
    result.results.extend(results)
    result.errors.extend(errors)


def row_store() -> _OrmStore | _PostgresStore:
    """The set-based reader/writer for this database (close it after use); also
    used by set-based re-scoring."""
    return _PostgresStore() if connection.vendor == "postgresql" else _OrmStore()


def _write_chunk(rows: list[_Row], *, actor_user_id, actor_system, via: str):
    writer = row_store()
    try:
        return _write_groups(
            rows, writer=writer, actor_user_id=actor_user_id, actor_system=actor_system, via=via
        )
    finally:
        writer.close()


def _write_groups(rows: list[_Row], *, writer, actor_user_id, actor_system, via: str):
    free_mail = _free_mail_domains()
    # Lock every identity key and every account key the rows may touch, then read.
    account_keys = {_account_key(dict(row.account), free_mail) for row in rows}
    writer.lock({key for row in rows for key in row.keys} | (account_keys - {None}))
    stored = _stored_leads(rows, store=writer)
    errors: list[RowError] = []
    if stored:  # a row whose own keys point at two stored leads is rejected alone
        kept = []
        for row in rows:
            if len({stored[key]["id"] for key in row.keys if key in stored}) > 1:
                errors.append(RowError(index=row.index, errors=_conflict_errors(row.keys, stored)))
            else:
                kept.append(row)
        rows = kept
    groups = _group_rows(rows, stored)
    for group in groups:
        group.account_key = _account_key(group.account, free_mail)
    rejected: set[int] = set()
    for group, group_errors in _match(groups, stored):
        rejected.add(id(group))
        errors.extend(RowError(index=row.index, errors=group_errors) for row in group.rows)
    groups = [group for group in groups if id(group) not in rejected]
    now = timezone.now()
    account_ids, account_values, changed_accounts = _write_accounts(groups, writer=writer, now=now)
    scorer = hooks.intake_scorer(now=now)

    creates: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    events: list[dict[str, Any]] = []
    mql_at_birth: list[_Group] = []  # new leads whose fit alone makes them MQLs
    consent_writes: list[consent.ConsentWrite] = []  # stored leads' consent changes
    kept: dict[int, dict[str, list[str]]] = {}  # row index → fields kept (opted out)
    actor = {"actor_user_id": actor_user_id, "actor_system": actor_system}
    for group in groups:
        values = group.lead
        if group.account_key:
            values["account_id"] = account_ids[group.account_key]
        if group.old is None:
            lead = {**_LEAD_DEFAULTS, **values}
            lead.update(
                received_at=now, stage=Stage.INQUIRY.value, stage_changed_at=now, created_at=now
            )
            lead["delivery_seconds"] = delivery_seconds(lead["created_at_source"], now)
            lead["updated_at"] = now
            if scorer is None:
                lead.update(UNSCORED)
            elif scorer.fill(lead, account_values.get(group.account_key)):
                mql_at_birth.append(group)
            creates.append(lead)
            continue
        old = group.old
        if old["do_not_contact"]:
            _keep_opt_out(group, kept)
        else:
            change = _consent_change(old, values)
            if change is not None:
                consent_writes.append(change)
        if old["external_id"] is not None or "external_id" not in values:
            # The source system travels with the external id, and a stored
            # external id is never replaced by another one.
            values.pop("external_id", None)
            values.pop("source_system", None)
        changed = {
            name: [_jsonable(old[name]), _jsonable(value)]
            for name, value in values.items()
            if old[name] != value
        }
        if changed:
            updates.append({**old, **values, "updated_at": now})
            events.append(
                {
                    "lead_id": old["id"],
                    "kind": LeadEvent.Kind.UPDATED.value,
                    "from_stage": None,
                    "to_stage": None,
                    "data": {"changed": changed},
                    **actor,
                }
            )
    new_ids = writer.insert_leads(creates)
    for group_lead, new_id in zip(
        (group for group in groups if group.old is None), new_ids, strict=True
    ):
        group_lead.lead_id = new_id
    writer.insert_created_events(leads=creates, ids=new_ids, now=now, **actor)
    writer.update_leads(updates)
    writer.insert_events(events, now=now)
    # Consent history: a new lead's consent in one set-based insert; a stored lead's
    # change (an opt-out moves an open lead to nurture before anything re-scores it).
    writer.insert_new_consent(leads=creates, ids=new_ids, now=now, via=via, **actor)
    consent.consent_changes_write(
        writes=[
            *(
                consent.ConsentWrite(
                    lead_id=lead_id,
                    kind=ConsentChange.Kind.OPT_OUT,
                    do_not_contact=True,
                    consent_source=lead["consent_source"],
                    consent_at=lead["consent_at"],
                )
                for lead, lead_id in zip(creates, new_ids, strict=True)
                if lead["do_not_contact"]
            ),
            *consent_writes,
        ],
        now=now,
        via=via,
        **actor,
    )
    # Scores, in the same transaction: new leads were scored before the insert; a
    # changed lead, the open leads of an account whose fields changed, and a new lead
    # whose fit alone is enough for MQL (its promotion, event and hooks) go through
    # the set-based re-score.
    if scorer is not None:
        rescore = {row["id"] for row in updates} | {group.lead_id for group in mql_at_birth}
        if changed_accounts:
            rescore.update(hooks.open_lead_ids().filter(account_id__in=changed_accounts))
        hooks.rescore_leads(lead_ids=rescore, version=scorer.version, now=now)

    results: list[RowResult] = []
    for group in groups:
        first = group.rows[0]
        results.append(
            RowResult(
                index=first.index,
                id=group.lead_id,
                status="created" if group.old is None else "updated",
                warnings=kept.get(first.index),
            )
        )
        results.extend(
            RowResult(
                index=row.index, id=group.lead_id, status="updated", warnings=kept.get(row.index)
            )
            for row in group.rows[1:]
        )
    return results, errors


def _keep_opt_out(group: _Group, kept: dict[int, dict[str, list[str]]]) -> None:
    """An opted-out lead keeps its opt-out and consent: drop what the rows would change
    and name each kept field on every row that sent it (``consent.KEPT_WARNING``)."""
    old = group.old
    changed = [
        name
        for name in consent.CONSENT_FIELDS
        if name in group.lead and group.lead[name] != old[name]
    ]
    for name in changed:
        group.lead.pop(name)
    if not changed:
        return
    message = str(consent.KEPT_WARNING)
    for row in group.rows:
        fields = [name for name in changed if name in row.lead]
        if fields:
            kept.setdefault(row.index, {}).update({name: [message] for name in fields})


def _consent_change(old: dict[str, Any], values: dict[str, Any]) -> consent.ConsentWrite | None:
    """The consent change an update of a lead that has not opted out makes, if any: an
    opt-out (``do_not_contact`` true) or a new consent source or time."""
    after = {name: values.get(name, old[name]) for name in consent.CONSENT_FIELDS}
    if all(after[name] == old[name] for name in consent.CONSENT_FIELDS):
        return None
    return consent.ConsentWrite(
        lead_id=old["id"],
        kind=ConsentChange.Kind.OPT_OUT if after["do_not_contact"] else ConsentChange.Kind.RECORDED,
        do_not_contact=after["do_not_contact"],
        consent_source=after["consent_source"],
        consent_at=after["consent_at"],
    )


def _has_new_consent(lead: dict[str, Any]) -> bool:
    return not lead["do_not_contact"] and bool(lead["consent_source"] or lead["consent_at"])


def _created_data(lead: dict[str, Any]) -> dict[str, Any]:
    return {"source_channel": lead["source_channel"], "campaign": lead["campaign"]}


def _jsonable(value):
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _free_mail_domains() -> frozenset[str]:
    return frozenset(
        DomainListEntry.objects.filter(kind=DomainListEntry.Kind.FREE_MAIL).values_list(
            "domain", flat=True
        )
    )


# Company names repeat across a batch (several leads per company) and each is
# normalised for the lock keys, the group's account key and a new account.
_normalize_company = functools.lru_cache(maxsize=65536)(normalize.normalize_company)


def _account_key(account: dict[str, Any], free_mail: frozenset[str]) -> str | None:
    """``ad␟domain`` or ``an␟normalised name``; None when the row names no company."""
    domain = account.get("domain") or account.get("email_domain")
    if domain and not normalize.is_free_mail(domain, free_mail):
        account["domain"] = domain
        return f"ad{_KEY_SEP}{domain}"
    account.pop("domain", None)
    name = account.get("name")
    if name:
        normalised = _normalize_company(name)
        if normalised:
            account["name_normalised"] = normalised
            return f"an{_KEY_SEP}{normalised}"
    return None


def _write_accounts(
    groups: list[_Group], *, writer, now
) -> tuple[dict[str, int], dict[str, dict[str, Any]], list[int]]:
    """Find or create the account of every group; fill its fields from the rows.

    Returns the account id per account key, the account's values (as stored now)
    per key, and the ids of stored accounts whose fields changed."""
    wanted: dict[str, dict[str, Any]] = {}
    for group in groups:
        if group.account_key:
            wanted.setdefault(group.account_key, {}).update(group.account)
    if not wanted:
        return {}, {}, []
    domains = [a["domain"] for a in wanted.values() if a.get("domain")]
    names = [a["name_normalised"] for a in wanted.values() if not a.get("domain")]
    wanted_domains = set(domains)
    stored_by_key: dict[str, dict[str, Any]] = {}
    for values in writer.stored_accounts(domains=domains, names=names):
        if values["domain"] and values["domain"] in wanted_domains:
            stored_by_key[f"ad{_KEY_SEP}{values['domain']}"] = values
        stored_by_key.setdefault(f"an{_KEY_SEP}{values['name_normalised']}", values)
    ids: dict[str, int] = {}
    values_by_key: dict[str, dict[str, Any]] = {}
    creates: list[dict[str, Any]] = []
    create_keys: list[str] = []
    updates: list[dict[str, Any]] = []
    for key, hint in wanted.items():
        fill = {name: hint[name] for name in _ACCOUNT_FILL if name in hint}
        stored = stored_by_key.get(key)
        if stored is None:
            name = hint.get("name") or hint.get("domain")
            creates.append(
                {
                    "name": name,
                    "name_normalised": _normalize_company(name)[:200],
                    "domain": hint.get("domain"),
                    "employees": None,
                    "annual_revenue": None,
                    "industry": "",
                    "region": "",
                    "country": "",
                    **fill,
                    "created_at": now,
                    "updated_at": now,
                }
            )
            create_keys.append(key)
            values_by_key[key] = creates[-1]
            continue
        ids[key] = stored["id"]
        values_by_key[key] = stored
        if any(stored[name] != value for name, value in fill.items()):
            updates.append({**stored, **fill, "updated_at": now})
            values_by_key[key] = updates[-1]
    ids.update(zip(create_keys, writer.insert_accounts(creates), strict=True))
    writer.update_accounts(updates)
    return ids, values_by_key, [row["id"] for row in updates]


def advisory_xact_lock(*, keys: Iterable[str]) -> None:
    """On PostgreSQL, lock a hash of every key until the transaction ends, in sorted order.

    Two transactions locking overlapping key sets always queue in the same
    order, so they never deadlock. Elsewhere a no-op (SQLite serialises writers).
    """
    if connection.vendor == "postgresql":
        ids = _lock_ids(keys)
        if ids:
            with connection.cursor() as cursor:
                cursor.execute(
                    "SELECT count(pg_advisory_xact_lock(%s, k))"
                    " FROM unnest(string_to_array(%s, ',')::int[]) AS t(k)",
                    [_LOCK_CLASS, ",".join(map(str, ids))],
                )


# Advisory locks are taken on buckets of keys, not on every key: a 5,000-row
# batch then holds at most LOCK_BUCKETS locks, which PostgreSQL's shared lock
# table (max_locks_per_transaction × max_connections) holds easily even for
# several batches at once. Writers whose keys share a bucket simply queue.
LOCK_BUCKETS = 1024
_LOCK_CLASS = 0x534D4B  # "SMK": the first int of the two-int advisory lock key


def _lock_ids(keys: Iterable[str]) -> list[int]:
    return sorted({zlib.crc32(key.encode()) % LOCK_BUCKETS for key in keys})


_ACCOUNT_UPDATE_COLUMNS = ("name", "name_normalised", "domain", *_ACCOUNT_FILL, "updated_at")
_LEAD_UPDATE_COLUMNS = (*_LEAD_COLUMNS, "updated_at")
# The columns a new lead is inserted with (public: the bench's baseline COPY derives its own).
LEAD_INSERT_COLUMNS = (
    *_LEAD_COLUMNS,
    "delivery_seconds",
    "received_at",
    "stage",
    "stage_changed_at",
    "created_at",
    "updated_at",
    # a new lead is scored before it is written (leads.scoring.rescore.IntakeScorer)
    *SCORE_COLUMNS,
)
_ACCOUNT_INSERT_COLUMNS = (
    "name",
    "name_normalised",
    "domain",
    *_ACCOUNT_FILL,
    "created_at",
    "updated_at",
)
_EVENT_COLUMNS = (
    "lead_id",
    "kind",
    "from_stage",
    "to_stage",
    "actor_user_id",
    "actor_system",
    "reason",
    "data",
    "at",
)


_ACCOUNT_READ_COLUMNS = ("id", "name", "domain", "name_normalised", *_ACCOUNT_FILL)


class _OrmStore:
    """Any database Django supports: ORM reads, bulk_create / bulk_update."""

    def stored_leads(self, *, by_source, emails, phones) -> Iterable[dict[str, Any]]:
        condition = Q(pk__in=[])
        for source, external_ids in by_source.items():
            condition |= Q(source_system=source, external_id__in=external_ids)
        if emails:
            condition |= Q(email_normalised__in=emails)
        if phones:
            condition |= Q(phone__in=phones, email_normalised__isnull=True)
        return Lead.objects.filter(condition).order_by().values("id", *_LEAD_COLUMNS)

    def stored_accounts(self, *, domains, names) -> Iterable[dict[str, Any]]:
        condition = Q(domain__in=domains) | Q(name_normalised__in=names)
        return Account.objects.filter(condition).order_by("id").values(*_ACCOUNT_READ_COLUMNS)

    def close(self) -> None:
        pass

    def lock(self, keys: Iterable[str]) -> None:
        """Nothing to do: SQLite's IMMEDIATE transactions already serialise writers."""

    def insert_accounts(self, rows: list[dict]) -> list[int]:
        objs = Account.objects.bulk_create([Account(**row) for row in rows], batch_size=500)
        return [obj.pk for obj in objs]

    def update_accounts(self, rows: list[dict]) -> None:
        objs = [Account(**row) for row in rows]
        Account.objects.bulk_update(objs, _ACCOUNT_UPDATE_COLUMNS, batch_size=500)

    def insert_leads(self, rows: list[dict]) -> list[int]:
        objs = Lead.objects.bulk_create([Lead(**row) for row in rows], batch_size=500)
        return [obj.pk for obj in objs]

    def update_leads(self, rows: list[dict]) -> None:
        self.update_rows(Lead, _LEAD_UPDATE_COLUMNS, rows)

    def update_rows(self, model, columns: Sequence[str], rows: list[dict]) -> None:
        """Set ``columns`` of the rows (dicts with ``id``) with bulk_update."""
        objs = [model(**row) for row in rows]
        model.objects.bulk_update(objs, columns, batch_size=500)

    def insert_events(self, rows: list[dict], *, now) -> None:
        LeadEvent.objects.bulk_create(
            [LeadEvent(reason="", at=now, **row) for row in rows], batch_size=500
        )

    def insert_new_consent(self, *, leads, ids, now, via, actor_user_id, actor_system) -> None:
        """The consent history of new leads that came with a consent (not opted out:
        those go through ``leads.consent`` with their event)."""
        ConsentChange.objects.bulk_create(
            [
                ConsentChange(
                    lead_id=lead_id,
                    kind=ConsentChange.Kind.RECORDED,
                    do_not_contact=False,
                    consent_source=lead["consent_source"],
                    consent_at=lead["consent_at"],
                    via=via,
                    actor_user_id=actor_user_id,
                    actor_system="" if actor_user_id is not None else actor_system,
                    at=now,
                )
                for lead, lead_id in zip(leads, ids, strict=True)
                if _has_new_consent(lead)
            ],
            batch_size=500,
        )

    def insert_created_events(self, *, leads, ids, now, actor_user_id, actor_system) -> None:
        self.insert_events(
            [
                {
                    "lead_id": lead_id,
                    "kind": LeadEvent.Kind.CREATED.value,
                    "from_stage": None,
                    "to_stage": Stage.INQUIRY.value,
                    "data": _created_data(lead),
                    "actor_user_id": actor_user_id,
                    "actor_system": actor_system,
                }
                for lead, lead_id in zip(leads, ids, strict=True)
            ],
            now=now,
        )


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    return DjangoJSONEncoder().default(value)


def json_text(value: Any) -> str:
    """JSON text for a jsonb column written by COPY: orjson (~10x the stdlib's speed
    on score breakdowns); Decimals and lazy strings as text, like DjangoJSONEncoder."""
    return orjson.dumps(value, default=_json_default).decode()


def _text_array(values: list[str]) -> tuple[str, Any]:
    """SQL for a text[] parameter, and its value.

    psycopg renders a list element by element in Python (a regex and an
    escape per element, ~0.3 s per 100,000 rows of keys); joined into one
    string that the server splits (``string_to_array`` of a constant is
    folded at planning, so the plan is the same), it costs one escape. Used
    only when no element is empty or contains the separator; otherwise the
    list as usual.
    """
    joined = _KEY_SEP.join(values)
    if values and "" not in values and joined.count(_KEY_SEP) == len(values) - 1:
        return "string_to_array(%s, chr(31))", joined
    return "%s::text[]", values


class _PostgresStore:
    """PostgreSQL: array parameters (one bound value, not thousands), COPY on
    pre-allocated ids, UPDATE … FROM a COPY-filled temporary table."""

    def __init__(self):
        self.cursor = connection.cursor()
        self.raw = self.cursor.cursor  # the psycopg cursor, for COPY

    def close(self) -> None:
        self.cursor.close()

    def lock(self, keys: Iterable[str]) -> None:
        advisory_xact_lock(keys=keys)

    def _dicts(self, sql: str, params: list) -> list[dict[str, Any]]:
        self.cursor.execute(sql, params)
        names = [column.name for column in self.cursor.description]
        return [dict(zip(names, row, strict=True)) for row in self.cursor.fetchall()]

    def stored_leads(self, *, by_source, emails, phones) -> Iterable[dict[str, Any]]:
        # One index scan per key kind; each WHERE implies the partial index's condition.
        select = f"SELECT {', '.join(('id', *_LEAD_COLUMNS))} FROM leads_lead WHERE "
        parts, params = [], []
        for source, external_ids in by_source.items():
            array, value = _text_array(external_ids)
            parts.append(select + f"source_system = %s AND external_id = ANY({array})")
            params += [source, value]
        if emails:
            array, value = _text_array(emails)
            parts.append(select + f"email_normalised = ANY({array})")
            params.append(value)
        if phones:
            array, value = _text_array(phones)
            parts.append(select + f"phone = ANY({array}) AND email_normalised IS NULL")
            params.append(value)
        return self._dicts(" UNION ".join(parts), params) if parts else []

    def stored_accounts(self, *, domains, names) -> Iterable[dict[str, Any]]:
        select = f"SELECT {', '.join(_ACCOUNT_READ_COLUMNS)} FROM leads_account WHERE "
        domain_array, domain_value = _text_array(domains)
        name_array, name_value = _text_array(names)
        return self._dicts(
            f"{select} domain = ANY({domain_array})"
            f" UNION {select} name_normalised = ANY({name_array}) ORDER BY id",
            [domain_value, name_value],
        )

    def _next_ids(self, model, count: int) -> list[int]:
        if not count:
            return []
        # The sequence is looked up once (an InitPlan), not once per id: the
        # text → regclass resolution per row cost ~8x the nextval itself.
        self.cursor.execute(
            "SELECT nextval((SELECT pg_get_serial_sequence(%s, 'id')::regclass))"
            " FROM generate_series(1, %s)",
            [model._meta.db_table, count],
        )
        return [row[0] for row in self.cursor.fetchall()]

    def _copy(self, table: str, columns: Sequence[str], rows: Iterable[Sequence]) -> None:
        names = ", ".join(f'"{c}"' for c in columns)
        # wrap_database_errors: a violation raised by psycopg during COPY
        # becomes django.db.IntegrityError, like any ORM query's.
        with (
            connection.wrap_database_errors,
            self.raw.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)

    @staticmethod
    def _values(model, columns: Sequence[str]) -> Callable[[dict], tuple]:
        """The row's values for ``columns``; JSON columns go to COPY as JSON text
        (rows carry Python data, as the ORM path wants)."""
        get = operator.itemgetter(*columns)
        if len(columns) == 1:
            get = (lambda g: lambda row: (g(row),))(get)
        json_at = [
            i
            for i, name in enumerate(columns)
            if isinstance(model._meta.get_field(name), JSONField)
        ]
        if not json_at:
            return get

        def values(row: dict) -> tuple:
            out = list(get(row))
            for i in json_at:
                out[i] = json_text(out[i])
            return tuple(out)

        return values

    def _insert(self, model, columns: Sequence[str], rows: list[dict]) -> list[int]:
        ids = self._next_ids(model, len(rows))
        values = self._values(model, columns)
        self._copy(
            model._meta.db_table,
            ("id", *columns),
            ((new_id, *values(row)) for new_id, row in zip(ids, rows, strict=True)),
        )
        return ids

    def update_rows(self, model, columns: Sequence[str], rows: list[dict]) -> None:
        """Set ``columns`` of the rows (dicts with ``id``): COPY into a temporary
        table, then one UPDATE … FROM."""
        if not rows:
            return
        table = model._meta.db_table
        stage = f"_intake_{table}"
        definitions = ", ".join(
            f'"{c}" {model._meta.get_field(c).db_type(connection)}' for c in columns
        )
        self.cursor.execute(f"CREATE TEMP TABLE {stage} (id bigint, {definitions}) ON COMMIT DROP")
        values = self._values(model, columns)
        self._copy(stage, ("id", *columns), ((row["id"], *values(row)) for row in rows))
        assignments = ", ".join(f'"{c}" = s."{c}"' for c in columns)
        self.cursor.execute(
            f"UPDATE {table} AS t SET {assignments} FROM {stage} AS s WHERE t.id = s.id"
        )
        self.cursor.execute(f"DROP TABLE {stage}")

    def insert_accounts(self, rows: list[dict]) -> list[int]:
        return self._insert(Account, _ACCOUNT_INSERT_COLUMNS, rows)

    def update_accounts(self, rows: list[dict]) -> None:
        self.update_rows(Account, _ACCOUNT_UPDATE_COLUMNS, rows)

    def insert_leads(self, rows: list[dict]) -> list[int]:
        return self._insert(Lead, LEAD_INSERT_COLUMNS, rows)

    def update_leads(self, rows: list[dict]) -> None:
        self.update_rows(Lead, _LEAD_UPDATE_COLUMNS, rows)

    def insert_created_events(self, *, leads, ids, now, actor_user_id, actor_system) -> None:
        """Set-based: one INSERT … SELECT over the new leads (data as in _created_data)."""
        if not ids:
            return
        self.cursor.execute(
            "INSERT INTO leads_leadevent"
            " (lead_id, kind, from_stage, to_stage, actor_user_id, actor_system, reason, data, at)"
            " SELECT id, %s, NULL, %s, %s, %s, '',"
            " jsonb_build_object('source_channel', source_channel, 'campaign', campaign), %s"
            " FROM leads_lead WHERE id = ANY(string_to_array(%s, ',')::bigint[]) ORDER BY id",
            [
                LeadEvent.Kind.CREATED.value,
                Stage.INQUIRY.value,
                actor_user_id,
                actor_system,
                now,
                ",".join(map(str, ids)),  # one string, not a list rendered item by item
            ],
        )

    def insert_new_consent(self, *, leads, ids, now, via, actor_user_id, actor_system) -> None:
        """Set-based, like the created events: one INSERT … SELECT over the new leads
        that came with a consent and did not opt out (see ``_OrmStore``'s)."""
        if not ids or not any(_has_new_consent(lead) for lead in leads):
            return
        self.cursor.execute(
            "INSERT INTO leads_consentchange (lead_id, kind, do_not_contact, consent_source,"
            " consent_at, via, actor_user_id, actor_system, reason, at, created_at)"
            " SELECT id, %s, false, consent_source, consent_at, %s, %s, %s, '', %s, %s"
            " FROM leads_lead WHERE id = ANY(string_to_array(%s, ',')::bigint[])"
            " AND NOT do_not_contact AND (consent_source <> '' OR consent_at IS NOT NULL)"
            " ORDER BY id",
            [
                ConsentChange.Kind.RECORDED.value,
                via,
                actor_user_id,
                "" if actor_user_id is not None else actor_system,
                now,
                now,
                ",".join(map(str, ids)),
            ],
        )

    def insert_events(self, rows: list[dict], *, now) -> None:
        if not rows:
            return
        dumps = json_text
        self._copy(
            LeadEvent._meta.db_table,
            _EVENT_COLUMNS,
            (
                (
                    row["lead_id"],
                    row["kind"],
                    row["from_stage"],
                    row["to_stage"],
                    row["actor_user_id"],
                    row["actor_system"],
                    "",
                    dumps(row["data"]),
                    now,
                )
                for row in rows
            ),
        )
