"""REST API v1 for business calendars: thin doors onto ``sla.calendars.services``.

- ``GET /sla/calendars/``, ``GET /sla/calendars/{id}/``: every signed-in user reads
  calendars (an SDR's deadlines are computed from them; they hold nothing private):
  fields, custom dates (``dates``) and the years whose make-up working days are
  missing (``missing_makeup_days``, this year and next).
- ``POST /sla/calendars/``, ``PATCH /sla/calendars/{id}/`` (admins and directors,
  403 for others): ``dates``, when given, replaces the calendar's custom dates. Bad
  input answers 400 naming the field (``time_zone``, ``countries``, ``hours.<weekday>``,
  ``dates[<i>].<field>``…); every write is one transaction with its answer
  (``AtomicWrites``), bumps ``revision`` and recomputes the running clocks on it.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import serializers as s
from leads.api_transactions import AtomicWrites
from sla.calendars import services
from sla.models import BusinessCalendar, CalendarDate


class ReadOrEditor(BasePermission):
    message = gettext_lazy("Only admins and directors change business calendars.")

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or services.may_edit(request.user)


# ------------------------------------------------------------------ serializers


class CalendarDateSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    date = serializers.DateField()
    kind = serializers.ChoiceField(choices=CalendarDate.Kind.choices)
    works_as = serializers.IntegerField(
        min_value=0,
        max_value=6,
        allow_null=True,
        required=False,
        help_text="An open date works the hours of this weekday (0 = Monday); "
        "none: the calendar's makeup_weekday.",
    )
    note = serializers.CharField(max_length=200, allow_blank=True, required=False)


class CalendarIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    time_zone = serializers.CharField(max_length=64, help_text="An IANA zone, e.g. Asia/Shanghai.")
    countries = serializers.ListField(
        child=serializers.CharField(max_length=10),
        max_length=services.MAX_COUNTRIES,
        required=False,
        help_text="ISO 3166 codes whose public holidays (and make-up days) count, e.g. CN.",
    )
    hours = serializers.DictField(
        child=serializers.ListField(
            child=serializers.ListField(
                child=serializers.CharField(max_length=5), min_length=2, max_length=2
            ),
            max_length=services.MAX_INTERVALS_A_DAY,
        ),
        help_text='Weekday "0" (Monday) to "6" → [["09:00", "12:00"], ["13:30", "18:00"]]; '
        "a weekday left out is not a working day; 24:00 allowed as an end.",
    )
    makeup_weekday = serializers.IntegerField(min_value=0, max_value=6, required=False)
    is_default = serializers.BooleanField(required=False)
    dates = CalendarDateSerializer(
        many=True, required=False, max_length=services.MAX_DATES, help_text="Replaces them all."
    )


class MissingYearOut(serializers.Serializer):
    country = serializers.CharField()
    year = serializers.IntegerField()


class CalendarOut(serializers.ModelSerializer):
    countries = serializers.ListField(child=serializers.CharField())
    hours = serializers.DictField(
        child=serializers.ListField(child=serializers.ListField(child=serializers.CharField()))
    )
    dates = CalendarDateSerializer(many=True, read_only=True)
    missing_makeup_days = serializers.SerializerMethodField(
        help_text="Years in use (this year and next) whose make-up working days the holidays "
        "package does not know and no open date was entered for."
    )

    class Meta:
        model = BusinessCalendar
        fields = [
            "id",
            "name",
            "time_zone",
            "countries",
            "hours",
            "makeup_weekday",
            "is_default",
            "revision",
            "dates",
            "missing_makeup_days",
            "created_at",
            "updated_at",
        ]

    @extend_schema_field(MissingYearOut(many=True))
    def get_missing_makeup_days(self, calendar) -> list[dict]:
        years = services.years_in_use()
        return [
            {"country": item.country, "year": item.year}
            for item in services.missing_years(calendar, years)
        ]


def _calendars():
    return BusinessCalendar.objects.prefetch_related("dates")


def _out(calendar: BusinessCalendar) -> dict:
    return CalendarOut(_calendars().get(pk=calendar.pk)).data


def _save(request: Request, calendar: BusinessCalendar | None) -> BusinessCalendar:
    body = CalendarIn(data=request.data, partial=calendar is not None)
    body.is_valid(raise_exception=True)
    fields = dict(body.validated_data)
    if "countries" in fields:
        fields["countries"] = list(fields["countries"])
    if "hours" in fields:
        fields["hours"] = {k: [list(p) for p in v] for k, v in fields["hours"].items()}
    if "dates" in fields:
        fields["dates"] = [dict(item) for item in fields["dates"]]
    try:
        return services.save_calendar(by=request.user, calendar=calendar, **fields)
    except services.CalendarInvalid as exc:
        raise ValidationError(exc.errors) from None


# ------------------------------------------------------------------ views


class CalendarList(AtomicWrites, APIView):
    """Business calendars (everyone reads; admins and directors create)."""

    permission_classes = [IsAuthenticated, ReadOrEditor]

    @extend_schema(responses={200: CalendarOut(many=True), 401: s.ErrorOut})
    def get(self, request: Request) -> Response:
        services.default_calendar()  # made again if a flushed database lost it
        return Response(CalendarOut(_calendars(), many=True).data)

    @extend_schema(
        request=CalendarIn,
        responses={
            201: CalendarOut,
            400: OpenApiResponse(s.ErrorOut, description="Invalid input; `errors` names it."),
            401: s.ErrorOut,
            403: OpenApiResponse(s.ErrorOut, description="Not an admin or a director."),
        },
    )
    def post(self, request: Request) -> Response:
        calendar = _save(request, None)
        return Response(_out(calendar), status=status.HTTP_201_CREATED)


class CalendarDetail(AtomicWrites, APIView):
    """One business calendar (everyone reads; admins and directors change it)."""

    permission_classes = [IsAuthenticated, ReadOrEditor]

    @extend_schema(
        responses={
            200: CalendarOut,
            401: s.ErrorOut,
            404: OpenApiResponse(s.ErrorOut, description="No such calendar."),
        }
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(CalendarOut(get_object_or_404(_calendars(), pk=pk)).data)

    @extend_schema(
        request=CalendarIn,
        responses={
            200: CalendarOut,
            400: OpenApiResponse(s.ErrorOut, description="Invalid input; `errors` names it."),
            401: s.ErrorOut,
            403: OpenApiResponse(s.ErrorOut, description="Not an admin or a director."),
            404: OpenApiResponse(s.ErrorOut, description="No such calendar."),
        },
    )
    def patch(self, request: Request, pk: int) -> Response:
        calendar = get_object_or_404(BusinessCalendar, pk=pk)
        return Response(_out(_save(request, calendar)))
