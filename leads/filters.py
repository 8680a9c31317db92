"""Filters of the lead list (API and pages): stage, owner, source, campaign, received range, q."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from leads import normalize
from leads.models import Lead, SourceChannel, Stage


class LeadFilter(django_filters.FilterSet):
    stage = django_filters.MultipleChoiceFilter(
        choices=Stage.choices, help_text=_("One or more stages (repeat the parameter).")
    )
    owner = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.all(), help_text=_("The owner's user id.")
    )
    source = django_filters.MultipleChoiceFilter(
        field_name="source_channel",
        choices=SourceChannel.choices,
        help_text=_("Source channel (repeat the parameter for several)."),
    )
    campaign = django_filters.CharFilter(help_text=_("Exact campaign name."))
    created_after = django_filters.IsoDateTimeFilter(
        field_name="received_at",
        lookup_expr="gte",
        help_text=_("Received at or after this ISO-8601 time."),
    )
    created_before = django_filters.IsoDateTimeFilter(
        field_name="received_at",
        lookup_expr="lt",
        help_text=_("Received before this ISO-8601 time."),
    )
    q = django_filters.CharFilter(
        method="search", help_text=_("Text in the name, email, phone or company name.")
    )

    class Meta:
        model = Lead
        fields = ["stage", "owner", "source", "campaign", "created_after", "created_before", "q"]

    def search(self, queryset, name, value):
        text = normalize.clean_text(value)
        if not text:
            return queryset
        condition = (
            Q(name__icontains=text)
            | Q(email_normalised__icontains=text.lower())
            | Q(company_name__icontains=text)
            | Q(account__name__icontains=text)
        )
        digits = "".join(ch for ch in text if ch.isdigit())
        if len(digits) >= 4:
            condition |= Q(phone__contains=digits)
        return queryset.filter(condition)
