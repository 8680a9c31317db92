"""The navigation shows what the user's role can use."""

from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from leads import hooks
from leads.people import roles
from leads.people.roles import has_role
from leads.queue.distribution import REPORT_ROLES

# (url name, label, roles that see it). Pages check permissions themselves;
# this only decides what the menu offers.
NAV_ITEMS = [
    ("home", _("Home"), None),
    (
        "leads:lead_list",
        _("Leads"),
        roles.READ_ALL_ROLES + (roles.SDR, roles.AE, roles.SALES_MANAGER),
    ),
    # --- working the leads (h6) ---
    ("leads:queue", _("Queue"), (roles.SDR,)),
    ("leads:pipeline", _("Pipeline"), (roles.AE, roles.SALES_MANAGER, roles.DIRECTOR)),
    ("leads:returns", _("Returns"), (roles.MARKETING, roles.DIRECTOR)),
    ("leads:team", _("Team"), (roles.SALES_MANAGER,)),
    ("leads:distribution", pgettext_lazy("navigation", "Distribution"), REPORT_ROLES),
    # --- end ---
    ("leads:scoring_models", _("Scoring"), roles.SCORING_READ_ROLES),
    ("leads:import_start", _("Import"), (roles.MARKETING, roles.ADMIN)),
    # the console (people, teams, routing, domain lists, API tokens, history)
    ("console:index", _("Settings"), (roles.ADMIN,)),
    ("console:history", _("History"), (roles.DIRECTOR,)),
    (
        "swagger-ui",
        _("API docs"),
        (roles.ADMIN, roles.INTEGRATION, roles.MARKETING, roles.DIRECTOR),
    ),
]


def navigation(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items = []
    for url_name, label, allowed in [*NAV_ITEMS, *hooks.NAV_ITEMS]:
        if allowed is None or has_role(user, *allowed):
            items.append({"url": reverse(url_name), "label": label, "name": url_name})
    if user.is_staff:
        items.append({"url": reverse("admin:index"), "label": _("Admin"), "name": "admin"})
    held = roles.user_roles(user)
    return {
        "nav_items": items,
        "user_roles": sorted(held),
        # In the order of roles.ROLES (a superuser holds them all: show "RevOps admin" first).
        "user_role_labels": [
            label
            for name, label in sorted(roles.ROLES.items(), key=lambda kv: kv[0] != roles.ADMIN)
            if name in held
        ],
    }
