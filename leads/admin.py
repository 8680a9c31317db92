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

Every form here refuses what cannot be stored or read back, as the API does
(``leads.storable_forms``, issue 10 §1): text with a NUL or a lone surrogate, JSON
that is not JSON PostgreSQL takes (``NaN``, nested too deep, too large), a datetime
outside 1970-01-01 … now + 5 minutes (every datetime edited here is one that already
happened), integers outside their column (the model fields' own validators). A
routing rule is saved through ``leads.queue.routing.routing_rule_save`` after the
same checks as the API's. Scores and the predictive score are written by the scoring
engine only (each records the model version that produced it), so they are
read-only here.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.forms import UserChangeForm
from django.db import models
from django.utils.translation import gettext_lazy as _

from leads.audit.models import AuditRecord
from leads.audit.words import action_label
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
from leads.queue.routing import (
    conditions_errors,
    person_set_away,
    routing_rule_errors,
    routing_rule_save,
    rule_target_errors,
)
from leads.queue.work import FRAMEWORK_CRITERIA
from leads.storable_forms import StorableJSONField, StorableModelForm, refuse_unstorable


class RoleAdminAccess:
    """Staff users with the ``admin`` role may view and edit this model in the admin.
    Every JSON field of these models is a ``StorableJSONField`` (too deep, too large
    or unstorable JSON is a form error, never a 500)."""

    formfield_overrides = {models.JSONField: {"form_class": StorableJSONField}}

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


class StoredValuesChecked:
    """Forms refuse what cannot be stored (``leads.storable_forms``)."""

    form = StorableModelForm
    formfield_overrides = {models.JSONField: {"form_class": StorableJSONField}}


class ReadOnly:
    """Nobody adds, changes or deletes these rows in the admin."""

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class TeamForm(StorableModelForm):
    class Meta:
        model = Team
        fields = "__all__"

    def clean(self):
        data = super().clean()
        required = data.get("required_criteria")
        names = FRAMEWORK_CRITERIA.get(data.get("framework") or "", ())
        if required is not None and (
            not isinstance(required, list)
            or not all(isinstance(name, str) and name in names for name in required)
        ):
            self.add_error(
                "required_criteria",
                _("A list of this framework's criteria: %(names)s.") % {"names": ", ".join(names)},
            )
        return data


@admin.register(Team)
class TeamAdmin(StoredValuesChecked, RoleAdminAccess, admin.ModelAdmin):
    form = TeamForm
    list_display = ["name", "kind", "manager", "member_count"]
    list_filter = ["kind"]
    search_fields = ["name"]
    autocomplete_fields = ["manager"]
    filter_horizontal = ["members"]
    list_select_related = ["manager"]

    @admin.display(description=_("members"))
    def member_count(self, obj: Team) -> int:
        return obj.members.count()


class DomainListEntryForm(StorableModelForm):
    class Meta:
        model = DomainListEntry
        fields = ["domain", "kind"]

    def clean_domain(self):
        domain = normalize_domain(self.cleaned_data["domain"])
        if "." not in domain:
            raise forms.ValidationError(_("Enter a domain such as example.com."))
        return domain


@admin.register(DomainListEntry)
class DomainListEntryAdmin(StoredValuesChecked, RoleAdminAccess, admin.ModelAdmin):
    form = DomainListEntryForm
    list_display = ["domain", "kind", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["domain"]


class AccountForm(StorableModelForm):
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
class AccountAdmin(StoredValuesChecked, RoleAdminAccess, admin.ModelAdmin):
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
class LeadAdmin(StoredValuesChecked, RoleAdminAccess, admin.ModelAdmin):
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
        # consent changes through leads.consent only: an opt-out sticks and keeps history
        "do_not_contact",
        "consent_source",
        "consent_at",
        "created_at",
        "updated_at",
        "score_fit",
        "score_grade",
        "score_interest",
        "score_total",
        "score_quadrant",
        "score_breakdown",
        "score_model",
        "scored_at",
        "win_probability",
        "predicted_at",
    ]
    list_select_related = ["account", "owner"]
    date_hierarchy = "received_at"
    show_full_result_count = False
    inlines = [ActivityInline, LeadEventInline]

    def has_add_permission(self, request):
        return False


class ActivityForm(StorableModelForm):
    class Meta:
        model = Activity
        fields = "__all__"

    def clean_properties(self):
        properties = self.cleaned_data.get("properties")
        if properties is None:
            return {}
        if not isinstance(properties, dict):
            raise forms.ValidationError(_("Must be an object."))
        return properties


@admin.register(Activity)
class ActivityAdmin(StoredValuesChecked, RoleAdminAccess, admin.ModelAdmin):
    form = ActivityForm
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


@admin.register(AuditRecord)
class AuditRecordAdmin(ReadOnly, RoleAdminAccess, admin.ModelAdmin):
    list_display = ["at", "actor_label", "action_words", "target_type", "target_label"]
    list_filter = ["action", "target_type"]
    search_fields = ["actor_label", "target_label", "target_id", "action"]
    date_hierarchy = "at"
    show_full_result_count = False

    @admin.display(description=_("action"), ordering="action")
    def action_words(self, obj: AuditRecord) -> str:
        return action_label(obj.action)


@admin.register(Job)
class JobAdmin(ReadOnly, RoleAdminAccess, admin.ModelAdmin):
    list_display = ["__str__", "kind", "state", "done", "total", "created_by", "created_at"]
    list_filter = ["kind", "state"]
    list_select_related = ["created_by"]


class RoutingRuleForm(StorableModelForm):
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
        if "applies_to" in data:
            target = rule_target_errors(
                team=data.get("team"), user=data.get("user"), applies_to=data["applies_to"]
            )
            for field, messages in target.items():
                for message in messages:
                    self.add_error(field, message)
        return data


class RoutingRuleListForm(StorableModelForm):
    """The list's inline edits (order, active): a rule stored before the checks that
    no longer passes them is named here instead of failing in ``routing_rule_save``."""

    def clean(self):
        data = super().clean()
        errors = routing_rule_errors(self.instance) if self.instance.pk else {}
        for key, messages in errors.items():
            for message in messages:
                self.add_error(None, f"{key}: {message}")
        return data


@admin.register(RoutingRule)
class RoutingRuleAdmin(StoredValuesChecked, RoleAdminAccess, admin.ModelAdmin):
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

    def get_changelist_form(self, request, **kwargs):
        return super().get_changelist_form(request, form=RoutingRuleListForm, **kwargs)

    def save_model(self, request, obj, form, change):
        routing_rule_save(rule=obj)


@admin.register(RepSettings)
class RepSettingsAdmin(StoredValuesChecked, RoleAdminAccess, admin.ModelAdmin):
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


class CheckedUserChangeForm(UserChangeForm):
    """Django's user form, refusing a last login or a joining date outside 1970 … now
    (a year-1 date made every page naming the person answer 500)."""

    def clean(self):
        data = super().clean()
        refuse_unstorable(self)
        return data


User = get_user_model()
if admin.site.is_registered(User):
    admin.site.unregister(User)


@admin.register(User)
class CheckedUserAdmin(UserAdmin):
    """Django's user admin (superusers), with ``CheckedUserChangeForm``."""

    form = CheckedUserChangeForm
