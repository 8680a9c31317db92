"""Reads of the notifications: a person sees their own, and only those."""

from __future__ import annotations

from django.db.models import QuerySet

from sla.models import Notification


def notifications_of(*, user, unread: bool = False) -> QuerySet[Notification]:
    rows = Notification.objects.filter(recipient=user)
    if unread:
        rows = rows.filter(read_at__isnull=True)
    return rows.order_by("-created_at", "-id")


def unread_count(*, user) -> int:
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()
