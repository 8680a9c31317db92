"""Django forms that refuse what cannot be stored or read back (issue 10 §1), for the
admin and any other ``ModelForm`` that writes models directly.

- ``StorableJSONField`` — a JSON textarea: input nested too deep for the parser (a
  ``RecursionError`` in ``json.loads``), ``NaN`` / ``Infinity`` (valid Python, refused
  by PostgreSQL's jsonb), a NUL or a lone surrogate in a key or a string, more than
  ``storable.MAX_JSON_DEPTH`` levels or ``storable.MAX_JSON_BYTES`` of JSON: a form
  error, not a 500.
- ``StorableModelForm`` — every text value is checked for a NUL or a lone surrogate
  (Django's ``CharField`` refuses the NUL only); every datetime must convert to UTC
  inside its range: a moment that already happened (every datetime the admin edits:
  a consent, an activity, an away/back time) between 1970-01-01 and now + 5 minutes,
  one listed in ``future_moments`` up to 9999-12-30 (``leads.moments``). Integers and
  decimals are held by the model fields' own validators (the column's range, the
  decimal's digits), which a ``ModelForm`` runs.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django import forms
from django.forms.fields import InvalidJSONInput, JSONString
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leads import moments, storable

UNSTORABLE = _("Contains a character that cannot be stored (a NUL byte or a lone surrogate).")
MOMENT_MESSAGES = {
    "unrepresentable": _("This date and time is out of range."),
    "too_early": _("Enter a date and time from 1970 on."),
    "future": _("This cannot be in the future."),
    "too_late": _("Enter a date and time before 9999-12-30."),
}


def _refuse_constant(name: str) -> Any:
    raise ValueError(name)


class TooDeep(ValueError):
    """JSON nested deeper than Python's parser goes (its ``RecursionError``)."""


def json_loads(text: str) -> Any:
    """``json.loads`` refusing ``NaN`` / ``Infinity`` and input too deep to parse
    (both a ``ValueError``)."""
    try:
        return json.loads(text, parse_constant=_refuse_constant)
    except RecursionError:
        raise TooDeep("too deep") from None


def json_value_error(value: Any, *, max_bytes: int = storable.MAX_JSON_BYTES) -> str | None:
    """The message for a parsed JSON value that cannot be stored, else ``None``."""
    found = storable.json_problem_at(value, max_bytes=max_bytes)
    if found is None:
        return None
    problem, path = found
    where = f" ({path})" if path else ""
    if problem in ("nul", "surrogate"):
        return f"{UNSTORABLE}{where}"
    if problem == "too_deep":
        return str(_("Nested deeper than %(n)d levels.") % {"n": storable.MAX_JSON_DEPTH})
    if problem == "too_large":
        return str(_("Larger than %(n)d KB.") % {"n": max_bytes // 1024})
    return str(_("Only finite numbers can be stored (not NaN or Infinity).")) + where


class StorableJSONField(forms.JSONField):
    """Django's JSON form field, refusing what cannot be parsed safely or stored."""

    max_bytes = storable.MAX_JSON_BYTES

    def to_python(self, value):
        if self.disabled or value in self.empty_values or isinstance(value, list | dict):
            return super().to_python(value)
        if isinstance(value, str):
            try:
                parsed = json_loads(value)
            except TooDeep:
                raise forms.ValidationError(
                    _("Nested deeper than %(n)d levels.") % {"n": storable.MAX_JSON_DEPTH},
                    code="too_deep",
                ) from None
            except ValueError:
                raise forms.ValidationError(
                    self.error_messages["invalid"], code="invalid", params={"value": value[:100]}
                ) from None
            message = json_value_error(parsed, max_bytes=self.max_bytes)
            if message:
                raise forms.ValidationError(message, code="unstorable")
            return JSONString(parsed) if isinstance(parsed, str) else parsed
        return super().to_python(value)

    def bound_data(self, data, initial):
        if self.disabled:
            return initial
        if data is None:
            return None
        try:
            parsed = json_loads(data)
        except ValueError:
            return InvalidJSONInput(data)
        # shown again as typed when it cannot be stored (its escapes can be sent back)
        return InvalidJSONInput(data) if json_value_error(parsed) else parsed


def moment_error(moment: dt.datetime, *, future_allowed: bool = False) -> str | None:
    """The message for an aware datetime outside its stored range, else ``None``."""
    if future_allowed:
        problem = moments.stored_moment_problem(moment)
    else:
        problem = moments.past_moment_problem(moment, now=timezone.now())
    return str(MOMENT_MESSAGES[problem]) if problem else None


def refuse_unstorable(form: forms.BaseForm, *, future_moments: tuple[str, ...] = ()) -> None:
    """Add an error to each of ``form``'s cleaned values that cannot be stored or read
    back: text with a NUL or a lone surrogate, a datetime outside its range."""
    for name, value in list(form.cleaned_data.items()):
        message = None
        if isinstance(value, str) and storable.text_problem(value):
            message = str(UNSTORABLE)
        elif isinstance(value, dt.datetime):
            message = moment_error(value, future_allowed=name in future_moments)
        if message:
            form.add_error(name, message)


class StorableModelForm(forms.ModelForm):
    """A ``ModelForm`` whose cleaned values can all be stored and read back."""

    future_moments: tuple[str, ...] = ()

    def clean(self):
        data = super().clean()
        refuse_unstorable(self, future_moments=self.future_moments)
        return data
