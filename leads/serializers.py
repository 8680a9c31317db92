"""Shapes of the API: read serializers, and input serializers that only document.

Input is validated by ``leads.intake.services`` / ``leads.intake.activities`` as a whole batch,
never by a DRF serializer per row; the ``*In`` serializers here (and intake's
``LeadIn``, in ``leads.intake.api``) describe that input for the OpenAPI schema.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from leads.models import Account, Activity, ActivityType, Job, Lead, LeadEvent
from leads.people.names import person_name

# --- input (documentation) ----------------------------------------------------


class ActivityIn(serializers.Serializer):
    """One activity. Name its lead by ``lead``, ``lead_external_id`` or ``lead_email``."""

    type = serializers.ChoiceField(choices=ActivityType.choices)
    occurred_at = serializers.DateTimeField(help_text="ISO-8601 with a time zone.")
    properties = serializers.DictField(required=False)
    source = serializers.CharField(
        required=False, max_length=64, help_text="Defaults to the API user's name."
    )
    external_id = serializers.CharField(
        required=False,
        max_length=128,
        help_text="With it, (source, external_id) makes the activity idempotent.",
    )
    lead = serializers.IntegerField(required=False, help_text="The lead's id.")
    lead_external_id = serializers.CharField(required=False, max_length=128)
    lead_source_system = serializers.CharField(
        required=False, max_length=64, help_text="Defaults to source."
    )
    lead_email = serializers.EmailField(required=False)


# --- results --------------------------------------------------------------------


_WARNINGS_HELP = (
    "Only when something sent was kept as stored: field name → messages (the consent of "
    "a person who opted out is never changed by intake)."
)


class RowResultOut(serializers.Serializer):
    index = serializers.IntegerField()
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "updated"])
    warnings = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text=_WARNINGS_HELP,
    )


class RowErrorOut(serializers.Serializer):
    index = serializers.IntegerField()
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        help_text="Field name → messages.",
    )


class BulkResultOut(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = RowResultOut(many=True)
    errors = RowErrorOut(many=True)


class ActivityResultOut(serializers.Serializer):
    index = serializers.IntegerField()
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=["created", "existing"])


class ActivityBulkResultOut(serializers.Serializer):
    created = serializers.IntegerField()
    existing = serializers.IntegerField()
    rejected = serializers.IntegerField()
    results = ActivityResultOut(many=True)
    errors = RowErrorOut(many=True)


class ErrorOut(serializers.Serializer):
    detail = serializers.CharField()
    errors = serializers.DictField(required=False)


# --- reads ------------------------------------------------------------------------


class UserBrief(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = get_user_model()
        fields = ["id", "username", "name"]

    def get_name(self, user) -> str:
        return person_name(user)


class AccountBrief(serializers.ModelSerializer):
    class Meta:
        model = Account
        fields = ["id", "name", "domain", "employees", "annual_revenue", "industry", "country"]


class LeadOut(serializers.ModelSerializer):
    email = serializers.CharField(source="email_normalised", allow_null=True)
    company = serializers.CharField(source="company_name")
    account = AccountBrief(allow_null=True)
    owner = UserBrief(allow_null=True)

    class Meta:
        model = Lead
        fields = [
            "id",
            "name",
            "email",
            "phone",
            "title",
            "seniority",
            "wechat_id",
            "language",
            "company",
            "account",
            "source_channel",
            "campaign",
            "source_system",
            "external_id",
            "created_at_source",
            "received_at",
            "stage",
            "stage_changed_at",
            "owner",
            "do_not_contact",
            "consent_source",
            "consent_at",
            "updated_at",
            # the score (the breakdown: GET /api/v1/leads/{id}/score/)
            "score_grade",
            "score_quadrant",
            "score_fit",
            "score_interest",
            "score_total",
            "scored_at",
            "mql_at",
            "win_probability",
        ]


class LeadIntakeOut(LeadOut):
    """A lead as intake wrote it, with what intake kept as stored."""

    warnings = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()),
        required=False,  # not read_only: drf-spectacular lists read-only fields as required
        help_text=_WARNINGS_HELP,
    )

    class Meta(LeadOut.Meta):
        fields = [*LeadOut.Meta.fields, "warnings"]


class ActivityOut(serializers.ModelSerializer):
    class Meta:
        model = Activity
        fields = ["id", "lead", "type", "occurred_at", "properties", "source", "external_id"]


class EventOut(serializers.ModelSerializer):
    actor = serializers.CharField(source="actor_label")
    # Plain strings in the schema: one Stage enum component (on the lead) is enough.
    from_stage = serializers.CharField(allow_null=True, help_text="A lead stage, or null.")
    to_stage = serializers.CharField(allow_null=True, help_text="A lead stage, or null.")

    class Meta:
        model = LeadEvent
        fields = ["id", "kind", "from_stage", "to_stage", "actor", "reason", "data", "at"]


class TimelineFactOut(serializers.Serializer):
    label = serializers.CharField()
    value = serializers.CharField()


class TimelineWordsOut(serializers.Serializer):
    """The entry as the lead page says it, in the request's language
    (``Accept-Language``): ids resolved to names, codes to their labels."""

    title = serializers.CharField()
    actor = serializers.CharField()
    reason = serializers.CharField()
    sentences = serializers.ListField(child=serializers.CharField())
    facts = TimelineFactOut(many=True)
    note = serializers.CharField()


class TimelineEntryOut(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["activity", "event"])
    at = serializers.DateTimeField()
    activity = ActivityOut(required=False)
    event = EventOut(required=False)
    words = TimelineWordsOut()


class LeadDetailOut(LeadOut):
    timeline = serializers.SerializerMethodField()
    clocks = serializers.SerializerMethodField(
        help_text="The lead's SLA clocks (term, state, start, due, cycles, policy, version)."
    )

    class Meta(LeadOut.Meta):
        fields = [*LeadOut.Meta.fields, "timeline", "clocks"]

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_clocks(self, lead) -> list[dict]:
        # filled by the SLA app through the seam leads.hooks.LEAD_API_FIELDS
        return list(self.context.get("extra", {}).get("clocks", []))

    @extend_schema_field(TimelineEntryOut(many=True))
    def get_timeline(self, lead) -> list[dict]:
        at = serializers.DateTimeField()
        entries = []
        for entry in self.context["timeline"]:
            shaped = {"kind": entry["kind"], "at": at.to_representation(entry["at"])}
            if entry["kind"] == "activity":
                shaped["activity"] = ActivityOut(entry["object"]).data
            else:
                shaped["event"] = EventOut(entry["object"]).data
            words = entry["words"]
            shaped["words"] = {
                "title": words.title,
                "actor": words.actor,
                "reason": words.reason,
                "sentences": list(words.sentences),
                "facts": [{"label": f.label, "value": f.value} for f in words.facts],
                "note": words.note,
            }
            entries.append(shaped)
        return entries


class JobOut(serializers.ModelSerializer):
    class Meta:
        model = Job
        fields = [
            "id",
            "kind",
            "state",
            "done",
            "total",
            "percent",
            "errors",
            "result",
            "created_at",
            "started_at",
            "finished_at",
            "attempts",
            "lease_expires_at",
            "sent_at",
        ]

    percent = serializers.IntegerField(read_only=True)
