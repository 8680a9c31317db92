"""The roles of product.md ("Who uses it"), as Django groups, and what each may do.

A user's roles are the names of their groups; a superuser holds every role.
Pages and API permissions ask ``has_role(user, ...)`` rather than checking
groups by hand.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

MARKETING = "marketing"
SDR = "sdr"
AE = "ae"
SALES_MANAGER = "sales_manager"
DIRECTOR = "director"
ADMIN = "admin"
INTEGRATION = "integration"

ROLES = {
    MARKETING: _("Marketing manager"),
    SDR: _("SDR"),
    AE: _("Account executive"),
    SALES_MANAGER: _("Sales manager"),
    DIRECTOR: _("Director"),
    ADMIN: _("RevOps admin"),
    INTEGRATION: _("Integration"),
}

# Who may push leads and activity into the system (API intake, file import).
INTAKE_ROLES = (MARKETING, ADMIN, INTEGRATION)
# Who may read every lead.
READ_ALL_ROLES = (MARKETING, DIRECTOR, ADMIN, INTEGRATION)
# Scoring models: every role reads them; only marketing managers and admins change them.
SCORING_READ_ROLES = tuple(ROLES)
SCORING_CHANGE_ROLES = (MARKETING, ADMIN)


def user_roles(user) -> frozenset[str]:
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    if user.is_superuser:
        return frozenset(ROLES)
    cached = getattr(user, "_smarketing_roles", None)
    if cached is None:
        cached = frozenset(user.groups.values_list("name", flat=True))
        user._smarketing_roles = cached
    return cached


def has_role(user, *roles: str) -> bool:
    return bool(user_roles(user).intersection(roles))
