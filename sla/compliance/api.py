"""``GET /api/v1/sla/targets/`` — the monthly targets' rows, newest first (everyone
signed in reads them: they are the SLA's shared numbers); ``POST`` a new dated row
(directors and admins; 403 otherwise, nothing written). Bad input answers 400 naming
the field: a malformed month, a negative target, a percentage over 100, an unknown
term or team."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from leads import serializers as s
from leads.api_transactions import AtomicWrites
from sla import period_terms as P
from sla.compliance import services
from sla.models import MonthlyTarget

MESSAGES = {
    "unknown_term": gettext_lazy("Not a period term of the SLA."),
    "not_a_number": gettext_lazy("Enter a number."),
    "negative": gettext_lazy("A target cannot be negative."),
    "over_100": gettext_lazy("A percentage cannot be over 100."),
    "not_a_whole_number": gettext_lazy("Enter a whole number."),
    "too_large": gettext_lazy("This target is too large."),
    "too_precise": gettext_lazy("At most two decimal places."),
    "bad_month": gettext_lazy("Enter a month as YYYY-MM, e.g. 2026-11."),
    "unknown_team": gettext_lazy("No such team."),
}


@extend_schema_field({"type": "string", "pattern": r"^\d{4}-\d{2}$", "example": "2026-11"})
class MonthField(serializers.DateField):
    """A month, as ``YYYY-MM`` (a date field showing its first day's month)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(format="%Y-%m", **kwargs)


class TargetOut(serializers.ModelSerializer):
    month = MonthField()
    kind = serializers.SerializerMethodField()
    side = serializers.SerializerMethodField()

    class Meta:
        model = MonthlyTarget
        fields = ["id", "term", "side", "kind", "team", "month", "value", "previous",
                  "created_by", "created_at"]  # fmt: skip

    def get_kind(self, row) -> str:
        return P.PERIOD_TERMS[row.term].kind if row.term in P.PERIOD_TERMS else ""

    def get_side(self, row) -> str:
        return P.PERIOD_TERMS[row.term].side if row.term in P.PERIOD_TERMS else ""


class TargetIn(serializers.Serializer):
    term = serializers.ChoiceField(choices=sorted(P.PERIOD_TERMS))
    month = serializers.CharField(max_length=7, help_text="YYYY-MM: the target holds from then on.")
    value = serializers.CharField(max_length=32, help_text="A count, a percentage or hours.")
    team = serializers.IntegerField(required=False, allow_null=True, min_value=1,
                                    max_value=2**63 - 1)  # fmt: skip


class TargetList(AtomicWrites, generics.ListAPIView):
    """The monthly targets' rows, newest first; ``POST`` a new dated target."""

    serializer_class = TargetOut
    permission_classes = [IsAuthenticated]
    queryset = MonthlyTarget.objects.none()
    filterset_class = None
    filter_backends: list = []

    def get_queryset(self):
        return services.targets()

    @extend_schema(responses={200: TargetOut(many=True), 401: s.ErrorOut})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        request=TargetIn,
        responses={201: TargetOut, 400: s.ErrorOut, 401: s.ErrorOut, 403: s.ErrorOut},
    )
    def post(self, request: Request) -> Response:
        if not services.may_set_targets(request.user):
            raise PermissionDenied(_("Only directors and admins set the SLA's targets."))
        incoming = TargetIn(data=request.data)
        incoming.is_valid(raise_exception=True)
        data = incoming.validated_data
        try:
            row = services.set_target(
                by=request.user, term=data["term"], month=data["month"],
                value=data["value"], team=data.get("team"),
            )  # fmt: skip
        except services.TargetInvalid as exc:
            raise ValidationError(
                {field: [str(MESSAGES[code])] for field, code in exc.errors.items()}
            ) from None
        return Response(TargetOut(row).data, status=status.HTTP_201_CREATED)
