"""The lead list in a real browser: sort by a header, choose the page size, select leads
and assign them in bulk (a sales manager), in English and in Chinese."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation
from django.utils.translation import gettext, ngettext

from leads.models import Lead
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def t(language: str, text: str) -> str:
    with translation.override(language):
        return gettext(text)


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_a_manager_sorts_pages_and_bulk_assigns(
    page, log_in, screenshot, sales_manager, sdr, sdr_team_east, language
):
    kim = UserFactory(username="kim", first_name="Kim", last_name="Mate", roles=["sdr"])
    sdr_team_east.members.add(kim)
    base = dt.datetime(2026, 3, 1, tzinfo=dt.UTC)
    Lead.objects.bulk_create(
        [
            Lead(
                name=f"Lead {i:02d}", email=f"l{i}@x.example", email_normalised=f"l{i}@x.example",
                source_channel="website", source_system="test", stage="mql", team=sdr_team_east,
                owner=sdr, received_at=base + dt.timedelta(hours=i),
            )
            for i in range(30)
        ]
    )  # fmt: skip
    log_in(sales_manager)
    if language != "en":
        page.select_option(".langswitch select", language)
        page.wait_for_function(f"document.documentElement.lang === '{language}'")
    page.goto("/leads/")
    rows = page.locator("tr[data-lead-id] .lead-name")
    assert rows.count() == 30
    assert rows.first.inner_text() == "Lead 29"  # newest first

    # sort by name, then the other way round, with the header
    page.click('th a[data-sort="name"]')
    page.wait_for_url("**/leads/?sort=name")
    assert rows.first.inner_text() == "Lead 00"
    assert page.locator('th[aria-sort="ascending"]').text_content().startswith(t(language, "Name"))
    page.click('th a[data-sort="name"]')
    page.wait_for_url("**/leads/?sort=-name")
    assert rows.first.inner_text() == "Lead 29"

    # 25 per page: the sort stays, and the next page keeps both
    page.select_option("#id_page_size", "25")
    page.click(".filters button[type=submit]")
    page.wait_for_url("**/leads/?*page_size=25*")
    assert rows.count() == 25
    assert "sort=-name" in page.url
    page.click(".pagination a[rel=next]")
    page.wait_for_url("**page=2")
    assert [r for r in rows.all_inner_texts()] == [f"Lead {i:02d}" for i in range(4, -1, -1)]
    screenshot(page, "page_2")

    # select two leads and assign them to Kim
    page.locator("tr[data-lead-id]").nth(0).locator("[data-select-lead]").check()
    page.locator("tr[data-lead-id]").nth(1).locator("[data-select-lead]").check()
    assert page.locator("[data-selected-count]").inner_text() == f"{t(language, 'Selected:')} 2"
    page.select_option("#bulk-to-user", label="Kim Mate")
    screenshot(page, "selected")
    page.click("#bulk-assign button[type=submit]")
    page.wait_for_load_state()
    with translation.override(language):
        done = ngettext(
            "%(count)d lead assigned to %(name)s.", "%(count)d leads assigned to %(name)s.", 2
        ) % {"count": 2, "name": "Kim Mate"}
    assert page.locator(".msg-success").inner_text() == done
    assert "page=2" in page.url  # back where the manager was
    assigned = Lead.objects.filter(owner=kim).order_by("name").values_list("name", flat=True)
    assert list(assigned) == ["Lead 03", "Lead 04"]
    screenshot(page, "assigned")

    # select all on the page
    page.check("[data-select-all]")
    assert page.locator("[data-select-lead]:checked").count() == 5
