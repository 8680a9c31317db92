"""What the clocks register into ``leads.hooks`` (from ``SlaConfig.ready``)."""

from __future__ import annotations

from leads import hooks


def register() -> None:
    from django.utils.translation import gettext_lazy as _

    from leads.people import roles
    from sla.calendars import services as calendars
    from sla.clocks import api, integrity, selectors, sync, views

    if sync.recompute_calendar not in calendars.CALENDAR_CHANGED:
        calendars.CALENDAR_CHANGED.append(sync.recompute_calendar)
    if sync.on_events not in hooks.EVENT_HOOKS:
        hooks.EVENT_HOOKS.append(sync.on_events)
    hooks.DEADLINE.annotate = selectors.annotate_deadline
    if views.lead_panel not in hooks.LEAD_PANELS:
        hooks.LEAD_PANELS.append(views.lead_panel)
    if api.lead_clocks_field not in hooks.LEAD_API_FIELDS:
        hooks.LEAD_API_FIELDS.append(api.lead_clocks_field)
    if integrity.INVARIANT not in hooks.INVARIANTS:
        hooks.INVARIANTS.append(integrity.INVARIANT)
    entry = ("sla:team_clocks", _("Team SLA"), (roles.SALES_MANAGER,))
    if entry not in hooks.NAV_ITEMS:
        hooks.NAV_ITEMS.append(entry)
