"""The clocks' API: ``GET /api/v1/sla/clocks/`` (filters: state, owner, team, term,
due_before, breached), ``GET /api/v1/sla/breaches/`` (breached clocks, newest
first), and the ``clocks`` of ``GET /api/v1/leads/{id}/``. Everyone sees their own
clocks, sales managers their teams', read-all roles (directors, admins, marketing,
integrations) every clock (``sla.clocks.selectors.clocks_visible_to``)."""

from __future__ import annotations

import django_filters
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers
from rest_framework.permissions import IsAuthenticated

from leads import serializers as s
from leads.people.models import Team
from leads.web.filters import UtcDateTimeFilter, _representable
from sla.clocks.selectors import clocks_visible_to
from sla.models import Clock, Term


class ClockOut(serializers.ModelSerializer):
    term_label = serializers.CharField(source="get_term_display", read_only=True)
    state_label = serializers.CharField(source="get_state_display", read_only=True)
    terms_version = serializers.IntegerField(source="terms.number", allow_null=True, default=None)
    target_minutes = serializers.SerializerMethodField()
    elapsed_minutes = serializers.SerializerMethodField()

    class Meta:
        model = Clock
        fields = [
            "id",
            "lead",
            "term",
            "term_label",
            "seq",
            "side",
            "state",
            "state_label",
            "outcome",
            "owner",
            "team",
            "started_at",
            "warn_at",
            "due_at",
            "manager_at",
            "director_at",
            "stopped_at",
            "breached_at",
            "paused_at",
            "target_minutes",
            "elapsed_minutes",
            "unit",
            "policy",
            "terms_version",
            "calendar",
        ]

    def get_target_minutes(self, clock) -> int:
        return int(clock.target.total_seconds() // 60)

    def get_elapsed_minutes(self, clock) -> int | None:
        return None if clock.elapsed is None else int(clock.elapsed.total_seconds() // 60)


class ClockFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(
        choices=Clock.State.choices, help_text=_("One or more states (repeat the parameter).")
    )
    term = django_filters.MultipleChoiceFilter(
        choices=Term.choices, help_text=_("One or more terms (repeat the parameter).")
    )
    owner = django_filters.ModelChoiceFilter(
        queryset=get_user_model().objects.all(), help_text=_("The owner's user id.")
    )
    team = django_filters.ModelChoiceFilter(
        queryset=Team.objects.all(), help_text=_("The team's id.")
    )
    due_before = UtcDateTimeFilter(
        field_name="due_at",
        lookup_expr="lt",
        help_text=_("Due before this ISO-8601 time."),
        validators=[_representable],
    )
    breached = django_filters.BooleanFilter(
        field_name="breached_at", lookup_expr="isnull", exclude=True,
        help_text=_("true: breached clocks only; false: never breached."),
    )  # fmt: skip

    class Meta:
        model = Clock
        fields = ["state", "term", "owner", "team", "due_before", "breached"]


class ClockList(generics.ListAPIView):
    """The SLA clocks you may see, soonest due first (running ones first)."""

    serializer_class = ClockOut
    filterset_class = ClockFilter
    permission_classes = [IsAuthenticated]
    queryset = Clock.objects.none()  # the schema's model; get_queryset answers requests

    def get_queryset(self):
        return (
            clocks_visible_to(viewer=self.request.user)
            .select_related("terms")
            .order_by("stopped_at", "due_at", "id")
        )

    @extend_schema(responses={200: ClockOut(many=True), 400: s.ErrorOut, 401: s.ErrorOut})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class BreachList(ClockList):
    """Breached clocks you may see, the latest breach first (filters as for clocks)."""

    def get_queryset(self):
        return (
            clocks_visible_to(viewer=self.request.user)
            .filter(breached_at__isnull=False)
            .select_related("terms")
            .order_by("-breached_at", "-id")
        )

    @extend_schema(responses={200: ClockOut(many=True), 400: s.ErrorOut, 401: s.ErrorOut})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


def lead_clocks_field(request, lead) -> dict:
    """``leads.hooks.LEAD_API_FIELDS``: the lead's clocks on its API detail."""
    from sla.clocks.selectors import lead_clocks

    return {"clocks": ClockOut(lead_clocks(lead), many=True).data}
