"""Forms of the working-a-lead pages. They parse what a browser sends; the rules
(who, which stage, required criteria, attempts) are the services' (``leads.queue.work``),
whose ``WorkInvalid`` errors are put back on these forms by field."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from leads import lifecycle
from leads.models import LeadReturn, Touch
from leads.queue import work

DISQUALIFY_REASON_LABELS = {
    "not_icp": _("Not ICP"),
    "competitor": _("Competitor"),
    "no_response": _("No response"),
    "no_need": _("No need"),
    "no_budget": _("No budget"),
    "other": _("Other"),
}
CRITERION_LABELS = work.CRITERION_LABELS  # the labels live beside the criteria
CRITERION_VALUE_LABELS = {"unknown": _("Unknown"), "yes": _("Yes"), "no": _("No")}
SETTLE_LABELS = {
    LeadReturn.Dispute.UPHELD: _("Upheld: the return counts against marketing"),
    LeadReturn.Dispute.OVERTURNED: _("Overturned: the return does not count"),
}

TARGET_LABELS = {
    lifecycle.NURTURE: _("Nurture"),
    lifecycle.DISQUALIFIED: _("Disqualified"),
}
_NOTE = {"rows": 2}


class WorkForm(forms.Form):
    """A form that can take the services' ``{field: [messages]}`` errors."""

    def add_service_errors(self, errors: dict[str, list[str]]) -> None:
        for field, messages in errors.items():
            name = field.split(".")[-1] if field.startswith("criteria.") else field
            target = name if name in self.fields else None
            for message in messages:
                self.add_error(target, message)


class AcceptForm(WorkForm):
    pass


class ReturnForm(WorkForm):
    reason = forms.ChoiceField(label=_("Reason"), choices=LeadReturn.Reason.choices)
    to = forms.ChoiceField(
        label=_("Not ICP: send to"),
        choices=[("", _("— default (nurture) —")), *TARGET_LABELS.items()],
        required=False,
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs=_NOTE))


class TouchForm(WorkForm):
    channel = forms.ChoiceField(label=_("Channel"), choices=Touch.Channel.choices)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=Touch.Outcome.choices)
    at = forms.DateTimeField(
        label=_("When"),
        required=False,
        help_text=_("Leave empty for now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs=_NOTE))


class QualificationForm(WorkForm):
    """One value (unknown / yes / no) and one note per criterion of the framework."""

    def __init__(self, *args, state: work.QualificationState, **kwargs):
        initial = {}
        for name, given in state.criteria.items():
            initial[name] = given["value"]
            initial[f"{name}_note"] = given["note"]
        super().__init__(*args, initial=initial, **kwargs)
        self.state = state
        for name in state.criteria:
            self.fields[name] = forms.ChoiceField(
                label=CRITERION_LABELS.get(name, name),
                choices=list(CRITERION_VALUE_LABELS.items()),
                widget=forms.RadioSelect,
            )
            self.fields[f"{name}_note"] = forms.CharField(
                label=_("Note"), required=False, max_length=500
            )

    def rows(self):
        return [
            {
                "name": name,
                "required": name in self.state.required,
                "value": self[name],
                "note": self[f"{name}_note"],
            }
            for name in self.state.criteria
        ]

    def criteria(self) -> dict[str, dict[str, str]]:
        return {
            name: {
                "value": self.cleaned_data[name],
                "note": self.cleaned_data.get(f"{name}_note", ""),
            }
            for name in self.state.criteria
        }


class ConvertForm(WorkForm):
    pass


class DisqualifyForm(WorkForm):
    reason = forms.ChoiceField(
        label=_("Reason"),
        choices=[(r, DISQUALIFY_REASON_LABELS[r]) for r in work.DISQUALIFY_REASONS],
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs=_NOTE))


class NoteForm(WorkForm):
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs=_NOTE))


class DisputeForm(WorkForm):
    note = forms.CharField(label=_("Why the return is unfair"), widget=forms.Textarea(attrs=_NOTE))


class OptOutForm(WorkForm):
    note = forms.CharField(
        label=_("How did they say it?"),
        required=False,
        help_text=_("Optional: e.g. “asked on the phone not to be called again”."),
        widget=forms.Textarea(attrs=_NOTE),
    )


class OptOutReverseForm(WorkForm):
    reason = forms.CharField(
        label=_("Why the opt-out is reversed"),
        help_text=_("Required; kept in the consent history."),
        widget=forms.Textarea(attrs=_NOTE),
    )


class SettleForm(WorkForm):
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=list(SETTLE_LABELS.items()), widget=forms.RadioSelect
    )
    note = forms.CharField(label=_("Note"), required=False, widget=forms.Textarea(attrs=_NOTE))
