"""REST API v1 for testing a scoring model before publishing it: evaluation against
history and closed-loop calibration. Thin doors onto ``leads.scoring.analysis``;
``leads.scoring.evaluation`` documents what every number means.

Every endpoint needs authentication; everyone may read. Reading never starts
work: starting an evaluation (a POST) and creating a draft from the calibration
are for marketing managers and admins (others get 403).
"""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leads.api_transactions import AtomicWrites
from leads.models import Job, ScoringModelVersion
from leads.people import roles
from leads.scoring.analysis import (
    AnalysisInputError,
    calibration_draft_create,
    calibration_report,
    evaluation_get_or_start,
    evaluation_latest,
)
from leads.scoring.api import MayEditScoring, ScoringModelOut
from leads.scoring.evaluation import (
    CALIBRATION_MONTHS_DEFAULT,
    MIN_LEADS_DEFAULT,
    MONTHS_DEFAULT,
    MONTHS_MAX,
)
from leads.serializers import ErrorOut

MIN_LEADS_MAX = 1_000_000


def _int(raw, *, name: str, default: int, low: int, high: int) -> int:
    """``raw`` as an int in [low, high] (``default`` when absent), or a 400 naming ``name``."""
    if raw is None or raw == "":
        return default
    try:
        value = int(str(raw))
    except ValueError:
        raise ValidationError({name: [_("Enter a whole number.")]}) from None
    if not low <= value <= high:
        raise ValidationError(
            {name: [_("Must be from %(low)d to %(high)d.") % {"low": low, "high": high}]}
        )
    return value


def _version(pk) -> ScoringModelVersion:
    version = ScoringModelVersion.objects.filter(pk=pk).first()
    if version is None:
        raise NotFound(_("No scoring model version with id %(id)s.") % {"id": pk})
    return version


def _input_error(exc: AnalysisInputError) -> ValidationError:
    return ValidationError({exc.field: [exc.message]})


# --- shapes (documentation) ----------------------------------------------------------


class VersionBriefOut(serializers.Serializer):
    id = serializers.IntegerField()
    number = serializers.IntegerField()
    name = serializers.CharField()
    status = serializers.CharField()


class ModelMonthOut(serializers.Serializer):
    mqls = serializers.IntegerField(help_text="Leads whose first MQL month end is this one.")
    decided = serializers.IntegerField(help_text="Of those, with a known outcome (won/closed).")
    open = serializers.IntegerField(help_text="Of those, still open (volume only).")
    reached_sql = serializers.IntegerField()
    won = serializers.IntegerField()
    sql_rate = serializers.FloatField(allow_null=True, help_text="reached_sql / decided")
    precision = serializers.FloatField(allow_null=True, help_text="won / decided")
    caught = serializers.IntegerField(help_text="Deals won this month it had made MQLs by then.")
    recall = serializers.FloatField(allow_null=True, help_text="caught / won_deals")


class ModelTotalsOut(ModelMonthOut):
    won_deals = serializers.IntegerField()


class EvaluationMonthOut(serializers.Serializer):
    month = serializers.CharField(help_text="YYYY-MM")
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    received = serializers.IntegerField()
    received_decided = serializers.IntegerField()
    won_deals = serializers.IntegerField()
    models = serializers.DictField(child=ModelMonthOut(), help_text="Keys: model, against.")


class EvaluationLeadsOut(serializers.Serializer):
    received = serializers.IntegerField()
    decided = serializers.IntegerField()
    won = serializers.IntegerField()
    open = serializers.IntegerField()


class EvaluationOut(serializers.Serializer):
    job = serializers.IntegerField()
    model = VersionBriefOut()
    against = VersionBriefOut()
    months = serializers.IntegerField()
    as_of = serializers.DateTimeField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    synthetic = serializers.BooleanField(help_text="True when demo (synthetic) leads are in it.")
    leads = EvaluationLeadsOut()
    per_month = EvaluationMonthOut(many=True)
    totals = serializers.DictField(child=ModelTotalsOut(), help_text="Keys: model, against.")
    versions = serializers.DictField(child=serializers.IntegerField())


class JobStartedOut(serializers.Serializer):
    job = serializers.IntegerField()
    status_url = serializers.CharField()
    state = serializers.CharField()
    done = serializers.IntegerField()
    total = serializers.IntegerField()
    percent = serializers.IntegerField()


