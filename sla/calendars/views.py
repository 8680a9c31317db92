"""The business calendars' pages (admins and directors; others 403, anonymous to the
sign-in page): the list, a new calendar, a calendar's page (its fields, custom
dates, the missing make-up days warning, the preview and its history). Thin: forms
parse, ``sla.calendars.services`` checks and writes."""

from __future__ import annotations

from functools import wraps
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from leads import vocabulary
from leads.audit.selectors import audit_records, with_words
from sla.calendars import forms as f
from sla.calendars import services
from sla.calendars.words import records_in_words
from sla.models import BusinessCalendar, CalendarDate

RECENT = 20


def editor_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not services.may_edit(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _hours_rows(calendar) -> list[tuple[str, str]]:
    return [
        (services.weekday_name(day), f.spans_text((calendar.hours or {}).get(str(day))))
        for day in services.WEEKDAYS
    ]


def _countries(calendar) -> list[tuple[str, str]]:
    return [(code, vocabulary.country_label(code)) for code in calendar.countries or []]


def _saved_message(request, calendar, text: str, recomputed: int) -> None:
    messages.success(
        request,
        text
        + " "
        + ngettext(
            "The running clocks of %(count)d lead were recomputed.",
            "The running clocks of %(count)d leads were recomputed.",
            recomputed,
        )
        % {"count": recomputed},
    )


@require_GET
@editor_required
def calendar_list(request):
    calendars = list(BusinessCalendar.objects.all())
    if not calendars:
        calendars = [services.default_calendar()]
    years = services.years_in_use()
    rows = [
        {
            "calendar": calendar,
            "countries": _countries(calendar),
            "hours": [row for row in _hours_rows(calendar) if row[1]],
            "missing": services.missing_years(calendar, years),
        }
        for calendar in calendars
    ]
    return render(request, "calendars/list.html", {"rows": rows})


@require_http_methods(["GET", "HEAD", "POST"])
@editor_required
def calendar_new(request):
    if request.method == "POST":
        form = f.CalendarForm(request.POST)
        if form.is_valid():
            try:
                calendar = services.save_calendar(by=request.user, **form.calendar_fields())
            except services.CalendarInvalid as error:
                form.add_service_errors(error.errors)
            else:
                _saved_message(
                    request,
                    calendar,
                    _("Calendar %(name)s created.") % {"name": calendar.name},
                    calendar.recomputed,
                )
                return redirect("sla:calendar", calendar.pk)
    else:
        default = services.default_calendar()
        initial = f.CalendarForm.initial_for(default)
        initial.update(name="", is_default=False)
        form = f.CalendarForm(initial=initial)
    return render(
        request,
        "calendars/new.html",
        {"form": form, "time_zones": sorted(services.time_zones())},
        status=400 if form.errors else 200,
    )


def _dates(calendar) -> list[CalendarDate]:
    rows = list(calendar.dates.all())
    for row in rows:
        day = row.works_as if row.works_as is not None else calendar.makeup_weekday
        row.works_as_name = services.weekday_name(day)
    return rows


def _calendar_page(request, calendar, *, form=None, date_form=None, status=200):
    preview_form = f.PreviewForm(request.GET or None, zone=calendar.time_zone)
    at = None
    if request.GET and preview_form.is_valid():
        at = preview_form.cleaned_data["at"]
    elif request.GET.get("at"):
        status = 400
    years = services.years_in_use()
    form = form or f.CalendarForm(initial=f.CalendarForm.initial_for(calendar), calendar=calendar)
    return render(
        request,
        "calendars/calendar.html",
        {
            "calendar": calendar,
            "form": form,
            "date_form": date_form or f.DateForm(initial={"kind": CalendarDate.Kind.OPEN}),
            "preview_form": preview_form,
            "preview": services.preview(calendar, at=at),
            "preview_at": (at or timezone.now()).astimezone(ZoneInfo(calendar.time_zone)),
            "typed_at": at is not None,
            "missing": services.missing_years(calendar, years),
            "years": years,
            "dates": _dates(calendar),
            "countries": _countries(calendar),
            "time_zones": sorted(services.time_zones()),
            "records": records_in_words(
                with_words(
                    audit_records(target=calendar).filter(action__startswith="calendar.")[:RECENT]
                )
            ),
        },
        status=status,
    )


def _back_to(calendar, *, at: str = ""):
    """The calendar's page, keeping the preview's typed moment."""
    url = reverse("sla:calendar", args=[calendar.pk])
    if at:
        url += "?" + urlencode({"at": at[:40]}) + "#preview"
    return HttpResponseRedirect(url)


@require_http_methods(["GET", "HEAD", "POST"])
@editor_required
def calendar_edit(request, calendar_id: int):
    calendar = get_object_or_404(BusinessCalendar, pk=calendar_id)
    if request.method != "POST":
        return _calendar_page(request, calendar)
    form = f.CalendarForm(request.POST, calendar=calendar)
    if form.is_valid():
        try:
            saved = services.save_calendar(
                by=request.user, calendar=calendar, **form.calendar_fields()
            )
        except services.CalendarInvalid as error:
            form.add_service_errors(error.errors)
        else:
            if saved.revision != calendar.revision:
                _saved_message(
                    request,
                    saved,
                    _("Calendar %(name)s saved.") % {"name": saved.name},
                    saved.recomputed,
                )
            else:
                messages.info(request, _("Nothing changed."))
            return _back_to(saved, at=request.POST.get("at", ""))
    return _calendar_page(request, calendar, form=form, status=400)


@require_POST
@editor_required
def calendar_date_add(request, calendar_id: int):
    calendar = get_object_or_404(BusinessCalendar, pk=calendar_id)
    form = f.DateForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            row = services.add_date(
                by=request.user,
                calendar=calendar,
                date=data["date"],
                kind=data["kind"],
                works_as=data["works_as"] if data["kind"] == CalendarDate.Kind.OPEN else None,
                note=data["note"],
            )
        except services.CalendarInvalid as error:
            form.add_service_errors(error.errors)
        else:
            _saved_message(
                request,
                calendar,
                _("%(date)s added.") % {"date": row.date.isoformat()},
                row.recomputed,
            )
            return redirect("sla:calendar", calendar.pk)
    return _calendar_page(request, calendar, date_form=form, status=400)


@require_POST
@editor_required
def calendar_date_remove(request, calendar_id: int, date_id: int):
    calendar = get_object_or_404(BusinessCalendar, pk=calendar_id)
    row = get_object_or_404(CalendarDate, calendar=calendar, pk=date_id)
    recomputed = services.remove_date(by=request.user, calendar=calendar, date_id=row.pk)
    _saved_message(
        request, calendar, _("%(date)s removed.") % {"date": row.date.isoformat()}, recomputed
    )
    return redirect("sla:calendar", calendar.pk)
