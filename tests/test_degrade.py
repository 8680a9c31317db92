"""A dependency that is down degrades the app instead of breaking it (issue 10 §2):
Redis on a dead port, what counts as PostgreSQL being down, the 503 itself.

Redis is simulated down by pointing ``CACHES`` at a port nothing listens on (pytest-
django's ``settings`` fixture sends ``setting_changed``; Django then drops its cache
connections, so the next use connects to the dead port). The shared Redis is never
stopped. PostgreSQL out of connections, with real servers, is in
tests/test_degrade_servers.py.
"""

from __future__ import annotations

import copy
import socket
import time
import uuid

import pytest
import redis.exceptions
from django.core.cache import cache
from django.db import OperationalError, connection, connections, transaction
from django.test import Client, RequestFactory
from django.urls import reverse

from smarketing import degrade, throttling
from tests.servers import free_port

pytestmark = pytest.mark.django_db
PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory's


def redis_cache_at(location: str) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": location,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }


@pytest.fixture
def redis_down(settings):
    """The cache on a port nothing listens on."""
    settings.CACHES = redis_cache_at(f"redis://127.0.0.1:{free_port()}/0")
    with pytest.raises(redis.exceptions.ConnectionError):  # it really is down
        cache.get("anything")
    yield
    throttling.fallback_cache.reset()


# --- Redis down: the API, the throttle, login and pages -------------------------------


def test_the_api_answers_while_redis_is_down(api_as, director, redis_down):
    response = api_as(director).get(reverse("api:lead_list"))

    assert response.status_code == 200
    assert response.json()["count"] == 0


def test_the_throttle_keeps_counting_in_memory_while_redis_is_down(
    api_as, director, marketer, redis_down, settings
):
    rates = {"user": "3/min", "anon": "2/min"}
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}
    url = reverse("api:lead_list")

    codes = [api_as(director).get(url).status_code for _ in range(4)]

    assert codes == [200, 200, 200, 429]
    assert api_as(marketer).get(url).status_code == 200
    assert throttling.fallback_cache.is_down


def test_anonymous_calls_are_refused_not_failed_while_redis_is_down(client, redis_down):
    response = client.get(reverse("api:lead_list"))

    assert response.status_code in (401, 403)  # DRF's usual answer to no credentials


def test_login_and_pages_work_while_redis_is_down(client, director, redis_down):
    response = client.post(
        reverse("login"), {"username": director.get_username(), "password": PASSWORD}
    )

    assert response.status_code == 302  # sessions live in the database, not in Redis
    assert client.get(reverse("leads:lead_list")).status_code == 200


@pytest.mark.redis
def test_a_silent_redis_costs_the_api_half_a_second_once_not_every_call(api_as, director, settings):
    # a server that accepts the connection and never answers (a hung Redis)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        configured = copy.deepcopy(settings.CACHES)
        configured["default"]["LOCATION"] = f"redis://127.0.0.1:{silent.getsockname()[1]}/0"
        settings.CACHES = configured  # settings.py's timeouts, a silent server
        client = api_as(director)
        url = reverse("api:lead_list")
        try:
            started = time.monotonic()
            first = client.get(url)
            first_took = time.monotonic() - started
            started = time.monotonic()
            second = client.get(url)
            second_took = time.monotonic() - started
        finally:
            throttling.fallback_cache.reset()

    assert (first.status_code, second.status_code) == (200, 200)
    assert first_took < 5  # the socket timeout (0.5 s), not forever
    assert second_took < first_took  # Redis is not asked again for a while


# --- what truly needs the cache answers 503 -----------------------------------------


@pytest.mark.urls("tests.degrade_urls")
def test_an_endpoint_that_needs_the_cache_answers_json_503_with_retry_after(
    api_as, director, redis_down
):
    response = api_as(director).get("/api/v1/needs-cache/")

    assert response.status_code == 503
    assert response["Retry-After"] == str(degrade.RETRY_AFTER_SECONDS)
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": degrade.api_message(degrade.CACHE)}


@pytest.mark.urls("tests.degrade_urls")
def test_a_page_that_needs_the_cache_answers_the_friendly_503_page(client, director, redis_down):
    client.force_login(director)

    response = client.get("/needs-cache/")

    assert response.status_code == 503
    assert response["Retry-After"] == str(degrade.RETRY_AFTER_SECONDS)
    html = response.content.decode()
    assert "<h1>Briefly unavailable</h1>" in html
    assert "Please try again in 10 seconds." in html
    assert 'href="/needs-cache/"' in html  # try again
    assert "css/app.css" in html  # the site's layout, like the other error pages
    assert "Log out" not in html  # nothing read about the user


