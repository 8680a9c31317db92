"""The bell in the header: the signed-in person's unread notifications, one count on
the partial index ``sla_notification_unread``, made only when a template reads it."""

from __future__ import annotations

from functools import partial

from sla.notify.selectors import unread_count


def bell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # a callable: the template calls it when (and only if) it shows the bell
    return {"bell_unread": partial(unread_count, user=user)}
