"""REST API v1 for intake: leads in bulk and activities (the single-lead ``POST
/api/v1/leads/`` shares the lead list's URL and lives in ``leads.web.api``). Only
marketing managers, admins and integrations push intake (``MayPushIntake``); input is
validated by ``leads.intake.services`` / ``leads.intake.activities`` as a whole batch,
valid rows are saved and each bad row is named by its index."""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import APIException, ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import serializers as s
from leads.intake.activities import activities_ingest
from leads.intake.services import INTAKE_FIELDS, IngestResult, leads_ingest
from leads.models import Activity, Seniority, SourceChannel
from leads.people import roles


class LeadIn(serializers.Serializer):
    """One lead to create or update. Give at least one of external_id, email, phone."""

    external_id = serializers.CharField(required=False, max_length=128)
    source_system = serializers.CharField(
        required=False,
        max_length=64,
        help_text="Defaults to the API user's name; (source_system, external_id) is an identity.",
    )
    name = serializers.CharField(required=False, max_length=200)
    email = serializers.EmailField(required=False, max_length=254)
    phone = serializers.CharField(
        required=False, help_text="Any common format; stored as E.164 (default region CN)."
    )
    title = serializers.CharField(required=False, max_length=200)
    seniority = serializers.ChoiceField(choices=Seniority.choices, required=False)
    wechat_id = serializers.CharField(required=False, max_length=64)
    language = serializers.CharField(required=False, max_length=16)
    company = serializers.CharField(required=False, max_length=200)
    domain = serializers.CharField(
        required=False, help_text="Company web domain; otherwise taken from the email."
    )
    employees = serializers.IntegerField(required=False, min_value=0)
    annual_revenue = serializers.DecimalField(
        required=False, max_digits=16, decimal_places=2, help_text="USD."
    )
    industry = serializers.CharField(required=False, max_length=100)
    region = serializers.CharField(required=False, max_length=100)
    country = serializers.CharField(required=False, min_length=2, max_length=2)
    source_channel = serializers.ChoiceField(choices=SourceChannel.choices)
    campaign = serializers.CharField(required=False, max_length=200)
    created_at_source = serializers.DateTimeField(
        required=False, help_text="ISO-8601 with a time zone; a naive time is refused."
    )
    do_not_contact = serializers.BooleanField(
        required=False,
        help_text="true: the person opted out (an open lead leaves sales for nurture). "
        "An opt-out sticks: intake never clears it nor changes the consent of a person "
        "who opted out (the result's `warnings` name each field kept).",
    )
    consent_source = serializers.CharField(required=False, max_length=100)
    consent_at = serializers.DateTimeField(required=False, help_text="ISO-8601 with a time zone.")

    def get_fields(self):
        """Intake's fields (``INTAKE_FIELDS``), in its order, as declared above."""
        declared = super().get_fields()
        return {name: declared[name] for name in INTAKE_FIELDS}


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


def source_name(request: Request) -> str:
    return request.user.get_username()[:64]


def batch_of(request: Request, *, noun: str) -> list:
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


def error_list(errors) -> list[dict]:
    return [{"index": e.index, "errors": e.errors} for e in errors]


def row_payload(row) -> dict:
    """One row's result; ``warnings`` only when intake kept something as stored."""
    payload = {"index": row.index, "id": row.id, "status": row.status}
    if row.warnings:
        payload["warnings"] = row.warnings
    return payload


def bulk_payload(result: IngestResult) -> dict:
    return {
        "created": result.created,
        "updated": result.updated,
        "rejected": result.rejected,
        "results": [row_payload(r) for r in result.results],
        "errors": error_list(result.errors),
    }


INTAKE_ERRORS = {
    400: OpenApiResponse(s.ErrorOut, description="Invalid input; `errors` names the fields."),
    401: OpenApiResponse(s.ErrorOut, description="No or invalid credentials."),
    403: OpenApiResponse(s.ErrorOut, description="The user's role may not push intake."),
}


class LeadBulk(APIView):
    """Create or update up to INTAKE_MAX_BATCH (5,000) leads in one request."""

    permission_classes = [IsAuthenticated, MayPushIntake]

    @extend_schema(
        request=LeadIn(many=True),
        responses={
            200: s.BulkResultOut,
            413: OpenApiResponse(s.ErrorOut, description="More than 5,000 rows; nothing saved."),
            **INTAKE_ERRORS,
        },
        description=(
            "A JSON array of leads. Valid rows are saved, invalid ones come back in `errors` "
            "with their index. Within a batch the last duplicate wins; a row whose keys point "
            "at two different existing leads is rejected; an update merges only the fields "
            "sent. Sending the same batch again creates nothing new."
        ),
    )
    def post(self, request: Request) -> Response:
        rows = batch_of(request, noun=_("leads"))
        result = leads_ingest(
            rows=rows, source_system=source_name(request), actor_user=request.user
        )
        return Response(bulk_payload(result))


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
            **INTAKE_ERRORS,
        },
        description=__doc__,
    )
    def post(self, request: Request) -> Response:
        source = source_name(request)
        if isinstance(request.data, dict):
            result = activities_ingest(items=[request.data], source=source)
            if result.errors:
                raise ValidationError(result.errors[0].errors)
            row = result.results[0]
            activity = Activity.objects.get(pk=row.id)
            code = status.HTTP_201_CREATED if row.status == "created" else status.HTTP_200_OK
            return Response(s.ActivityOut(activity).data, status=code)
        items = batch_of(request, noun=_("activities"))
        result = activities_ingest(items=items, source=source)
        return Response(
            {
                "created": result.created,
                "existing": result.existing,
                "rejected": result.rejected,
                "results": [
                    {"index": r.index, "id": r.id, "status": r.status} for r in result.results
                ],
                "errors": error_list(result.errors),
            }
        )
