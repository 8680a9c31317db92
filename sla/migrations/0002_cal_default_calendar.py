"""One default business calendar after ``migrate`` (issue 12 §1): "Default", in
``TIME_ZONE``, with the public holidays of ``SLA_DEFAULT_COUNTRIES``, Monday to Friday
09:00–12:00 and 13:30–18:00. ``sla.calendars.services.default_calendar`` makes it
again where it is missing (a test database flushed by a transactional test)."""

from django.conf import settings
from django.db import migrations

HOURS = {
    **{str(day): [["09:00", "12:00"], ["13:30", "18:00"]] for day in range(5)},
    "5": [],
    "6": [],
}


def create_default(apps, schema_editor):
    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    if BusinessCalendar.objects.filter(is_default=True).exists():
        return
    BusinessCalendar.objects.create(
        name="Default",
        time_zone=settings.TIME_ZONE,
        countries=[code.upper() for code in settings.SLA_DEFAULT_COUNTRIES],
        hours=HOURS,
        makeup_weekday=0,
        is_default=True,
    )


def remove_default(apps, schema_editor):
    BusinessCalendar = apps.get_model("sla", "BusinessCalendar")
    BusinessCalendar.objects.filter(is_default=True, name="Default", clocks__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("sla", "0001_clocks")]

    operations = [migrations.RunPython(create_default, remove_default)]
