"""Writes of the notifications: marking one's own read (the sweep makes them:
``sla.notify.sweep``)."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone

from sla.models import Notification


def notification_mark_read(*, user, pk: int) -> Notification:
    """Mark ``user``'s notification ``pk`` read (once: a second call keeps the first
    time). Someone else's, or none: ``Http404``."""
    try:
        row = Notification.objects.get(pk=pk, recipient=user)
    except Notification.DoesNotExist:
        raise Http404 from None
    if row.read_at is None:
        row.read_at = timezone.now()
        Notification.objects.filter(pk=row.pk, read_at__isnull=True).update(read_at=row.read_at)
    return row


def notifications_mark_all_read(*, user) -> int:
    """Mark every unread notification of ``user`` read; answers how many."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=timezone.now()
    )
