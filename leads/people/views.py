"""Admins create, rotate and revoke the API tokens of integrations (``leads.people.tokens``).

A new key is shown once: the POST stores it in the session, redirects, and the
next page view takes it out again. Afterwards only its first characters are shown.
"""

from __future__ import annotations

from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from leads.people import roles, tokens

NEW_KEY_SESSION = "integration_token_new_key"


class IntegrationUserForm(forms.Form):
    username = forms.CharField(
        label=gettext_lazy("Integration name"),
        max_length=150,
        help_text=gettext_lazy("Letters, digits and @ . + - _ only, e.g. hubspot-sync."),
    )


def admin_required(view):
    @login_required
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not roles.has_role(request.user, roles.ADMIN):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _integration_user(user_id: int):
    return get_object_or_404(tokens.integration_users(), pk=user_id)


def _remember_new_key(request, *, user, key: str) -> None:
    request.session[NEW_KEY_SESSION] = {"username": user.get_username(), "key": key}


@require_http_methods(["GET", "HEAD", "POST"])
@admin_required
def integration_tokens(request):
    form = IntegrationUserForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user, token = tokens.integration_user_create(username=form.cleaned_data["username"])
        except ValidationError as error:
            for field, errors in error.message_dict.items():
                form.add_error(field if field in form.fields else None, errors)
        else:
            _remember_new_key(request, user=user, key=token.key)
            messages.success(
                request,
                _("Integration %(name)s created with a new token.") % {"name": user.username},
            )
            return redirect("leads:integration_tokens")
    users = [
        {"user": user, "key_prefix": tokens.integration_token_key_prefix(user=user)}
        for user in tokens.integration_users()
    ]
    return render(
        request,
        "leads/tokens.html",
        {
            "form": form,
            "integrations": users,
            "new_key": request.session.pop(NEW_KEY_SESSION, None),
        },
        status=400 if form.errors else 200,
    )


@require_http_methods(["GET", "HEAD", "POST"])
@admin_required
def integration_token_rotate(request, user_id: int):
    """GET: confirm replacing an existing key. POST: create (or replace) the key."""
    user = _integration_user(user_id)
    key_prefix = tokens.integration_token_key_prefix(user=user)
    if request.method == "POST":
        token = tokens.integration_token_create(user=user)
        _remember_new_key(request, user=user, key=token.key)
        messages.success(
            request, _("New token created for %(name)s.") % {"name": user.get_username()}
        )
        return redirect("leads:integration_tokens")
    return render(
        request,
        "leads/tokens_confirm.html",
        {"integration": user, "key_prefix": key_prefix, "action": "rotate"},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@admin_required
def integration_token_revoke(request, user_id: int):
    """GET: confirm. POST: delete the key; the integration's requests get 401 from then on."""
    user = _integration_user(user_id)
    key_prefix = tokens.integration_token_key_prefix(user=user)
    if request.method == "POST":
        if tokens.integration_token_revoke(user=user):
            messages.success(
                request, _("Token of %(name)s revoked.") % {"name": user.get_username()}
            )
        else:
            messages.info(request, _("%(name)s had no token.") % {"name": user.get_username()})
        return redirect("leads:integration_tokens")
    return render(
        request,
        "leads/tokens_confirm.html",
        {"integration": user, "key_prefix": key_prefix, "action": "revoke"},
    )
