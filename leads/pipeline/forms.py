"""Forms of the account executive's actions (lead page and pipeline page): accept an
SQL into the pipeline, reject it, change the opportunity. The rules are the
services' (``leads.pipeline.services``)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from leads.models import Opportunity
from leads.queue.forms import TARGET_LABELS, WorkForm


class SqlAcceptForm(WorkForm):
    amount = forms.CharField(
        label=_("Amount"), widget=forms.TextInput(attrs={"inputmode": "decimal"})
    )
    currency = forms.CharField(label=_("Currency"), initial="CNY", max_length=3)
    expected_close = forms.CharField(
        label=_("Expected close date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    name = forms.CharField(label=_("Opportunity name"), required=False, max_length=200)


class SqlRejectForm(WorkForm):
    reason = forms.CharField(label=_("Reason"), max_length=64)
    to = forms.ChoiceField(label=_("Send to"), choices=list(TARGET_LABELS.items()))


class OpportunityForm(WorkForm):
    stage = forms.ChoiceField(label=_("Stage"), choices=Opportunity.Stage.choices)
    lost_reason = forms.CharField(label=_("Lost reason"), required=False, max_length=100)
