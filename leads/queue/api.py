"""REST API v1 for the SDR queue, claiming, manual assignment and routing rules:
thin doors onto ``leads.queue.claim`` and ``leads.queue.routing``.

- ``GET /queue/``: the caller's queue (MQL and SAL leads they own, priority then
  next-step deadline) and how many leads wait in their teams' pools; a fixed number
  of queries whatever the length.
- ``POST /queue/claim/`` (SDRs): the best pool lead, assigned to the caller (not
  accepted); 204 when the pool is empty.
- ``POST /leads/{id}/assign/`` (sales managers for their teams' leads, admins): 404
  outside what the caller sees, 403 for other roles or outside their teams.
- ``/routing/rules/`` (admins only): ordered routing rules, written by
  ``leads.queue.routing.routing_rule_create`` / ``_update`` / ``_delete``; invalid
  input answers 400 naming the field (``conditions.<key>``, ``team``, ``user``…).
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import hooks
from leads import serializers as s
from leads.api_transactions import AtomicWrites
from leads.models import Lead, RoutingRule
from leads.people import roles
from leads.people.models import Team
from leads.queue.claim import claim_next, next_step_deadline, pool_count, sdr_queue
from leads.queue.routing import (
    RoutingError,
    RoutingRuleInvalid,
    conditions_errors,
    lead_assign,
    routing_rule_create,
    routing_rule_delete,
    routing_rule_update,
    rule_target_errors,
)
from leads.selectors import leads_visible_to

ASSIGNERS = (roles.SALES_MANAGER, roles.ADMIN)


class IsSdr(BasePermission):
    message = gettext_lazy("Only SDRs claim leads from a team pool.")

    def has_permission(self, request, view) -> bool:
        return roles.has_role(request.user, roles.SDR)


class IsAdminRole(BasePermission):
    message = gettext_lazy("Only admins manage routing rules.")

    def has_permission(self, request, view) -> bool:
        return roles.has_role(request.user, roles.ADMIN)


# ------------------------------------------------------------------ serializers


class TeamBrief(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "kind", "mode"]


class QueueLeadOut(serializers.ModelSerializer):
    company = serializers.CharField(source="company_name")
    account = s.AccountBrief(allow_null=True)
    team = TeamBrief(allow_null=True)
    next_step_deadline = serializers.DateTimeField(allow_null=True, read_only=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            "name",
            "company",
            "account",
            "title",
            "stage",
            "score_quadrant",
            "score_total",
            "score_grade",
            "team",
            "assigned_at",
            "next_step_deadline",
            "already_customer",
        ]


class PoolOut(serializers.Serializer):
    count = serializers.IntegerField()


class QueueOut(serializers.Serializer):
    leads = QueueLeadOut(many=True)
    pool = PoolOut()


class AssignIn(serializers.Serializer):
    to_user = serializers.IntegerField(required=False, help_text="A person's id.")
    to_team = serializers.IntegerField(
        required=False, help_text="A team's id: the lead waits in its pool."
    )
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


class RoutingRuleSerializer(serializers.ModelSerializer):
    conditions = serializers.JSONField(
        required=False,
        help_text="Lists per key: region, country, industry, source_channel, quadrant, "
        "language; whole numbers min_employees / max_employees. A missing key matches all.",
    )

    class Meta:
        model = RoutingRule
        fields = [
            "id",
            "name",
            "order",
            "active",
            "applies_to",
            "conditions",
            "team",
            "user",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        # the PostgreSQL column's range on every database (SQLite's is wider)
        extra_kwargs = {"order": {"max_value": 2_147_483_647}}

    def validate(self, attrs):
        errors: dict[str, list[str]] = {}
        if "conditions" in attrs:
            errors.update(conditions_errors(attrs["conditions"]))
        instance = self.instance
        errors.update(
            rule_target_errors(
                team=attrs.get("team", instance.team if instance else None),
                user=attrs.get("user", instance.user if instance else None),
                applies_to=attrs.get("applies_to", instance.applies_to if instance else "mql"),
            )
        )
        if errors:
            raise ValidationError(errors)
        return attrs


# ------------------------------------------------------------------ views


class QueueView(APIView):
    """The caller's queue and their teams' pool size."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: QueueOut, 401: s.ErrorOut})
    def get(self, request: Request) -> Response:
        leads = list(sdr_queue(user=request.user))
        return Response(
            {
                "leads": QueueLeadOut(leads, many=True).data,
                "pool": {"count": pool_count(user=request.user)},
            }
        )


