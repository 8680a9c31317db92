"""Version 1 of the SLA's terms, published: product.md's defaults with one catch-all
policy (``sla.terms.default_definition``). ``sla.policies.services.published_terms``
makes it again when a test's flush removed it."""

from django.db import migrations
from django.utils import timezone


def forwards(apps, schema_editor):
    from sla.terms import default_definition

    TermSet = apps.get_model("sla", "TermSet")
    if TermSet.objects.filter(status="published").exists():
        return
    number = (TermSet.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    TermSet.objects.create(
        number=number,
        name="Default terms",
        status="published",
        definition=default_definition(),
        published_at=timezone.now(),
    )


class Migration(migrations.Migration):
    dependencies = [("sla", "0004_notify_notification_clock_index")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
