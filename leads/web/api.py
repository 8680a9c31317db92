"""REST API v1: thin doors onto ``leads.intake.services``, ``leads.intake.activities``
and ``leads.selectors``.

Reads (lead list and detail) are open to every authenticated user, filtered by
what they may see; writes (leads, bulk, activities) need a role in
``INTAKE_ROLES`` (marketing, admin, integration). Writes record the API user's
name as the source system unless a row names its own.
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import serializers as s
from leads.intake.activities import activities_ingest
from leads.intake.services import IngestResult, leads_ingest
from leads.models import Activity, Lead
from leads.people import roles
from leads.selectors import jobs_visible_to, lead_timeline, leads_visible_to
from leads.web.filters import LeadFilter


class MayPushIntake(BasePermission):
    message = gettext_lazy(
        "Only marketing managers, admins and integrations may push leads and activity."
    )

    def has_permission(self, request, view) -> bool:
        return roles.has_role(request.user, *roles.INTAKE_ROLES)


class BatchTooLarge(APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = gettext_lazy("Too many items in one request.")
    default_code = "batch_too_large"


def _source_name(request: Request) -> str:
    return request.user.get_username()[:64]


def _batch(request: Request, *, noun: str) -> list:
    data = request.data
    if not isinstance(data, list):
        raise ValidationError({"non_field_errors": [_("Expected a JSON array of %s.") % noun]})
    limit = settings.INTAKE_MAX_BATCH
    if len(data) > limit:
        raise BatchTooLarge(
            _("%(count)d items sent; at most %(limit)d per request. Nothing was saved.")
            % {"count": len(data), "limit": limit}
        )
    return data


def _error_list(errors) -> list[dict]:
    return [{"index": e.index, "errors": e.errors} for e in errors]


def _bulk_payload(result: IngestResult) -> dict:
    return {
        "created": result.created,
        "updated": result.updated,
        "rejected": result.rejected,
        "results": [{"index": r.index, "id": r.id, "status": r.status} for r in result.results],
        "errors": _error_list(result.errors),
    }


_LEAD_READS = ("account", "owner")
_ERRORS = {
    400: OpenApiResponse(s.ErrorOut, description="Invalid input; `errors` names the fields."),
    401: OpenApiResponse(s.ErrorOut, description="No or invalid credentials."),
    403: OpenApiResponse(s.ErrorOut, description="The user's role may not push intake."),
}


class LeadListCreate(generics.ListAPIView):
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
        request=s.LeadIn,
        responses={201: s.LeadOut, 200: s.LeadOut, **_ERRORS},
        description=(
            "Create or update one lead, matched by (source_system, external_id), else "
            "normalised email, else phone. Only the fields sent are changed; stage and "
            "owner cannot be set here. A datetime without a time zone is refused."
        ),
    )
    def post(self, request: Request) -> Response:
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": [_("Expected a JSON object.")]})
        result = leads_ingest(
            rows=[request.data], source_system=_source_name(request), actor_user=request.user
        )
        if result.errors:
            raise ValidationError(result.errors[0].errors)
        row = result.results[0]
        lead = Lead.objects.select_related(*_LEAD_READS).get(pk=row.id)
        code = status.HTTP_201_CREATED if row.status == "created" else status.HTTP_200_OK
        return Response(s.LeadOut(lead).data, status=code)


class LeadBulk(APIView):
    """Create or update up to INTAKE_MAX_BATCH (5,000) leads in one request."""

    permission_classes = [IsAuthenticated, MayPushIntake]

    @extend_schema(
        request=s.LeadIn(many=True),
        responses={
            200: s.BulkResultOut,
            413: OpenApiResponse(s.ErrorOut, description="More than 5,000 rows; nothing saved."),
            **_ERRORS,
        },
        description=(
            "A JSON array of leads. Valid rows are saved, invalid ones come back in `errors` "
            "with their index. Within a batch the last duplicate wins; a row whose keys point "
            "at two different existing leads is rejected; an update merges only the fields "
            "sent. Sending the same batch again creates nothing new."
        ),
    )
    def post(self, request: Request) -> Response:
        rows = _batch(request, noun=_("leads"))
        result = leads_ingest(
            rows=rows, source_system=_source_name(request), actor_user=request.user
        )
        return Response(_bulk_payload(result))


class ActivityCreate(APIView):
    """Record one activity (a JSON object) or many (a JSON array of up to 5,000).

    Each activity names its lead by ``lead`` (id), ``lead_external_id`` (with
    ``lead_source_system``, default: the API user's name) or ``lead_email``.
    **Unknown lead:** that activity is rejected with an error naming the field
    used, e.g. ``{"lead_email": ["No lead with this email."]}`` — a single
    object gets 400, in a list the item is listed under ``errors`` and the
    others are saved. Activity intake never creates leads.
    With ``external_id`` an activity is idempotent by (``source``,
    ``external_id``): a repeat answers 200 with the stored activity.
    """

    permission_classes = [IsAuthenticated, MayPushIntake]

    @extend_schema(
        request=s.ActivityIn,
        responses={
            201: s.ActivityOut,
            200: OpenApiResponse(
                s.ActivityBulkResultOut,
                description="For an array: the summary. For one object already stored "
                "(same source and external_id): that activity.",
            ),
            413: OpenApiResponse(s.ErrorOut, description="More than 5,000 items."),
            **_ERRORS,
        },
        description=__doc__,
    )
    def post(self, request: Request) -> Response:
        source = _source_name(request)
        if isinstance(request.data, dict):
            result = activities_ingest(items=[request.data], source=source)
            if result.errors:
                raise ValidationError(result.errors[0].errors)
            row = result.results[0]
            activity = Activity.objects.get(pk=row.id)
            code = status.HTTP_201_CREATED if row.status == "created" else status.HTTP_200_OK
            return Response(s.ActivityOut(activity).data, status=code)
        items = _batch(request, noun=_("activities"))
        result = activities_ingest(items=items, source=source)
        return Response(
            {
                "created": result.created,
                "existing": result.existing,
                "rejected": result.rejected,
                "results": [
                    {"index": r.index, "id": r.id, "status": r.status} for r in result.results
                ],
                "errors": _error_list(result.errors),
            }
        )


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
        jobs = jobs_visible_to(viewer=request.user)
        return Response(s.JobOut(get_object_or_404(jobs, pk=pk)).data)
