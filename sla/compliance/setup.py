"""What the compliance dashboard registers into ``leads.hooks`` (from ``SlaConfig.ready``):
its navigation entry, and a director's home page opening on it."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from leads import hooks
from leads.people import roles

NAV_ITEM = (
    "sla:compliance",
    _("SLA compliance"),
    (roles.DIRECTOR, roles.ADMIN, roles.MARKETING, roles.SALES_MANAGER, roles.SDR, roles.AE),
)


def director_home(user) -> str | None:
    """A director's home is the SLA dashboard."""
    if roles.has_role(user, roles.DIRECTOR):
        return reverse("sla:compliance")
    return None


def register() -> None:
    if NAV_ITEM not in hooks.NAV_ITEMS:
        hooks.NAV_ITEMS.append(NAV_ITEM)
    if director_home not in hooks.HOME_PAGES:
        hooks.HOME_PAGES.append(director_home)
