"""REST API v1 for the SLA's terms versions: thin doors onto ``sla.policies.services``.

Everyone signed in reads; only admins and directors create, edit and publish (others
403, nothing written). A published or retired version is frozen: PATCH and publish
answer 409 (to change the terms, POST a new draft, a copy of the published version
unless ``from_version`` or ``definition`` says otherwise). An invalid definition
answers 400 with the problems under ``errors``, keyed by their path in the definition
(``policies[2].targets.first_touch.target``, ``period.min_attempts``); nothing is saved.
The schema documents the definition's shape (``DefinitionDoc``: terms, the period
terms' definitions, policies); ``sla.terms.validate`` is what checks it.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import generics, serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import serializers as s
from leads.api_transactions import AtomicWrites
from sla import terms as sla_terms
from sla import wording
from sla.models import TermSet
from sla.policies import services
from sla.policies.selectors import term_sets
from sla.terms import InvalidTerms


class MayChangeTerms(BasePermission):
    message = gettext_lazy("Only admins and directors change the SLA terms.")

    def has_permission(self, request, view) -> bool:
        return request.method in SAFE_METHODS or services.can_change_terms(request.user)


def _invalid(errors: list[tuple[str, str]]) -> Response:
    return Response(
        {
            "detail": _("The SLA terms are invalid; nothing was saved."),
            "errors": wording.errors_by_path(errors),
        },
        status=status.HTTP_400_BAD_REQUEST,
    )


def _conflict(exc: services.TermsNotEditable) -> Response:
    version = exc.version
    return Response(
        {
            "detail": exc.message,
            "status": version.status if version is not None else "",
            "version": version.number if version is not None else None,
        },
        status=status.HTTP_409_CONFLICT,
    )


# ------------------------------------------------------------------ serializers


# The definition's shape, for the schema only: ``sla.terms.validate`` checks what is
# posted (every problem named by its path, ``period.min_attempts``).


class TermFieldsDoc(serializers.Serializer):
    target = serializers.IntegerField(
        min_value=1,
        max_value=sla_terms.MAX_TARGET_MINUTES,
        help_text="A whole number above zero, at most a year (527,040 minutes or 366 "
        "working days).",
    )
    unit = serializers.ChoiceField(choices=sla_terms.UNITS)
    warn_percent = serializers.IntegerField(
        min_value=0, max_value=99, help_text="The warning at this share of the target; 0: none."
    )
    escalate_every = serializers.IntegerField(
        min_value=0,
        max_value=sla_terms.MAX_TARGET_MINUTES,
        help_text="After a breach: the manager after this much more time, a director after "
        "twice it, in the term's unit; 0: none.",
    )


class TermOverrideDoc(TermFieldsDoc):
    """A policy's override: any of a term's fields."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class PolicyDoc(serializers.Serializer):
    name = serializers.CharField(max_length=100, help_text="Unique among the policies.")
    match = serializers.JSONField(
        required=False,
        help_text="Lists of values under quadrant, source_channel, region and team (team "
        "ids); a key left out fits any lead. The last policy's is empty (the catch-all).",
    )
    calendar = serializers.IntegerField(
        required=False, allow_null=True, help_text="A calendar's id (default: none)."
    )
    targets = serializers.DictField(
        child=TermOverrideDoc(),
        required=False,
        help_text="Per term (acceptance, first_touch, …), the fields this policy overrides.",
    )


class PeriodDoc(serializers.Serializer):
    """The period terms' definitions; each key optional (product.md's default)."""

    icp_grade = serializers.ChoiceField(
        choices=sla_terms.GRADES,
        required=False,
        help_text="The lowest fit grade that matches the ICP (default "
        f"{sla_terms.DEFAULT_PERIOD['icp_grade']}).",
    )
    complete_fields = serializers.ListField(
        child=serializers.ChoiceField(choices=sla_terms.COMPLETE_FIELDS),
        required=False,
        min_length=1,
        help_text="The key fields a complete lead has, each once; contact: a phone or an "
        "email (default: " + ", ".join(sla_terms.DEFAULT_PERIOD["complete_fields"]) + ").",
    )
    min_attempts = serializers.IntegerField(
        required=False,
        min_value=0,
        max_value=100,
        help_text="Touch attempts before an SDR gives up on a lead — the queue refuses to "
        "disqualify before them unless the reason is not_icp (default "
        f"{sla_terms.DEFAULT_PERIOD['min_attempts']}).",
    )


class DefinitionDoc(serializers.Serializer):
    terms = serializers.DictField(
        child=TermFieldsDoc(),
        help_text="Every term's default target: " + ", ".join(sla_terms.TERMS),
    )
    period = PeriodDoc(required=False)
    policies = PolicyDoc(many=True, help_text="Ordered: the first whose match fits wins.")


@extend_schema_field(DefinitionDoc)
class DefinitionField(serializers.JSONField):
    """A terms definition: any JSON in, checked by ``sla.terms.validate``; documented
    by ``DefinitionDoc``."""