class CalibrationRowOut(serializers.Serializer):
    activity_type = serializers.CharField()
    leads = serializers.IntegerField(help_text="Closed leads that did it before closing.")
    won = serializers.IntegerField()
    close_rate = serializers.FloatField(allow_null=True)
    lift = serializers.FloatField(allow_null=True, help_text="close_rate / average_close_rate")
    current_points = serializers.FloatField(allow_null=True)
    suggested_points = serializers.FloatField(allow_null=True)
    reason = serializers.CharField(
        allow_null=True, help_text="Why there is no suggestion: too_few_leads or no_wins."
    )
    trigger = serializers.BooleanField(help_text="lift >= strong_lift")


class CalibrationOut(serializers.Serializer):
    months = serializers.IntegerField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    published = VersionBriefOut(allow_null=True)
    synthetic = serializers.BooleanField()
    closed = serializers.IntegerField()
    won = serializers.IntegerField()
    base_close_rate = serializers.FloatField(allow_null=True)
    average_close_rate = serializers.FloatField(allow_null=True)
    reference_type = serializers.CharField(allow_null=True)
    reference_points = serializers.FloatField()
    min_leads = serializers.IntegerField()
    strong_lift = serializers.FloatField()
    rows = CalibrationRowOut(many=True)
    suggestion = serializers.DictField(child=serializers.FloatField())


class CalibrationDraftIn(serializers.Serializer):
    months = serializers.IntegerField(required=False, min_value=1, max_value=MONTHS_MAX)
    min_leads = serializers.IntegerField(required=False, min_value=1)


_MONTHS_HELP = "Months of history (1 to 24)."
_ERRORS = {
    400: OpenApiResponse(ErrorOut, description="A bad parameter; `errors` names it."),
    401: OpenApiResponse(ErrorOut, description="No or invalid credentials."),
}


# --- views ----------------------------------------------------------------------------


class MayStartEvaluations(BasePermission):
    """Everyone reads evaluations; marketing managers and admins start them."""

    message = gettext_lazy("Only marketing managers and admins start evaluations.")

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or roles.has_role(
            request.user, *roles.SCORING_CHANGE_ROLES
        )


class EvaluationIn(serializers.Serializer):
    months = serializers.IntegerField(
        required=False, min_value=1, max_value=MONTHS_MAX, help_text=f"{_MONTHS_HELP} Default 6."
    )
    against = serializers.IntegerField(
        required=False, help_text="The version to compare with (default: published)."
    )


def _evaluation_params(source) -> tuple[int, ScoringModelVersion | None]:
    """``months`` and the ``against`` version from a query string or a body (400
    naming either)."""
    months = _int(
        source.get("months"), name="months", default=MONTHS_DEFAULT, low=1, high=MONTHS_MAX
    )
    raw_against = source.get("against")
    if raw_against in (None, ""):
        return months, None
    against_id = _int(raw_against, name="against", default=0, low=1, high=2**31 - 1)
    against = ScoringModelVersion.objects.filter(pk=against_id).first()
    if against is None:
        raise ValidationError(
            {"against": [_("No scoring model version with id %(id)s.") % {"id": against_id}]}
        )
    return months, against


def _job_answer(job: Job) -> Response:
    """200 with the result of a finished job, else 202 with its progress."""
    if job.state == Job.State.DONE:
        return Response({"job": job.pk, **job.result})
    return Response(
        {
            "job": job.pk,
            "status_url": reverse("api:job_detail", args=[job.pk]),
            "state": job.state,
            "done": job.done,
            "total": job.total,
            "percent": job.percent,
        },
        status=status.HTTP_202_ACCEPTED,
    )


