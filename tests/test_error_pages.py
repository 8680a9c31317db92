"""The production error pages (DEBUG off): friendly 404, 403 and 500 in the site's
layout and the reader's language, a 500 that reads no database, a 403 logged on one
line; and the favicon."""

from __future__ import annotations

import logging

import pytest
from django.test import override_settings
from django.utils import translation

pytestmark = pytest.mark.django_db

PRODUCTION = override_settings(DEBUG=False, ALLOWED_HOSTS=["testserver"])


@pytest.fixture(autouse=True)
def english_again():
    yield
    translation.deactivate()  # LocaleMiddleware leaves the request's language active


@PRODUCTION
def test_an_unknown_page_is_the_friendly_404_not_the_debug_list_of_urls(client, sdr):
    client.force_login(sdr)
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    body = response.content.decode()
    assert 'data-error-page="404"' in body
    assert "Back to the home page" in body
    assert "URLconf" not in body
    assert "Using the URLconf" not in body
    assert 'class="mainnav"' in body  # the site's own layout, navigation included


@PRODUCTION
def test_the_404_speaks_chinese_to_a_chinese_reader(client, sdr):
    client.force_login(sdr)
    client.cookies["django_language"] = "zh-hans"
    body = client.get("/no/such/page/").content.decode()
    assert "<h1>未找到</h1>" in body
    assert 'lang="zh-hans"' in body


@PRODUCTION
def test_a_refused_page_is_the_friendly_403_logged_on_one_line(client, outsider, caplog):
    client.force_login(outsider)
    with caplog.at_level(logging.INFO):
        response = client.get("/leads/")
    assert response.status_code == 403
    body = response.content.decode()
    assert 'data-error-page="403"' in body
    assert "Nothing was changed." in body
    forbidden = [r for r in caplog.records if r.name == "django.request"]
    assert len(forbidden) == 1, [r.getMessage() for r in caplog.records]
    [record] = forbidden
    assert record.getMessage() == "Forbidden (Permission denied): /leads/"
    assert record.exc_info is None
    assert record.exc_text is None
    assert "Traceback" not in caplog.text


@PRODUCTION
@pytest.mark.urls("tests.error_urls")
def test_a_defect_is_the_friendly_500_read_without_the_database(
    client, sdr, caplog, django_assert_num_queries
):
    client.force_login(sdr)
    client.raise_request_exception = False
    with caplog.at_level(logging.ERROR), django_assert_num_queries(0):
        response = client.get("/fails/")  # signed in: not even the session is read
    assert response.status_code == 500
    body = response.content.decode()
    assert 'data-error-page="500"' in body
    assert "Something went wrong" in body
    assert "RuntimeError" not in body
    assert "a defect" not in body
    # a 5xx keeps its traceback in the log: that one is ours to fix
    [record] = [r for r in caplog.records if r.name == "django.request"]
    assert record.exc_info is not None


def test_the_favicon_is_linked_from_every_page_and_served(client, sdr):
    client.force_login(sdr)
    body = client.get("/queue/").content.decode()
    assert 'rel="icon" href="/static/favicon/favicon.svg"' in body
    response = client.get("/favicon.ico")
    assert response.status_code == 301
    assert response["Location"] == "/static/favicon/favicon.svg"