class QueueClaim(AtomicWrites, APIView):
    """Take the next lead of your teams' pools (it is assigned to you, not accepted)."""

    permission_classes = [IsAuthenticated, IsSdr]

    @extend_schema(
        request=None,
        responses={
            200: QueueLeadOut,
            204: OpenApiResponse(description="The pool is empty."),
            401: s.ErrorOut,
            403: OpenApiResponse(s.ErrorOut, description="Not an SDR."),
        },
    )
    def post(self, request: Request) -> Response:
        lead = claim_next(user=request.user)
        if lead is None:
            return Response(status=status.HTTP_204_NO_CONTENT)
        hooks.on_events_written(lead.pk)  # the claim deferred its clocks: the answer has them
        lead = next_step_deadline(
            Lead.objects.select_related("account", "team").filter(pk=lead.pk)
        ).get()
        return Response(QueueLeadOut(lead).data)


def _routing_error(exc: RoutingError):
    if exc.code == "forbidden":
        raise PermissionDenied(exc.message)
    raise ValidationError({exc.field or "non_field_errors": [exc.message]})


class LeadAssign(AtomicWrites, APIView):
    """Assign a lead to a person or a team's pool (sales managers: their teams' leads,
    to their teams' members; admins: any)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=AssignIn,
        responses={
            200: QueueLeadOut,
            400: s.ErrorOut,
            401: s.ErrorOut,
            403: s.ErrorOut,
            404: OpenApiResponse(s.ErrorOut, description="No such lead for you."),
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        lead = get_object_or_404(leads_visible_to(viewer=request.user), pk=pk)
        if not roles.has_role(request.user, *ASSIGNERS):
            raise PermissionDenied(_("Only sales managers and admins reassign leads."))
        body = AssignIn(data=request.data)
        body.is_valid(raise_exception=True)
        to_user = to_team = None
        if "to_user" in body.validated_data:
            to_user = get_user_model().objects.filter(pk=body.validated_data["to_user"]).first()
            if to_user is None:
                raise ValidationError({"to_user": [_("No such person.")]})
        if "to_team" in body.validated_data:
            to_team = Team.objects.filter(pk=body.validated_data["to_team"]).first()
            if to_team is None:
                raise ValidationError({"to_team": [_("No such team.")]})
        try:
            lead_assign(
                lead=lead,
                to_user=to_user,
                to_team=to_team,
                by=request.user,
                note=body.validated_data.get("note", ""),
            )
        except RoutingError as exc:
            _routing_error(exc)
        lead = next_step_deadline(
            Lead.objects.select_related("account", "team").filter(pk=lead.pk)
        ).get()
        return Response(QueueLeadOut(lead).data)


class RoutingRuleListCreate(AtomicWrites, generics.ListCreateAPIView):
    """Routing rules in the order they are tried (admins only)."""

    permission_classes = [IsAuthenticated, IsAdminRole]
    serializer_class = RoutingRuleSerializer
    queryset = RoutingRule.objects.order_by("applies_to", "order", "pk")
    pagination_class = None

    def perform_create(self, serializer):
        try:
            serializer.instance = routing_rule_create(**serializer.validated_data)
        except RoutingRuleInvalid as exc:
            raise ValidationError(exc.errors) from None


class RoutingRuleDetail(AtomicWrites, generics.RetrieveUpdateDestroyAPIView):
    """One routing rule (admins only)."""

    permission_classes = [IsAuthenticated, IsAdminRole]
    serializer_class = RoutingRuleSerializer
    queryset = RoutingRule.objects.all()
    http_method_names = ["get", "patch", "delete", "head", "options"]

    def perform_update(self, serializer):
        try:
            serializer.instance = routing_rule_update(
                rule=serializer.instance, **serializer.validated_data
            )
        except RoutingRuleInvalid as exc:
            raise ValidationError(exc.errors) from None

    def perform_destroy(self, instance):
        routing_rule_delete(rule=instance)
