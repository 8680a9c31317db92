"""REST API v1 for scoring models and a lead's score: thin doors onto
``leads.scoring.services`` / ``selectors`` / ``rescore``.

Everyone signed in reads; only marketing managers and admins create, edit and
publish (others 403). A published or retired version is frozen: PATCH answers 409
(edit means: create a new draft, e.g. ``{"from_version": id}``); publishing the
published one answers 409. An invalid definition answers 400 with one entry per
problem under ``errors``, keyed ``<section>[<index>].<field>`` (e.g.
``fit_rules[3].industry``) and the same problems as objects under ``problems``;
nothing is saved.
"""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import serializers as s
from leads.api_transactions import AtomicWrites
from leads.models import ScoringModelVersion
from leads.people import roles
from leads.scoring.definitions import ScoringModelInvalid
from leads.scoring.engine import NEXT_ACTIONS, ScoreResult, ScoringModel, explain
from leads.scoring.predictive_selectors import lead_prediction
from leads.scoring.selectors import scoring_model_versions
from leads.scoring.services import (
    ScoringModelAlreadyPublished,
    ScoringModelNotEditable,
    scoring_model_create_draft,
    scoring_model_publish,
    scoring_model_rename_draft,
    scoring_model_update_draft,
)
from leads.selectors import leads_visible_to

MODEL_EDITORS = (roles.MARKETING, roles.ADMIN)
_SECTION_KEYS = {
    "fit": "fit_rules",
    "interest": "interest_rules",
    "grades": "grade_thresholds",
    "threshold": "threshold",
}


class MayEditScoring(BasePermission):
    message = gettext_lazy("Only marketing managers and admins change scoring models.")

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or roles.has_role(request.user, *MODEL_EDITORS)


def _invalid(exc: ScoringModelInvalid) -> Response:
    errors: dict[str, list[str]] = {}
    for e in exc.errors:
        section = _SECTION_KEYS.get(e.section, e.section)
        key = f"{section}[{e.index}].{e.field}" if e.index is not None else f"{section}.{e.field}"
        errors.setdefault(key, []).append(e.message)
    return Response(
        {
            "detail": _("The scoring model is invalid; nothing was saved."),
            "errors": errors,
            "problems": exc.as_dicts(),
        },
        status=status.HTTP_400_BAD_REQUEST,
    )


def _conflict(message: str, version: ScoringModelVersion) -> Response:
    return Response(
        {"detail": message, "status": version.status, "version": version.number},
        status=status.HTTP_409_CONFLICT,
    )


# ------------------------------------------------------------------ serializers


class ScoringModelOut(serializers.ModelSerializer):
    created_by = s.UserBrief(read_only=True, allow_null=True)

    class Meta:
        model = ScoringModelVersion
        fields = [
            "id",
            "number",
            "name",
            "status",
            "definition",
            "created_by",
            "created_at",
            "updated_at",
            "published_at",
            "retired_at",
        ]


