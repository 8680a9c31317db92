"""The calendar pages' forms: they parse what a person types (hours as
``09:00-12:00, 13:30-18:00`` per weekday, countries as ``CN, HK``); the rules of a
calendar are ``sla.calendars.services.check``'s, whose errors come back onto the
fields they name."""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from sla.calendars import services
from sla.models import CalendarDate

WEEKDAY_CHOICES = [(day, name) for day, name in enumerate(services.WEEKDAY_NAMES)]
SPAN = re.compile(r"^\s*(\d{1,2}:\d{2})\s*[-–~至到]\s*(\d{1,2}:\d{2})\s*$")


def hours_field_name(day: int) -> str:
    return f"hours_{day}"


def parse_spans(text: str) -> list[list[str]]:
    """``"09:00-12:00, 13:30-18:00"`` → ``[["09:00", "12:00"], ["13:30", "18:00"]]``."""
    spans = []
    for part in re.split(r"[,，;；]", text or ""):
        if not part.strip():
            continue
        match = SPAN.match(part)
        if match is None:
            raise forms.ValidationError(
                _("%(value)s is not a time span: write it as 09:00-12:00.")
                % {"value": part.strip()[:40]}
            )
        spans.append([match.group(1), match.group(2)])
    return spans


def spans_text(pairs) -> str:
    return ", ".join(f"{a}-{b}" for a, b in pairs or [])


class CalendarForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100)
    time_zone = forms.CharField(
        label=gettext_lazy("Time zone"),
        max_length=64,
        help_text=gettext_lazy("e.g. Asia/Shanghai"),
        widget=forms.TextInput(attrs={"list": "time-zones", "autocomplete": "off"}),
    )
    countries = forms.CharField(
        label=gettext_lazy("Public holidays of"),
        required=False,
        max_length=200,
        help_text=gettext_lazy(
            "ISO country codes, comma-separated (CN for mainland China, with its make-up "
            "working days); empty for none."
        ),
    )
    makeup_weekday = forms.TypedChoiceField(
        label=gettext_lazy("An open date works the hours of"),
        choices=WEEKDAY_CHOICES,
        coerce=int,
        initial=0,
    )
    is_default = forms.BooleanField(
        label=gettext_lazy("Default calendar"),
        required=False,
        help_text=gettext_lazy("Used by every clock whose policy, owner and team name none."),
    )

    def __init__(self, *args, calendar=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.calendar = calendar
        for day, name in WEEKDAY_CHOICES:
            self.fields[hours_field_name(day)] = forms.CharField(
                label=name,
                required=False,
                max_length=300,
                widget=forms.TextInput(attrs={"placeholder": pgettext("calendar day", "closed")}),
            )

    @classmethod
    def initial_for(cls, calendar) -> dict:
        initial = {
            "name": calendar.name,
            "time_zone": calendar.time_zone,
            "countries": ", ".join(calendar.countries or []),
            "makeup_weekday": calendar.makeup_weekday,
            "is_default": calendar.is_default,
        }
        for day in services.WEEKDAYS:
            initial[hours_field_name(day)] = spans_text((calendar.hours or {}).get(str(day)))
        return initial

    def hours_fields(self):
        return [self[hours_field_name(day)] for day in services.WEEKDAYS]

    def clean(self):
        data = super().clean()
        hours = {}
        for day in services.WEEKDAYS:
            name = hours_field_name(day)
            if name in data:
                try:
                    hours[str(day)] = parse_spans(data[name])
                except forms.ValidationError as error:
                    self.add_error(name, error)
        data["hours"] = hours
        data["countries_list"] = [
            code.strip().upper()
            for code in re.split(r"[,，;；\s]+", data.get("countries") or "")
            if code.strip()
        ]
        return data

    def calendar_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "time_zone": data["time_zone"].strip(),
            "countries": data["countries_list"],
            "hours": data["hours"],
            "makeup_weekday": data["makeup_weekday"],
            "is_default": data["is_default"],
        }

    def add_service_errors(self, errors: dict) -> None:
        """``services.check``'s errors onto the fields they name."""
        for key, messages in errors.items():
            field = key
            if key.startswith("hours."):
                field = "hours_" + key.removeprefix("hours.")
            elif key == "hours":
                field = None
            for message in messages:
                self.add_error(field if field in self.fields else None, message)


class DateForm(forms.Form):
    date = forms.DateField(
        label=gettext_lazy("Date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=CalendarDate.Kind.choices)
    works_as = forms.TypedChoiceField(
        label=gettext_lazy("An open date works the hours of"),
        choices=[("", gettext_lazy("the calendar's choice")), *WEEKDAY_CHOICES],
        coerce=int,
        required=False,
        empty_value=None,
    )
    note = forms.CharField(label=gettext_lazy("Note"), max_length=200, required=False)

    def add_service_errors(self, errors: dict) -> None:
        for key, messages in errors.items():
            for message in messages:
                self.add_error(key if key in self.fields else None, message)


class PreviewForm(forms.Form):
    at = forms.CharField(
        label=gettext_lazy("Assigned at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args, zone: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields["at"].label = _("Assigned at (%(zone)s)") % {"zone": zone}

    def clean_at(self) -> dt.datetime | None:
        text = (self.cleaned_data.get("at") or "").strip()
        if not text:
            return None
        try:
            moment = dt.datetime.fromisoformat(text.replace(" ", "T"))
        except ValueError:
            raise forms.ValidationError(_("Give a date and time, e.g. 2026-05-22 16:30.")) from None
        if not services.FIRST_YEAR <= moment.year <= services.LAST_YEAR:
            raise forms.ValidationError(
                _("Give a date between %(first)d and %(last)d.")
                % {"first": services.FIRST_YEAR, "last": services.LAST_YEAR}
            )
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=ZoneInfo(self.zone))
        return moment
