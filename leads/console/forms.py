"""The console's forms: each refuses what cannot be stored (NUL, lone surrogates,
overlong text: ``leads.storable_forms.refuse_unstorable``) and names the field."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from leads.models import DomainListEntry, RoutingRule, SourceChannel
from leads.people import roles
from leads.people.models import Team
from leads.people.names import person_name
from leads.queue import routing
from leads.queue.forms import CRITERION_LABELS
from leads.queue.work import FRAMEWORK_CRITERIA
from leads.storable_forms import refuse_unstorable

User = get_user_model()
ROLE_CHOICES = [(name, label) for name, label in roles.ROLES.items()]
# A list condition is typed as comma-separated values.
LIST_FIELDS = routing.LIST_CONDITIONS
CONDITION_HELP = {
    "region": _("e.g. APAC, EMEA"),
    "country": _("ISO codes, e.g. CN, DE"),
    "industry": _("e.g. Software, Manufacturing"),
    "source_channel": ", ".join(SourceChannel.values),
    "quadrant": _("e.g. A1, B2"),
    "language": _("e.g. zh-hans, en"),
}


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return person_name(obj)


class PeopleChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj) -> str:
        return person_name(obj)


class ConsoleForm(forms.Form):
    def clean(self):
        data = super().clean()
        refuse_unstorable(self)
        return data


def _people():
    return User.objects.filter(is_active=True).order_by("first_name", "last_name", "username")


class PersonForm(ConsoleForm):
    first_name = forms.CharField(label=_("First name"), max_length=150, required=False)
    last_name = forms.CharField(label=_("Last name"), max_length=150, required=False)
    email = forms.EmailField(label=_("Email"), max_length=254, required=False)
    roles = forms.MultipleChoiceField(
        label=_("Roles"), choices=ROLE_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )
    teams = forms.ModelMultipleChoiceField(
        label=_("Teams"),
        queryset=Team.objects.order_by("name"),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )


class PersonCreateForm(PersonForm):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        validators=[UnicodeUsernameValidator()],
        help_text=_("Letters, digits and @ . + - _ only; what they log in with."),
    )
    invite = forms.BooleanField(
        label=_("Email them an invitation to set their password"), required=False, initial=True
    )
    field_order = ["username", "first_name", "last_name", "email", "roles", "teams", "invite"]

    def clean(self):
        data = super().clean()
        if data.get("invite") and not data.get("email"):
            self.add_error("email", _("An invitation needs an email address."))
        return data


class RepSettingsForm(ConsoleForm):
    weight = forms.IntegerField(label=_("Round-robin weight"), min_value=1, max_value=100)
    daily_cap = forms.IntegerField(
        label=_("Daily cap"),
        min_value=0,
        max_value=10_000,
        required=False,
        help_text=_("Empty: no cap."),
    )


class TeamForm(ConsoleForm):
    name = forms.CharField(label=pgettext_lazy("object", "Name"), max_length=100)
    kind = forms.ChoiceField(label=_("Kind"), choices=Team.Kind.choices)
    manager = PersonChoice(label=_("Manager"), queryset=_people(), required=False)
    mode = forms.ChoiceField(label=_("Distribution"), choices=Team.Mode.choices)
    framework = forms.ChoiceField(
        label=_("Qualification framework"), choices=Team.Framework.choices
    )
    required_criteria = forms.MultipleChoiceField(
        label=_("Required before converting to SQL"),
        choices=[(key, label) for key, label in CRITERION_LABELS.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        help_text=_("None ticked: every criterion of the framework."),
    )
    members = PeopleChoice(
        label=_("Members"), queryset=_people(), widget=forms.CheckboxSelectMultiple, required=False
    )

    def __init__(self, *args, team: Team | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.team = team
        self.fields["manager"].queryset = _people()
        members = _people()
        if team is not None:  # a deactivated member stays listed until removed
            members = (
                User.objects.filter(Q(is_active=True) | Q(teams=team))
                .distinct()
                .order_by("first_name", "last_name", "username")
            )
        self.fields["members"].queryset = members

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        taken = Team.objects.filter(name__iexact=name)
        if self.team is not None:
            taken = taken.exclude(pk=self.team.pk)
        if taken.exists():
            raise forms.ValidationError(_("A team of this name exists."))
        return name

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        if self.team is not None and kind and kind != self.team.kind:
            wrong_rules = [
                rule.name
                for rule in self.team.routing_rules.all()
                if routing.TEAM_KIND.get(rule.applies_to) != kind
            ]
            if wrong_rules:
                self.add_error(
                    "kind",
                    _("Routing rules send leads of the other kind to this team: %(rules)s.")
                    % {"rules": ", ".join(wrong_rules)},
                )
        names = FRAMEWORK_CRITERIA.get(data.get("framework") or "", ())
        wrong = [c for c in data.get("required_criteria") or () if c not in names]
        if wrong:
            self.add_error(
                "required_criteria",
                _("Only this framework's criteria: %(names)s.")
                % {"names": ", ".join(str(CRITERION_LABELS[n]) for n in names)},
            )
        return data


class RuleForm(ConsoleForm):
    name = forms.CharField(label=pgettext_lazy("object", "Name"), max_length=100)
    applies_to = forms.ChoiceField(label=_("Applies to"), choices=RoutingRule.AppliesTo.choices)
    active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    team = forms.ModelChoiceField(
        label=_("Team"), queryset=Team.objects.order_by("name"), required=False
    )
    user = PersonChoice(label=_("Or a person"), queryset=_people(), required=False)
    region = forms.CharField(label=_("Regions"), max_length=5000, required=False)
    country = forms.CharField(label=_("Countries"), max_length=5000, required=False)
    industry = forms.CharField(label=_("Industries"), max_length=5000, required=False)
    source_channel = forms.CharField(label=_("Source channels"), max_length=5000, required=False)
    quadrant = forms.CharField(label=_("Score quadrants"), max_length=5000, required=False)
    language = forms.CharField(label=_("Languages"), max_length=5000, required=False)
    min_employees = forms.IntegerField(
        label=_("Employees at least"),
        min_value=0,
        max_value=routing.MAX_CONDITION_NUMBER,
        required=False,
    )
    max_employees = forms.IntegerField(
        label=_("Employees at most"),
        min_value=0,
        max_value=routing.MAX_CONDITION_NUMBER,
        required=False,
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = _people()
        for key, help_text in CONDITION_HELP.items():
            self.fields[key].help_text = help_text

    @classmethod
    def initial_for(cls, rule: RoutingRule) -> dict:
        conditions = rule.conditions or {}
        initial = {
            "name": rule.name,
            "applies_to": rule.applies_to,
            "active": rule.active,
            "team": rule.team_id,
            "user": rule.user_id,
        }
        for key in LIST_FIELDS:
            if key in conditions:
                initial[key] = ", ".join(conditions[key])
        for key in routing.INT_CONDITIONS:
            initial[key] = conditions.get(key)
        return initial

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        conditions: dict = {}
        for key in LIST_FIELDS:
            values = [v.strip() for v in (data.get(key) or "").split(",") if v.strip()]
            if values:
                conditions[key] = values
        for key in routing.INT_CONDITIONS:
            if data.get(key) is not None:
                conditions[key] = data[key]
        errors = routing.conditions_errors(conditions)
        errors.update(
            routing.rule_target_errors(
                team=data.get("team"), user=data.get("user"), applies_to=data.get("applies_to")
            )
        )
        for field, messages in errors.items():
            name = field.removeprefix("conditions.")
            self.add_error(name if name in self.fields else None, messages)
        data["conditions"] = conditions
        return data


class TryForm(ConsoleForm):
    """ "Which rule would take this lead?": an existing lead's id, or a typed-in example."""

    lead = forms.IntegerField(label=_("Lead id"), min_value=1, max_value=2**63 - 1, required=False)
    applies_to = forms.ChoiceField(
        label=_("Route as"), choices=RoutingRule.AppliesTo.choices, initial="mql", required=False
    )
    email = forms.EmailField(label=_("Email"), max_length=254, required=False)
    company = forms.CharField(label=_("Company"), max_length=200, required=False)
    region = forms.CharField(label=_("Region"), max_length=100, required=False)
    country = forms.CharField(label=_("Country"), max_length=2, required=False)
    industry = forms.CharField(label=_("Industry"), max_length=100, required=False)
    employees = forms.IntegerField(
        label=_("Employees"), min_value=0, max_value=routing.MAX_CONDITION_NUMBER, required=False
    )
    source_channel = forms.ChoiceField(
        label=_("Source channel"), choices=[("", "—"), *SourceChannel.choices], required=False
    )
    quadrant = forms.CharField(label=_("Score quadrant"), max_length=2, required=False)
    language = forms.CharField(label=_("Language"), max_length=16, required=False)


class DomainForm(ConsoleForm):
    kind = forms.ChoiceField(label=_("List"), choices=DomainListEntry.Kind.choices)
    domain = forms.CharField(
        label=_("Domain"), max_length=253, help_text=_("e.g. example.com (a URL is shortened)")
    )
