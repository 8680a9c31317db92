"""The notifications page (``/sla/notifications/``): the signed-in person's own, newest
first, 50 a page; mark one or all read (POST, CSRF)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from sla.notify import selectors, services

PAGE_SIZE = 50


@login_required
@require_safe
def notification_list(request):
    unread = request.GET.get("unread") == "1"
    rows = selectors.notifications_of(user=request.user, unread=unread).select_related(
        "lead", "clock"
    )
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "sla/notifications.html",
        {
            "page": page,
            "unread_only": unread,
            "unread_total": selectors.unread_count(user=request.user),
        },
    )


@login_required
@require_POST
def notification_read(request, pk: int):
    services.notification_mark_read(user=request.user, pk=pk)
    return redirect(_back(request))


@login_required
@require_POST
def notification_read_all(request):
    services.notifications_mark_all_read(user=request.user)
    return redirect(_back(request))


def _back(request) -> str:
    from django.urls import reverse
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("sla:notifications")


@require_POST
def set_language(request):
    """Django's language switcher, and for a signed-in person the language kept for
    their notification emails (``PersonLanguage``)."""
    from django.views.i18n import set_language as django_set_language

    from sla.models import PersonLanguage

    response = django_set_language(request)
    language = request.POST.get("language")
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and language in dict(settings.LANGUAGES):
        PersonLanguage.objects.update_or_create(user=user, defaults={"language": language})
    return response
