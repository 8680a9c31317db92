"""The notifications' email: at least once, in the recipient's language.

``emails_send()`` takes unsent notifications (``emailed_at IS NULL``, the partial index
``sla_notification_unmailed``) in small batches, each batch in its own transaction
with the rows locked ``FOR UPDATE SKIP LOCKED`` (two workers never mail the same row at
the same time), sends each message, then sets ``emailed_at`` and commits. A crash
between the send and the commit rolls the mark back and the next run sends the message
again — at least once; the ``Message-ID`` is built from the notification's
``delivery_id`` so a receiving mail system can drop the repeat. A recipient without an
email address is marked handled without a message.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.db import connection, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from sla.models import Notification
from sla.notify import words

BATCH = 100


def message_id(notification: Notification) -> str:
    domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip("> ") or "smarketing"
    return f"<sla-{notification.delivery_id}@{domain}>"


def build(notification: Notification) -> EmailMessage:
    user = notification.recipient
    with translation.override(words.user_language(user)):
        subject = "[smarketing] %s — %s" % (  # noqa: UP031
            words.headline(notification.step, notification.clock),
            words.lead_label(notification.lead),
        )
        body = "\n\n".join(
            [
                words.summary(notification.step, notification.clock),
                _("You get this email because the SLA names you for this step."),
            ]
        )
    return EmailMessage(
        subject=subject,
        body=body,
        to=[user.email],
        headers={
            "Message-ID": message_id(notification),
            "X-Smarketing-Delivery": str(notification.delivery_id),
        },
    )


def emails_send(*, batch: int = BATCH, max_batches: int = 50) -> int:
    """Send the unsent notifications' email (module docs); answers how many were sent."""
    sent = 0
    for _round in range(max_batches):
        with transaction.atomic():
            rows = Notification.objects.filter(emailed_at__isnull=True).order_by("created_at")
            if connection.vendor == "postgresql":
                rows = rows.select_for_update(skip_locked=True, of=("self",))
            rows = list(rows.select_related("recipient", "lead", "clock", "clock__owner")[:batch])
            if not rows:
                break
            messages = [build(row) for row in rows if row.recipient.email]
            if messages:
                with get_connection() as mail:
                    mail.send_messages(messages)
            Notification.objects.filter(pk__in=[row.pk for row in rows]).update(
                emailed_at=timezone.now()
            )
            sent += len(messages)
        if len(rows) < batch:
            break
    return sent
