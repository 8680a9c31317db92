"""Business calendars as the app uses them (issue 12 §1): checking and saving a
calendar, resolving it into :class:`sla.business_time.Calendar`, choosing which one a
clock uses, the missing make-up days warning and the preview.

- :func:`resolve` — the pure calendar with the public holidays of the years around a
  moment (last year to two years ahead) and the calendar's custom dates, cached in
  this process by the calendar's id and revision (a clock computing thousands of
  leads never rebuilds it; an edit bumps the revision, so a cached copy is never
  used for a changed calendar).
- :func:`calendar_for` — the policy's calendar, else the owner's (``PersonCalendar``),
  else the team's (``TeamSla.calendar``), else the default: one query.
- :func:`default_calendar` — the default calendar, made again if it is missing (the
  data migration made it; a flushed test database has lost it).
- :func:`check` — every problem of a calendar's fields as ``{field: [messages]}``
  (``hours.<weekday>``, ``dates[<i>].<field>``); :func:`save_calendar`,
  :func:`add_date`, :func:`remove_date` write, each in one transaction with an audit
  record, bump ``revision`` and recompute the running clocks on that calendar
  (``sla.clocks.sync.recompute_calendar``).
"""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

import holidays as holidays_package
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Case, Q, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from leads.audit.services import audit_record
from leads.audit.words import register_actions
from sla import business_time, terms
from sla.models import BusinessCalendar, CalendarDate, PersonCalendar, TeamSla, TermSet

register_actions(
    {
        "calendar.create": gettext_lazy("Business calendar created"),
        "calendar.update": gettext_lazy("Business calendar changed"),
        "calendar.date_add": gettext_lazy("Calendar date added"),
        "calendar.date_remove": gettext_lazy("Calendar date removed"),
    }
)

WEEKDAYS = tuple(range(7))
WEEKDAY_NAMES = (
    gettext_lazy("Monday"),
    gettext_lazy("Tuesday"),
    gettext_lazy("Wednesday"),
    gettext_lazy("Thursday"),
    gettext_lazy("Friday"),
    gettext_lazy("Saturday"),
    gettext_lazy("Sunday"),
)
DEFAULT_NAME = "Default"
DEFAULT_HOURS: dict[str, list[list[str]]] = {
    **{str(day): [["09:00", "12:00"], ["13:30", "18:00"]] for day in range(5)},
    "5": [],
    "6": [],
}
# Custom dates and typed-in moments outside these years are typos (and the holidays
# package knows nothing of them).
FIRST_YEAR, LAST_YEAR = 1970, 2200
MAX_DATES = 1000
MAX_INTERVALS_A_DAY = 12
MAX_COUNTRIES = 20
# Years resolved around a moment: last year to two years ahead.
YEARS_BEFORE, YEARS_AFTER = 1, 2
CALENDAR_FIELDS = ("name", "time_zone", "countries", "hours", "makeup_weekday", "is_default")


