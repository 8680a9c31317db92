"""Django admin for the RevOps admin role.

Who gets in: staff users that are superusers, or that hold the ``admin`` role
(group). Role admins get full access to the leads models below without
per-model permissions to maintain (``RoleAdminAccess``); users and groups stay
with Django's own permissions (superusers).

The event log and jobs are read-only here: a ``LeadEvent`` is immutable, and a
lead's stage and owner change only through the services that write those
events, so they are read-only on the lead form too. Leads come in through
intake (API, import), which normalises and matches them: the admin adds none
and leaves their identity (email, phone, source system, external id) alone.
Domains typed into the admin are normalised like intake's.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db import models
from django.forms.fields import InvalidJSONInput
from django.utils.translation import gettext_lazy as _

from leads.intake.normalize import normalize_company, normalize_domain
from leads.models import (
    Account,
    Activity,
    DomainListEntry,
    Job,
    Lead,
    LeadEvent,
    RepSettings,
    RoutingRule,
)
from leads.people import roles
from leads.people.models import Team
from leads.queue.routing import conditions_errors, person_set_away


class BoundedJSONField(forms.JSONField):
    """Django's JSON form field, refusing JSON too deep for Python's parser (100,000
    nested arrays raised ``RecursionError``: a 500) as a form error."""

    def to_python(self, value):
        try:
            return super().to_python(value)
        except RecursionError:
            raise forms.ValidationError(_("This JSON is nested too deeply.")) from None

    def bound_data(self, data, initial):
        try:
            return super().bound_data(data, initial)
        except RecursionError:  # the form shown again with its error: the text as sent
            return InvalidJSONInput(data)


class RoleAdminAccess:
    """Staff users with the ``admin`` role may view and edit this model in the admin.
    Every JSON field of these models is a ``BoundedJSONField``."""

    formfield_overrides = {models.JSONField: {"form_class": BoundedJSONField}}

    def _role_admin(self, request) -> bool:
        return (
            request.user.is_active
            and request.user.is_staff
            and roles.has_role(request.user, roles.ADMIN)
        )

    def has_module_permission(self, request):
        return self._role_admin(request) or super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._role_admin(request) or super().has_view_permission(request, obj)

    def has_add_permission(self, request, *args):
        return self._role_admin(request) or super().has_add_permission(request, *args)

    def has_change_permission(self, request, obj=None):
        return self._role_admin(request) or super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return self._role_admin(request) or super().has_delete_permission(request, obj)


class ReadOnly:
    """Nobody adds, changes or deletes these rows in the admin."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Team)
class TeamAdmin(RoleAdminAccess, admin.ModelAdmin):
    list_display = ["name", "kind", "manager", "member_count"]
    list_filter = ["kind"]
    search_fields = ["name"]
    autocomplete_fields = ["manager"]
    filter_horizontal = ["members"]
    list_select_related = ["manager"]

    @admin.display(description=_("members"))
    def member_count(self, obj: Team) -> int:
        return obj.members.count()


class DomainListEntryForm(forms.ModelForm):
    class Meta:
        model = DomainListEntry
        fields = ["domain", "kind"]

    def clean_domain(self):
        domain = normalize_domain(self.cleaned_data["domain"])
        if "." not in domain:
            raise forms.ValidationError(_("Enter a domain such as example.com."))
        return domain


