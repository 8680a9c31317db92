"""REST API v1, the composite reads: the lead list (whose ``POST`` creates one lead
through ``leads.intake.services``), a lead with its timeline, a job.

Reads are open to every authenticated user, filtered by what they may see; writes
need a role in ``INTAKE_ROLES`` (marketing, admin, integration) and record the API
user's name as the source system unless a row names its own. Bulk intake and
activities are ``leads.intake.api``'s.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import jobs
from leads import serializers as s
from leads.api_transactions import AtomicWrites
from leads.intake.api import INTAKE_ERRORS, LeadIn, MayPushIntake, source_name
from leads.intake.services import leads_ingest
from leads.models import Lead
from leads.selectors import lead_timeline, leads_visible_to
from leads.web.filters import LeadFilter

_LEAD_READS = ("account", "owner")


class LeadListCreate(AtomicWrites, generics.ListAPIView):
    """``GET`` the leads you may see (filters: stage, owner, source, campaign, created_after,
    created_before, q); ``POST`` one lead to create (201) or update (200) it."""

    serializer_class = s.LeadOut
    filterset_class = LeadFilter

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsAuthenticated(), MayPushIntake()]
        return [IsAuthenticated()]

    def get_queryset(self):
        return leads_visible_to(viewer=self.request.user).select_related(*_LEAD_READS)

    @extend_schema(
        request=LeadIn,
        responses={201: s.LeadIntakeOut, 200: s.LeadIntakeOut, **INTAKE_ERRORS},
        description=(
            "Create or update one lead, matched by (source_system, external_id), else "
            "normalised email, else phone. Only the fields sent are changed; stage and "
            "owner cannot be set here. A datetime without a time zone is refused. "
            "`do_not_contact: true` opts the person out (an open lead leaves sales for "
            "nurture); the opt-out and consent of a person who opted out are never "
            "changed here — `warnings` names each field kept."
        ),
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": [_("Expected a JSON object.")]})
        result = leads_ingest(
            rows=[request.data], source_system=source_name(request), actor_user=request.user
        )
        if result.errors:
            raise ValidationError(result.errors[0].errors)
        row = result.results[0]
        lead = Lead.objects.select_related(*_LEAD_READS).get(pk=row.id)
        code = status.HTTP_201_CREATED if row.status == "created" else status.HTTP_200_OK
        data = s.LeadOut(lead).data
        if row.warnings:
            data["warnings"] = row.warnings
        return Response(data, status=code)


class LeadDetail(APIView):
    """One lead with its timeline (activities and events, oldest first).

    404 when the lead does not exist or is outside what the user may see."""

    @extend_schema(responses={200: s.LeadDetailOut, 404: s.ErrorOut})
    def get(self, request: Request, pk: int) -> Response:
        queryset = leads_visible_to(viewer=request.user).select_related(*_LEAD_READS)
        lead = get_object_or_404(queryset, pk=pk)
        serializer = s.LeadDetailOut(lead, context={"timeline": lead_timeline(lead=lead)})
        return Response(serializer.data)


class JobDetail(APIView):
    """A long job (file import, re-score, evaluation, predictive refresh): state,
    progress, result and errors.

    Admins see every job; others their own jobs and the scoring jobs (re-score,
    evaluation, predictive refresh). Any other job answers 404."""

    @extend_schema(responses={200: s.JobOut, 404: s.ErrorOut})
    def get(self, request: Request, pk: int) -> Response:
        visible = jobs.visible_to(viewer=request.user)
        return Response(s.JobOut(get_object_or_404(visible, pk=pk)).data)
