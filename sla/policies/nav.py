"""The navigation's entry for the SLA terms (``leads.hooks.NAV_ITEMS``)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from leads import hooks
from leads.people import roles

NAV_ITEM = (
    "sla:terms",
    _("SLA terms"),
    (roles.ADMIN, roles.DIRECTOR, roles.SALES_MANAGER, roles.MARKETING),
)


def register() -> None:
    """Add the entry once (``SlaConfig.ready``)."""
    if NAV_ITEM not in hooks.NAV_ITEMS:
        hooks.NAV_ITEMS.append(NAV_ITEM)