@admin.register(DomainListEntry)
class DomainListEntryAdmin(RoleAdminAccess, admin.ModelAdmin):
    form = DomainListEntryForm
    list_display = ["domain", "kind", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["domain"]


class AccountForm(forms.ModelForm):
    class Meta:
        model = Account
        fields = [
            "name",
            "domain",
            "employees",
            "annual_revenue",
            "industry",
            "region",
            "country",
            "owner",
        ]

    def clean_domain(self):
        return normalize_domain(self.cleaned_data.get("domain")) or None


@admin.register(Account)
class AccountAdmin(RoleAdminAccess, admin.ModelAdmin):
    form = AccountForm
    list_display = ["name", "domain", "industry", "region", "country", "employees", "owner"]
    list_filter = ["industry", "region", "country"]
    search_fields = ["name", "name_normalised", "domain"]
    autocomplete_fields = ["owner"]
    list_select_related = ["owner"]

    def save_model(self, request, obj, form, change):
        obj.name_normalised = normalize_company(obj.name)
        super().save_model(request, obj, form, change)


class ActivityInline(ReadOnly, admin.TabularInline):
    model = Activity
    fields = ["type", "occurred_at", "source", "properties"]
    readonly_fields = fields
    extra = 0
    show_change_link = True


class LeadEventInline(ReadOnly, admin.TabularInline):
    model = LeadEvent
    fields = ["at", "kind", "from_stage", "to_stage", "actor_user", "actor_system", "reason"]
    readonly_fields = fields
    extra = 0


@admin.register(Lead)
class LeadAdmin(RoleAdminAccess, admin.ModelAdmin):
    list_display = [
        "__str__",
        "email",
        "phone",
        "account",
        "source_channel",
        "campaign",
        "stage",
        "owner",
        "received_at",
    ]
    list_filter = ["stage", "source_channel", "seniority", "do_not_contact", "received_at"]
    search_fields = [
        "name",
        "email",
        "email_normalised",
        "phone",
        "wechat_id",
        "company_name",
        "external_id",
        "campaign",
    ]
    autocomplete_fields = ["account"]
    readonly_fields = [
        "email",
        "phone",
        "source_system",
        "external_id",
        "stage",
        "stage_changed_at",
        "owner",
        "received_at",
        "created_at_source",
        "created_at",
        "updated_at",
    ]
    list_select_related = ["account", "owner"]
    date_hierarchy = "received_at"
    show_full_result_count = False
    inlines = [ActivityInline, LeadEventInline]

    def has_add_permission(self, request):
        return False


@admin.register(Activity)
class ActivityAdmin(RoleAdminAccess, admin.ModelAdmin):
    list_display = ["type", "lead", "occurred_at", "source", "external_id"]
    list_filter = ["type", "source"]
    search_fields = ["external_id", "lead__email", "lead__name"]
    raw_id_fields = ["lead"]
    list_select_related = ["lead"]
    date_hierarchy = "occurred_at"
    show_full_result_count = False


@admin.register(LeadEvent)
class LeadEventAdmin(ReadOnly, RoleAdminAccess, admin.ModelAdmin):
    list_display = ["at", "lead", "kind", "from_stage", "to_stage", "actor", "reason"]
    list_filter = ["kind", "to_stage"]
    search_fields = ["lead__email", "lead__name", "actor_system", "reason"]
    list_select_related = ["lead", "actor_user"]
    date_hierarchy = "at"
    show_full_result_count = False

    @admin.display(description=_("actor"))
    def actor(self, obj: LeadEvent) -> str:
        return obj.actor_label


@admin.register(Job)
class JobAdmin(ReadOnly, RoleAdminAccess, admin.ModelAdmin):
    list_display = ["__str__", "kind", "state", "done", "total", "created_by", "created_at"]
    list_filter = ["kind", "state"]
    list_select_related = ["created_by"]


class RoutingRuleForm(forms.ModelForm):
    class Meta:
        model = RoutingRule
        fields = ["name", "order", "active", "applies_to", "conditions", "team", "user"]

    def clean_conditions(self):
        conditions = self.cleaned_data.get("conditions") or {}
        errors = conditions_errors(conditions)
        if errors:
            raise forms.ValidationError(
                [f"{key}: {message}" for key, messages in errors.items() for message in messages]
            )
        return conditions

    def clean(self):
        data = super().clean()
        if bool(data.get("team")) == bool(data.get("user")):
            raise forms.ValidationError(_("Route to a team or to a person: exactly one."))
        return data


@admin.register(RoutingRule)
class RoutingRuleAdmin(RoleAdminAccess, admin.ModelAdmin):
    """Ordered routing rules: the first active rule whose conditions all match decides
    (leads.queue.routing). Conditions: lists per region, country, industry, source_channel,
    quadrant, language; min_employees / max_employees."""

    form = RoutingRuleForm
    list_display = ["order", "name", "applies_to", "active", "team", "user"]
    list_display_links = ["name"]
    list_editable = ["order", "active"]
    list_filter = ["applies_to", "active"]
    list_select_related = ["team", "user"]
    search_fields = ["name"]


@admin.register(RepSettings)
class RepSettingsAdmin(RoleAdminAccess, admin.ModelAdmin):
    """Routing settings per person. Marking someone away (or back) goes through
    ``leads.queue.routing.person_set_away``, which also re-routes their unaccepted leads."""

    list_display = ["user", "away", "weight", "daily_cap", "back_at"]
    list_filter = ["away"]
    autocomplete_fields = ["user"]
    list_select_related = ["user"]

    def save_model(self, request, obj, form, change):
        away = obj.away
        if "away" in form.changed_data and change:
            obj.away = not away  # the service flips it, with its events and re-routing
        super().save_model(request, obj, form, change)
        if "away" in form.changed_data and change:
            person_set_away(user=obj.user, away=away, by=request.user)
            obj.refresh_from_db()
