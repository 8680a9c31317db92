"""Data: leads whose person opted out before opt-outs were honoured (issue 10 §4) and
that still sit in sales (mql, sal, sql) leave it for nurture, as ``leads.consent``
does now: the system as actor (``opt-out``, reason ``opted_out``), owner, team and
assignment cleared, the stage event keeping who had it. Reversing it would put people
who asked not to be contacted back into queues, so the reverse is a no-op."""

from django.db import migrations
from django.utils import timezone

OPT_OUT_STAGES = ("mql", "sal", "sql")


def forwards(apps, schema_editor):
    Lead = apps.get_model("leads", "Lead")
    LeadEvent = apps.get_model("leads", "LeadEvent")
    now = timezone.now()
    rows = list(
        Lead.objects.filter(do_not_contact=True, stage__in=OPT_OUT_STAGES)
        .order_by("pk")
        .values_list("pk", "stage", "owner_id", "team_id")
    )
    if not rows:
        return
    Lead.objects.filter(pk__in=[pk for pk, *_rest in rows]).update(
        stage="nurture",
        stage_changed_at=now,
        owner=None,
        team=None,
        assigned_at=None,
        updated_at=now,
    )
    LeadEvent.objects.bulk_create(
        [
            LeadEvent(
                lead_id=pk,
                kind="stage_change",
                from_stage=stage,
                to_stage="nurture",
                actor_system="opt-out",
                reason="opted_out",
                data={"from_user": owner, "from_team": team},
                at=now,
            )
            for pk, stage, owner, team in rows
        ],
        batch_size=1000,
    )


class Migration(migrations.Migration):
    dependencies = [("leads", "0007_consent_history")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop, elidable=False)]
