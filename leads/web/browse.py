"""What the lead pages read: the filter form of the lead list and the selectors behind the pages.

Visibility comes from ``leads.selectors.leads_visible_to`` only; everything here
narrows that queryset further, never widens it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django import forms
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Case, Count, F, IntegerField, Q, QuerySet, Value, When
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from leads import moments
from leads.models import DEMO_SOURCE_SYSTEM, Lead, ScoreQuadrant, SourceChannel, Stage
from leads.queue.team import OPEN_STAGES
from leads.scoring.engine import GRADES
from leads.selectors import leads_visible_to

# The lead list's columns a user may sort by (the ``sort`` parameter: the key, or the
# key after "-" for descending), and the page sizes offered (``page_size``).
SORT_KEYS = (
    "name",
    "email",
    "phone",
    "company",
    "source",
    "campaign",
    "stage",
    "score",
    "owner",
    "received",
)
DEFAULT_SORT = "-received"
OPEN = "open"  # the stage filter's value for every open stage (``OPEN_STAGES``)
PAGE_SIZES = (25, 50, 100, 200)
DEFAULT_PAGE_SIZE = 50


class LeadFilterForm(forms.Form):
    """The GET form above the lead list. Every field is optional."""

    q = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": _("Name, email, phone or company")}
        ),
    )
    stage = forms.ChoiceField(
        label=_("Stage"),
        required=False,
        choices=[("", _("All stages")), (OPEN, _("Open (MQL to opportunity)")), *Stage.choices],
    )
    # The person holding the leads (a manager's team page links each member's count of
    # open leads here); hidden, kept in the URL with the rest.
    owner = forms.IntegerField(
        label=_("Owner"),
        required=False,
        min_value=1,
        max_value=2_147_483_647,
        widget=forms.HiddenInput,
    )
    source = forms.ChoiceField(
        label=_("Source"),
        required=False,
        choices=[("", _("All sources")), *SourceChannel.choices],
    )
    campaign = forms.CharField(
        label=_("Campaign"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"list": "campaign-options"}),
    )
    received_from = forms.DateField(
        label=_("Received from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    received_to = forms.DateField(
        label=_("Received to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    grade = forms.ChoiceField(
        label=_("Grade"),
        required=False,
        choices=[("", _("All grades")), *((g, g) for g in GRADES)],
    )
    quadrant = forms.ChoiceField(
        label=_("Quadrant"),
        required=False,
        choices=[("", _("All quadrants")), *ScoreQuadrant.choices],
    )
    mql = forms.ChoiceField(
        label=_("MQL"),
        required=False,
        choices=[("", _("MQL or not")), ("yes", _("MQLs only")), ("no", _("Not MQLs"))],
    )

    sort = forms.ChoiceField(
        label=_("Sort"),
        required=False,
        choices=[("", "")]
        + [(key, key) for key in SORT_KEYS]
        + [(f"-{k}", f"-{k}") for k in SORT_KEYS],
        widget=forms.HiddenInput,
    )
    page_size = forms.TypedChoiceField(
        label=_("Per page"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[(size, size) for size in PAGE_SIZES],
        initial=DEFAULT_PAGE_SIZE,
    )

    # Not filters: how the list is shown.
    VIEW_FIELDS = ("sort", "page_size")

    def clean(self):
        cleaned = super().clean()
        for name in ("received_from", "received_to"):
            day = cleaned.get(name)
            if day and not moments.EARLIEST_DAY <= day <= moments.LATEST_DAY:
                self.add_error(
                    name,
                    _("Enter a date between %(first)s and %(last)s.")
                    % {"first": moments.EARLIEST_DAY.isoformat(), "last": "9999-12-30"},
                )
                cleaned[name] = None
        start, end = cleaned.get("received_from"), cleaned.get("received_to")
        if start and end and start > end:
            self.add_error("received_to", _("The end date is before the start date."))
        return cleaned


@dataclass(frozen=True)
class LeadFilters:
    q: str = ""
    stage: str = ""
    source: str = ""
    campaign: str = ""
    received_from: dt.date | None = None
    received_to: dt.date | None = None
    grade: str = ""
    quadrant: str = ""
    mql: str = ""  # "yes" (mql_at set), "no", or "" (both)
    owner: int | None = None

    @classmethod
    def from_form(cls, form: LeadFilterForm) -> LeadFilters:
        """The valid part of a bound form; a field with an error filters nothing."""
        data = getattr(form, "cleaned_data", {})
        return cls(
            q=(data.get("q") or "").strip(),
            stage=data.get("stage") or "",
            source=data.get("source") or "",
            campaign=(data.get("campaign") or "").strip(),
            received_from=data.get("received_from"),
            received_to=data.get("received_to"),
            grade=data.get("grade") or "",
            quadrant=data.get("quadrant") or "",
            mql=data.get("mql") or "",
            owner=data.get("owner"),
        )


def _start_of_day(day: dt.date) -> dt.datetime:
    """Midnight of ``day`` in the active time zone (settings.TIME_ZONE unless activated)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


