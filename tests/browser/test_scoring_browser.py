"""The scoring pages in a real browser: rows added and removed without a reload, a
draft saved with an error shown by its row, publishing with the re-score job
finished by a real worker, and "why this score" in English and Chinese."""

from __future__ import annotations

import pytest
from django.utils import timezone, translation

from leads.models import Job, ScoringModelVersion
from leads.scoring.engine import default_model
from leads.scoring.services import lead_rescore, scoring_model_create_draft, scoring_model_publish
from leads.scoring.wording import why_score
from tests.factories import AccountFactory, ActivityFactory, LeadFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MARKER = "window.__scoringMarker"


@pytest.fixture
def versions(marketer):
    first = scoring_model_create_draft(definition=default_model(1).to_dict(), user=marketer)
    published, _job = scoring_model_publish(version=first, user=marketer, enqueue=False)
    draft = scoring_model_create_draft(definition=published.definition, user=marketer)
    return published, draft


def mark_page(page) -> None:
    """A value that survives only as long as the page is not reloaded."""
    page.evaluate(f"{MARKER} = 'still here'")


def still_same_page(page) -> bool:
    return page.evaluate(f"{MARKER} === 'still here'")


def fit_rows(page):
    return page.locator("table[data-rows=fit] tbody tr")


def test_icp_rows_are_added_and_removed_without_a_reload(
    page, log_in, screenshot, marketer, versions
):
    _published, draft = versions
    log_in(marketer)
    page.goto(f"/scoring/models/{draft.pk}/icp/")
    page.wait_for_function("document.documentElement.dataset.scoringEditor === 'ready'")
    url = page.url
    mark_page(page)
    assert fit_rows(page).count() == 8

    # add a rule: the operator select follows the field's type, lists show as chips
    page.click("[data-add-row=fit]")
    assert fit_rows(page).count() == 9
    new = fit_rows(page).last
    new.locator("[data-cell=field]").select_option("country")
    operators = new.locator("[data-cell=operator] option").evaluate_all(
        "options => options.map(o => o.value)"
    )
    assert operators == ["eq", "ne", "in", "not_in", "contains"]
    new.locator("[data-cell=operator]").select_option("in")
    new.locator("[data-cell=value]").fill("JP, KR")
    assert new.locator(".chip-item").all_inner_texts() == ["JP", "KR"]
    new.locator("[data-cell=points]").fill("5")
    new.locator("[data-cell=must]").check()

    # a yes/no field gets a yes/no select instead of the text box
    page.click("[data-add-row=fit]")
    flag = fit_rows(page).last
    flag.locator("[data-cell=field]").select_option("do_not_contact")
    assert flag.locator("[data-cell=value]").is_hidden()
    assert flag.locator("[data-cell=value_bool]").is_visible()
    flag.locator("[data-remove-row]").click()

    # remove the "seniority is manager" rule (the 7th)
    fit_rows(page).nth(6).locator("[data-remove-row]").click()
    assert fit_rows(page).count() == 8
    assert still_same_page(page)
    assert page.url == url
    screenshot(page, "edited")

    # save: now the page is reloaded, with the rules as stored
    page.click("[data-action=save]")
    page.wait_for_load_state()
    page.wait_for_selector(".msg-success")
    assert not still_same_page(page)
    assert fit_rows(page).count() == 8
    draft.refresh_from_db()
    rules = draft.definition["fit_rules"]
    assert rules[-1] == {
        "field": "country",
        "operator": "in",
        "value": ["JP", "KR"],
        "points": 5,
        "must": True,
        "group": "",
    }
    assert [r["value"] for r in rules if r["field"] == "seniority"] == [
        ["executive", "vp"],
        "director",
    ]


def test_interest_rows_are_added_and_removed_without_a_reload(page, log_in, marketer, versions):
    _published, draft = versions
    log_in(marketer)
    page.goto(f"/scoring/models/{draft.pk}/")
    page.wait_for_function("document.documentElement.dataset.scoringEditor === 'ready'")
    mark_page(page)
    rows = page.locator("table[data-rows=interest] tbody tr")
    assert rows.count() == 14

    rows.last.locator("[data-remove-row]").click()  # email open
    page.click("[data-add-row=interest]")
    rows.last.locator("[data-cell=activity_type]").select_option("email_open")
    rows.last.locator("[data-cell=points]").fill("2")
    rows.last.locator("[data-cell=cap]").fill("6")
    assert rows.count() == 14
    assert still_same_page(page)
    page.click("[data-action=save]")
    page.wait_for_selector(".msg-success")

    draft.refresh_from_db()
    assert draft.definition["interest_rules"][-1] == {
        "activity_type": "email_open",
        "points": 2,
        "cap": 6,
        "half_life_days": None,
        "window_days": None,
    }


