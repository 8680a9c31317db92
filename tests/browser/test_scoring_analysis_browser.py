"""Evaluation and calibration in a real browser, with a real Celery worker behind the
evaluation job. Set SMARKETING_SCREENSHOT_DIR to keep the screenshots."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from leads.models import ScoringModelVersion
from tests.leads.scoring.history_data import models, recent_closed, recent_history

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.celery_worker
def test_a_marketer_evaluates_a_draft_and_watches_the_chart_appear(
    page, log_in, screenshot, celery_worker_process, marketer
):
    _published, draft = models(user=marketer)
    recent_history(now=timezone.now(), tz=timezone.get_default_timezone(), source_system="demo")
    log_in(marketer)

    page.goto(reverse("leads:scoring_evaluation", args=[draft.pk]) + "?months=3")
    # Reading starts nothing: the page says so, and Evaluate (a POST) starts it.
    assert page.locator("[data-job-state=none]").is_visible()
    page.click("[data-evaluation-form] button[type=submit]")
    # The job runs in the worker; the page polls and reloads when it is done.
    page.wait_for_selector("svg[data-chart=mqls]", timeout=90_000)
    screenshot(page, "evaluation")

    assert page.locator("[data-mark=bar]").count() == 6  # 3 months x 2 versions
    heights = {
        (bar.get_attribute("data-series"), bar.get_attribute("data-value"))
        for bar in page.locator("[data-mark=bar]").all()
    }
    assert heights == {("model", "1"), ("model", "0"), ("against", "1"), ("against", "0")}
    assert page.locator("[data-summary=model] [data-kpi=mqls]").inner_text() == "2"
    assert page.locator("[data-summary=against] [data-kpi=mqls]").inner_text() == "1"
    assert page.locator("[data-summary=model] [data-kpi=precision]").inner_text() == "50.0 %"
    assert page.locator("[data-demo-badge]").is_visible()
    assert page.locator("[data-evaluation-table] tbody tr").count() == 3
    # The charts' hover texts: a bar's title says its month, version and count.
    bar = page.locator("svg[data-chart=mqls] [data-mark=bar][data-series=model]").first
    assert bar.locator("title").text_content().endswith(": 1 MQL")

    # In Chinese: the charts' own words (titles, axes) too, drawn with CJK glyphs.
    page.select_option(".langswitch select", "zh-hans")
    page.wait_for_function("document.documentElement.lang === 'zh-hans'")
    page.wait_for_selector("svg[data-chart=mqls]")
    screenshot(page, "evaluation-zh")
    with translation.override("zh-hans"):
        title, month = translation.gettext("MQLs per month"), translation.gettext("Month")
    assert page.locator("svg[data-chart=mqls] > title").text_content() == title
    assert month in page.locator("svg[data-chart=rates] .chart-axis-title").all_text_contents()

    # Another window: Evaluate with other months starts another evaluation.
    page.select_option("#id_months", "2")
    page.click("[data-evaluation-form] button[type=submit]")
    page.wait_for_selector("svg[data-chart=mqls]", timeout=90_000)
    assert page.locator("[data-mark=bar]").count() == 4


def test_a_marketer_creates_a_draft_from_the_calibration_in_chinese(
    page, log_in, screenshot, marketer
):
    models(user=marketer)
    recent_closed(now=timezone.now(), count=30)
    log_in(marketer)
    page.goto(reverse("leads:scoring_calibration"))
    page.select_option(".langswitch select", "zh-hans")
    page.wait_for_function("document.documentElement.lang === 'zh-hans'")
    screenshot(page, "calibration")

    with translation.override("zh-hans"):
        heading = translation.gettext("Closed-loop calibration")
        button = translation.gettext("Create draft from this suggestion")
    assert page.locator("[data-page-heading]").inner_text() == heading
    assert page.locator("tr[data-type=demo_request] [data-suggested]").inner_text() == "50"
    page.click(f"[data-create-draft] button:has-text('{button}')")
    page.wait_for_selector(".msg-success")
    screenshot(page, "draft-created")

    draft = ScoringModelVersion.objects.get(number=3)
    assert draft.status == "draft"
    assert "v3" in page.locator(".msg-success").inner_text()
    rules = {r["activity_type"]: r["points"] for r in draft.definition["interest_rules"]}
    assert (rules["demo_request"], rules["web_visit"]) == (50.0, 25.0)
