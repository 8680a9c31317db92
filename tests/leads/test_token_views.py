"""Admins create, rotate and revoke integration tokens in the browser (leads.people.tokens)."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.authtoken.models import Token

from leads.people import tokens
from tests.factories import UserFactory

# Module-wide, so pytest-django runs these with the other database tests, before the
# transactional ones whose flush drops the role groups of the data migration.
pytestmark = pytest.mark.django_db

User = get_user_model()
TOKENS = reverse("leads:integration_tokens")


def rotate_url(user) -> str:
    return reverse("leads:integration_token_rotate", args=[user.pk])


def revoke_url(user) -> str:
    return reverse("leads:integration_token_revoke", args=[user.pk])


def shown_key(html: str) -> str | None:
    match = re.search(r'<code id="new-token-key">([0-9a-f]{40})</code>', html)
    return match.group(1) if match else None


# --- services ----------------------------------------------------------------------


def test_integration_user_create_makes_a_passwordless_integration_with_a_token(db):
    user, token = tokens.integration_user_create(username=" hubspot ")

    assert user.username == "hubspot"
    assert not user.has_usable_password()
    assert list(user.groups.values_list("name", flat=True)) == ["integration"]
    assert Token.objects.get(user=user).key == token.key
    assert len(token.key) == 40


@pytest.mark.parametrize(
    ("username", "message"),
    [
        ("", "A name is required."),
        ("has space", "Enter a valid username."),
        ("x" * 151, "At most 150 characters."),
    ],
)
def test_integration_user_create_rejects_bad_names(db, username, message):
    with pytest.raises(ValidationError) as raised:
        tokens.integration_user_create(username=username)

    assert message in raised.value.message_dict["username"][0]
    assert not User.objects.filter(groups__name="integration").exists()


def test_integration_user_create_rejects_an_existing_name(integration):
    with pytest.raises(ValidationError) as raised:
        tokens.integration_user_create(username="HubSpot-Sync")

    assert raised.value.message_dict == {"username": ["A user named HubSpot-Sync already exists."]}
    assert User.objects.filter(username__iexact="hubspot-sync").count() == 1


def test_integration_token_create_replaces_the_old_key(integration):
    old = Token.objects.create(user=integration)

    new = tokens.integration_token_create(user=integration)

    assert new.key != old.key
    assert list(Token.objects.filter(user=integration).values_list("key", flat=True)) == [new.key]


def test_integration_token_revoke_deletes_the_key_once(integration):
    Token.objects.create(user=integration)

    assert tokens.integration_token_revoke(user=integration) is True
    assert tokens.integration_token_revoke(user=integration) is False
    assert not Token.objects.filter(user=integration).exists()


@pytest.mark.parametrize(
    "service", [tokens.integration_token_create, tokens.integration_token_revoke]
)
def test_token_services_refuse_a_person(marketer, service):
    Token.objects.create(user=marketer, key="a" * 40)

    with pytest.raises(ValidationError, match="mia is not an integration user"):
        service(user=marketer)

    assert Token.objects.get(user=marketer).key == "a" * 40


# --- page: who may open it -------------------------------------------------------------


@pytest.mark.parametrize(
    "user_fixture",
    ["marketer", "sdr", "ae", "sales_manager", "director", "integration", "outsider"],
)
def test_tokens_page_is_forbidden_to_non_admins(client, request, user_fixture):
    client.force_login(request.getfixturevalue(user_fixture))

    assert client.get(TOKENS).status_code == 403


@pytest.mark.parametrize("user_fixture", ["marketer", "director", "integration"])
def test_non_admins_cannot_create_rotate_or_revoke(client, request, integration, user_fixture):
    token = Token.objects.create(user=integration)
    client.force_login(request.getfixturevalue(user_fixture))

    create = client.post(TOKENS, {"username": "sneaky"})
    rotate = client.post(rotate_url(integration))
    revoke = client.post(revoke_url(integration))

    assert (create.status_code, rotate.status_code, revoke.status_code) == (403, 403, 403)
    assert not User.objects.filter(username="sneaky").exists()
    assert Token.objects.get(user=integration).key == token.key


def test_anonymous_is_sent_to_login(client, integration):
    response = client.post(revoke_url(integration))

    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))


# --- page: what an admin sees and does --------------------------------------------------


def test_tokens_page_lists_integrations_with_a_key_prefix_only(client, admin_user, integration):
    token = Token.objects.create(user=integration)
    no_token = UserFactory(username="bi-reader", roles=["integration"])
    UserFactory(username="not-an-integration")
    client.force_login(admin_user)

    response = client.get(TOKENS)

    html = response.content.decode()
    assert response.status_code == 200
    assert re.findall(r'data-integration="([^"]+)"', html) == ["bi-reader", "hubspot-sync"]
    assert f"{token.key[:6]}…" in html
    assert token.key not in html
    assert html.count("data-no-token") == 1
    assert rotate_url(no_token) in html


def test_superuser_may_open_the_tokens_page(admin_client):
    assert admin_client.get(TOKENS).status_code == 200


def test_admin_creates_an_integration_and_sees_the_key_once(client, admin_user):
    client.force_login(admin_user)

    response = client.post(TOKENS, {"username": "wechat-forms"}, follow=True)

    user = User.objects.get(username="wechat-forms")
    token = Token.objects.get(user=user)
    assert response.redirect_chain == [(TOKENS, 302)]
    assert shown_key(response.content.decode()) == token.key
    assert "Integration wechat-forms created with a new token." in response.content.decode()
    # shown once: the next visit shows only the prefix
    again = client.get(TOKENS).content.decode()
    assert shown_key(again) is None
    assert token.key not in again
    assert f"{token.key[:6]}…" in again


def test_admin_create_with_a_taken_name_shows_the_error(client, admin_user, integration):
    client.force_login(admin_user)

    response = client.post(TOKENS, {"username": "hubspot-sync"})

    assert response.status_code == 400
    assert response.context["form"].errors == {
        "username": ["A user named hubspot-sync already exists."]
    }
    assert User.objects.filter(username="hubspot-sync").count() == 1
    assert not Token.objects.exists()


def test_admin_create_without_a_name_shows_the_error(client, admin_user):
    client.force_login(admin_user)

    response = client.post(TOKENS, {"username": ""})

    assert response.status_code == 400
    assert response.context["form"].errors == {"username": ["This field is required."]}


def test_create_without_csrf_token_is_refused(admin_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    response = client.post(TOKENS, {"username": "no-csrf"})

    assert response.status_code == 403
    assert not User.objects.filter(username="no-csrf").exists()


def test_rotate_asks_for_confirmation_first(client, admin_user, integration):
    token = Token.objects.create(user=integration)
    client.force_login(admin_user)

    response = client.get(rotate_url(integration))

    assert response.status_code == 200
    assert 'data-confirm="rotate"' in response.content.decode()
    assert Token.objects.get(user=integration).key == token.key


def test_rotate_replaces_the_key_and_shows_the_new_one(client, admin_user, integration):
    old = Token.objects.create(user=integration)
    client.force_login(admin_user)

    response = client.post(rotate_url(integration), follow=True)

    new = Token.objects.get(user=integration)
    assert new.key != old.key
    assert shown_key(response.content.decode()) == new.key


def test_create_token_for_an_integration_without_one(client, admin_user, integration):
    client.force_login(admin_user)

    response = client.post(rotate_url(integration), follow=True)

    assert shown_key(response.content.decode()) == Token.objects.get(user=integration).key


def test_revoke_asks_then_deletes_and_the_api_refuses_the_key(
    client, admin_user, integration, api_as
):
    api = api_as(integration)
    client.force_login(admin_user)

    confirm = client.get(revoke_url(integration))
    assert 'data-confirm="revoke"' in confirm.content.decode()
    assert Token.objects.filter(user=integration).exists()

    response = client.post(revoke_url(integration), follow=True)

    assert "Token of hubspot-sync revoked." in response.content.decode()
    assert not Token.objects.filter(user=integration).exists()
    assert api.get("/api/schema/").status_code == 401


def test_rotate_or_revoke_of_a_person_is_404(client, admin_user, marketer):
    Token.objects.create(user=marketer, key="b" * 40)
    client.force_login(admin_user)

    assert client.post(rotate_url(marketer)).status_code == 404
    assert client.post(revoke_url(marketer)).status_code == 404
    assert Token.objects.get(user=marketer).key == "b" * 40
