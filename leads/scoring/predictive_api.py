"""REST API v1 for the predictive score: the snapshot in use, and a refresh.

Everyone signed in may read; only marketing managers and admins start a
refresh (others get 403 and nothing is queued). Thin: the numbers come from
``leads.scoring.predictive_selectors``, the job from
``leads.scoring.predictive_services``.
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leads.api_transactions import AtomicWrites
from leads.people import roles
from leads.scoring.predictive_selectors import predictive_snapshot_current, predictive_summary
from leads.scoring.predictive_services import clean_min_count, predictive_refresh_start
from leads.serializers import ErrorOut, JobOut


class MayRefreshPredictive(BasePermission):
    message = gettext_lazy("Only marketing managers and admins may refresh the predictive score.")

    def has_permission(self, request, view) -> bool:
        return roles.has_role(request.user, *roles.SCORING_CHANGE_ROLES)


class PredictiveEvaluationOut(serializers.Serializer):
    n = serializers.IntegerField(help_text="Held-out closed leads scored.")
    won = serializers.IntegerField(help_text="How many of them were won.")
    accuracy = serializers.FloatField(help_text="Share on the right side of 50 % (0–1).")
    auc = serializers.FloatField(
        help_text="Chance a random won lead scores above a random lost one (0.5 = a coin)."
    )
    brier = serializers.FloatField(help_text="Mean squared error of the probability (0 = perfect).")
    base_rate = serializers.FloatField(help_text="Share won among the held-out leads.")


class PredictiveFactorOut(serializers.Serializer):
    field = serializers.CharField(help_text="`stage`, a lead field, or `activity:<type>`.")
    value = serializers.CharField()
    field_label = serializers.CharField()
    value_label = serializers.CharField()
    odds_ratio = serializers.FloatField(help_text="What it multiplies the odds of winning by.")
    lift = serializers.FloatField(
        help_text="How many times the average win rate leads with this value won "
        "(shrunk toward the average when seen on few leads)."
    )
    log_odds = serializers.FloatField()
    direction = serializers.ChoiceField(choices=["up", "down"])
    text = serializers.CharField(help_text="The factor in plain words.")


class PredictiveSnapshotOut(serializers.Serializer):
    id = serializers.IntegerField()
    created_at = serializers.DateTimeField(help_text="When it was trained.")
    trained_rows = serializers.IntegerField(help_text="Closed leads the model in use learned from.")
    held_out_rows = serializers.IntegerField(help_text="Closed leads its accuracy was measured on.")
    evaluation_trained_rows = serializers.IntegerField(
        allow_null=True, help_text="Closed leads the measured model learned from (the rest)."
    )
    won = serializers.IntegerField(help_text="Won leads counted.")
    lost = serializers.IntegerField(help_text="Lost and disqualified leads counted.")
    added_since = serializers.IntegerField(help_text="Leads counted as they closed since then.")
    min_count = serializers.IntegerField(help_text="Values seen on fewer leads are ignored.")
    held_out_percent = serializers.IntegerField(allow_null=True)
    synthetic = serializers.BooleanField(help_text="Learned from synthetic demo leads.")
    evaluation = PredictiveEvaluationOut(
        allow_null=True, help_text="Accuracy on held-out leads; null when there were none."
    )
    factors = PredictiveFactorOut(many=True, help_text="What moves the odds most, overall.")
    job = serializers.IntegerField(allow_null=True, source="job_id")


class PredictiveRefreshIn(serializers.Serializer):
    min_count = serializers.IntegerField(
        required=False,
        min_value=0,
        help_text="Ignore values seen on fewer closed leads (default: PREDICTIVE_MIN_COUNT, 20).",
    )


class PredictiveSnapshotView(APIView):
    """The predictive score in use: when it was trained, on how many closed leads,
    its accuracy on held-out leads and the factors that move the odds most.

    404 until a first refresh has stored one."""

    permission_classes = [IsAuthenticated]

    @extend_schema(responses={200: PredictiveSnapshotOut, 401: ErrorOut, 404: ErrorOut})
    def get(self, request: Request) -> Response:
        snapshot = predictive_snapshot_current()
        if snapshot is None:
            raise NotFound(_("The predictive score has not been trained yet."))
        return Response(PredictiveSnapshotOut(predictive_summary(snapshot=snapshot)).data)


class PredictiveRefresh(AtomicWrites, APIView):
    """Retrain the predictive score and re-predict every open lead, in a Celery job.

    Answers 202 with the job (follow it at ``/api/v1/jobs/{id}/``). A refresh
    already queued or running is returned instead of starting another."""

    permission_classes = [IsAuthenticated, MayRefreshPredictive]

    @extend_schema(
        request=PredictiveRefreshIn,
        responses={
            202: JobOut,
            400: OpenApiResponse(ErrorOut, description="`errors.min_count` says what is wrong."),
            401: ErrorOut,
            403: OpenApiResponse(ErrorOut, description="Not a marketing manager or admin."),
        },
    )
    def post(self, request: Request) -> Response:
        data = request.data if request.data is not None else {}
        if not isinstance(data, dict):
            raise ValidationError({"non_field_errors": [_("Expected a JSON object.")]})
        min_count = data.get("min_count")
        if min_count is not None:
            try:
                min_count = clean_min_count(min_count)
            except ValueError:
                raise ValidationError(
                    {"min_count": [_("Give a whole number from 0 to 1,000,000.")]}
                ) from None
        job, _created = predictive_refresh_start(user=request.user, min_count=min_count)
        return Response(
            JobOut(job).data,
            status=status.HTTP_202_ACCEPTED,
            headers={"Location": reverse("api:job_detail", args=[job.pk])},
        )
