"""What sla.calendars adds to ``leads``' seams (called from ``SlaConfig.ready``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from leads import hooks
from leads.people import roles

NAV_ENTRY = ("sla:calendars", _("Calendars"), (roles.ADMIN, roles.DIRECTOR))


def register() -> None:
    """The navigation entry for admins and directors (once)."""
    if not any(item[0] == NAV_ENTRY[0] for item in hooks.NAV_ITEMS):
        hooks.NAV_ITEMS.append(NAV_ENTRY)
    # the audit trail's words for calendar changes
    import sla.calendars.services  # noqa: F401
