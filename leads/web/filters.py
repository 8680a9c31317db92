"""Filters of the lead list (API): stage, owner, source, campaign, received range, q,
score grade, quadrant and MQL. (The HTML list has the same filters in ``leads.web.browse``.)"""

from __future__ import annotations

import datetime as dt

import django_filters
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from leads import moments
from leads.intake import normalize
from leads.models import Lead, ScoreQuadrant, SourceChannel, Stage
from leads.scoring.engine import GRADES


def _representable(value) -> None:
    if value is not None and moments.representable_problem(value):
        raise ValidationError(_("This time is out of range once converted to UTC."))


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    """An ISO-8601 time, compared in UTC: Python takes offsets up to ±23:59, PostgreSQL
    only up to ±15:59 (``created_before=4865-07-03T03:29:26-18:18`` was a 500)."""

    def filter(self, qs, value):
        if value is not None:
            value = value.astimezone(dt.UTC)
        return super().filter(qs, value)


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
    created_after = UtcDateTimeFilter(
        field_name="received_at",
        lookup_expr="gte",
        help_text=_("Received at or after this ISO-8601 time."),
        validators=[_representable],
    )
    created_before = UtcDateTimeFilter(
        field_name="received_at",
        lookup_expr="lt",
        help_text=_("Received before this ISO-8601 time."),
        validators=[_representable],
    )
    q = django_filters.CharFilter(
        method="search", help_text=_("Text in the name, email, phone or company name.")
    )
    grade = django_filters.MultipleChoiceFilter(
        field_name="score_grade",
        choices=[(g, g) for g in GRADES],
        help_text=_("Fit grade A–D of the rule score (repeat the parameter for several)."),
    )
    quadrant = django_filters.MultipleChoiceFilter(
        field_name="score_quadrant",
        choices=ScoreQuadrant.choices,
        help_text=_("Score quadrant (repeat the parameter for several)."),
    )
    mql = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        method="filter_mql",
        help_text=_("true: leads that became MQLs (they have an MQL date); false: the others."),
    )

    class Meta:
        model = Lead
        fields = [
            "stage",
            "owner",
            "source",
            "campaign",
            "created_after",
            "created_before",
            "q",
            "grade",
            "quadrant",
            "mql",
        ]

    def filter_mql(self, queryset, name, value):
        return queryset.filter(mql_at__isnull=value != "true")

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