def test_a_draft_with_an_error_is_shown_by_its_row(page, log_in, screenshot, marketer, versions):
    _published, draft = versions
    before = draft.definition
    log_in(marketer)
    page.goto(f"/scoring/models/{draft.pk}/icp/")
    page.click("[data-add-row=fit]")
    row = fit_rows(page).last
    row.locator("[data-cell=field]").select_option("employees")
    row.locator("[data-cell=value]").fill("lots")
    page.click("[data-action=save]")
    page.wait_for_selector("[data-error-summary]")
    screenshot(page, "error")

    row = fit_rows(page).last
    assert "has-row-error" in row.get_attribute("class")
    assert row.locator("[data-error-for=value]").inner_text() == "Enter a number."
    assert row.locator("[data-cell=value]").input_value() == "lots"
    assert row.locator("[data-cell=field]").input_value() == "employees"
    assert fit_rows(page).count() == 9
    assert page.locator(".has-row-error").count() == 1
    draft.refresh_from_db()
    assert draft.definition == before


@pytest.mark.celery_worker
def test_marketer_publishes_and_the_rescore_job_finishes(
    celery_worker_process, page, log_in, screenshot, marketer, versions
):
    published, draft = versions
    leads = [LeadFactory(account=AccountFactory(employees=100 + n)) for n in range(3)]
    log_in(marketer)
    page.goto("/scoring/")
    page.click(f"tr[data-version='{draft.number}'] [data-action=publish]")
    page.wait_for_url(f"**/scoring/models/{draft.pk}/publish/")
    assert page.locator("[data-no-changes]").count() == 1  # the copy changes nothing
    screenshot(page, "confirm")
    page.click("[data-action=confirm-publish]")
    page.wait_for_url("**/jobs/*/")

    page.wait_for_selector("[data-job-state=done]", timeout=90_000)
    screenshot(page, "job")
    job = Job.objects.get(kind=Job.Kind.RESCORE, params__version=draft.pk)
    assert page.url.endswith(f"/jobs/{job.pk}/")
    assert page.inner_text("[data-count=scored]") == "3"
    draft.refresh_from_db()
    published.refresh_from_db()
    assert (draft.status, published.status) == ("published", "retired")
    for lead in leads:
        lead.refresh_from_db()
        assert lead.score_model_id == draft.pk
    assert "leads.tasks.rescore_leads" in celery_worker_process.log()
    page.goto("/scoring/")
    assert page.locator(f"tr[data-version='{draft.number}']").get_attribute("data-status") == (
        "published"
    )


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_why_this_score_in_english_and_chinese(
    page, log_in, screenshot, director, versions, language
):
    published, _draft = versions
    account = AccountFactory(employees=120, industry="Software", country="US")
    lead = LeadFactory(account=account, seniority="director", name="Li Wei")
    ActivityFactory(lead=lead, type="pricing_page", occurred_at=timezone.now())
    lead_rescore(lead=lead)
    lead.refresh_from_db()
    with translation.override(language):
        expected = why_score(
            breakdown=lead.score_breakdown,
            definition=published.definition,
            model_pk=published.pk,
        )
    log_in(director)
    if language != "en":
        page.select_option(".langswitch select", language)
        page.wait_for_function(f"document.documentElement.lang === '{language}'")

    page.goto(f"/leads/{lead.pk}/")

    box = page.locator("[data-why-score]")
    # fit: employees 20 + country 10 + industry 25 + director 15 = 70 → A; pricing 25 < 40
    assert box.locator("[data-why-grade]").inner_text() == "A"
    assert box.locator("[data-why-quadrant]").get_attribute("data-why-quadrant") == "nurture"
    assert box.locator("[data-why='mql.no']").inner_text() == expected.headline.text
    assert box.locator("[data-why='fit.grade']").inner_text() == expected.fit[0].text
    assert box.locator("[data-why='interest.type']").inner_text() == expected.interest[0].text
    if language == "en":
        assert expected.headline.text == "Not an MQL: interest 25 is below 40"
    else:
        assert expected.headline.text == "不是 MQL：兴趣分 25 低于 40"
    screenshot(page, "lead")
    box.locator("[data-why=model] a").click()
    page.wait_for_url(f"**/scoring/models/{published.pk}/")
    assert ScoringModelVersion.objects.get(pk=published.pk).status == "published"
