"""The bell, the notifications page and the API: one's own notifications only, for
every role; 404 for someone else's; anonymous: 401 (API) or the sign-in page."""

from __future__ import annotations

import pytest
from django.urls import reverse

from sla.models import Notification
from tests.factories import LeadFactory, UserFactory
from tests.sla.notify.conftest import make_clock

pytestmark = pytest.mark.django_db

ROLES = ["marketing", "sdr", "ae", "sales_manager", "director", "admin", "integration", None]


def notify(user, *, step="breach", lead=None, read=False):
    lead = lead or LeadFactory(name="Ann Lee")
    clock = make_clock(lead=lead, owner=user, seq=Notification.objects.count() + 1)
    row = Notification.objects.create(recipient=user, clock=clock, lead=lead, step=step)
    if read:
        Notification.objects.filter(pk=row.pk).update(read_at=row.created_at)
    return row


@pytest.fixture
def someone_else():
    return UserFactory(username="zed", roles=["sdr"])


# --- the bell -------------------------------------------------------------------------


def test_the_bell_shows_the_unread_count_on_every_page(client, sdr):
    client.force_login(sdr)
    page = client.get(reverse("home"), follow=True).content.decode()
    assert "data-bell" in page
    assert 'data-unread="0"' in page
    assert "data-bell-count" not in page

    notify(sdr)
    notify(sdr)
    notify(sdr, read=True)
    page = client.get(reverse("home"), follow=True).content.decode()
    assert 'data-unread="2"' in page
    assert "2 unread notifications" in page


def test_the_bell_costs_one_indexed_count(client, sdr, django_assert_max_num_queries):
    from sla.notify.context_processors import bell

    notify(sdr)
    request = type("R", (), {"user": sdr})()
    with django_assert_max_num_queries(0):
        count = bell(request)["bell_unread"]  # nothing asked until a template reads it
    with django_assert_max_num_queries(1) as one:
        assert count() == 1
    (query,) = one.captured_queries
    assert "COUNT(*)" in query["sql"]
    assert '"read_at" IS NULL' in query["sql"]  # the partial index sla_notification_unread


def test_no_bell_for_anonymous_visitors(client):
    page = client.get(reverse("login")).content.decode()
    assert "data-bell" not in page


# --- the page -------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_everyone_sees_their_own_notifications_newest_first(client, role, someone_else):
    user = UserFactory(username=f"u-{role}", roles=[role] if role else [])
    older = notify(user, step="warning")
    newer = notify(user, step="breach")
    notify(someone_else)
    client.force_login(user)

    response = client.get(reverse("sla:notifications"))

    assert response.status_code == 200
    rows = list(response.context["page"].object_list)
    assert rows == [newer, older]
    html = response.content.decode()
    assert f'href="/leads/{newer.lead_id}/"' in html
    assert "Breached" in html
    assert "First touch" in html


def test_the_page_asks_anonymous_visitors_to_sign_in(client):
    response = client.get(reverse("sla:notifications"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_mark_one_then_all_read_on_the_page(client, sdr):
    first, _second, _third = notify(sdr), notify(sdr), notify(sdr)
    client.force_login(sdr)

    response = client.post(reverse("sla:notification_read", args=[first.pk]))
    assert response.status_code == 302
    first.refresh_from_db()
    assert first.read_at is not None
    assert 'data-unread="2"' in client.get(reverse("sla:notifications")).content.decode()

    client.post(reverse("sla:notification_read_all"), {"next": "/sla/notifications/?unread=1"})
    assert Notification.objects.filter(recipient=sdr, read_at__isnull=True).count() == 0


def test_someone_elses_notification_is_404_and_unchanged(client, sdr, someone_else):
    theirs = notify(someone_else)
    client.force_login(sdr)
    assert client.post(reverse("sla:notification_read", args=[theirs.pk])).status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None


def test_mark_read_needs_post_with_csrf(sdr):
    from django.test import Client

    row = notify(sdr)
    client = Client(enforce_csrf_checks=True)
    client.force_login(sdr)
    assert client.get(reverse("sla:notification_read", args=[row.pk])).status_code == 405
    assert client.post(reverse("sla:notification_read_all")).status_code == 403
    row.refresh_from_db()
    assert row.read_at is None


def test_the_page_does_not_redirect_off_site(client, sdr):
    row = notify(sdr)
    client.force_login(sdr)
    response = client.post(
        reverse("sla:notification_read", args=[row.pk]), {"next": "https://evil.example/"}
    )
    assert response["Location"] == reverse("sla:notifications")


# --- the API --------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_the_api_lists_ones_own_and_filters_unread(api_as, role, someone_else):
    user = UserFactory(username=f"api-{role}", roles=[role] if role else [])
    read = notify(user, step="warning", read=True)
    unread = notify(user, step="breach")
    notify(someone_else)

    answer = api_as(user).get("/api/v1/notifications/")
    assert answer.status_code == 200
    data = answer.json()
    assert data["count"] == 2
    assert [row["id"] for row in data["results"]] == [unread.pk, read.pk]
    first = data["results"][0]
    assert first["step"] == "breach"
    assert first["step_label"] == "Breached"
    assert first["headline"] == "First touch breached"
    assert first["lead"] == {
        "id": unread.lead_id,
        "name": "Ann Lee",
        "url": f"/leads/{unread.lead_id}/",
    }
    assert first["clock"]["term"] == "first_touch"
    assert first["read_at"] is None
    assert first["delivery_id"] == str(unread.delivery_id)

    only_unread = api_as(user).get("/api/v1/notifications/?unread=true").json()
    assert [row["id"] for row in only_unread["results"]] == [unread.pk]


def test_the_api_pages(api_as, sdr):
    for _ in range(3):
        notify(sdr)
    data = api_as(sdr).get("/api/v1/notifications/?page_size=2").json()
    assert (data["count"], len(data["results"])) == (3, 2)
    assert data["next"]
    assert api_as(sdr).get("/api/v1/notifications/?page=9").status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [("unread=yes", "unread"), ("page_size=0", "page_size"), ("page_size=x", "page_size")],
)
def test_bad_parameters_are_a_400_naming_the_field(api_as, sdr, query, field):
    answer = api_as(sdr).get(f"/api/v1/notifications/?{query}")
    assert answer.status_code == 400
    assert field in answer.json()["errors"]


def test_mark_read_and_read_all_through_the_api(api_as, sdr):
    first, second = notify(sdr), notify(sdr)
    client = api_as(sdr)

    answer = client.post(f"/api/v1/notifications/{first.pk}/read/")
    assert answer.status_code == 200
    assert answer.json()["read_at"] is not None
    again = client.post(f"/api/v1/notifications/{first.pk}/read/")
    assert again.json()["read_at"] == answer.json()["read_at"]  # the first time stays

    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 1}
    assert client.post("/api/v1/notifications/read-all/").json() == {"marked": 0}
    second.refresh_from_db()
    assert second.read_at is not None


def test_someone_elses_notification_is_404_through_the_api(api_as, sdr, someone_else):
    theirs = notify(someone_else)
    answer = api_as(sdr).post(f"/api/v1/notifications/{theirs.pk}/read/")
    assert answer.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert api_as(sdr).post("/api/v1/notifications/read-all/").json() == {"marked": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/notifications/"),
        ("post", "/api/v1/notifications/1/read/"),
        ("post", "/api/v1/notifications/read-all/"),
    ],
)
def test_the_api_refuses_anonymous_callers(api_client, method, path):
    assert getattr(api_client, method)(path).status_code == 401
