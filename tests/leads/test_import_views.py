"""The import pages: permissions, upload → map → preview → import → result."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from leads.models import Job, Lead
from tests.helpers import wait_for_job

pytestmark = pytest.mark.django_db

GOOD_AND_BAD = (
    "邮箱,姓名,公司,来源,创建时间\n"
    "ann@acme.example,Ann Lee,Acme,website,2025-03-05 14:30\n"
    "not-an-email,Bad Row,Acme,website,2025-03-05 15:00\n"
    "bob@acme.example,Bob Wu,Acme,event,2025-03-06 09:00\n"
)


def upload(client, text: str | bytes, name: str = "leads.csv"):
    data = text.encode("gbk") if isinstance(text, str) else text
    return client.post(
        reverse("leads:import_start"), {"file": SimpleUploadedFile(name, data, "text/csv")}
    )


def mapping_post(job: Job, targets: list[str], **extra) -> dict:
    return {f"col_{i}": t for i, t in enumerate(targets)} | extra


# --- permissions ------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client):
    response = client.get(reverse("leads:import_start"))

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "who", ["sdr", "ae", "director", "sales_manager", "integration", "outsider"]
)
def test_other_roles_get_403_and_nothing_is_uploaded(client, request, who):
    client.force_login(request.getfixturevalue(who))

    assert client.get(reverse("leads:import_start")).status_code == 403
    assert upload(client, GOOD_AND_BAD).status_code == 403
    assert Job.objects.count() == 0


@pytest.mark.parametrize("who", ["marketer", "admin_user"])
def test_marketing_and_admin_see_the_upload_page(client, request, who):
    client.force_login(request.getfixturevalue(who))

    response = client.get(reverse("leads:import_start"))

    assert response.status_code == 200
    assert b'name="file"' in response.content


def test_a_user_sees_only_their_own_jobs_and_admins_see_all(client, marketer, admin_user):
    from tests.factories import UserFactory

    other = UserFactory(username="mo", roles=["marketing"])
    client.force_login(other)
    upload(client, GOOD_AND_BAD)
    job = Job.objects.get()

    client.force_login(marketer)
    assert client.get(reverse("leads:import_map", args=[job.pk])).status_code == 404
    assert client.get(reverse("leads:import_progress", args=[job.pk])).status_code == 404
    assert client.post(reverse("leads:import_run", args=[job.pk])).status_code == 404
    assert b"leads.csv" not in client.get(reverse("leads:import_start")).content
    job.refresh_from_db()
    assert job.state == Job.State.DRAFT

    client.force_login(admin_user)
    assert client.get(reverse("leads:import_map", args=[job.pk])).status_code == 200
    assert b"leads.csv" in client.get(reverse("leads:import_start")).content


# --- the steps ----------------------------------------------------------------------


def test_the_whole_flow_saves_good_rows_and_reports_the_bad_one(client, marketer, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    client.force_login(marketer)

    # step 1: upload
    response = upload(client, GOOD_AND_BAD)
    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("leads:import_map", args=[job.pk])
    assert (job.state, job.total, job.created_by) == (Job.State.DRAFT, 3, marketer)
    assert job.params["encoding"] == "gb18030"

    # step 2: the mapping page suggests targets from the Chinese headers
    page = client.get(response["Location"]).content.decode()
    assert '<option value="email" selected>' in page
    assert '<option value="source_channel" selected>' in page
    assert "ann@acme.example" in page  # sample values
    response = client.post(
        reverse("leads:import_map", args=[job.pk]),
        mapping_post(job, ["email", "name", "company", "source_channel", "created_at_source"]),
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("leads:import_preview", args=[job.pk])

    # step 3: preview, with the time-zone note and the bad row's problem; nothing saved yet
    response = client.get(response["Location"])
    page = response.content.decode()
    assert response.status_code == 200
    assert "Times without a time zone are read in Asia/Shanghai" in page
    assert "email: Enter a valid email address." in page
    assert "<td>Website</td>" in page  # a choice's label, not its code
    assert Lead.objects.count() == 0

    # step 4: import (small: inline) and the result page
    response = client.post(reverse("leads:import_run", args=[job.pk]))
    assert response["Location"] == reverse("leads:import_detail", args=[job.pk])
    job.refresh_from_db()
    assert job.state == Job.State.DONE
    assert job.result == {"created": 2, "updated": 0, "rejected": 1}
    assert (job.done, job.total) == (3, 3)
    assert job.errors == [{"row": 3, "errors": {"email": ["Enter a valid email address."]}}]
    assert sorted(Lead.objects.values_list("name", flat=True)) == ["Ann Lee", "Bob Wu"]
    page = client.get(response["Location"]).content.decode()
    assert 'data-count="created">2<' in page
    assert 'data-count="rejected">1<' in page
    assert reverse("leads:import_report", args=[job.pk]) in page

    # the report
    response = client.get(reverse("leads:import_report", args=[job.pk]))
    assert response.status_code == 200
    assert response["Content-Disposition"] == f'attachment; filename="import-{job.pk}-rejected.csv"'
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(body))) == [
        ["row", "reason", "邮箱", "姓名", "公司", "来源", "创建时间"],
        [
            "3",
            "email: Enter a valid email address.",
            "not-an-email",
            "Bad Row",
            "Acme",
            "website",
            "2025-03-05 15:00",
        ],
    ]


def test_running_twice_imports_once(client, marketer):
    client.force_login(marketer)
    upload(client, GOOD_AND_BAD)
    job = Job.objects.get()

    client.post(reverse("leads:import_run", args=[job.pk]))
    client.post(reverse("leads:import_run", args=[job.pk]))

    job.refresh_from_db()
    assert job.result == {"created": 2, "updated": 0, "rejected": 1}
    assert Lead.objects.count() == 2


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The submitted file is empty."),
        (b"\r\n\r\n", "The file is empty."),
        ("Name,City\nRené,Orléans\n".encode("latin-1"), "encoding is not one we can read"),
        (b"ann@acme.example,Ann\nbob@acme.example,Bob\n", "The file has no header row: row 1"),
        (b"Email,Name\n", "header row but no data rows"),
    ],
    ids=["empty", "blank-lines", "unknown-encoding", "no-header", "header-only"],
)
def test_bad_files_get_a_message_not_a_500(client, marketer, data, message):
    client.force_login(marketer)

    response = upload(client, data)

    assert response.status_code == 400
    assert message in response.content.decode()
    assert Job.objects.count() == 0


def test_a_file_that_is_not_csv_or_xlsx_is_refused(client, marketer):
    client.force_login(marketer)

    response = upload(client, b"%PDF-1.7", name="brochure.pdf")

    assert response.status_code == 400
    assert "“brochure.pdf” is not a CSV or XLSX file." in response.content.decode()


def test_the_mapping_needs_an_identity_and_a_source(client, marketer):
    client.force_login(marketer)
    upload(client, GOOD_AND_BAD)
    job = Job.objects.get()

    response = client.post(
        reverse("leads:import_map", args=[job.pk]), mapping_post(job, ["", "name", "company"])
    )

    page = response.content.decode()
    assert response.status_code == 400
    assert "Map at least one column to email, phone or external id." in page
    assert "choose a source channel for every row" in page
    job.refresh_from_db()
    assert job.params["mapping"][0] == "email"  # the suggestion, unchanged


def test_a_default_source_channel_fills_rows_without_one(client, marketer):
    client.force_login(marketer)
    upload(client, "Email,Name\nann@acme.example,Ann\n")
    job = Job.objects.get()

    client.post(
        reverse("leads:import_map", args=[job.pk]),
        mapping_post(job, ["email", "name"], default_source_channel="event"),
    )
    preview = client.get(reverse("leads:import_preview", args=[job.pk])).content.decode()
    assert "Source channel for rows without one: Event" in preview
    client.post(reverse("leads:import_run", args=[job.pk]))

    lead = Lead.objects.get()
    assert (lead.email_normalised, lead.source_channel) == ("ann@acme.example", "event")


def test_a_large_file_is_queued_and_shows_progress(
    client, marketer, settings, django_capture_on_commit_callbacks
):
    settings.IMPORT_INLINE_MAX_ROWS = 2
    client.force_login(marketer)
    upload(client, GOOD_AND_BAD)
    job = Job.objects.get()

    # The task is queued after commit; the real worker runs it in test_import_task.
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        client.post(reverse("leads:import_run", args=[job.pk]))

    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.state == Job.State.PENDING
    assert job.params["chunk_size"] == 2
    assert Lead.objects.count() == 0
    page = client.get(reverse("leads:import_detail", args=[job.pk])).content.decode()
    assert reverse("leads:import_progress", args=[job.pk]) in page
    assert 'class="progress"' in page
    progress = client.get(reverse("leads:import_progress", args=[job.pk])).json()
    assert progress | {"url": ""} == {
        "id": job.pk,
        "state": "pending",
        "state_label": "Queued",
        "done": 0,
        "total": 3,
        "percent": 0,
        "created": 0,
        "updated": 0,
        "rejected": 0,
        "finished": False,
        "status_note": "",  # queued an instant ago: not yet "the queue could not be reached"
        "url": "",
    }


def test_a_finished_job_has_no_mapping_step_and_no_report_when_all_rows_pass(client, marketer):
    client.force_login(marketer)
    upload(client, "Email,Source\nann@acme.example,website\n")
    job = Job.objects.get()
    client.post(reverse("leads:import_run", args=[job.pk]))

    assert client.get(reverse("leads:import_map", args=[job.pk]))["Location"] == reverse(
        "leads:import_detail", args=[job.pk]
    )
    assert client.get(reverse("leads:import_report", args=[job.pk])).status_code == 404
    assert (
        "Every row was imported."
        in client.get(reverse("leads:import_detail", args=[job.pk])).content.decode()
    )


@pytest.mark.celery_worker
def test_a_large_file_runs_as_a_celery_task_to_done(
    transactional_db, celery_worker_process, migration_rows, client, marketer, settings
):
    settings.IMPORT_INLINE_MAX_ROWS = 10
    lines = ["Email,Name,Source"]
    for n in range(1, 46):
        lines.append(f"lead{n}@acme.example,Lead {n},website")
        if n in (7, 23, 40):
            lines.append(f"broken-{n},Broken {n},website")
    client.force_login(marketer)
    upload(client, "\n".join(lines) + "\n")
    job = Job.objects.get()
    assert job.total == 48

    client.post(reverse("leads:import_run", args=[job.pk]))

    wait_for_job(job)
    assert job.state == Job.State.DONE, celery_worker_process.log()
    assert job.result == {"created": 45, "updated": 0, "rejected": 3}
    assert (job.done, job.total) == (48, 48)
    # Header is row 1; "broken-7" follows lead 7 (row 8), then rows shift by one per bad row.
    assert [e["row"] for e in job.errors] == [9, 26, 44]
    assert Lead.objects.count() == 45
    assert "leads.tasks.import_leads" in celery_worker_process.log()
    progress = client.get(reverse("leads:import_progress", args=[job.pk])).json()
    assert (progress["state"], progress["percent"], progress["finished"]) == ("done", 100, True)
    report = b"".join(client.get(reverse("leads:import_report", args=[job.pk])).streaming_content)
    assert [row[0] for row in csv.reader(io.StringIO(report.decode("utf-8-sig")))] == [
        "row",
        "9",
        "26",
        "44",
    ]
