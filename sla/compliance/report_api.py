"""The SLA compliance API (issue 13 §4):

- ``GET /api/v1/sla/scorecard/?month=YYYY-MM&team=ID`` — a month's figures: a closed
  month from its latest frozen report (``frozen: true``), else computed (a closed month
  not frozen yet, or the open month, month to date); ``team`` narrows them to one team
  the reader may see. A future or malformed month: 400 naming ``month``.
- ``GET /api/v1/sla/reports/`` — the frozen reports, every version, newest first.
- ``GET /api/v1/sla/reports/{YYYY-MM}/`` — the month's latest version (``?version=N``
  for another) as JSON, or ``?format=pdf`` / ``?format=csv`` (a ZIP of the tables;
  ``&table=terms|breakdown|leads`` for one CSV), or by ``Accept``; in the reader's
  language.
- ``POST /api/v1/sla/reports/{YYYY-MM}/regenerate/`` — directors and admins: a new
  version (the old ones stay), with what changed.

Everyone sees the figures their role may (``sla.compliance.scope``): directors, admins
and integrations (BI) everything, managers their teams, SDRs and AEs their own; a
month's report outside a role's reach is a 404.
"""

from __future__ import annotations

import json

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, renderers, serializers, status
from rest_framework.exceptions import NotFound, PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import serializers as s
from leads.api_transactions import AtomicWrites
from leads.people import roles
from leads.people.models import Team
from sla import period_terms as P
from sla.compliance import figures, reports, scope
from sla.compliance.api import MonthField
from sla.models import ComplianceReport

TABLES = ("terms", "breakdown", "leads")


class PDFRenderer(renderers.BaseRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes) else json.dumps(data).encode()


class CSVRenderer(PDFRenderer):
    media_type = "text/csv"
    format = "csv"


class ZipRenderer(PDFRenderer):
    media_type = "application/zip"
    format = "zip"


def _month_state(text, *, field: str = "month"):
    """The month named by ``text`` and its state (closed or open); 400 naming the
    field for a malformed or future month."""
    month = P.parse_month(text) if isinstance(text, str) and "\x00" not in text else None
    if month is None:
        raise ValidationError({field: [_("Enter a month as YYYY-MM, e.g. 2026-11.")]})
    state = figures.month_state(month)
    if state == "future":
        raise ValidationError({field: [_("This month has not begun: it has no figures.")]})
    return month, state


def _visible(user) -> scope.Scope:
    seen = scope.scope_for(user)
    if not seen.sees_anything:
        raise NotFound()
    return seen


class ReportBrief(serializers.ModelSerializer):
    month = MonthField()
    terms_version = serializers.IntegerField(source="terms.number", allow_null=True, default=None)

    class Meta:
        model = ComplianceReport
        fields = ["id", "month", "version", "watermark", "terms_version", "reason",
                  "created_by", "created_at", "emailed_at"]  # fmt: skip


class ScorecardOut(serializers.Serializer):
    month = serializers.CharField()
    zone = serializers.CharField()
    start = serializers.DateTimeField()
    end = serializers.DateTimeField()
    month_to_date = serializers.BooleanField()
    frozen = serializers.BooleanField()
    report = ReportBrief(allow_null=True)
    watermark = serializers.DateTimeField()
    terms_version = serializers.IntegerField(allow_null=True)
    period = serializers.DictField()
    terms = serializers.ListField(child=serializers.DictField())
    rows = serializers.ListField(child=serializers.DictField())


class ReportOut(ScorecardOut):
    changes = serializers.ListField(child=serializers.DictField())


def _payload(data: dict, report: ComplianceReport | None) -> dict:
    return {
        **data,
        "frozen": report is not None,
        "report": ReportBrief(report).data if report is not None else None,
    }


def _team_scope(user, seen: scope.Scope, team_id: str) -> scope.Scope:
    if not team_id.isdigit() or len(team_id) > 18:
        raise ValidationError({"team": [_("Enter a team id (a whole number).")]})
    team = Team.objects.filter(pk=int(team_id)).first()
    if team is None or not (seen.everything or seen.marketing or team_id in seen.teams):
        raise NotFound(_("No such team."))
    members = frozenset(str(pk) for pk in team.members.values_list("pk", flat=True))
    return scope.Scope(teams=frozenset({team_id}), people=members)