class TermSetOut(serializers.ModelSerializer):
    created_by = s.UserBrief(read_only=True, allow_null=True)
    status = serializers.CharField(read_only=True, help_text="draft, published or retired")
    definition = DefinitionField(
        help_text="The terms, the period terms' definitions and the ordered policies "
        "(sla.terms' format: README, “Terms and policies”)."
    )

    class Meta:
        model = TermSet
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


class TermsConflictOut(serializers.Serializer):
    detail = serializers.CharField()
    status = serializers.CharField()
    version = serializers.IntegerField(allow_null=True)


class TermSetCreateIn(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    definition = DefinitionField(
        required=False, help_text="The new draft's definition (default: the copied one's)."
    )
    from_version = serializers.IntegerField(
        required=False,
        min_value=1,
        help_text="Copy this version (default: the published one).",
    )

    def validate_definition(self, value):
        if not isinstance(value, dict):
            raise ValidationError(_("Expected a JSON object."))
        return value


class TermSetPatchIn(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    definition = DefinitionField(required=False)

    def validate_definition(self, value):
        if not isinstance(value, dict):
            raise ValidationError(_("Expected a JSON object."))
        return value


# ------------------------------------------------------------------------ views

_ERRORS = {
    400: OpenApiResponse(
        s.ErrorOut, description="Invalid input; `errors` names each problem by its path."
    ),
    403: OpenApiResponse(s.ErrorOut, description="Only admins and directors."),
}


class TermSetListCreate(AtomicWrites, generics.ListAPIView):
    """``GET`` every terms version (newest first); ``POST`` a new draft."""

    serializer_class = TermSetOut
    permission_classes = [IsAuthenticated, MayChangeTerms]

    def get_queryset(self):
        return term_sets()

    def list(self, request: Request, *args, **kwargs) -> Response:
        # the defaults again if nothing is in force (not in get_queryset: the schema
        # generator calls it, before any database is chosen)
        services.published_terms()
        return super().list(request, *args, **kwargs)

    @extend_schema(
        request=TermSetCreateIn,
        responses={201: TermSetOut, 404: s.ErrorOut, **_ERRORS},
        description=(
            "Create a draft: a copy of `from_version` (default: the published version), "
            "with `definition` and `name` replacing the copied ones when given."
        ),
    )
    def post(self, request: Request) -> Response:
        data = TermSetCreateIn(data=request.data)
        data.is_valid(raise_exception=True)
        attrs = data.validated_data
        source = None
        if "from_version" in attrs:
            source = get_object_or_404(TermSet, pk=attrs["from_version"])
        try:
            draft = services.create_draft(
                request.user,
                source,
                name=attrs.get("name"),
                definition=attrs.get("definition"),
            )
        except InvalidTerms as exc:
            return _invalid(exc.errors)
        return Response(TermSetOut(draft).data, status=status.HTTP_201_CREATED)


class TermSetDetail(AtomicWrites, APIView):
    """``GET`` one version; ``PATCH`` a draft's name or definition (409 otherwise)."""

    permission_classes = [IsAuthenticated, MayChangeTerms]

    @extend_schema(responses={200: TermSetOut, 404: s.ErrorOut})
    def get(self, request: Request, pk: int) -> Response:
        return Response(TermSetOut(get_object_or_404(term_sets(), pk=pk)).data)

    @extend_schema(
        request=TermSetPatchIn,
        responses={200: TermSetOut, 404: s.ErrorOut, 409: TermsConflictOut, **_ERRORS},
        description="Change a draft; a published or retired version answers 409.",
    )
    def patch(self, request: Request, pk: int) -> Response:
        version = get_object_or_404(TermSet, pk=pk)
        data = TermSetPatchIn(data=request.data)
        data.is_valid(raise_exception=True)
        attrs = data.validated_data
        try:
            version = services.update_draft(
                version,
                by=request.user,
                name=attrs.get("name"),
                definition=attrs.get("definition"),
            )
        except services.TermsNotEditable as exc:
            return _conflict(exc)
        except InvalidTerms as exc:
            return _invalid(exc.errors)
        return Response(TermSetOut(version).data)


class TermSetPublish(AtomicWrites, APIView):
    """Publish a draft: the version in force is retired at the same instant."""

    permission_classes = [IsAuthenticated, MayChangeTerms]

    @extend_schema(
        request=None,
        responses={200: TermSetOut, 404: s.ErrorOut, 409: TermsConflictOut, **_ERRORS},
        description=(
            "The draft becomes the version in force; the one before is retired. Clocks "
            "that start from then on use it. A version that is not a draft answers 409."
        ),
    )
    def post(self, request: Request, pk: int) -> Response:
        version = get_object_or_404(TermSet, pk=pk)
        try:
            version = services.publish(version, by=request.user)
        except services.TermsNotEditable as exc:
            return _conflict(exc)
        except InvalidTerms as exc:
            return _invalid(exc.errors)
        return Response(TermSetOut(version).data)
