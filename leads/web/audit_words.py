"""The words of the audit actions the lead list writes, registered when the lead list's
views are imported (the URL configuration imports them before any page is shown)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from leads.audit.words import register_actions

register_actions(
    {
        "leads.export": _("Exported the lead list"),
        "lead.bulk_assign": _("Assigned leads in bulk"),
    }
)
