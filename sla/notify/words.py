"""What a notification says, in the reader's language: the bell's list, the email and
the webhook's text share these words."""

from __future__ import annotations

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from leads.people.names import person_name
from sla.models import Clock, Notification

# {step: headline}: the headline names the step and the term ("First touch").
_HEADLINES = {
    Notification.Step.WARNING: lambda term: _("%(term)s due soon") % {"term": term},
    Notification.Step.BREACH: lambda term: _("%(term)s breached") % {"term": term},
    Notification.Step.MANAGER: lambda term: (
        _("%(term)s breached: escalated to the manager") % {"term": term}
    ),
    Notification.Step.DIRECTOR: lambda term: (
        _("%(term)s breached: escalated to a director") % {"term": term}
    ),
}


def user_language(user) -> str:
    """The language a person reads their email in: the one they last chose in the app
    (``PersonLanguage``, kept by the language switcher), else the site's
    (``LANGUAGE_CODE``)."""
    from sla.models import PersonLanguage

    chosen = PersonLanguage.objects.filter(user_id=user.pk).values_list("language", flat=True)
    return next(iter(chosen), "") or settings.LANGUAGE_CODE


def lead_label(lead) -> str:
    return lead.name or lead.email or _("Lead %(id)s") % {"id": lead.pk}


def headline(step: str, clock: Clock) -> str:
    return _HEADLINES[step](clock.get_term_display())


def when(moment) -> str:
    if moment is None:
        return "—"
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def lead_url(lead_id: int, *, absolute: bool = False) -> str:
    path = reverse("leads:lead_detail", args=[lead_id])
    return settings.SLA_SITE_URL.rstrip("/") + path if absolute else path


def summary(step: str, clock: Clock) -> str:
    """One paragraph: the lead, its owner, the deadline, the step."""
    lead = clock.lead
    lines = [
        headline(step, clock),
        _("Lead: %(lead)s") % {"lead": lead_label(lead)},
        _("Owner: %(owner)s")
        % {"owner": person_name(clock.owner) if clock.owner_id else _("nobody (pool)")},
        _("Due: %(due)s") % {"due": when(clock.due_at)},
    ]
    if clock.breached_at:
        lines.append(_("Breached: %(when)s") % {"when": when(clock.breached_at)})
    lines.append(lead_url(lead.pk, absolute=True))
    return "\n".join(lines)