class CalendarInvalid(ValueError):
    """A calendar that may not be saved: ``errors`` maps each field to its messages."""

    def __init__(self, errors: Mapping[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = dict(errors)


# ------------------------------------------------------------------ checking


@cache
def time_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


@cache
def country_codes() -> frozenset[str]:
    """The ISO 3166 alpha-2 codes the ``holidays`` package has public holidays for."""
    return frozenset(code for code in holidays_package.list_supported_countries() if len(code) == 2)


def weekday_name(day: int) -> str:
    return str(WEEKDAY_NAMES[day])


def _intervals_errors(day: int, value: Any) -> list[str]:
    name = weekday_name(day)
    if not isinstance(value, list):
        return [_("%(day)s: give a list of [start, end] pairs.") % {"day": name}]
    if len(value) > MAX_INTERVALS_A_DAY:
        return [
            _("%(day)s: at most %(count)d intervals a day.")
            % {"day": name, "count": MAX_INTERVALS_A_DAY}
        ]
    pairs = []
    for pair in value:
        if (
            not isinstance(pair, list | tuple)
            or len(pair) != 2
            or not all(isinstance(part, str) for part in pair)
        ):
            return [_("%(day)s: each interval is a [start, end] pair of times.") % {"day": name}]
        try:
            start, end = (business_time.minutes(part) for part in pair)
            if not all(_is_clock_text(part) for part in pair):
                raise ValueError
        except ValueError:
            return [
                _("%(day)s: %(value)s is not a time of day (HH:MM, 24:00 at most).")
                % {"day": name, "value": "–".join(str(p)[:10] for p in pair)}
            ]
        if start >= end:
            return [
                _("%(day)s: %(start)s–%(end)s ends before it starts.")
                % {"day": name, "start": pair[0], "end": pair[1]}
            ]
        pairs.append((start, end, pair))
    pairs.sort()
    for (_s, end, first), (start, _e, second) in zip(pairs, pairs[1:], strict=False):
        if start < end:
            return [
                _("%(day)s: %(first)s and %(second)s overlap.")
                % {"day": name, "first": "–".join(first), "second": "–".join(second)}
            ]
    return []


def _is_clock_text(text: str) -> bool:
    hours, sep, mins = text.partition(":")
    return bool(sep) and hours.isdigit() and mins.isdigit() and len(mins) == 2 and len(hours) <= 2


def hours_errors(hours: Any) -> dict[str, list[str]]:
    """The problems of ``{"0": [["09:00", "12:00"], ...], ...}`` by ``hours.<weekday>``."""
    if not isinstance(hours, Mapping):
        return {"hours": [_("Give the working hours as an object of weekdays 0–6.")]}
    errors: dict[str, list[str]] = {}
    for key in hours:
        if key not in {str(day) for day in WEEKDAYS}:
            errors[f"hours.{str(key)[:20]}"] = [_("Not a weekday: use 0 (Monday) to 6 (Sunday).")]
    for day in WEEKDAYS:
        problems = _intervals_errors(day, hours.get(str(day), []))
        if problems:
            errors[f"hours.{day}"] = problems
    if not errors and not any(hours.get(str(day)) for day in WEEKDAYS):
        errors["hours"] = [
            _("A calendar needs some working time: give at least one weekday working hours.")
        ]
    return errors


def normal_hours(hours: Mapping[str, Any]) -> dict[str, list[list[str]]]:
    """Checked hours in their stored shape: every weekday, intervals sorted, "9:00" as
    "09:00"."""
    result = {}
    for day in WEEKDAYS:
        pairs = sorted(
            ([_two_digits(a), _two_digits(b)] for a, b in hours.get(str(day), [])),
            key=lambda pair: business_time.minutes(pair[0]),
        )
        result[str(day)] = pairs
    return result


def _two_digits(text: str) -> str:
    value = business_time.minutes(text)
    return f"{value // 60:02d}:{value % 60:02d}"


def _date_value(value: Any) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return None
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def dates_errors(dates: Any) -> dict[str, list[str]]:
    """The problems of a list of custom dates (``{date, kind, works_as, note}``)."""
    if not isinstance(dates, list):
        return {"dates": [_("Give the custom dates as a list.")]}
    if len(dates) > MAX_DATES:
        return {"dates": [_("At most %(count)d custom dates.") % {"count": MAX_DATES}]}
    errors: dict[str, list[str]] = {}
    seen: set[dt.date] = set()
    for index, item in enumerate(dates):
        path = f"dates[{index}]"
        if not isinstance(item, Mapping):
            errors[path] = [_("Each custom date is an object.")]
            continue
        errors.update(date_errors(item, path=path))
        day = _date_value(item.get("date"))
        if day is not None:
            if day in seen:
                errors.setdefault(f"{path}.date", []).append(
                    _("%(date)s is given twice.") % {"date": day.isoformat()}
                )
            seen.add(day)
    return errors


def date_errors(item: Mapping[str, Any], *, path: str = "") -> dict[str, list[str]]:
    """One custom date's problems, by field (``date``, ``kind``, ``works_as``, ``note``)."""
    prefix = f"{path}." if path else ""
    errors: dict[str, list[str]] = {}
    for key in item:
        if key not in ("date", "kind", "works_as", "note"):
            errors[f"{prefix}{str(key)[:20]}"] = [_("Unknown field.")]
    day = _date_value(item.get("date"))
    if day is None:
        errors[f"{prefix}date"] = [_("Give a date as YYYY-MM-DD.")]
    elif not FIRST_YEAR <= day.year <= LAST_YEAR:
        errors[f"{prefix}date"] = [
            _("Give a date between %(first)d and %(last)d.")
            % {"first": FIRST_YEAR, "last": LAST_YEAR}
        ]
    kind = item.get("kind")
    if kind not in CalendarDate.Kind.values:
        errors[f"{prefix}kind"] = [_('Say "closed" or "open".')]
    works_as = item.get("works_as")
    if works_as is not None:
        if isinstance(works_as, bool) or not isinstance(works_as, int) or works_as not in WEEKDAYS:
            errors[f"{prefix}works_as"] = [_("Give a weekday: 0 (Monday) to 6 (Sunday).")]
        elif kind == CalendarDate.Kind.CLOSED:
            errors[f"{prefix}works_as"] = [_("Only an open date works the hours of a weekday.")]
    note = item.get("note", "")
    if not isinstance(note, str):
        errors[f"{prefix}note"] = [_("Give the note as text.")]
    elif len(note) > 200:
        errors[f"{prefix}note"] = [_("At most 200 characters.")]
    elif "\x00" in note:
        errors[f"{prefix}note"] = [_("The note may not contain NUL characters.")]
    return errors


def check(fields: Mapping[str, Any], *, calendar: BusinessCalendar | None = None) -> dict:
    """Every problem of a calendar's fields (those given), as ``{field: [messages]}``."""
    errors: dict[str, list[str]] = {}
    if "name" in fields:
        name = fields["name"]
        if not isinstance(name, str) or not name.strip():
            errors["name"] = [_("Give the calendar a name.")]
        elif len(name.strip()) > 100 or "\x00" in name:
            errors["name"] = [_("At most 100 characters.")]
        else:
            taken = BusinessCalendar.objects.filter(name__iexact=name.strip())
            if calendar is not None and calendar.pk:
                taken = taken.exclude(pk=calendar.pk)
            if taken.exists():
                errors["name"] = [_("Another calendar has this name.")]
    if "time_zone" in fields:
        zone = fields["time_zone"]
        if not isinstance(zone, str) or zone not in time_zones():
            errors["time_zone"] = [
                _("%(zone)s is not a known time zone (e.g. Asia/Shanghai).")
                % {"zone": str(zone)[:64]}
            ]
    if "countries" in fields:
        countries = fields["countries"]
        if not isinstance(countries, list) or not all(isinstance(c, str) for c in countries):
            errors["countries"] = [_("Give the countries as a list of ISO codes.")]
        elif len(countries) > MAX_COUNTRIES:
            errors["countries"] = [_("At most %(count)d countries.") % {"count": MAX_COUNTRIES}]
        else:
            unknown = [c for c in countries if c.strip().upper() not in country_codes()]
            if unknown:
                errors["countries"] = [
                    _("No public holidays known for %(codes)s: use ISO 3166 codes such as CN.")
                    % {"codes": ", ".join(c[:10] for c in unknown[:5])}
                ]
    if "hours" in fields:
        errors.update(hours_errors(fields["hours"]))
    if "makeup_weekday" in fields:
        value = fields["makeup_weekday"]
        if isinstance(value, bool) or not isinstance(value, int) or value not in WEEKDAYS:
            errors["makeup_weekday"] = [_("Give a weekday: 0 (Monday) to 6 (Sunday).")]
    if "is_default" in fields:
        value = fields["is_default"]
        if not isinstance(value, bool):
            errors["is_default"] = [_("Say true or false.")]
        elif not value and calendar is not None and calendar.is_default:
            errors["is_default"] = [
                _("One calendar is always the default: make another calendar the default instead.")
            ]
    if "dates" in fields:
        errors.update(dates_errors(fields["dates"]))
    return errors


# ------------------------------------------------------------------ reading


def default_fields() -> dict[str, Any]:
    return {
        "name": DEFAULT_NAME,
        "time_zone": settings.TIME_ZONE,
        "countries": [c.upper() for c in settings.SLA_DEFAULT_COUNTRIES],
        "hours": DEFAULT_HOURS,
        "makeup_weekday": 0,
        "is_default": True,
    }


def default_calendar() -> BusinessCalendar:
    """The default calendar; made again (as the data migration makes it) if missing."""
    found = BusinessCalendar.objects.filter(is_default=True).first()
    if found is not None:
        return found
    fields = default_fields()
    try:
        with transaction.atomic():
            if BusinessCalendar.objects.filter(name=fields["name"]).exists():
                fields["name"] = f"{fields['name']} ({timezone.now():%Y-%m-%d %H:%M:%S})"
            return BusinessCalendar.objects.create(**fields)
    except IntegrityError:  # made by another request meanwhile
        return BusinessCalendar.objects.get(is_default=True)


def calendar_for(
    *,
    policy_calendar_id: int | None = None,
    owner_id: int | None = None,
    team_id: int | None = None,
) -> BusinessCalendar:
    """The calendar a clock uses: the policy's, else the owner's, else the team's, else
    the default. One query (two when the default must be made again)."""
    owner = PersonCalendar.objects.filter(user_id=owner_id).values("calendar_id")[:1]
    team = TeamSla.objects.filter(team_id=team_id, calendar__isnull=False).values("calendar_id")[:1]
    ranks, wanted = [], Q(is_default=True)
    if policy_calendar_id is not None:
        ranks.append(When(pk=policy_calendar_id, then=Value(0)))
        wanted |= Q(pk=policy_calendar_id)
    if owner_id is not None:
        ranks.append(When(pk__in=owner, then=Value(1)))
        wanted |= Q(pk__in=owner)
    if team_id is not None:
        ranks.append(When(pk__in=team, then=Value(2)))
        wanted |= Q(pk__in=team)
    chosen = (
        BusinessCalendar.objects.filter(wanted)
        .annotate(rank=Case(*ranks, default=Value(3)))
        .order_by("rank")
        .first()
    )
    return chosen or default_calendar()


def _years_around(moment: dt.date | dt.datetime | None) -> tuple[int, int]:
    year = (moment or timezone.now()).year
    return max(year - YEARS_BEFORE, 1), min(year + YEARS_AFTER, 9998)


_RESOLVED: dict[tuple, business_time.Calendar] = {}
_RESOLVED_LOCK = threading.Lock()
_RESOLVED_MAX = 256


def _fingerprint(calendar: BusinessCalendar) -> tuple:
    # the revision says what changed; the rest guards against a reused id (a test
    # database rolled back) and a row changed without save_calendar
    return (
        calendar.pk,
        calendar.revision,
        calendar.updated_at,
        calendar.time_zone,
        tuple(calendar.countries or ()),
        repr(sorted((calendar.hours or {}).items())),
        calendar.makeup_weekday,
    )


def resolve(
    calendar: BusinessCalendar,
    *,
    around: dt.date | dt.datetime | None = None,
    years: Iterable[int] | None = None,
) -> business_time.Calendar:
    """The pure calendar: hours, the public holidays and make-up days of the calendar's
    countries for the years around ``around`` (now: last year to two years ahead) or
    the ``years`` given, and its custom dates (all of them). Cached in this process by
    the calendar's id and revision (and the years)."""
    if years is None:
        first, last = _years_around(around)
    else:
        wanted = sorted(set(years)) or [timezone.now().year]
        first, last = wanted[0], wanted[-1]
    key = (*_fingerprint(calendar), first, last)
    found = _RESOLVED.get(key)
    if found is not None:
        return found
    custom = list(CalendarDate.objects.filter(calendar_id=calendar.pk)) if calendar.pk else []
    resolved = business_time.build_calendar(
        tz=calendar.time_zone,
        hours=_pure_hours(calendar.hours or {}),
        countries=calendar.countries or (),
        years=range(first, last + 1),
        closed_dates=[d.date for d in custom if d.kind == CalendarDate.Kind.CLOSED],
        open_dates={
            d.date: d.works_as if d.works_as is not None else calendar.makeup_weekday
            for d in custom
            if d.kind == CalendarDate.Kind.OPEN
        },
        makeup_weekday=calendar.makeup_weekday,
    )
    with _RESOLVED_LOCK:
        if len(_RESOLVED) >= _RESOLVED_MAX:
            _RESOLVED.clear()
        _RESOLVED[key] = resolved
    return resolved


def _pure_hours(hours: Mapping[str, Any]) -> dict[int, tuple[business_time.Interval, ...]]:
    return {
        int(day): business_time.intervals(*(tuple(pair) for pair in pairs))
        for day, pairs in hours.items()
        if pairs
    }


def resolve_for_span(
    calendar: BusinessCalendar, start: dt.datetime, end: dt.datetime | None = None
) -> business_time.Calendar:
    """The pure calendar covering ``start`` to ``end`` (a clock's life): the years
    from the year before ``start`` to two years after ``end``."""
    end = end or start
    return resolve(calendar, years=range(start.year - YEARS_BEFORE, end.year + YEARS_AFTER + 1))


@dataclass(frozen=True)
class MissingYear:
    country: str
    year: int


def missing_years(calendar: BusinessCalendar, years: Iterable[int]) -> list[MissingYear]:
    """Years (of ``years``) for which a country of the calendar that has make-up working
    days (China) has none in the ``holidays`` package and the calendar has no custom
    open date either: an admin must enter that year's make-up days."""
    years = sorted(set(years))
    if not years or not calendar.countries:
        return []
    entered = (
        set(
            CalendarDate.objects.filter(
                calendar_id=calendar.pk, kind=CalendarDate.Kind.OPEN, date__year__in=years
            ).values_list("date__year", flat=True)
        )
        if calendar.pk
        else set()
    )
    missing = []
    for country in calendar.countries:
        for year in _years_without_makeup_days(country, tuple(years)):
            if year not in entered:
                missing.append(MissingYear(country=country, year=year))
    return missing


@cache
def _years_without_makeup_days(country: str, years: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(business_time.years_without_makeup_days(country, years))


def years_in_use(today: dt.date | None = None) -> list[int]:
    """The years the warning looks at: this year and next."""
    year = (today or timezone.localdate()).year
    return [year, year + 1]


# ------------------------------------------------------------------ the preview


@dataclass(frozen=True)
class PreviewRow:
    term: str
    label: str
    target: str
    due: dt.datetime | None  # in the calendar's zone; None: no working time found


PREVIEW_TERMS = (terms.ACCEPTANCE, terms.FIRST_TOUCH)


def terms_definition() -> dict[str, Any]:
    """The published terms version's definition, else product.md's defaults."""
    definition = (
        TermSet.objects.filter(status=TermSet.Status.PUBLISHED)
        .values_list("definition", flat=True)
        .first()
    )
    if definition and not terms.validate(definition):
        return definition
    return terms.default_definition()


def target_words(target: terms.Target) -> str:
    from sla import wording

    return wording.amount_words(target.target, target.unit)


def due_at(
    calendar: business_time.Calendar, start: dt.datetime, target: terms.Target
) -> dt.datetime:
    """When ``target`` falls due for a clock started at ``start`` on ``calendar``."""
    if target.unit == "plain_minutes":
        return (start + dt.timedelta(minutes=target.target)).astimezone(calendar.tz)
    if target.unit == "working_days":
        length = business_time.day_length(calendar) * target.target
        return business_time.add_working(calendar, start, length)
    return business_time.add_working(calendar, start, dt.timedelta(minutes=target.target))


def preview(calendar: BusinessCalendar, *, at: dt.datetime | None = None) -> list[PreviewRow]:
    """When a lead assigned at ``at`` (now) would be due, for the acceptance and first
    touch terms of the catch-all policy, on this calendar."""
    from sla.models import Term

    at = at or timezone.now()
    definition = terms_definition()
    policy = len(definition["policies"]) - 1
    resolved = resolve_for_span(calendar, at)
    labels = dict(Term.choices)
    rows = []
    for term in PREVIEW_TERMS:
        target = terms.target(definition, policy, term)
        try:
            due = due_at(resolved, at, target)
        except ValueError:  # no working time within the search (every day closed)
            due = None
        rows.append(
            PreviewRow(term=term, label=str(labels[term]), target=target_words(target), due=due)
        )
    return rows


# ------------------------------------------------------------------ writing

EDITOR_ROLES = ("admin", "director")


def may_edit(user) -> bool:
    from leads.people import roles

    return roles.has_role(user, *EDITOR_ROLES)


def _require_editor(by) -> None:
    from django.core.exceptions import PermissionDenied

    if not may_edit(by):
        raise PermissionDenied(_("Only admins and directors change business calendars."))


def _date_rows(dates: Iterable[Any]) -> list[tuple[dt.date, str, int | None, str]]:
    rows = []
    for item in dates:
        if isinstance(item, CalendarDate):
            rows.append((item.date, item.kind, item.works_as, item.note))
        else:
            rows.append(
                (
                    _date_value(item["date"]),
                    item["kind"],
                    item.get("works_as"),
                    (item.get("note") or "").strip(),
                )
            )
    return sorted(rows)


def _date_snapshot(row: tuple[dt.date, str, int | None, str]) -> dict[str, Any]:
    day, kind, works_as, note = row
    return {"date": day.isoformat(), "kind": kind, "works_as": works_as, "note": note}


def snapshot(calendar: BusinessCalendar, dates: Iterable[Any] | None = None) -> dict[str, Any]:
    """What the audit trail keeps of a calendar."""
    if dates is None:
        dates = list(CalendarDate.objects.filter(calendar_id=calendar.pk)) if calendar.pk else []
    return {
        "name": calendar.name,
        "time_zone": calendar.time_zone,
        "countries": list(calendar.countries or []),
        # one key a weekday: the trail shows only the days that changed
        **{f"hours_{day}": (calendar.hours or {}).get(str(day), []) for day in WEEKDAYS},
        "makeup_weekday": calendar.makeup_weekday,
        "is_default": calendar.is_default,
        "dates": [_date_snapshot(row) for row in _date_rows(dates)],
    }


# What runs when a calendar changed (``calendar_id -> leads recomputed``): the clocks
# register ``sla.clocks.sync.recompute_calendar`` here (``sla.clocks.setup``), so that
# this module, which the clocks read, does not import them back.
CALENDAR_CHANGED: list = []


def _recompute(calendar: BusinessCalendar) -> int:
    """Recompute the running clocks on ``calendar`` from their events; how many leads
    had some."""
    return sum(hook(calendar.pk) for hook in list(CALENDAR_CHANGED))


def _normal(fields: Mapping[str, Any]) -> dict[str, Any]:
    result = dict(fields)
    if "name" in result:
        result["name"] = result["name"].strip()
    if "countries" in result:
        result["countries"] = list(dict.fromkeys(c.strip().upper() for c in result["countries"]))
    if "hours" in result:
        result["hours"] = normal_hours(result["hours"])
    return result


def save_calendar(*, by, calendar: BusinessCalendar | None = None, **fields) -> BusinessCalendar:
    """Create (``calendar`` None) or change a calendar; ``fields`` are those of
    ``CALENDAR_FIELDS`` to set, and ``dates`` (a list of ``{date, kind, works_as,
    note}``) replaces the custom dates. Checks everything first (:class:`CalendarInvalid`
    naming the fields), then in one transaction: saves, bumps ``revision`` when
    anything changed, leaves an audit record and recomputes the running clocks on the
    calendar. The result's ``recomputed`` is how many leads' clocks were."""
    _require_editor(by)
    unknown = set(fields) - {*CALENDAR_FIELDS, "dates"}
    if unknown:
        raise TypeError(f"unknown calendar fields: {sorted(unknown)}")
    creating = calendar is None
    if creating:
        fields = {"countries": [], "makeup_weekday": 0, "is_default": False, **fields}
        missing = [name for name in ("name", "time_zone", "hours") if name not in fields]
        if missing:
            raise CalendarInvalid({name: [_("This field is required.")] for name in missing})
    errors = check(fields, calendar=calendar)
    if errors:
        raise CalendarInvalid(errors)
    fields = _normal(fields)
    dates = fields.pop("dates", None)
    try:
        with transaction.atomic():
            if creating:
                calendar = BusinessCalendar(revision=0)
                before: dict[str, Any] = {}
            else:
                calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
                before = snapshot(calendar)
            for name, value in fields.items():
                setattr(calendar, name, value)
            if dates is not None:
                after = snapshot(calendar, dates)
            else:
                after = snapshot(calendar) if not creating else snapshot(calendar, [])
            calendar.recomputed = 0
            if not creating and before == after:
                return calendar
            if calendar.is_default:
                BusinessCalendar.objects.filter(is_default=True).exclude(pk=calendar.pk).update(
                    is_default=False
                )
            calendar.revision += 1
            calendar.save()
            if dates is not None:
                CalendarDate.objects.filter(calendar=calendar).delete()
                CalendarDate.objects.bulk_create(
                    [
                        CalendarDate(
                            calendar=calendar, date=day, kind=kind, works_as=works_as, note=note
                        )
                        for day, kind, works_as, note in _date_rows(dates)
                    ]
                )
            audit_record(
                actor=by,
                action="calendar.create" if creating else "calendar.update",
                target=calendar,
                before=before or None,
                after=after,
                detail={"revision": calendar.revision},
            )
            calendar.recomputed = _recompute(calendar)
    except IntegrityError:  # the same name saved meanwhile
        raise CalendarInvalid({"name": [_("Another calendar has this name.")]}) from None
    return calendar


def _bump(calendar: BusinessCalendar) -> BusinessCalendar:
    calendar.revision += 1
    calendar.save(update_fields=["revision", "updated_at"])
    return calendar


def add_date(
    *,
    by,
    calendar: BusinessCalendar,
    date: dt.date,
    kind: str,
    works_as: int | None = None,
    note: str = "",
) -> CalendarDate:
    """A custom closed or open date on ``calendar`` (one per date)."""
    _require_editor(by)
    item = {"date": date, "kind": kind, "works_as": works_as, "note": note}
    errors = date_errors(item)
    if errors:
        raise CalendarInvalid(errors)
    with transaction.atomic():
        calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
        if CalendarDate.objects.filter(calendar=calendar, date=date).exists():
            raise CalendarInvalid(
                {"date": [_("%(date)s is already a custom date.") % {"date": date.isoformat()}]}
            )
        row = CalendarDate.objects.create(
            calendar=calendar, date=date, kind=kind, works_as=works_as, note=note.strip()
        )
        _bump(calendar)
        audit_record(
            actor=by,
            action="calendar.date_add",
            target=calendar,
            after={"date": _date_snapshot(_date_rows([row])[0])},
            detail={"revision": calendar.revision},
        )
        row.recomputed = _recompute(calendar)
    return row


def remove_date(*, by, calendar: BusinessCalendar, date_id: int) -> int:
    """Remove a custom date of ``calendar``; how many leads' clocks were recomputed."""
    _require_editor(by)
    with transaction.atomic():
        calendar = BusinessCalendar.objects.select_for_update().get(pk=calendar.pk)
        row = CalendarDate.objects.filter(calendar=calendar, pk=date_id).first()
        if row is None:
            raise CalendarInvalid({"date": [_("No such custom date on this calendar.")]})
        words = _date_snapshot(_date_rows([row])[0])
        row.delete()
        _bump(calendar)
        audit_record(
            actor=by,
            action="calendar.date_remove",
            target=calendar,
            before={"date": words},
            detail={"revision": calendar.revision},
        )
        return _recompute(calendar)
