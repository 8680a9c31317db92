"""A frozen report emailed to the directors (issue 13 §2): each in their own language
(``PersonLanguage``), with the report as PDF and the CSV tables as a ZIP attached. Sent
after the freeze commits, by a task; ``ComplianceReport.emailed_at`` records that it
went (a redelivered task sends nothing twice)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from leads.people import roles
from sla.models import ComplianceReport
from sla.notify.words import user_language


def directors():
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=roles.DIRECTOR)
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def build(report: ComplianceReport, user) -> EmailMessage:
    from sla.compliance import rendering

    with translation.override(user_language(user)):
        month = f"{report.month:%Y-%m}"
        missed = [line for line in report.data["terms"] if line["verdict"] == "missed"]
        subject = _("[smarketing] SLA compliance report %(month)s (version %(version)s)") % {
            "month": month,
            "version": report.version,
        }
        lines = [
            _("The SLA compliance report of %(month)s is frozen.") % {"month": month},
            _("%(missed)s of %(total)s terms missed their target.")
            % {"missed": len(missed), "total": len(report.data["terms"])},
            _("The report is attached as PDF and as CSV tables."),
        ]
        base = settings.SLA_SITE_URL.rstrip("/")
        if base:
            lines.append(f"{base}/sla/compliance/{month}/")
        message = EmailMessage(subject=subject, body="\n\n".join(lines), to=[user.email])
        pdf, archive = rendering.attachments(report)
        message.attach(f"sla-{month}-v{report.version}.pdf", pdf, "application/pdf")
        message.attach(f"sla-{month}-v{report.version}.zip", archive, "application/zip")
    return message


def send(report_id: int) -> int:
    """Email the report to every director once; answers how many messages went."""
    with transaction.atomic():
        report = ComplianceReport.objects.select_for_update().filter(pk=report_id).first()
        if report is None or report.emailed_at is not None:
            return 0
        sent = 0
        for user in directors():
            build(report, user).send()
            sent += 1
        report.emailed_at = timezone.now()
        report.save(update_fields=["emailed_at"])
    return sent


def send_unsent() -> int:
    """Email every frozen report not emailed yet (the demo's are not sent)."""
    unsent = ComplianceReport.objects.filter(emailed_at__isnull=True).exclude(
        reason=ComplianceReport.Reason.DEMO
    )
    return sum(send(pk) for pk in unsent.order_by("month", "version").values_list("pk", flat=True))
