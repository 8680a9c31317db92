"""REST API v1, the composite reads: the lead list (whose ``POST`` creates one lead
through ``leads.intake.services``), a lead with its timeline, a job.

Reads are open to every authenticated user, filtered by what they may see; writes
need a role in ``INTAKE_ROLES`` (marketing, admin, integration) and record the API
user's name as the source system unless a row names its own. Bulk intake and
activities are ``leads.intake.api``'s.
"""

from __future__ import annotations

from functools import partial

from django.contrib.postgres.aggregates import ArrayAgg
from django.db import connection
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed, NotFound, ValidationError
from rest_framework.pagination import CursorPagination, DjangoPaginator, PageNumberPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import hooks, jobs
from leads import serializers as s
from leads.api_transactions import AtomicWrites
from leads.intake.api import INTAKE_ERRORS, LeadIn, MayPushIntake, source_name
from leads.intake.services import leads_ingest
from leads.models import Lead
from leads.selectors import lead_timeline, leads_visible_to
from leads.web import api_rows
from leads.web.filters import LeadFilter

_LEAD_READS = ("account", "owner")
# The lead lists' page size: ``page_size`` from 1 to MAX_PAGE_SIZE, DEFAULT_PAGE_SIZE unsent.
DEFAULT_PAGE_SIZE = 50
MAX_PAGE_SIZE = 200
_PAGE_SIZE_HELP = gettext_lazy(
    "Leads per page, from 1 to 200 (default 50); another value is a 400 naming page_size."
)


def page_size_of(request) -> int:
    """The ``page_size`` asked for, or the default; outside 1..MAX_PAGE_SIZE a 400."""
    raw = request.query_params.get("page_size")
    if raw is None:
        return DEFAULT_PAGE_SIZE
    try:
        size = int(raw)
    except ValueError:
        size = 0
    if not 1 <= size <= MAX_PAGE_SIZE:
        raise ValidationError(
            {"page_size": [_("Enter a whole number from 1 to %(max)d.") % {"max": MAX_PAGE_SIZE}]}
        )
    return size


class _ValuesPaginator(DjangoPaginator):
    """Counts the leads themselves (no join), reads the page with ``values()``."""

    def _get_page(self, object_list, *args, **kwargs):
        return super()._get_page(api_rows.lead_values(object_list), *args, **kwargs)


class LeadPages(PageNumberPagination):
    """Page numbers with a count; ``page_size`` honoured up to MAX_PAGE_SIZE. Given the
    leads' queryset, it counts them and answers the page's rows as ``values()``."""

    django_paginator_class = _ValuesPaginator
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    page_size_query_description = _PAGE_SIZE_HELP
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        return page_size_of(request)


class LeadCursorPages(CursorPagination):
    """Cursor pages in id order: no COUNT, and a lead created while a client pulls
    every page comes on a later page, never shifts the pages already read. Given the
    leads' queryset, it answers the page's rows as ``values()``."""

    ordering = ("id",)
    page_size = DEFAULT_PAGE_SIZE
    page_size_query_param = "page_size"
    page_size_query_description = _PAGE_SIZE_HELP
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request):
        return page_size_of(request)

    def paginate_queryset(self, queryset, request, view=None):
        return super().paginate_queryset(api_rows.lead_values(queryset), request, view)

    def decode_cursor(self, request):
        cursor = super().decode_cursor(request)
        if cursor is not None and cursor.position is not None:
            if not (cursor.position.isascii() and cursor.position.isdigit()):
                raise NotFound(self.invalid_cursor_message)
            if len(cursor.position) > 19:  # past a bigint
                raise NotFound(self.invalid_cursor_message)
        return cursor


def _token_with_roles(authenticator: TokenAuthentication, key: str):
    """DRF's ``TokenAuthentication.authenticate_credentials`` (same checks, same
    messages), reading the user's roles in the same query (``leads.people.roles`` keeps
    them on the user for the request): one round trip less per list request."""
    token = (
        authenticator.get_model()
        .objects.select_related("user")
        .annotate(role_names=ArrayAgg("user__groups__name"))
        .filter(key=key)
        .first()
    )
    if token is None:
        raise AuthenticationFailed(_("Invalid token."))
    if not token.user.is_active:
        raise AuthenticationFailed(_("User inactive or deleted."))
    token.user._smarketing_roles = frozenset(name for name in token.role_names if name)
    return token.user, token


class _FastLeadList:
    """The list's ``GET`` from ``values()`` + orjson (``leads.web.api_rows``): the same
    JSON as ``LeadOut``, a fixed number of queries whatever the page size."""

    def get_authenticators(self):
        """The project's authenticators; on PostgreSQL the token one reads the roles
        with the token (the class stays DRF's, as the schema names it)."""
        authenticators = super().get_authenticators()
        if connection.vendor == "postgresql":
            for authenticator in authenticators:
                if type(authenticator) is TokenAuthentication:
                    authenticator.authenticate_credentials = partial(
                        _token_with_roles, authenticator
                    )
        return authenticators

    def list(self, request, *args, **kwargs):
        queryset = self.get_queryset()
        if any(name in request.query_params for name in LeadFilter.base_filters):
            # django-filter builds a form per request (several ms): only when asked
            queryset = self.filter_queryset(queryset)
        page = self.paginate_queryset(queryset)
        body = self.paginator.get_paginated_response(api_rows.lead_rows(page)).data
        return HttpResponse(api_rows.dumps(body), content_type="application/json")


class LeadListCreate(AtomicWrites, _FastLeadList, generics.ListAPIView):
    """``GET`` the leads you may see, newest first (filters: stage, owner, source, campaign,
    created_after, created_before, q, grade, quadrant, mql; ``page``, ``page_size`` up to
    200); ``POST`` one lead to create (201) or update (200) it."""

    serializer_class = s.LeadOut
    filterset_class = LeadFilter
    pagination_class = LeadPages

    def get_permissions(self):
        if self.request.method == "POST":
            return [IsAuthenticated(), MayPushIntake()]
        return [IsAuthenticated()]

    def get_queryset(self):
        return leads_visible_to(viewer=self.request.user).order_by("-received_at", "-id")

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


class LeadCursorRow(s.LeadOut):
    """A lead of the cursor list (the same fields as the page-number list)."""


class LeadCursorList(_FastLeadList, generics.ListAPIView):
    """``GET`` every lead you may see, in id order, one cursor page after another: follow
    ``next`` until it is null. No count; a lead created meanwhile comes on a later page.
    The same filters and ``page_size`` (up to 200) as the lead list."""

    serializer_class = LeadCursorRow
    filterset_class = LeadFilter
    pagination_class = LeadCursorPages

    def get_queryset(self):
        return leads_visible_to(viewer=self.request.user)


class LeadDetail(APIView):
    """One lead with its timeline (activities and events, oldest first).

    404 when the lead does not exist or is outside what the user may see."""

    @extend_schema(responses={200: s.LeadDetailOut, 404: s.ErrorOut})
    def get(self, request: Request, pk: int) -> Response:
        queryset = leads_visible_to(viewer=request.user).select_related(*_LEAD_READS)
        lead = get_object_or_404(queryset, pk=pk)
        extra = hooks.lead_api_fields(request, lead)
        serializer = s.LeadDetailOut(
            lead, context={"timeline": lead_timeline(lead=lead), "extra": extra}
        )
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
