"""REST API v1 for the account executive's side: reject an SQL, accept it into the
pipeline (``POST /opportunities/``), read and change opportunities. Thin doors onto
``leads.pipeline.services``; errors map as in ``leads.queue.work_api.WorkView``
(403 / 409 / 400 naming the field, 404 outside what the user may see)."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from leads import lifecycle
from leads import serializers as s
from leads.models import Opportunity
from leads.pipeline import services
from leads.pipeline.selectors import opportunities_visible_to
from leads.queue.work_api import _ERRORS, WorkView


class RejectIn(serializers.Serializer):
    reason = serializers.CharField(max_length=64)
    to = serializers.ChoiceField(choices=[(t, t) for t in services.REJECT_TARGETS], required=False)


class OpportunityIn(serializers.Serializer):
    lead = serializers.IntegerField(help_text="The SQL's id.")
    amount = serializers.DecimalField(max_digits=14, decimal_places=2)
    expected_close = serializers.DateField()
    currency = serializers.CharField(required=False, max_length=3, help_text="Default CNY.")
    name = serializers.CharField(required=False, max_length=200)


class OpportunityPatchIn(serializers.Serializer):
    stage = serializers.CharField(
        required=False, help_text="discovery, validation, negotiation, won or lost."
    )
    amount = serializers.DecimalField(required=False, max_digits=14, decimal_places=2)
    expected_close = serializers.DateField(required=False)
    lost_reason = serializers.CharField(required=False, max_length=100)


class OpportunityOut(serializers.ModelSerializer):
    owner = s.UserBrief()
    stage = serializers.CharField(help_text="discovery, validation, negotiation, won or lost.")

    class Meta:
        model = Opportunity
        fields = [
            "id",
            "lead",
            "owner",
            "name",
            "amount",
            "currency",
            "expected_close",
            "stage",
            "lost_reason",
            "source",
            "source_channel",
            "campaign",
            "closed_at",
            "created_at",
            "updated_at",
        ]


class LeadReject(WorkView):
    """The AE holding an SQL rejects it with a reason (→ nurture or disqualified)."""

    @extend_schema(request=RejectIn, responses={200: s.LeadOut, **_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = self.body(request)
        lead = services.sql_reject(
            lead=self.lead(request, pk),
            by=request.user,
            reason=data.get("reason"),
            to=data.get("to", lifecycle.NURTURE),
        )
        return self.lead_out(lead)


class OpportunityListCreate(WorkView):
    """``GET`` the opportunities you may see; ``POST``: an AE accepts an SQL into the
    pipeline (sql → opportunity, stage discovery)."""

    @extend_schema(responses={200: OpportunityOut(many=True)})
    def get(self, request: Request) -> Response:
        rows = opportunities_visible_to(viewer=request.user)
        return Response(OpportunityOut(rows, many=True).data)

    @extend_schema(request=OpportunityIn, responses={201: OpportunityOut, **_ERRORS})
    def post(self, request: Request) -> Response:
        data = self.body(request)
        lead_id = data.get("lead")
        if not isinstance(lead_id, int) or isinstance(lead_id, bool):
            raise ValidationError({"lead": [_("Expected a lead id.")]})
        for field in ("amount", "expected_close"):
            if data.get(field) in (None, ""):
                raise ValidationError({field: [_("This field is required.")]})
        opportunity = services.sql_accept(
            lead=self.lead(request, lead_id),
            by=request.user,
            amount=data["amount"],
            expected_close=data["expected_close"],
            currency=data.get("currency") or "CNY",
            name=data.get("name", ""),
        )
        row = Opportunity.objects.select_related("owner").get(pk=opportunity.pk)
        return Response(OpportunityOut(row).data, status=status.HTTP_201_CREATED)


class OpportunityDetail(WorkView):
    """``GET`` one opportunity; ``PATCH`` its stage (forward, or won / lost with a lost
    reason), amount or expected close date — the owning AE only."""

    def opportunity(self, request: Request, pk: int) -> Opportunity:
        return get_object_or_404(opportunities_visible_to(viewer=request.user), pk=pk)

    @extend_schema(responses={200: OpportunityOut, 404: s.ErrorOut})
    def get(self, request: Request, pk: int) -> Response:
        return Response(OpportunityOut(self.opportunity(request, pk)).data)

    @extend_schema(request=OpportunityPatchIn, responses={200: OpportunityOut, **_ERRORS})
    def patch(self, request: Request, pk: int) -> Response:
        data = self.body(request)
        opportunity = services.opportunity_update(
            opportunity=self.opportunity(request, pk),
            by=request.user,
            stage=data.get("stage"),
            amount=data.get("amount"),
            expected_close=data.get("expected_close"),
            lost_reason=data.get("lost_reason"),
        )
        return Response(OpportunityOut(self.opportunity(request, opportunity.pk)).data)