def lead_list(
    *, viewer: AbstractBaseUser, filters: LeadFilters, sort: str = DEFAULT_SORT
) -> QuerySet[Lead]:
    """The visible leads matching the filters, in ``sort``'s order (newest first by
    default), with what a list row shows."""
    leads = leads_visible_to(viewer=viewer)
    if filters.stage == OPEN:
        leads = leads.filter(stage__in=OPEN_STAGES)
    elif filters.stage:
        leads = leads.filter(stage=filters.stage)
    if filters.owner:
        leads = leads.filter(owner_id=filters.owner)
    if filters.source:
        leads = leads.filter(source_channel=filters.source)
    if filters.campaign:
        leads = leads.filter(campaign__iexact=filters.campaign)
    if filters.received_from:
        leads = leads.filter(received_at__gte=_start_of_day(filters.received_from))
    if filters.received_to:
        next_day = filters.received_to + dt.timedelta(days=1)
        leads = leads.filter(received_at__lt=_start_of_day(next_day))
    if filters.grade:
        leads = leads.filter(score_grade=filters.grade)
    if filters.quadrant:
        leads = leads.filter(score_quadrant=filters.quadrant)
    if filters.mql:
        leads = leads.filter(mql_at__isnull=filters.mql != "yes")
    if filters.q:
        term = filters.q
        leads = leads.filter(
            Q(name__icontains=term)
            | Q(email__icontains=term)
            | Q(phone__icontains=term)
            | Q(wechat_id__icontains=term)
            | Q(company_name__icontains=term)
            | Q(account__name__icontains=term)
        )
    return sort_leads(leads.select_related("account", "owner"), sort)


def _stage_rank() -> Case:
    return Case(
        *(
            When(stage=value, then=Value(rank))
            for rank, (value, _label) in enumerate(Stage.choices)
        ),
        default=Value(len(Stage.choices)),
        output_field=IntegerField(),
    )


def sort_leads(leads: QuerySet[Lead], sort: str = DEFAULT_SORT) -> QuerySet[Lead]:
    """``leads`` in the order ``sort`` names (see ``SORT_KEYS``), ties broken by id in the
    same direction; empty values last either way. Company is the account's name, else
    the company typed in; stage is the funnel's order; score the total score; owner the
    owner's first, last and user name."""
    key = sort.lstrip("-")
    if key not in SORT_KEYS:
        key, sort = DEFAULT_SORT.lstrip("-"), DEFAULT_SORT
    descending = sort.startswith("-")
    columns = {
        "name": [F("name")],
        "email": [F("email_normalised")],
        "phone": [F("phone")],
        "company": [F("company_sort")],
        "source": [F("source_channel")],
        "campaign": [F("campaign")],
        "stage": [F("stage_rank")],
        "score": [F("score_total")],
        "owner": [F("owner__first_name"), F("owner__last_name"), F("owner__username")],
        "received": [F("received_at")],
    }[key]
    if key == "company":
        leads = leads.annotate(
            company_sort=Coalesce(NullIf("account__name", Value("")), "company_name")
        )
    elif key == "stage":
        leads = leads.annotate(stage_rank=_stage_rank())
    blank_last = key in ("name", "email", "phone", "company", "campaign")
    order = []
    for column in columns:
        if blank_last:  # "" sorts with the missing values, after the rest
            order.append(Case(When(**{f"{column.name}": ""}, then=Value(1)), default=Value(0)))
        order.append(column.desc(nulls_last=True) if descending else column.asc(nulls_last=True))
    order.append(F("id").desc() if descending else F("id").asc())
    return leads.order_by(*order)


def lead_campaigns(*, viewer: AbstractBaseUser, limit: int = 200) -> list[str]:
    """Campaign names among the visible leads, for the filter's suggestions."""
    return list(
        leads_visible_to(viewer=viewer)
        .exclude(campaign="")
        .order_by("campaign")
        .values_list("campaign", flat=True)
        .distinct()[:limit]
    )


def lead_stage_counts(*, viewer: AbstractBaseUser) -> list[dict]:
    """``[{"stage", "label", "count"}]`` for every stage, in funnel order (zeros included)."""
    rows = (
        leads_visible_to(viewer=viewer)
        .order_by()
        .values("stage")
        .annotate(count=Count("id", distinct=True))
    )
    counts = {row["stage"]: row["count"] for row in rows}
    return [
        {"stage": value, "label": label, "count": counts.get(value, 0)}
        for value, label in Stage.choices
    ]


def leads_are_demo_data(*, viewer: AbstractBaseUser) -> bool:
    """True when synthetic demo leads are among what the viewer sees."""
    return leads_visible_to(viewer=viewer).filter(source_system=DEMO_SOURCE_SYSTEM).exists()
