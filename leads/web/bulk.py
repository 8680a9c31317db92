"""Bulk assignment from the lead list: sales managers and admins check leads and give
them to one person of their team(s).

Each lead goes through ``leads.queue.routing.lead_assign``, the service a single
reassignment uses (its checks, its assignment event with reason ``manual``), each in
its own savepoint: a lead that cannot be assigned (not in a team the manager manages,
closed, opted out, gone) is reported with the reason and the others are assigned. One
audit record ``lead.bulk_assign`` names the person, the leads assigned and the ones
refused, in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from leads.audit.services import audit_record
from leads.people import roles
from leads.people.models import Team
from leads.people.names import person_name
from leads.queue.routing import RoutingError, lead_assign
from leads.selectors import leads_visible_to

ASSIGNERS = (roles.SALES_MANAGER, roles.ADMIN)
# At most one page of the list at its largest size.
MAX_BULK_LEADS = 200
BULK_ASSIGN = "lead.bulk_assign"


def assignees(*, by) -> QuerySet:
    """Who ``by`` may give leads to: the active members of the teams they manage (an
    admin: of every SDR or AE team), by name."""
    teams = Team.objects.filter(kind__in=(Team.Kind.SDR, Team.Kind.AE))
    if not roles.has_role(by, roles.ADMIN):
        teams = teams.filter(manager=by)
    return (
        get_user_model()
        .objects.filter(is_active=True, pk__in=teams.values("members"))
        .order_by("first_name", "last_name", "username", "pk")
    )


class _PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return person_name(obj)


class BulkAssignForm(forms.Form):
    leads = forms.CharField(
        label=gettext_lazy("Leads"),
        required=True,
        error_messages={"required": gettext_lazy("Select at least one lead.")},
    )
    to_user = _PersonChoice(label=gettext_lazy("Assign to"), queryset=None)

    def __init__(self, data, *, by):
        super().__init__(data)
        self.fields["to_user"].queryset = assignees(by=by)
        self._ids = data.getlist("leads") if hasattr(data, "getlist") else data.get("leads", [])

    def clean_leads(self) -> list[int]:
        ids: list[int] = []
        for raw in self._ids:
            if not (raw.isascii() and raw.isdigit()) or len(raw) > 18:
                raise forms.ValidationError(
                    _("“%(value)s” is not a lead id.") % {"value": raw[:40]}
                )
            if int(raw) not in ids:
                ids.append(int(raw))
        if not ids:
            raise forms.ValidationError(_("Select at least one lead."))
        if len(ids) > MAX_BULK_LEADS:
            raise forms.ValidationError(
                _("Select at most %(max)d leads at a time.") % {"max": MAX_BULK_LEADS}
            )
        return ids

    def label_of(self, name: str) -> str:
        return str(self.fields[name].label) if name in self.fields else name


@dataclass
class BulkAssignResult:
    to_user: object
    assigned: list[int] = field(default_factory=list)
    # (lead id, the lead's name or "", why it was not assigned)
    failed: list[tuple[int, str, str]] = field(default_factory=list)


def leads_bulk_assign(*, lead_ids: list[int], to_user, by) -> BulkAssignResult:
    """Assign each lead of ``lead_ids`` (in that order) to ``to_user`` through
    ``lead_assign``; see the module's docstring. ``by`` must be a sales manager or an
    admin (``lead_assign`` checks each lead and the person)."""
    result = BulkAssignResult(to_user=to_user)
    with transaction.atomic():
        visible = {
            lead.pk: lead for lead in leads_visible_to(viewer=by).filter(pk__in=lead_ids).order_by()
        }
        for pk in lead_ids:
            lead = visible.get(pk)
            if lead is None:
                result.failed.append((pk, "", _("No such lead for you.")))
                continue
            try:
                with transaction.atomic():
                    lead_assign(lead=lead, to_user=to_user, by=by)
            except RoutingError as exc:
                result.failed.append((pk, lead.name, exc.message))
            else:
                result.assigned.append(pk)
        audit_record(
            actor=by,
            action=BULK_ASSIGN,
            target=to_user,
            target_label=person_name(to_user),
            detail={
                "lead_ids": result.assigned,
                "to_user": to_user.pk,
                "failed": [{"lead_id": pk, "reason": why} for pk, _name, why in result.failed],
            },
        )
    return result


def report(request, result: BulkAssignResult) -> None:
    """The outcome as page messages: how many were assigned, then each refusal."""
    if result.assigned:
        messages.success(
            request,
            ngettext(
                "%(count)d lead assigned to %(name)s.",
                "%(count)d leads assigned to %(name)s.",
                len(result.assigned),
            )
            % {"count": len(result.assigned), "name": person_name(result.to_user)},
        )
    if result.failed:
        reasons = "; ".join(
            f"{name or _('(no name)')} (#{pk}): {why}" for pk, name, why in result.failed
        )
        messages.error(
            request,
            ngettext(
                "%(count)d lead not assigned: %(reasons)s",
                "%(count)d leads not assigned: %(reasons)s",
                len(result.failed),
            )
            % {"count": len(result.failed), "reasons": reasons},
        )