class ScoringEvaluation(APIView):
    """Evaluate a version against another over the last N complete months.

    The evaluation runs as a job. **GET** reads and never starts one: the newest
    evaluation for these parameters (same versions, unchanged since, same months,
    same window) — **200** with its result when it finished, **202** with its
    progress while it runs (poll again, or `status_url`), **404** when none was
    started or the newest one failed (`detail` says which). **POST** (marketing
    managers and admins; others 403) starts one, with `months` and `against` in
    the body: a running one for the same parameters is returned rather than a
    second started (**202**), a result finished in the last 24 h is returned as
    it is (**200**), else a new job starts (**202**). `against` defaults to the
    published version. Leads received in the window are scored as of each month
    end with the activities they had by then; see the fields for the definitions
    of MQLs, precision and recall.
    """

    permission_classes = [IsAuthenticated, MayStartEvaluations]

    @extend_schema(
        parameters=[
            OpenApiParameter("months", int, description=f"{_MONTHS_HELP} Default 6."),
            OpenApiParameter(
                "against", int, description="The version to compare with (default: published)."
            ),
        ],
        responses={
            200: EvaluationOut,
            202: OpenApiResponse(JobStartedOut, description="The evaluation is running."),
            404: OpenApiResponse(
                ErrorOut,
                description="No such version; or no evaluation for these parameters was "
                "started (POST starts one), or the newest one failed.",
            ),
            **_ERRORS,
        },
    )
    def get(self, request: Request, pk: int) -> Response:
        months, against = _evaluation_params(request.query_params)
        version = _version(pk)
        try:
            job = evaluation_latest(version=version, against=against, months=months)
        except AnalysisInputError as exc:
            raise _input_error(exc) from None
        if job is None:
            raise NotFound(
                _(
                    "No evaluation of version %(number)d over %(months)d months was started: "
                    "a marketing manager or an admin starts one with a POST to this URL."
                )
                % {"number": version.number, "months": months}
            )
        if job.state == Job.State.FAILED:
            raise NotFound(
                _("The newest evaluation of these parameters failed: %(message)s")
                % {"message": job.result.get("message") or _("no reason was recorded.")}
            )
        return _job_answer(job)

    @extend_schema(
        request=EvaluationIn,
        responses={
            200: OpenApiResponse(
                EvaluationOut, description="A result finished in the last 24 h: no new job."
            ),
            202: OpenApiResponse(
                JobStartedOut, description="Started, or already running for these parameters."
            ),
            403: OpenApiResponse(ErrorOut, description="Only marketing managers and admins."),
            404: OpenApiResponse(ErrorOut, description="No such version."),
            **_ERRORS,
        },
    )
    def post(self, request: Request, pk: int) -> Response:
        data = request.data
        if not hasattr(data, "get"):
            raise ValidationError({"non_field_errors": [_("Expected a JSON object.")]})
        months, against = _evaluation_params(data)
        version = _version(pk)
        try:
            job = evaluation_get_or_start(
                version=version, against=against, months=months, user=request.user
            )
        except AnalysisInputError as exc:
            raise _input_error(exc) from None
        return _job_answer(job)


class ScoringCalibration(APIView):
    """Closed-loop calibration over the leads closed in the last N months (default 12):
    per activity type, the closed leads that did it, how many won, the close rate,
    its lift over the average close rate, the published model's points and the
    suggested points (proportional to lift; the highest lift gets the model's
    highest interest points). Types done by fewer than `min_leads` closed leads
    get no suggestion."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("months", int, description=f"{_MONTHS_HELP} Default 12."),
            OpenApiParameter("min_leads", int, description="Minimum sample per type (30)."),
        ],
        responses={200: CalibrationOut, **_ERRORS},
    )
    def get(self, request: Request) -> Response:
        params = request.query_params
        months, min_leads = _calibration_params(params)
        report = calibration_report(months=months, min_leads=min_leads)
        return Response(report.to_dict())


def _calibration_params(source) -> tuple[int, int]:
    """``months`` and ``min_leads`` from a query string or a body (400 naming either)."""
    months = _int(
        source.get("months"),
        name="months",
        default=CALIBRATION_MONTHS_DEFAULT,
        low=1,
        high=MONTHS_MAX,
    )
    min_leads = _int(
        source.get("min_leads"),
        name="min_leads",
        default=MIN_LEADS_DEFAULT,
        low=1,
        high=MIN_LEADS_MAX,
    )
    return months, min_leads


class ScoringCalibrationDraft(AtomicWrites, APIView):
    """Create a draft version from the calibration's suggestion: the published model
    with the suggested interest points (caps scaled in proportion; everything else
    kept). Marketing managers and admins only."""

    permission_classes = [IsAuthenticated, MayEditScoring]

    @extend_schema(
        request=CalibrationDraftIn,
        responses={
            201: ScoringModelOut,
            403: OpenApiResponse(ErrorOut, description="Only marketing managers and admins."),
            **_ERRORS,
        },
    )
    def post(self, request: Request) -> Response:
        data = request.data
        if not hasattr(data, "get"):
            raise ValidationError({"non_field_errors": [_("Expected a JSON object.")]})
        months, min_leads = _calibration_params(data)
        try:
            draft = calibration_draft_create(user=request.user, months=months, min_leads=min_leads)
        except AnalysisInputError as exc:
            raise _input_error(exc) from None
        return Response(ScoringModelOut(draft).data, status=status.HTTP_201_CREATED)