@pytest.mark.urls("tests.degrade_urls")
def test_the_503_page_speaks_the_readers_language(client, redis_down):
    response = client.get("/needs-cache/", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert response.status_code == 503
    assert "<h1>暂时无法使用</h1>" in response.content.decode()


@pytest.mark.urls("tests.degrade_urls")
@pytest.mark.parametrize(
    ("path", "content_type"),
    [("/remember/", "text/html"), ("/api/v1/remember/", "application/json")],
)
def test_a_session_in_a_cache_that_is_down_answers_503_not_500(
    redis_down, settings, path, content_type
):
    # A failure after the view (the session saved by its middleware) never reaches
    # process_exception: Django makes it a 500, the middleware turns that into the 503.
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.cache"
    client = Client(raise_request_exception=False)

    response = client.get(path)

    assert response.status_code == 503
    assert response["Retry-After"] == str(degrade.RETRY_AFTER_SECONDS)
    assert response["Content-Type"].startswith(content_type)


def test_the_503_page_reads_nothing_from_the_database(django_assert_num_queries):
    request = RequestFactory().get("/leads/", HTTP_ACCEPT_LANGUAGE="en")

    with django_assert_num_queries(0):
        response = degrade.unavailable_response(request, degrade.DATABASE)

    assert response.status_code == 503
    assert b"Briefly unavailable" in response.content


def test_a_post_that_failed_is_not_offered_again_as_a_link():
    request = RequestFactory().post("/leads/42/accept/")

    html = degrade.unavailable_response(request, degrade.DATABASE).content.decode()

    assert "Try again" not in html
    assert 'href="/"' in html  # back to the home page


# --- what counts as the database being down -----------------------------------------


def _fresh_connection(**changes):
    """A new connection to the test database with some settings changed, outside the
    pool (a pool is shared per alias)."""
    settings_dict = copy.deepcopy(connection.settings_dict)
    settings_dict["OPTIONS"].pop("pool", None)
    settings_dict.update(changes)
    return connections["default"].__class__(settings_dict, alias="degrade-probe")


@pytest.fixture
def role_without_connections():
    """A PostgreSQL role that may log in, with CONNECTION LIMIT 0: committed by a
    session of its own (the test's transaction would hide it), dropped after."""
    name = f"smk_no_conn_{uuid.uuid4().hex[:12]}"
    admin = _fresh_connection()
    with admin.cursor() as cursor:
        cursor.execute(f'CREATE ROLE "{name}" LOGIN CONNECTION LIMIT 0')
    yield name
    with admin.cursor() as cursor:
        cursor.execute(f'DROP ROLE IF EXISTS "{name}"')
    admin.close()


@pytest.mark.postgres
def test_a_role_out_of_connections_is_the_database_down(role_without_connections):
    probe = _fresh_connection(USER=role_without_connections, PASSWORD="")

    with pytest.raises(OperationalError) as raised:
        probe.ensure_connection()

    assert "too many connections" in str(raised.value)
    assert degrade.unavailable_dependency(raised.value) == degrade.DATABASE


@pytest.mark.postgres
def test_a_refused_connection_is_the_database_down():
    probe = _fresh_connection(PORT=free_port())

    with pytest.raises(OperationalError) as raised:
        probe.ensure_connection()

    assert degrade.unavailable_dependency(raised.value) == degrade.DATABASE


@pytest.mark.postgres
def test_a_statement_timeout_is_not_a_dependency_down():
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL statement_timeout = '20ms'")
        with pytest.raises(OperationalError) as raised, transaction.atomic():
            cursor.execute("SELECT pg_sleep(1)")
        cursor.execute("SET LOCAL statement_timeout = 0")

    assert "statement timeout" in str(raised.value)
    assert degrade.unavailable_dependency(raised.value) is None


@pytest.mark.postgres
def test_a_lock_not_available_is_not_a_dependency_down():
    from tests.factories import LeadFactory

    LeadFactory()  # this test's open transaction now holds a lock on the leads table
    other = _fresh_connection()
    try:
        with other.cursor() as cursor:
            cursor.execute("BEGIN")
            with pytest.raises(OperationalError) as raised:
                cursor.execute("LOCK TABLE leads_lead IN ACCESS EXCLUSIVE MODE NOWAIT")
            cursor.execute("ROLLBACK")
    finally:
        other.close()

    assert "could not obtain lock" in str(raised.value)
    assert degrade.unavailable_dependency(raised.value) is None


def test_errors_that_are_not_a_connection_failure_are_not_a_dependency_down():
    assert degrade.unavailable_dependency(redis.exceptions.ResponseError("WRONGTYPE")) is None
    assert degrade.unavailable_dependency(ZeroDivisionError("a bug")) is None
    assert degrade.unavailable_dependency(None) is None
