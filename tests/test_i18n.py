"""The language switcher: English and Simplified Chinese, before and after login."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.urls import reverse

from tests.factories import LeadFactory

# Module-wide, so pytest-django runs these with the other database tests, before the
# transactional ones whose flush drops the role groups of the data migration.
pytestmark = pytest.mark.django_db


def html_lang(response) -> str:
    return re.search(r'<html lang="([^"]+)">', response.content.decode()).group(1)


def switch_language(client, code: str, next_url: str = "/"):
    return client.post(reverse("set_language"), {"language": code, "next": next_url})


def test_default_language_is_english(client, marketer):
    client.force_login(marketer)

    assert html_lang(client.get(reverse("home"))) == "en"


def test_switching_to_chinese_changes_html_lang_and_the_page_renders(client, marketer):
    client.force_login(marketer)

    response = switch_language(client, "zh-hans", reverse("leads:lead_list"))

    assert response.status_code == 302
    assert response.url == reverse("leads:lead_list")
    page = client.get(reverse("leads:lead_list"))
    assert page.status_code == 200
    assert html_lang(page) == "zh-hans"
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "zh-hans"


def test_switching_back_to_english(client, marketer):
    client.force_login(marketer)
    switch_language(client, "zh-hans")

    switch_language(client, "en")

    assert html_lang(client.get(reverse("home"))) == "en"


def test_language_chosen_on_the_login_page_survives_login(client, marketer):
    switch_language(client, "zh-hans", reverse("login"))
    assert html_lang(client.get(reverse("login"))) == "zh-hans"

    response = client.post(
        reverse("login"), {"username": "mia", "password": "pw-for-tests-1"}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse("home")
    assert html_lang(response) == "zh-hans"


def test_unknown_language_is_ignored(client, marketer):
    client.force_login(marketer)

    switch_language(client, "xx")

    assert html_lang(client.get(reverse("home"))) == "en"


def test_the_switcher_offers_both_languages_on_every_page(client, marketer):
    client.force_login(marketer)

    html = client.get(reverse("home")).content.decode()

    assert re.findall(r'<option value="([^"]+)"', html) == ["en", "zh-hans"]
    assert f'action="{reverse("set_language")}"' in html


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        # 2024-03-05 02:30 UTC is 10:30 in Asia/Shanghai, the default TIME_ZONE
        ("en", '03/05/2024<span class="sub">10:30 a.m.</span>'),
        ("zh-hans", '2024年3月5日<span class="sub">10:30</span>'),
    ],
)
def test_dates_follow_the_active_language_in_local_time(client, marketer, language, expected):
    LeadFactory(received_at=dt.datetime(2024, 3, 5, 2, 30, tzinfo=dt.UTC))
    client.force_login(marketer)
    switch_language(client, language)

    html = client.get(reverse("leads:lead_list")).content.decode()

    assert expected in html


def test_numbers_are_grouped(client, marketer):
    from tests.factories import AccountFactory

    lead = LeadFactory(account=AccountFactory(employees=12500, annual_revenue=7250000))
    client.force_login(marketer)

    html = client.get(reverse("leads:lead_detail", args=[lead.pk])).content.decode()

    assert "12,500" in html
    assert "7,250,000" in html
