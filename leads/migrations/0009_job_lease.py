"""Leases and the outbox of long jobs (``leads.jobs``): attempts, worker, lease expiry,
when the task was sent; a partial index for the sweeper."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("leads", "0008_opted_out_leads_leave_sales"),
    ]

    operations = [
        migrations.AddField(
            model_name="job",
            name="attempts",
            field=models.PositiveIntegerField(default=0, verbose_name="attempts"),
        ),
        migrations.AddField(
            model_name="job",
            name="lease_expires_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="lease expires"),
        ),
        migrations.AddField(
            model_name="job",
            name="sent_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="sent to the queue"),
        ),
        migrations.AddField(
            model_name="job",
            name="worker",
            field=models.CharField(blank=True, max_length=200, verbose_name="worker"),
        ),
        migrations.AddIndex(
            model_name="job",
            index=models.Index(
                condition=models.Q(("state__in", ["pending", "running"])),
                fields=["state", "lease_expires_at"],
                name="job_unfinished_idx",
            ),
        ),
    ]
