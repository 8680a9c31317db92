"""A marketing manager imports a CSV with one bad row, in English and in Chinese."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext

from leads.models import Job, Lead

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FILES = {
    "en": (
        "leads-en.csv",
        "Email,Name,Company,Source,Campaign,Created\n"
        "ann.lee@acme.example,Ann Lee,Acme,website,Spring expo,2025-03-05 14:30\n"
        "not-an-email,Broken Row,Acme,website,Spring expo,2025-03-05 15:00\n"
        "bob.wu@acme.example,Bob Wu,Acme,event,Spring expo,2025-03-06 09:00\n",
        "utf-8",
    ),
    "zh-hans": (
        "线索-展会.csv",
        "姓名,邮箱,电话,公司,来源,活动,创建时间\n"
        "张伟,zhang.wei@acme.cn,13800138000,艾克米科技,官网,春季展会,2025/3/5 14:30\n"
        "坏行,not-an-email,,艾克米科技,官网,春季展会,2025/3/5 15:00\n"
        "李娜,li.na@acme.cn,13900139000,艾克米科技,微信,春季展会,2025/3/6 09:00\n",
        "gbk",
    ),
}
GOOD_NAMES = {"en": ["Ann Lee", "Bob Wu"], "zh-hans": ["张伟", "李娜"]}
GOOD_EMAILS = {
    "en": ["ann.lee@acme.example", "bob.wu@acme.example"],
    "zh-hans": ["zhang.wei@acme.cn", "li.na@acme.cn"],
}


def heading(page) -> str:
    return page.inner_text("h1").strip()


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_marketer_imports_a_csv_with_one_bad_row(page, log_in, screenshot, marketer, language):
    filename, text, encoding = FILES[language]
    log_in(marketer)

    # The language switcher in the top bar (base.html).
    page.goto("/import/")
    if language != "en":
        with page.expect_navigation():
            page.select_option(".langswitch select", language)
    assert page.get_attribute("html", "lang") == language
    with translation.override(language):
        assert heading(page) == gettext("Import leads")

    # Step 1: upload.
    screenshot(page, "1-upload")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": filename, "mimeType": "text/csv", "buffer": text.encode(encoding)}],
    )
    page.click("form[data-form=import-upload] button[type=submit]")
    page.wait_for_url("**/import/*/map/")

    # Step 2: the columns are mapped from their names; nothing to change.
    assert page.input_value("select[name=col_0]") == ("email" if language == "en" else "name")
    screenshot(page, "2-map")
    page.click("form[data-form=import-map] button[type=submit]")
    page.wait_for_url("**/import/*/preview/")

    # Step 3: the preview names the time zone and shows the bad row's problem.
    assert page.get_attribute("[data-time-zone-note]", "data-time-zone-note") == settings.TIME_ZONE
    assert settings.TIME_ZONE in page.inner_text("[data-time-zone-note]")
    assert "email:" in page.inner_text("tr[data-row='3']")
    screenshot(page, "3-preview")
    page.click("form[data-form=import-run] button[type=submit]")
    page.wait_for_url("**/import/*/")

    # Step 4: the counts and the error report.
    assert page.inner_text("[data-count=created]") == "2"
    assert page.inner_text("[data-count=rejected]") == "1"
    assert "email:" in page.inner_text("table[data-rejected] tr[data-row='3']")
    screenshot(page, "4-result")
    with page.expect_download() as caught:
        page.click("[data-report-link]")
    report = Path(caught.value.path()).read_bytes()
    assert report.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM: Excel shows Chinese
    rows = list(csv.reader(io.StringIO(report.decode("utf-8-sig"))))
    assert len(rows) == 2
    assert rows[1][0] == "3"
    assert rows[1][1].startswith("email: ")
    assert "not-an-email" in rows[1]

    job = Job.objects.get()
    assert (job.state, job.result["created"], job.result["rejected"]) == ("done", 2, 1)
    assert sorted(Lead.objects.values_list("email_normalised", flat=True)) == sorted(
        GOOD_EMAILS[language]
    )

    # The good rows are in the lead list.
    page.goto("/leads/")
    assert page.get_attribute("html", "lang") == language
    table = page.inner_text("table.leads-table")
    for name, email in zip(GOOD_NAMES[language], GOOD_EMAILS[language], strict=True):
        assert name in table
        assert email in table
    assert "not-an-email" not in table
    screenshot(page, "5-leads")


@pytest.mark.celery_worker
def test_a_large_file_shows_its_progress_until_the_worker_is_done(
    celery_worker_process, page, log_in, screenshot, marketer, settings
):
    settings.IMPORT_INLINE_MAX_ROWS = (
        10  # this process queues; the worker reads chunk_size from the job
    )
    text = "Email,Name,Source\n" + "".join(
        f"lead{n}@acme.example,Lead {n},website\n" for n in range(1, 81)
    )
    log_in(marketer)
    page.goto("/import/")
    page.set_input_files(
        "input[name=file]",
        files=[{"name": "big.csv", "mimeType": "text/csv", "buffer": text.encode()}],
    )
    page.click("form[data-form=import-upload] button[type=submit]")
    page.click("form[data-form=import-map] button[type=submit]")
    page.wait_for_url("**/import/*/preview/")
    page.click("form[data-form=import-run] button[type=submit]")
    page.wait_for_url("**/import/*/")

    # The page polls the progress endpoint and reloads itself when the job is finished.
    page.wait_for_selector("[data-job-state=done]", timeout=90_000)
    screenshot(page, "done")
    assert page.inner_text("[data-count=created]") == "80"
    assert page.inner_text("[data-count=rejected]") == "0"
    job = Job.objects.get()
    assert (job.state, job.done, job.total, job.params["chunk_size"]) == ("done", 80, 80, 10)
    assert Lead.objects.count() == 80
    assert "leads.tasks.import_leads" in celery_worker_process.log()
