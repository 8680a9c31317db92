"""One real look at the 503 page: Chromium on a gunicorn whose PostgreSQL has no
connection left (a role with CONNECTION LIMIT 0; tests/test_degrade_servers.py has
the API's and the pages' answers in detail)."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import UserFactory
from tests.servers import server_without_connections

pytestmark = [pytest.mark.browser, pytest.mark.postgres]


def test_a_signed_in_person_sees_the_friendly_503_page_styled_like_the_site(
    chromium, tmp_path, screenshot
):
    director = UserFactory(username="dana", roles=["director"])
    client = Client()
    client.force_login(director)  # the session is in the database, which is out of reach

    with server_without_connections(tmp_path) as server:
        context = chromium.new_context(base_url=server.url, locale="zh-CN")
        context.add_cookies(
            [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": server.url}]
        )
        page = context.new_page()
        try:
            response = page.goto("/leads/")
            screenshot(page, "503")
            status = response.status
            retry_after = response.headers.get("retry-after")
            heading = page.locator("h1").inner_text()
            card_radius = page.locator("section.card").evaluate(
                "el => getComputedStyle(el).borderRadius"
            )
            try_again = page.get_by_role("link", name="重试").get_attribute("href")
        finally:
            context.close()

    assert status == 503
    assert retry_after == "10"
    assert heading == "暂时无法使用"  # the browser asked for Chinese
    assert card_radius not in ("", "0px")  # the site's stylesheet: a card like other pages'
    assert try_again == "/leads/"
