"""API tokens for integrations (marketing automation, forms, BI): create, rotate, revoke.

An integration is a user in the ``integration`` group with no usable password;
it authenticates with one DRF token (``Authorization: Token <key>``). Only the
integration users may hold a token created here, so an admin cannot hand an
API key to a person's account by mistake.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group
from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework.authtoken.models import Token

from leads.people import roles

# How much of a stored key the tokens page shows: enough to tell keys apart.
KEY_PREFIX_LENGTH = 6


def integration_users() -> QuerySet:
    """Users of the ``integration`` group, each with its token (or none) in one query."""
    return (
        get_user_model()
        .objects.filter(groups__name=roles.INTEGRATION)
        .select_related("auth_token")
        .order_by("username")
        .distinct()
    )


def integration_token_key_prefix(*, user: AbstractBaseUser) -> str | None:
    """The first characters of the user's key, or None when they hold no token."""
    try:
        return user.auth_token.key[:KEY_PREFIX_LENGTH]
    except Token.DoesNotExist:
        return None


def _check_integration(user: AbstractBaseUser) -> None:
    if not user.groups.filter(name=roles.INTEGRATION).exists():
        raise ValidationError(
            _("%(username)s is not an integration user."),
            code="not_integration",
            params={"username": user.get_username()},
        )


@transaction.atomic
def integration_token_create(*, user: AbstractBaseUser) -> Token:
    """Give the integration user a new token; an existing one stops working (rotation)."""
    _check_integration(user)
    Token.objects.filter(user=user).delete()
    return Token.objects.create(user=user)


@transaction.atomic
def integration_token_revoke(*, user: AbstractBaseUser) -> bool:
    """Delete the user's token. True when there was one to delete."""
    _check_integration(user)
    deleted, _details = Token.objects.filter(user=user).delete()
    return bool(deleted)


@transaction.atomic
def integration_user_create(*, username: str) -> tuple[AbstractBaseUser, Token]:
    """A new integration user (no password: it can never log into the browser) and its token."""
    User = get_user_model()
    username = username.strip()
    if not username:
        raise ValidationError({"username": _("A name is required.")}, code="required")
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError as error:
        raise ValidationError({"username": error.messages}) from error
    max_length = User._meta.get_field(User.USERNAME_FIELD).max_length
    if len(username) > max_length:
        raise ValidationError(
            {"username": _("At most %(max)d characters.") % {"max": max_length}},
            code="max_length",
        )
    if User.objects.filter(**{f"{User.USERNAME_FIELD}__iexact": username}).exists():
        raise ValidationError(
            {"username": _("A user named %(username)s already exists.") % {"username": username}},
            code="unique",
        )
    user = User(**{User.USERNAME_FIELD: username})
    user.set_unusable_password()
    user.save()
    user.groups.add(Group.objects.get(name=roles.INTEGRATION))
    return user, Token.objects.create(user=user)
