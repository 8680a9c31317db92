"""REST API v1 for working a lead: thin doors onto ``leads.queue.work`` (writes) and
``leads.queue.selectors`` (reads).

Every endpoint needs authentication. A lead (return, opportunity) outside what the
user may see answers 404; a visible one the user may not act on answers 403 with a
message, and nothing changes. A stage move that product.md's table refuses answers
409 ``{"detail": ..., "from_stage": ..., "to_stage": ...}``; other state conflicts
(a return already disputed, a closed opportunity) answer 409 ``{"detail": ...}``;
bad input answers 400 with ``errors`` naming the field.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from leads import consent
from leads import serializers as s
from leads.api_transactions import AtomicWrites
from leads.models import ConsentChange, Lead, LeadReturn, Touch
from leads.queue import work
from leads.queue.selectors import (
    RETURN_FILTERS,
    lead_touches,
    returns_visible_to,
)
from leads.selectors import leads_visible_to

# --- shapes -------------------------------------------------------------------


class ConflictOut(serializers.Serializer):
    detail = serializers.CharField()
    from_stage = serializers.CharField(required=False, help_text="The lead's stage.")
    to_stage = serializers.CharField(required=False, help_text="The refused target stage.")


class ReturnIn(serializers.Serializer):
    reason = serializers.ChoiceField(choices=LeadReturn.Reason.choices)
    note = serializers.CharField(required=False, allow_blank=True)
    to = serializers.CharField(
        required=False, help_text="For a not-ICP return: nurture (default) or disqualified."
    )


class NoteIn(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True)


class TouchIn(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Touch.Channel.choices)
    outcome = serializers.ChoiceField(choices=Touch.Outcome.choices)
    note = serializers.CharField(required=False, allow_blank=True)
    at = serializers.DateTimeField(
        required=False, help_text="ISO-8601 with a time zone, not in the future; default now."
    )


class CriterionOut(serializers.Serializer):
    value = serializers.ChoiceField(choices=work.CRITERION_VALUES)
    note = serializers.CharField(allow_blank=True)


class QualificationIn(serializers.Serializer):
    criteria = serializers.DictField(
        child=CriterionOut(),
        help_text="Criterion → {value: unknown|yes|no, note}. BANT: budget, authority, need, "
        "timing. MEDDIC: metrics, economic_buyer, decision_criteria, decision_process, "
        "identify_pain, champion.",
    )


class QualificationOut(serializers.Serializer):
    framework = serializers.CharField(help_text="bant or meddic (the lead's team's).")
    criteria = serializers.DictField(child=CriterionOut())
    required = serializers.ListField(child=serializers.CharField())
    missing = serializers.ListField(
        child=serializers.CharField(), help_text="Required criteria not yet yes."
    )


class DisqualifyIn(serializers.Serializer):
    reason = serializers.CharField(help_text="One of: " + ", ".join(work.DISQUALIFY_REASONS))
    note = serializers.CharField(required=False, allow_blank=True)


class SettleIn(serializers.Serializer):
    outcome = serializers.CharField(help_text="upheld or overturned.")
    note = serializers.CharField(required=False, allow_blank=True)


class TouchOut(serializers.ModelSerializer):
    user = s.UserBrief()

    class Meta:
        model = Touch
        fields = ["id", "lead", "user", "channel", "outcome", "note", "at", "created_at"]


class ReturnOut(serializers.ModelSerializer):
    lead = s.LeadOut()
    returned_by = s.UserBrief()
    from_stage = serializers.CharField(help_text="A lead stage.")
    to_stage = serializers.CharField(help_text="A lead stage.")
    counts_against_marketing = serializers.BooleanField(read_only=True)

    class Meta:
        model = LeadReturn
        fields = [
            "id",
            "lead",
            "reason",
            "note",
            "from_stage",
            "to_stage",
            "returned_by",
            "at",
            "resolved_at",
            "dispute",
            "dispute_note",
            "disputed_at",
            "settled_at",
            "settlement_note",
            "counts_against_marketing",
        ]


_ERRORS = {
    400: OpenApiResponse(s.ErrorOut, description="Invalid input; `errors` names the fields."),
    403: OpenApiResponse(s.ErrorOut, description="Visible, but not yours to change."),
    404: OpenApiResponse(s.ErrorOut, description="Not there, or not visible to you."),
    409: OpenApiResponse(ConflictOut, description="Refused in the current stage or state."),
}


# --- base -----------------------------------------------------------------------


class WorkView(AtomicWrites, APIView):
    """Maps ``leads.queue.work`` errors onto 403 / 409 / 400."""

    def handle_exception(self, exc):
        if isinstance(exc, work.TransitionRefused):
            return Response(
                {"detail": str(exc), "from_stage": exc.from_stage, "to_stage": exc.to_stage},
                status=status.HTTP_409_CONFLICT,
            )
        if isinstance(exc, work.WorkConflict):
            return Response({"detail": str(exc)}, status=status.HTTP_409_CONFLICT)
        if isinstance(exc, work.WorkForbidden):
            return Response({"detail": str(exc)}, status=status.HTTP_403_FORBIDDEN)
        if isinstance(exc, work.WorkInvalid):
            exc = ValidationError(exc.errors)
        return super().handle_exception(exc)

    def body(self, request: Request) -> dict:
        if not isinstance(request.data, dict):
            raise ValidationError({"non_field_errors": [_("Expected a JSON object.")]})
        return request.data

    def lead(self, request: Request, pk: int) -> Lead:
        return get_object_or_404(leads_visible_to(viewer=request.user), pk=pk)

    def lead_out(self, lead: Lead) -> Response:
        lead = Lead.objects.select_related("account", "owner").get(pk=lead.pk)
        return Response(s.LeadOut(lead).data)


# --- SDR ------------------------------------------------------------------------


class LeadAccept(WorkView):
    """The assigned SDR accepts an MQL (mql → sal)."""

    @extend_schema(request=None, responses={200: s.LeadOut, **_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        lead = work.lead_accept(lead=self.lead(request, pk), by=request.user)
        return self.lead_out(lead)


class LeadReturnCreate(WorkView):
    """The owning SDR returns an MQL or SAL with a reason; it goes where product.md
    says (wrong information → returned to marketing, not ICP → nurture or
    disqualified, bad timing → nurture, already a customer → customer success,
    competitor → excluded)."""

    @extend_schema(request=ReturnIn, responses={201: ReturnOut, **_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = self.body(request)
        row = work.lead_return(
            lead=self.lead(request, pk),
            by=request.user,
            reason=data.get("reason"),
            note=data.get("note", ""),
            choice=data.get("to"),
        )
        # The lead has left the SDR's queue, but they may read what they just did.
        row = LeadReturn.objects.select_related("lead__account", "returned_by").get(pk=row.pk)
        return Response(ReturnOut(row).data, status=status.HTTP_201_CREATED)


class LeadResend(WorkView):
    """Marketing re-sends a fixed returned lead (returned → mql; routed again)."""

    @extend_schema(request=NoteIn, responses={200: s.LeadOut, **_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = self.body(request)
        lead = work.lead_resend(
            lead=self.lead(request, pk), by=request.user, note=data.get("note", "")
        )
        return self.lead_out(lead)


class MoveIn(serializers.Serializer):
    to_stage = serializers.CharField()
    reason = serializers.CharField(max_length=64)
    note = serializers.CharField(required=False, allow_blank=True)


class LeadMove(WorkView):
    """Marketing moves a lead by hand with a reason: inquiry → mql / nurture /
    disqualified / excluded, returned → nurture / disqualified, lost → nurture
    (recycled). Any other move: 409 naming both stages."""

    @extend_schema(request=MoveIn, responses={200: s.LeadOut, **_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = self.body(request)
        lead = work.lead_marketing_move(
            lead=self.lead(request, pk),
            by=request.user,
            to_stage=str(data.get("to_stage", "")),
            reason=data.get("reason", ""),
            note=data.get("note", ""),
        )
        return self.lead_out(lead)


class LeadTouches(WorkView):
    """``GET`` the lead's touches (oldest first); ``POST`` one touch (the owning SDR
    or AE)."""

    @extend_schema(responses={200: TouchOut(many=True), 404: s.ErrorOut})
    def get(self, request: Request, pk: int) -> Response:
        lead = self.lead(request, pk)
        return Response(TouchOut(lead_touches(lead=lead), many=True).data)

    @extend_schema(request=TouchIn, responses={201: TouchOut, **_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = self.body(request)
        touch = work.touch_log(
            lead=self.lead(request, pk),
            by=request.user,
            channel=data.get("channel"),
            outcome=data.get("outcome"),
            note=data.get("note", ""),
            at=data.get("at"),
        )
        return Response(TouchOut(touch).data, status=status.HTTP_201_CREATED)


class LeadQualification(WorkView):
    """The lead's BANT or MEDDIC (its team's framework): ``GET`` it, ``PUT`` some or
    all criteria (others keep their values)."""

    @extend_schema(responses={200: QualificationOut, 404: s.ErrorOut})
    def get(self, request: Request, pk: int) -> Response:
        state = work.qualification_state(lead=self.lead(request, pk))
        return Response(QualificationOut(state).data)

    @extend_schema(request=QualificationIn, responses={200: QualificationOut, **_ERRORS})
    def put(self, request: Request, pk: int) -> Response:
        data = self.body(request)
        if "criteria" not in data:
            raise ValidationError({"criteria": [_("This field is required.")]})
        state = work.qualification_update(
            lead=self.lead(request, pk), by=request.user, criteria=data["criteria"]
        )
        return Response(QualificationOut(state).data)


class LeadConvert(WorkView):
    """The owning SDR converts a SAL to an SQL once the required criteria are yes."""

    @extend_schema(request=None, responses={200: s.LeadOut, **_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        lead = work.lead_convert(lead=self.lead(request, pk), by=request.user)
        return self.lead_out(lead)


class LeadDisqualify(WorkView):
    """The owning SDR disqualifies an MQL or SAL: needs the SLA terms' minimum touch
    attempts (``period.min_attempts`` of the published version) unless the reason is
    not_icp; "competitor" is recorded as a competitor return (→ excluded)."""

    @extend_schema(request=DisqualifyIn, responses={200: s.LeadOut, **_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = self.body(request)
        lead = work.lead_disqualify(
            lead=self.lead(request, pk),
            by=request.user,
            reason=data.get("reason"),
            note=data.get("note", ""),
        )
        return self.lead_out(lead)


# --- returns ----------------------------------------------------------------------


class ReturnList(WorkView):
    """Returns of leads you may see, newest first: marketing's inbox."""

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "status",
                OpenApiTypes.STR,
                enum=list(RETURN_FILTERS),
                description="open (default: returned, not yet re-sent), disputed, all",
            )
        ],
        responses={200: ReturnOut(many=True), 400: s.ErrorOut},
    )
    def get(self, request: Request) -> Response:
        wanted = request.query_params.get("status", "open")
        if wanted not in RETURN_FILTERS:
            raise ValidationError({"status": [_("Expected open, disputed or all.")]})
        rows = returns_visible_to(viewer=request.user, status=wanted).select_related(
            "lead__account", "lead__owner"
        )
        return Response(ReturnOut(rows, many=True).data)


