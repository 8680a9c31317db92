import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "smarketing.settings")

app = Celery("smarketing")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()  # each installed app's tasks module (leads.tasks: the core's)
# The tasks of leads' capability packages (their names stay leads.tasks.…).
app.autodiscover_tasks(["leads.intake", "leads.scoring"])
