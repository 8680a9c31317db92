"""System checks with stable ids, so ``manage.py check --deploy`` catches config mistakes."""

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def check_production_services(app_configs, **kwargs):
    problems = []
    engine = settings.DATABASES["default"]["ENGINE"]
    if engine.endswith("sqlite3"):
        problems.append(
            Warning(
                "DATABASE_URL points at SQLite; production should run on PostgreSQL.",
                id="smarketing.W001",
            )
        )
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        problems.append(
            Warning(
                "The Celery broker is the embedded filesystem transport; set REDIS_URL.",
                id="smarketing.W002",
            )
        )
    return problems


@register()
def check_time_zone(app_configs, **kwargs):
    if not settings.USE_TZ:
        return [
            Error("USE_TZ must be True: SLA clocks need aware datetimes.", id="smarketing.E001")
        ]
    return []