class _ReturnAction(WorkView):
    def lead_return(self, request: Request, pk: int) -> LeadReturn:
        return get_object_or_404(returns_visible_to(viewer=request.user, status="all"), pk=pk)

    def out(self, request: Request, row: LeadReturn) -> Response:
        return Response(ReturnOut(self.lead_return(request, row.pk)).data)


class ReturnDispute(_ReturnAction):
    """Marketing disputes a not-ICP or wrong-information return, once, with a note."""

    @extend_schema(request=NoteIn, responses={200: ReturnOut, **_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = self.body(request)
        row = work.return_dispute(
            lead_return=self.lead_return(request, pk), by=request.user, note=data.get("note")
        )
        return self.out(request, row)


class ReturnSettle(_ReturnAction):
    """A director settles a dispute: upheld (counts against marketing) or overturned."""

    @extend_schema(request=SettleIn, responses={200: ReturnOut, **_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = self.body(request)
        row = work.return_settle(
            lead_return=self.lead_return(request, pk),
            by=request.user,
            outcome=data.get("outcome"),
            note=data.get("note", ""),
        )
        return self.out(request, row)


# --- consent and opt-outs (leads.consent) -------------------------------------------


class ConsentChangeOut(serializers.ModelSerializer):
    actor_user = s.UserBrief(allow_null=True)

    class Meta:
        model = ConsentChange
        fields = [
            "id",
            "kind",
            "do_not_contact",
            "consent_source",
            "consent_at",
            "via",
            "actor_user",
            "actor_system",
            "reason",
            "at",
        ]


class ConsentOut(serializers.Serializer):
    do_not_contact = serializers.BooleanField()
    consent_source = serializers.CharField(allow_blank=True)
    consent_at = serializers.DateTimeField(allow_null=True)
    stage = serializers.CharField(help_text="The lead's stage (an opt-out moves mql/sal/sql).")
    history = ConsentChangeOut(many=True, help_text="Oldest first.")


class OptOutIn(serializers.Serializer):
    note = serializers.CharField(
        required=False, allow_blank=True, help_text="How the person said it (optional)."
    )


class OptOutReverseIn(serializers.Serializer):
    reason = serializers.CharField(help_text="Why the opt-out is reversed (required).")


def consent_out(lead: Lead) -> Response:
    lead = Lead.objects.get(pk=lead.pk)  # they may no longer see it: they just acted on it
    return Response(
        ConsentOut(
            {
                "do_not_contact": lead.do_not_contact,
                "consent_source": lead.consent_source,
                "consent_at": lead.consent_at,
                "stage": lead.stage,
                "history": consent.consent_history(lead=lead),
            }
        ).data
    )


class LeadConsent(WorkView):
    """The lead's consent and its history (source, time, who, through which door, the
    reason of a reversal)."""

    @extend_schema(responses={200: ConsentOut, 404: s.ErrorOut})
    def get(self, request: Request, pk: int) -> Response:
        return consent_out(self.lead(request, pk))


class LeadOptOut(WorkView):
    """Record that the person opted out (do not contact): anyone who works leads (SDR,
    AE, sales manager, marketing, admin). An open lead (mql, sal, sql) leaves sales for
    nurture, the system as actor; it is never routed, claimed, accepted or touched until
    a marketing manager or admin reverses the opt-out. 409 when already opted out."""

    @extend_schema(request=OptOutIn, responses={200: ConsentOut, **_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = self.body(request)
        lead = work.lead_opt_out_record(
            lead=self.lead(request, pk), by=request.user, note=data.get("note", ""), via="api"
        )
        return consent_out(lead)


class LeadOptOutReverse(WorkView):
    """Reverse an opt-out, with a reason (required): marketing managers and admins only
    (403 for others). The lead keeps its stage. 409 when the person has not opted out."""

    @extend_schema(request=OptOutReverseIn, responses={200: ConsentOut, **_ERRORS})
    def post(self, request: Request, pk: int) -> Response:
        data = self.body(request)
        lead = work.lead_opt_out_reverse(
            lead=self.lead(request, pk), by=request.user, reason=data.get("reason"), via="api"
        )
        return consent_out(lead)


# --- opportunities ---------------------------------------------------------------