class ScoringModelCreateIn(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    definition = serializers.JSONField(required=False)
    from_version = serializers.IntegerField(
        required=False,
        help_text="Copy this version's definition (a published model is edited this way).",
    )

    def validate(self, attrs):
        if "definition" not in attrs and "from_version" not in attrs:
            raise ValidationError(
                {"definition": [_("Send a definition, or from_version to copy one.")]}
            )
        if "definition" in attrs and not isinstance(attrs["definition"], dict):
            raise ValidationError({"definition": [_("Expected a JSON object.")]})
        return attrs


class ScoringModelPatchIn(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    definition = serializers.JSONField(required=False)

    def validate_definition(self, value):
        if not isinstance(value, dict):
            raise ValidationError(_("Expected a JSON object."))
        return value


class PublishOut(serializers.Serializer):
    version = ScoringModelOut()
    job = serializers.IntegerField()
    status_url = serializers.CharField()


class LeadScoreOut(serializers.Serializer):
    lead = serializers.IntegerField()
    scored = serializers.BooleanField()
    model_version = serializers.IntegerField(allow_null=True)
    scored_at = serializers.DateTimeField(allow_null=True)
    fit = serializers.FloatField(allow_null=True)
    grade = serializers.CharField(allow_blank=True)
    interest = serializers.FloatField(allow_null=True)
    total = serializers.FloatField(allow_null=True)
    quadrant = serializers.CharField(allow_blank=True)
    next_action = serializers.CharField(allow_blank=True)
    is_mql = serializers.BooleanField()
    mql_at = serializers.DateTimeField(allow_null=True)
    breakdown = serializers.JSONField()
    explanation = serializers.ListField(child=serializers.JSONField())
    predictive = serializers.JSONField(
        allow_null=True,
        help_text="The predictive score (advice only): probability, factors, accuracy; "
        "null before the first training.",
    )


# ------------------------------------------------------------------------ views

_ERRORS = {
    400: OpenApiResponse(s.ErrorOut, description="Invalid input; `errors` names each problem."),
    401: OpenApiResponse(s.ErrorOut, description="No or invalid credentials."),
    403: OpenApiResponse(s.ErrorOut, description="Only marketing managers and admins."),
}


class ScoringModelListCreate(AtomicWrites, generics.ListAPIView):
    """``GET`` every scoring model version (newest first); ``POST`` a new draft."""

    serializer_class = ScoringModelOut
    permission_classes = [IsAuthenticated, MayEditScoring]

    def get_queryset(self):
        return scoring_model_versions()

    @extend_schema(
        request=ScoringModelCreateIn,
        responses={201: ScoringModelOut, 404: s.ErrorOut, **_ERRORS},
        description=(
            "Create a draft from `definition` (the engine's model: fit_rules, "
            "grade_thresholds, interest_rules, threshold) or copy `from_version`; "
            "a definition sent with `from_version` replaces the copied one."
        ),
    )
    def post(self, request: Request) -> Response:
        data = ScoringModelCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        attrs = data.validated_data
        definition = attrs.get("definition")
        if definition is None:
            source = get_object_or_404(ScoringModelVersion, pk=attrs["from_version"])
            definition = source.definition
        try:
            version = scoring_model_create_draft(
                definition=definition, user=request.user, name=attrs.get("name", "")
            )
        except ScoringModelInvalid as exc:
            return _invalid(exc)
        return Response(ScoringModelOut(version).data, status=status.HTTP_201_CREATED)


class ScoringModelDetail(AtomicWrites, APIView):
    """``GET`` one version; ``PATCH`` a draft's name or definition (409 otherwise)."""

    permission_classes = [IsAuthenticated, MayEditScoring]

    @extend_schema(responses={200: ScoringModelOut, 404: s.ErrorOut})
    def get(self, request: Request, pk: int) -> Response:
        return Response(ScoringModelOut(get_object_or_404(scoring_model_versions(), pk=pk)).data)

    @extend_schema(
        request=ScoringModelPatchIn,
        responses={200: ScoringModelOut, 404: s.ErrorOut, 409: s.ErrorOut, **_ERRORS},
    )
    def patch(self, request: Request, pk: int) -> Response:
        version = get_object_or_404(ScoringModelVersion, pk=pk)
        data = ScoringModelPatchIn(data=request.data)
        data.is_valid(raise_exception=True)
        attrs = data.validated_data
        if version.status != ScoringModelVersion.Status.DRAFT:
            return _conflict(
                _(
                    "Version %(number)s is %(status)s and cannot change; "
                    "create a new draft from it instead."
                )
                % {"number": version.number, "status": version.get_status_display()},
                version,
            )
        try:
            if "definition" in attrs:
                version = scoring_model_update_draft(
                    version=version, definition=attrs["definition"], user=request.user
                )
            if "name" in attrs:
                version = scoring_model_rename_draft(version=version, name=attrs["name"])
        except ScoringModelNotEditable:
            version.refresh_from_db()
            return _conflict(_("This version is no longer a draft."), version)
        except ScoringModelInvalid as exc:
            return _invalid(exc)
        return Response(ScoringModelOut(version).data)


class ScoringModelPublish(AtomicWrites, APIView):
    """Publish a draft, or a retired version (rollback): 202 with the re-score job."""

    permission_classes = [IsAuthenticated, MayEditScoring]

    @extend_schema(
        request=None,
        responses={202: PublishOut, 404: s.ErrorOut, 409: s.ErrorOut, **_ERRORS},
        description=(
            "The version becomes the published one (the previous one is retired) and a "
            "job re-scores every open lead; follow it at `status_url`."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        version = get_object_or_404(ScoringModelVersion, pk=pk)
        try:
            version, job = scoring_model_publish(version=version, user=request.user)
        except ScoringModelAlreadyPublished:
            return _conflict(
                _("Version %(number)s is already published.") % {"number": version.number},
                version,
            )
        except ScoringModelInvalid as exc:
            return _invalid(exc)
        return Response(
            {
                "version": ScoringModelOut(version).data,
                "job": job.pk,
                "status_url": reverse("api:job_detail", args=[job.pk]),
            },
            status=status.HTTP_202_ACCEPTED,
        )


def lead_score_payload(lead) -> dict[str, Any]:
    """The stored score of ``lead`` with its breakdown and the explanation lines
    (stable keys + parameters; the pages word them)."""
    breakdown = lead.score_breakdown or {}
    lines: list[dict[str, Any]] = []
    is_mql = False
    if breakdown:
        result = ScoreResult.from_dict(breakdown)
        is_mql = result.is_mql
        model = (
            ScoringModel.from_dict({**lead.score_model.definition, "version": result.model_version})
            if lead.score_model_id
            else None
        )
        lines = [line.to_dict() for line in explain(result, model)]
    return {
        "lead": lead.pk,
        "scored": bool(breakdown),
        "model_version": lead.score_model.number if lead.score_model_id else None,
        "scored_at": lead.scored_at,
        "fit": lead.score_fit,
        "grade": lead.score_grade,
        "interest": lead.score_interest,
        "total": lead.score_total,
        "quadrant": lead.score_quadrant,
        "next_action": NEXT_ACTIONS.get(lead.score_quadrant, ""),
        "is_mql": is_mql,
        "mql_at": lead.mql_at,
        "breakdown": breakdown,
        "explanation": lines,
    }


class LeadScore(APIView):
    """A lead's score: the stored numbers, the per-rule breakdown and the explanation."""

    @extend_schema(responses={200: LeadScoreOut, 404: s.ErrorOut})
    def get(self, request: Request, pk: int) -> Response:
        lead = get_object_or_404(
            leads_visible_to(viewer=request.user).select_related("score_model"), pk=pk
        )
        payload = {**lead_score_payload(lead), "predictive": lead_prediction(lead=lead)}
        return Response(LeadScoreOut(payload).data)