class Scorecard(APIView):
    """A month's SLA figures, both sides (month to date when the month is open)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        parameters=[
            OpenApiParameter("month", str, description="YYYY-MM (default: this month)"),
            OpenApiParameter("team", int, description="one team's figures"),
        ],
        responses={200: ScorecardOut, 400: s.ErrorOut, 401: s.ErrorOut, 404: s.ErrorOut},
    )
    def get(self, request: Request) -> Response:
        seen = _visible(request.user)
        given = request.query_params.get("month")
        if given is not None:
            month, state = _month_state(given)
        else:
            month, state = figures.month_of_now(), "open"
        team = request.query_params.get("team")
        if team is not None:
            seen = _team_scope(request.user, seen, team)
        report = reports.latest(month) if state == "closed" else None
        data = report.data if report is not None else figures.scorecard(month)
        return Response(_payload(scope.restrict(data, seen), report))


class ReportList(generics.ListAPIView):
    """The frozen monthly reports, every version, newest first."""

    serializer_class = ReportBrief
    permission_classes = [IsAuthenticated]
    queryset = ComplianceReport.objects.none()
    filterset_class = None
    filter_backends: list = []

    def get_queryset(self):
        _visible(self.request.user)
        return ComplianceReport.objects.select_related("terms").order_by("-month", "-version")

    @extend_schema(responses={200: ReportBrief(many=True), 401: s.ErrorOut, 404: s.ErrorOut})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class ReportDetail(APIView):
    """A month's frozen report: JSON, PDF or the CSV tables (a ZIP, or one by ``table``)."""

    permission_classes = [IsAuthenticated]
    renderer_classes = [renderers.JSONRenderer, renderers.BrowsableAPIRenderer,
                        PDFRenderer, CSVRenderer, ZipRenderer]  # fmt: skip

    def finalize_response(self, request, response, *args, **kwargs):
        # errors (and the JSON answer) are JSON whatever format was asked for
        if not isinstance(getattr(response, "data", None), bytes) and not isinstance(
            getattr(request, "accepted_renderer", None),
            renderers.JSONRenderer | renderers.BrowsableAPIRenderer,
        ):
            request.accepted_renderer = renderers.JSONRenderer()
            request.accepted_media_type = "application/json"
        return super().finalize_response(request, response, *args, **kwargs)

    @extend_schema(
        parameters=[
            OpenApiParameter("version", int, description="a version (default: the latest)"),
            OpenApiParameter("format", str, enum=["json", "pdf", "csv"]),
            OpenApiParameter("table", str, enum=list(TABLES), description="with format=csv"),
        ],
        responses={
            (200, "application/json"): ReportOut,
            (200, "application/pdf"): OpenApiTypes.BINARY,
            (200, "text/csv"): OpenApiTypes.BINARY,
            (200, "application/zip"): OpenApiTypes.BINARY,
            400: s.ErrorOut, 401: s.ErrorOut, 404: s.ErrorOut,
        },
    )  # fmt: skip
    def get(self, request: Request, month: str) -> Response:
        seen = _visible(request.user)
        start, _state = _month_state(month)
        found = ComplianceReport.objects.filter(month=start).select_related("terms")
        version = request.query_params.get("version")
        if version is not None:
            if not version.isdigit() or len(version) > 9:
                raise ValidationError({"version": [_("Enter a version number.")]})
            report = found.filter(version=int(version)).first()
        else:
            report = found.order_by("-version").first()
        if report is None:
            raise NotFound(_("This month has no frozen report."))
        data = scope.restrict(report.data, seen)
        kind = request.accepted_renderer.format
        table = request.query_params.get("table")
        if table is not None and table not in TABLES:
            raise ValidationError(
                {"table": [_("One of: %(tables)s.") % {"tables": ", ".join(TABLES)}]}
            )
        if kind in ("pdf", "csv", "zip"):
            from sla.compliance import exports, rendering

            label = rendering.labels(data)
            name = f"sla-{start:%Y-%m}-v{report.version}"
            if kind == "pdf":
                body, media, filename = exports.pdf(data, label), "application/pdf", f"{name}.pdf"
            elif table is not None:
                body, media = exports.csv_table(data, table, label), "text/csv; charset=utf-8"
                filename = f"{name}-{table}.csv"
            else:
                body, media, filename = (
                    exports.csv_zip(data, label),
                    "application/zip",
                    f"{name}.zip",
                )
            return Response(
                body,
                content_type=media,
                headers={"Content-Disposition": f'attachment; filename="{filename}"'},
            )
        return Response({**_payload(data, report), "changes": report.changes})


class Regenerate(AtomicWrites, APIView):
    """A new version of a closed month's report (directors and admins)."""

    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={201: ReportOut, 400: s.ErrorOut, 401: s.ErrorOut, 403: s.ErrorOut,
                   404: s.ErrorOut},
    )  # fmt: skip
    def post(self, request: Request, month: str) -> Response:
        _visible(request.user)
        if not roles.has_role(request.user, roles.DIRECTOR, roles.ADMIN):
            raise PermissionDenied(_("Only directors and admins regenerate a report."))
        start, state = _month_state(month)
        if state != "closed":
            raise ValidationError(
                {"month": [_("This month is still open: it is shown month to date, never frozen.")]}
            )
        previous = reports.latest(start)
        report = reports.freeze(
            start,
            by=request.user,
            reason=ComplianceReport.Reason.REGENERATED
            if previous is not None
            else ComplianceReport.Reason.ON_DEMAND,
        )
        return Response(
            {**_payload(report.data, report), "changes": report.changes},
            status=status.HTTP_201_CREATED,
        )
