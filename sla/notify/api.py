"""The notifications API (issue 12 §5): ``GET /api/v1/notifications/`` (your own,
newest first, ``unread=true`` for the unread ones, pages of 50 — ``page``,
``page_size`` up to 200), ``POST /api/v1/notifications/{id}/read/`` and ``POST
/api/v1/notifications/read-all/``. Someone else's notification answers 404."""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import serializers as s
from leads.api_transactions import AtomicWrites
from sla.models import Notification
from sla.notify import selectors, services, words

MAX_PAGE_SIZE = 200


class NotificationOut(serializers.ModelSerializer):
    step_label = serializers.CharField(source="get_step_display")
    headline = serializers.SerializerMethodField()
    lead = serializers.SerializerMethodField()
    clock = serializers.SerializerMethodField()

    class Meta:
        model = Notification
        fields = [
            "id", "step", "step_label", "headline", "lead", "clock", "delivery_id",
            "created_at", "read_at",
        ]  # fmt: skip

    def get_headline(self, row) -> str:
        return words.headline(row.step, row.clock)

    def get_lead(self, row) -> dict:
        return {
            "id": row.lead_id,
            "name": words.lead_label(row.lead),
            "url": words.lead_url(row.lead_id),
        }

    def get_clock(self, row) -> dict:
        clock = row.clock
        return {
            "id": clock.pk,
            "term": clock.term,
            "term_label": clock.get_term_display(),
            "seq": clock.seq,
            "state": clock.state,
            "due_at": serializers.DateTimeField().to_representation(clock.due_at)
            if clock.due_at
            else None,
        }


class ReadAllOut(serializers.Serializer):
    marked = serializers.IntegerField()


class NotificationPages(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    page_size_query_description = gettext_lazy(
        "Notifications per page, from 1 to 200 (default 50)."
    )
    max_page_size = MAX_PAGE_SIZE


_UNREAD = OpenApiParameter(
    "unread",
    OpenApiTypes.STR,
    enum=["true", "false"],
    description="true: only the unread ones",
)


class NotificationList(generics.ListAPIView):
    """Your own SLA notifications, newest first."""

    serializer_class = NotificationOut
    pagination_class = NotificationPages
    filter_backends: list = []

    def get_queryset(self):
        raw = self.request.query_params.get("unread", "false")
        if raw not in ("true", "false"):
            raise ValidationError({"unread": [_("Expected true or false.")]})
        size = self.request.query_params.get("page_size")
        if size is not None and not (size.isdigit() and 1 <= int(size) <= MAX_PAGE_SIZE):
            raise ValidationError(
                {
                    "page_size": [
                        _("Enter a whole number from 1 to %(max)d.") % {"max": MAX_PAGE_SIZE}
                    ]
                }
            )
        return selectors.notifications_of(
            user=self.request.user, unread=raw == "true"
        ).select_related("lead", "clock")

    @extend_schema(
        parameters=[_UNREAD], responses={200: NotificationOut(many=True), 400: s.ErrorOut}
    )
    def get(self, request: Request, *args, **kwargs) -> Response:
        return super().get(request, *args, **kwargs)


class NotificationRead(AtomicWrites, APIView):
    """Mark one of your notifications read (again: no change)."""

    @extend_schema(request=None, responses={200: NotificationOut, 404: s.ErrorOut})
    def post(self, request: Request, pk: int) -> Response:
        row = services.notification_mark_read(user=request.user, pk=pk)
        row = (
            selectors.notifications_of(user=request.user)
            .select_related("lead", "clock")
            .get(pk=row.pk)
        )
        return Response(NotificationOut(row).data)


class NotificationReadAll(AtomicWrites, APIView):
    """Mark all your unread notifications read."""

    @extend_schema(request=None, responses={200: ReadAllOut})
    def post(self, request: Request) -> Response:
        return Response({"marked": services.notifications_mark_all_read(user=request.user)})
