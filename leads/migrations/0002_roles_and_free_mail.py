from django.db import migrations

ROLES = ["marketing", "sdr", "ae", "sales_manager", "director", "admin", "integration"]


def forwards(apps, schema_editor):
    from leads.intake.normalize import DEFAULT_FREE_MAIL_DOMAINS

    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)
    DomainListEntry = apps.get_model("leads", "DomainListEntry")
    DomainListEntry.objects.bulk_create(
        [DomainListEntry(domain=d, kind="free_mail") for d in sorted(DEFAULT_FREE_MAIL_DOMAINS)],
        ignore_conflicts=True,
    )


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()
    apps.get_model("leads", "DomainListEntry").objects.filter(kind="free_mail").delete()


class Migration(migrations.Migration):
    dependencies = [("leads", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(forwards, backwards)]
